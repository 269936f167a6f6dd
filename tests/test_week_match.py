"""Loud, never silent: a last week that matches few deals, a rule set that mostly cannot run, and
--require as a CI gate (issue: any real export, zero configuration)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app

AS_OF = ["--as-of", "2026-11-23"]
THIS_WEEK = """opp_id,opp_name,account_name,rep_name,stage,amount,close_date
O-1,Alpha ERP,Acme,Ann Lee,Proposal,100000,2026-12-15
O-2,Beta CRM,Globex,Ann Lee,Qualification,50000,2027-01-20
O-3,Gamma BI,Initech,Bo Chen,Negotiation,80000,2026-12-05
O-4,Delta MES,Umbrella,Bo Chen,Closed Won,30000,2026-11-20
"""


def export(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(*args):
    return CliRunner().invoke(app, [*map(str, args)])


@pytest.fixture(autouse=True)
def _here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def test_a_last_week_with_other_ids_and_names_is_said_to_match_nothing(tmp_path):
    now = export(tmp_path, "now.csv", THIS_WEEK)
    # the same deals, exported by another system: other ids, names edited
    last = export(tmp_path, "last.csv", THIS_WEEK.replace("O-", "X-").replace(" ERP", " ERP v2").replace(" CRM", " Suite")
                  .replace(" BI", " Analytics").replace(" MES", " Plant"))
    res = run("check", now, "--baseline", last, *AS_OF, "--format", "json", "--fail-on", "never")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    quality = doc["changes"]["baseline"]
    assert quality["key"] == "deal_id" and quality["previous_open"] == 3 and quality["matched_open"] == 0
    assert quality["reliable"] is False
    poor = [f for f in doc["findings"] if f["rule"] == "week-match-poor"]
    assert len(poor) == 1 and poor[0]["row"] is None and "0 of last week's 3" in poor[0]["message"]
    warning = [line for line in res.stderr.splitlines() if line.startswith("pipeaudit: warning:")]
    assert len(warning) == 1 and "--map deal_id=" in warning[0]


def test_the_same_week_matches_by_id_and_says_nothing(tmp_path):
    now = export(tmp_path, "now.csv", THIS_WEEK)
    res = run("check", now, "--baseline", now, *AS_OF, "--format", "json", "--fail-on", "never")
    doc = json.loads(res.stdout)
    assert doc["changes"]["baseline"]["reliable"] is True and doc["changes"]["baseline"]["matched_open"] == 3
    assert not [f for f in doc["findings"] if f["rule"] == "week-match-poor"]
    assert "warning" not in res.stderr


def test_without_ids_the_weeks_match_by_name_and_account(tmp_path):
    no_ids = "\n".join(",".join(line.split(",")[1:]) for line in THIS_WEEK.splitlines()) + "\n"
    now = export(tmp_path, "now.csv", no_ids)
    res = run("check", now, "--baseline", now, *AS_OF, "--format", "json", "--fail-on", "never")
    quality = json.loads(res.stdout)["changes"]["baseline"]
    assert quality["key"] == "deal+account" and quality["reliable"] is True


def test_require_is_a_gate_on_what_can_run(tmp_path):
    now = export(tmp_path, "now.csv", THIS_WEEK)
    # no decision-maker column: the rule that asks for one cannot run on this export
    res = run("check", now, *AS_OF, "--require", "missing-decision-maker")
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1
    assert "--require missing-decision-maker" in res.stderr and "decision_maker" in res.stderr
    assert run("check", now, *AS_OF, "--require", "close-date-passed", "--fail-on", "never").exit_code == 0
    assert run("check", now, *AS_OF, "--require", "no-such-rule").exit_code == 2
    ignored = run("check", now, *AS_OF, "--require", "close-date-passed", "--ignore", "close-date-passed")
    assert ignored.exit_code == 2 and "not selected" in ignored.stderr
    config = export(tmp_path, "pipeaudit.yaml", "require: [no-insider]\n")
    assert run("check", now, *AS_OF, "--config", config).exit_code == 2


def test_coverage_says_how_much_of_the_rule_set_could_run(tmp_path):
    now = export(tmp_path, "now.csv", THIS_WEEK)
    res = run("check", now, *AS_OF, "--format", "json", "--fail-on", "never", "--lang", "en")
    cov = json.loads(res.stdout)["summary"]["coverage"]
    assert cov["ran"] + cov["skipped"] == cov["rules"] and cov["skipped"] > cov["ran"]  # mostly cannot run
    assert cov["skipped_because"]["columns"] > 0 and cov["skipped_because"]["last_week"] > 0
    assert sum(cov["skipped_because"].values()) == cov["skipped"]
    text = run("check", now, *AS_OF, "--fail-on", "never", "--lang", "en").stdout
    assert f"{cov['ran']} of {cov['rules']} rules ran; {cov['skipped']} skipped: " in text
    assert "for lack of last week (--baseline/--history)" in text


def test_the_report_shows_no_changes_from_a_week_that_matched_nothing(tmp_path):
    now = export(tmp_path, "now.csv", THIS_WEEK)
    last = export(tmp_path, "last.csv", THIS_WEEK.replace("O-", "X-").replace("Alpha", "A").replace("Beta", "B")
                  .replace("Gamma", "G").replace("Delta", "D"))
    res = run("report", now, "--baseline", last, *AS_OF, "--out", tmp_path / "out", "--format", "html,md")
    assert res.exit_code == 0 and "pipeaudit: warning:" in res.stderr
    summary = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "were not found again this week" in summary or "大多没有匹配上" in summary


def test_check_text_lists_no_changes_from_a_week_that_matched_nothing(tmp_path):
    now = export(tmp_path, "now.csv", THIS_WEEK)
    last = export(tmp_path, "last.csv", THIS_WEEK.replace("O-", "X-").replace("Alpha", "A").replace("Beta", "B")
                  .replace("Gamma", "G").replace("Delta", "D"))
    text = run("check", now, "--baseline", last, *AS_OF, "--fail-on", "never", "--lang", "en").stdout
    assert "Since last week:" not in text and "week-match-poor" in text
    assert "Since last week:" in run("check", now, "--baseline", now, *AS_OF, "--fail-on", "never", "--lang", "en").stdout
