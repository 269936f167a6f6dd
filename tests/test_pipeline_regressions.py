"""Crashes that four copies of one helper used to cause, now one helper each (issue: architecture)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app
from pipeaudit.engine.loader import load_rules
from pipeaudit.engine.evaluate import evaluate
from pipeaudit.deals.build import deals_from_records
from pipeaudit.model import RunFacts

SALESFORCE = "salesforce_export.csv"


def run(*args):
    return CliRunner().invoke(app, [*map(str, args)])


@pytest.fixture(autouse=True)
def _clean_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def test_rep_filter_ignores_case_for_last_week_too(samples_dir):
    export = samples_dir / SALESFORCE
    res = run("check", export, "--baseline", export, "--rep", "emma schulz", "--as-of", "2026-11-23",
              "--format", "json", "--fail-on", "never")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    owners = {f["owner"] for f in doc["findings"]}
    assert owners == {"Emma Schulz"}
    # last week is the same file: every one of Emma's deals matched, none new, none gone
    team = doc["changes"]["team"]
    assert doc["changes"]["baseline"]["matched"] == doc["summary"]["deals"] > 0
    assert team["new"] == team["removed"] == 0 and team["start"] == team["end"]


def test_a_header_only_baseline_is_an_empty_previous_week(samples_dir, tmp_path):
    export = samples_dir / SALESFORCE
    header_only = tmp_path / "header_only.csv"
    header_only.write_text(export.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    res = run("check", export, "--baseline", header_only, "--as-of", "2026-11-23", "--format", "json",
              "--fail-on", "never")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["changes"]["baseline"]["matched"] == 0
    assert doc["changes"]["team"]["start"] == 0 and doc["changes"]["team"]["new"] == doc["changes"]["team"]["end"]


def test_a_second_history_week_of_deals_without_names(tmp_path):
    export = tmp_path / "w.csv"
    export.write_text("owner,stage,amount,close_date\nA,C方案论证,100,2026-12-01\n", encoding="utf-8")
    db = tmp_path / "h.sqlite"
    first = run("check", export, "--history", db, "--as-of", "2026-11-11", "--format", "json")
    second = run("check", export, "--history", db, "--as-of", "2026-11-12", "--format", "json")
    assert first.exit_code in (0, 1), first.output
    assert second.exit_code in (0, 1), second.output
    assert json.loads(second.stdout)["summary"]["deals"] == 1


def test_a_placeholder_prints_the_same_in_every_question(tmp_path):
    pack = tmp_path / "p.yaml"
    pack.write_text(
        """pack: p
rules:
  - name: likely-deal
    severity: info
    where: {gt: {field: probability, value: 0.5}}
    message: {zh: "赢率 {probability}", en: "probability {probability}"}
    questions:
      - {zh: "赢率 {probability} 的依据？", en: "Why {probability}?"}
      - {zh: "谁认可 {probability}？", en: "Who agrees with {probability}?"}
    why: {zh: 说明, en: why}
    ref: test
""",
        encoding="utf-8",
    )
    rules = load_rules([pack], default_rules=False).rules
    deals = deals_from_records([{"deal": "x", "stage": "商务谈判", "probability": "90%"}])
    findings, _ = evaluate(deals, rules, date(2026, 11, 23), "en", RunFacts())
    assert findings["message"].tolist() == ["probability 90%"]
    assert findings["questions"].iloc[0] == ("Why 90%?", "Who agrees with 90%?")
    assert findings["question"].iloc[0] == "Why 90%?"
