"""`pipeaudit init EXPORT` and `pipeaudit columns --format json`: the inferred facts, for people
(a commented pipeaudit.yaml that round-trips) and for scripts."""

import json

import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app
from pipeaudit.config import load_config
from pipeaudit.deals.build import build_deals
from pipeaudit.read import read_table

runner = CliRunner()

WAREHOUSE = (
    "opp_id,opp_name,account_name,rep_name,stage_name,amount_usd,close_date,created_at,probability,region\n"
    "006A1,Acme renewal,Acme Inc,Dana Smith,Intro Call,12000,25/12/26,2026-05-03 14:22:05.123 UTC,0.1,West\n"
    "006A2,Globex expansion,Globex Corp,Lee Chan,Scoping,45000,15/01/27,2026-07-01 10:00:00.000 UTC,0.3,East\n"
    "006A3,Initech pilot,Initech LLC,Dana Smith,Business Case,8000,31/01/27,2026-09-12 08:00:00.000 UTC,0.6,West\n"
    "006A4,Umbrella deal,Umbrella Ltd,Pat Jones,closed_lost,20000,30/09/26,2026-03-01 08:00:00.000 UTC,0,South\n"
    "006A5,Hooli upsell,Hooli Inc,Lee Chan,closed_won,30000,01/10/26,2026-08-20 08:00:00.000 UTC,1,East\n"
)
UNKNOWN = (
    "Deal,Owner,Stage,Close Date\n"
    "a,Dana Smith,Tech Eval,4/8/2026\n"
    "b,Lee Chan,Business Review,5/9/2026\n"
    "c,Lee Chan,Tech Eval,6/9/2026\n"
)


@pytest.fixture
def export(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "opps.csv"
    path.write_text(WAREHOUSE, encoding="utf-8")
    return path


def test_columns_json_has_the_facts(export):
    result = runner.invoke(app, ["columns", str(export), "--format", "json"])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.output)
    by_header = {h["header"]: h for h in facts["headers"]}
    assert by_header["rep_name"] == {"header": "rep_name", "field": "owner", "how": "words", "confidence": 0.85,
                                     "detail": "rep + name", "unit": None}
    assert by_header["region"]["field"] is None
    assert facts["ladder"]["how"] == "probability"
    assert facts["ladder"]["open"] == ["Intro Call", "Scoping", "Business Case"]
    assert facts["ladder"]["won"] == ["closed_won"] and facts["ladder"]["lost"] == ["closed_lost"]
    assert facts["dates"]["close_date"] == {"header": "close_date", "order": "dmy", "how": "values",
                                            "evidence": "25/12/26", "settled": True, "no_date": 0}
    assert facts["deals"] == {"rows": 5, "open": 3, "won": 1, "lost": 1, "on_hold": 0}
    assert facts["rows_skipped"] == {"above_header": 0, "hint_rows": [], "total_rows": [], "blank_rows": 0}
    assert facts["unknown_stages"] == {} and isinstance(facts["skipped_rules"], list)


def test_columns_bad_format_is_exit_2(export):
    result = runner.invoke(app, ["columns", str(export), "--format", "yaml"])
    assert result.exit_code == 2 and "json" in result.output


def test_init_writes_a_commented_config_that_round_trips(export, tmp_path):
    result = runner.invoke(app, ["init", str(export)])
    assert result.exit_code == 0, result.output
    written = tmp_path / "pipeaudit.yaml"
    text = written.read_text(encoding="utf-8")
    assert '  owner:' in text and '"rep_name"' in text and "# words: rep + name (0.85)" in text
    assert '# (no field / 无字段): "region"' in text
    assert "ladder: export" in text and '"Intro Call", "Scoping", "Business Case"' in text
    assert "date_order: dmy" in text
    cfg = load_config(written)
    deals = build_deals(read_table(export))
    assert cfg.columns == deals.mapping
    again = build_deals(read_table(export), cfg)
    assert again.mapping == deals.mapping
    assert again.stage_order.how == "config" and again.stage_order.open == deals.stage_order.open
    assert again.frame["stage_rank"].tolist() == deals.frame["stage_rank"].tolist()
    assert again.dates["close_date"].order == "dmy"


def test_init_never_overwrites_without_force(export, tmp_path):
    target = tmp_path / "pipeaudit.yaml"
    target.write_text("lang: en\n", encoding="utf-8")
    result = runner.invoke(app, ["init", str(export)])
    assert result.exit_code == 2 and "--force" in result.output
    assert target.read_text(encoding="utf-8") == "lang: en\n"
    result = runner.invoke(app, ["init", str(export), "--force"])
    assert result.exit_code == 0 and "columns:" in target.read_text(encoding="utf-8")


def test_init_output_path_and_unknown_ladder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "deals.csv"
    path.write_text(UNKNOWN, encoding="utf-8")
    out = tmp_path / "conf" / "mine.yaml"
    result = runner.invoke(app, ["init", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "# ladder: export" in text and '#     open: ["Tech Eval", "Business Review"]' in text
    assert "# date_order: mdy" in text  # not settled: left for the user to choose
    cfg = load_config(out)
    assert cfg.ladder is None and cfg.date_order is None
    assert cfg.columns == {"deal": "Deal", "owner": "Owner", "stage": "Stage", "close_date": "Close Date"}
    assert not (tmp_path / "pipeaudit.yaml").exists()


def test_init_escapes_headers_in_yaml_and_comments(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "odd.csv"
    path.write_text('"Deal ""Name"": #1",Owner,Stage,"x\ny: z",Re\x9bgion\na,Dana Smith,Won,1,W\n', encoding="utf-8")
    result = runner.invoke(app, ["init", str(path), "--map", 'deal=Deal "Name": #1', "--map", "next_step=Re\x9bgion"])
    assert result.exit_code == 0, result.output
    cfg = load_config(tmp_path / "pipeaudit.yaml")
    assert cfg.columns == {"deal": 'Deal "Name": #1', "owner": "Owner", "stage": "Stage", "next_step": "Re\x9bgion"}
    text = (tmp_path / "pipeaudit.yaml").read_text(encoding="utf-8")
    assert '# (no field / 无字段): "x y: z"' in text  # the line break in the header stays in the comment
