"""The forecast view: categories in both languages, the roll-up per rep and team, risky commits, and
where it shows (check JSON's `forecast`, the text output, result.extras)."""

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app
from pipeaudit.config import Config
from pipeaudit.forecast import category_of
from pipeaudit.options import AuditOptions
from pipeaudit.pipeline import run_audit
from weekly_fixture import MONDAYS, run_weeks, write_week


@pytest.mark.parametrize("value, category", [
    ("Commit", "commit"), ("COMMITTED", "commit"), ("承诺", "commit"), ("Best Case", "best_case"),
    ("best_case", "best_case"), ("有把握", "best_case"), ("Pipeline", "pipeline"), ("有可能", "pipeline"),
    ("Omitted", "omitted"), ("Closed", "closed"), ("Ｃｏｍｍｉｔ", "commit"), ("Maybe", "other"), ("  ", None), (None, None),
])
def test_categories_in_both_languages(value, category):
    assert category_of(value) == category


def test_roll_up_and_risky_commits_by_hand(tmp_path):
    _, results = run_weeks(tmp_path)
    view = results[-1].extras["forecast"]
    # open on 11-23: Commit D7 300,000 + D14 20,000; Best Case D5 70,000 + D8 80,000;
    # Pipeline D1 50,000, D3 60,000, D6 30,000, D10 90,000, D11 45,000, D12 0, D13 25,000
    assert view["team"] == {"commit": {"count": 2, "amount": 320000.0}, "best_case": {"count": 2, "amount": 150000.0},
                            "pipeline": {"count": 7, "amount": 300000.0}}
    assert view["by_owner"]["Ann"]["pipeline"] == {"count": 3, "amount": 155000.0}
    assert view["by_owner"]["Bob"] == {"best_case": {"count": 1, "amount": 70000.0}, "pipeline": {"count": 4, "amount": 145000.0}}
    risky = view["risky_commits"]
    # D7: flagged by warnings, late stage, close 12-10 ahead; D14: on Presentation, due 11-20
    assert [r["deal_id"] for r in risky] == ["D7", "D14"]
    assert risky[0]["reasons"] == ["flagged"] and "commit-without-next-step" in risky[0]["rules"]
    assert risky[1]["reasons"] == ["flagged", "early_stage", "past_close"]


def test_check_json_and_text_show_the_forecast(tmp_path):
    path = write_week(tmp_path / "w6.csv", 5)
    runner = CliRunner()
    out = runner.invoke(app, ["check", str(path), "--as-of", "2026-11-23", "--format", "json", "--fail-on", "never"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["forecast"]["team"]["commit"] == {"count": 2, "amount": 320000.0}
    text = runner.invoke(app, ["check", str(path), "--as-of", "2026-11-23", "--lang", "en", "--fail-on", "never"]).output
    assert "Forecast (open deals by forecast category)" in text and "Risky commits (2)" in text
    assert "Ann · Deal D14 [D14] · 20,000 · 2026-11-20 — " in text
    zh = runner.invoke(app, ["check", str(path), "--as-of", "2026-11-23", "--lang", "zh", "--fail-on", "never"]).output
    assert "预测（进行中商机按预测类别）" in zh and "有风险的承诺 (2)" in zh


def test_no_forecast_column_no_forecast_view(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Deal Name,Deal owner,Deal Stage,Amount\nA,Ann,Qualified To Buy,100\n", encoding="utf-8")
    result = run_audit(AuditOptions(path=path, as_of=date(2026, 11, 23)), Config())
    assert "forecast" not in result.extras
    doc = json.loads(CliRunner().invoke(app, ["check", str(path), "--format", "json", "--fail-on", "never"]).output)
    assert "forecast" not in doc


def test_unrecognised_categories_are_named(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Deal Name,Deal owner,Deal Stage,Amount,Forecast Category\nA,Ann,Qualified To Buy,100,Maybe\n"
                    "B,Ann,Qualified To Buy,50,Commit\n", encoding="utf-8")
    view = run_audit(AuditOptions(path=path, as_of=MONDAYS[-1]), Config()).extras["forecast"]
    assert view["unrecognised"] == {"Maybe": 1} and view["team"]["other"] == {"count": 1, "amount": 100.0}


def test_the_report_shows_the_forecast_learned_norms_and_results(tmp_path):
    from pipeaudit.config import Config

    cfg = Config(norms_learned=True)
    db, _ = run_weeks(tmp_path, cfg, weeks=5, quotas={"Ann": 730000, "Bob": 1460000})
    path = write_week(tmp_path / "w6.csv", 5)
    conf = tmp_path / "pipeaudit.yaml"
    conf.write_text("norms: learned\nquotas: {Ann: 730000, Bob: 1460000}\n", encoding="utf-8")
    out = tmp_path / "r"
    res = CliRunner().invoke(app, ["report", str(path), "--history", str(db), "--as-of", "2026-11-23", "--config", str(conf),
                                   "--out", str(out), "--format", "md,html", "--lang", "en"])
    assert res.exit_code == 0, res.output
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "## Forecast (open deals by forecast category)" in summary and "| Team | 2 · 320,000 |" in summary
    assert "### Risky commits (2)" in summary and "| Ann | Deal D14 | 20,000 | 2026-11-20 |" in summary
    assert "## Stage norms learned from the history" in summary and "| Qualified To Buy | 5 | 14 |" in summary
    assert "| Bob | 50,000 | 140,000 | 64% | review due |" in summary
    ann = (out / "reps" / "Ann.md").read_text(encoding="utf-8")
    assert "| 2 · 320,000 | 1 · 80,000 | 3 · 155,000 |" in ann and "- Deal D7 · 300,000 · 2026-12-10 — flagged:" in ann
    assert 'class="risky-commits' in (out / "summary.html").read_text(encoding="utf-8")
