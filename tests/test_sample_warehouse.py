"""samples/warehouse_opportunities.csv (a snake_case warehouse extract) audited with zero configuration."""

import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from pipeaudit.cli import app
from pipeaudit.options import AuditOptions
from pipeaudit.pipeline import run_audit

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "warehouse_opportunities.csv"
runner = CliRunner()


def test_zero_config_reads_every_deal_right(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no pipeaudit.yaml anywhere up from here
    result = run_audit(AuditOptions(path=SAMPLE, as_of=date(2026, 11, 23)))
    deals = result.deals
    f = deals.frame
    assert len(f) == 40 and len(deals.problems) == 0
    assert deals.unmapped == ["region"] and not deals.undecided
    assert sorted(f["owner"].unique()) == ["Ana Souza", "Kenji Mori", "Priya Raman", "Tom Becker"]
    assert f["status"].value_counts().to_dict() == {"open": 32, "won": 5, "lost": 3}
    assert int(f["on_hold"].sum()) == 1 and deals.unknown_stages == {}
    assert deals.stage_order.how == "ladder" and deals.stage_order.status_from == "is_closed/is_won"
    assert f["amount"].notna().all() and f["created"].notna().all() and f["last_activity"].notna().all()
    assert str(f["close_date_changes"].dtype) == "Int64" and f["close_date_changes"].iloc[9] == 4
    assert f["probability"].between(0, 1).all()
    assert set(result.findings["deal_id"].dropna()) <= set(f["deal_id"])
    assert result.findings["deal"].notna().all()
    rules = set(result.findings["rule"])
    assert {"missing-decision-maker", "commit-on-early-stage", "vague-next-step", "close-date-passed"} <= rules
    assert "unknown-stage" not in rules and "invalid-value" not in rules


def test_check_json_names_deals_by_id_and_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = runner.invoke(app, ["check", str(SAMPLE), "--as-of", "2026-11-23", "--format", "json", "--fail-on", "never"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    first = doc["findings"][0]
    assert first["deal_id"].startswith("0068c00001") and first["deal"] and first["owner"]
