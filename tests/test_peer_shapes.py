"""Exports shaped like pipeline-hygiene's (docs/peer-comparison.md), with deals of our own.

The peer's data is not ours to copy; these rows only reproduce its shapes: snake_case headers
(opp_id, opp_name, stage_entered_date, close_date_changes ...), lower-case stages prospect ..
commit, closed_won / closed_lost, forecast categories like best_case and omitted, and next steps
that are empty, undated, expired or filler. Each deal trips one of the peer's classes (the key
below, by the peer's definitions); pipeaudit must flag the same deals for the same classes.
"""

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app

HEAD = ["opp_id", "account", "opp_name", "owner", "stage", "amount", "currency", "created_date", "close_date",
        "last_activity_date", "next_step", "next_step_date", "forecast_category", "contact_count", "product_line",
        "stage_entered_date", "close_date_changes"]
BASE = dict(owner="Riley Stone", stage="develop", amount="50000.00", currency="USD", created_date="2026-05-01",
            close_date="2026-09-30", last_activity_date="2026-08-07", next_step="Send the proposal to procurement",
            next_step_date="2026-08-20", forecast_category="pipeline", contact_count="3", product_line="CoreSuite",
            stage_entered_date="2026-08-01", close_date_changes="0")
#: opp -> (changes to BASE, the peer class it should trip)
DEALS = {
    "OPP-9001": ({}, None),
    "OPP-9002": ({"close_date": "2026-08-01"}, "H2"),
    "OPP-9003": ({"next_step": ""}, "H4"),
    "OPP-9004": ({"next_step_date": "2026-08-05"}, "H4"),
    "OPP-9005": ({"next_step_date": ""}, "H4"),
    "OPP-9006": ({"amount": "250000.00", "contact_count": "1"}, "H7"),
    "OPP-9007": ({"amount": "0"}, "H8"),
    "OPP-9008": ({"next_step": "sync soon"}, "H9"),
    "OPP-9009": ({"next_step": "Budget approval still with finance team"}, "H9"),
    "OPP-9010": ({"close_date": "2027-08-30"}, "H10"),
    "OPP-9011": ({"stage": "qualify", "forecast_category": "commit"}, "H5"),
    "OPP-9012": ({"stage": "propose", "last_activity_date": "2026-07-20"}, "H1"),
    "OPP-9013": ({"stage": "commit", "stage_entered_date": "2026-07-10"}, "H6"),
    "OPP-9014": ({"stage": "closed_won", "next_step": ""}, None),
}
CLASSES = {
    "H1": {"stale-by-stage"}, "H2": {"close-date-passed"}, "H4": {"no-next-step", "next-step-overdue", "next-step-undated"},
    "H5": {"commit-on-early-stage", "commit-without-next-step"}, "H6": {"stuck-in-stage"},
    "H7": {"single-threaded-big-deal"}, "H8": {"missing-amount", "amount-not-positive"}, "H9": {"vague-next-step"},
    "H10": {"close-date-far-out"}, "H11": {"slipped-not-recovered"},
}
LADDER = ("ladders:\n  peer:\n    open: [prospect, qualify, develop, propose, commit]\n"
          "    phases: [lead, discovery, solution, negotiation, closing]\n    won: [closed_won]\n    lost: [closed_lost]\n")
MAPS = ["--map", "deal_id=opp_id", "--map", "deal=opp_name", "--map", "stage_since=stage_entered_date"]


def export(path: Path, deals: dict) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, HEAD)
        w.writeheader()
        for opp, (changes, _) in deals.items():
            w.writerow({**BASE, "opp_id": opp, "account": f"{opp} Group", "opp_name": f"{opp} renewal", **changes})
    return path


def classes_flagged(path: Path, as_of: str, *extra: str) -> dict[str, set[str]]:
    out = CliRunner().invoke(app, ["check", str(path), "--as-of", as_of, "--format", "json", "--fail-on", "never", *extra])
    assert out.exit_code == 0, out.output
    ids = {i + 2: opp for i, opp in enumerate(DEALS)}  # rows under the header, in file order
    got: dict[str, set[str]] = {}
    for f in json.loads(out.output)["findings"]:
        for cls, rules in CLASSES.items():
            if f["rule"] in rules and f["row"] is not None:
                got.setdefault(cls, set()).add(ids[f["row"]])
    return got


def key(classes) -> dict[str, set[str]]:
    return {c: {opp for opp, (_, k) in DEALS.items() if k == c} for c in classes}


def test_zero_configuration_agrees_on_the_classes_that_need_no_mapping(tmp_path):
    got = classes_flagged(export(tmp_path / "opps.csv", DEALS), "2026-08-10")
    agreed = ("H2", "H4", "H7", "H8", "H9", "H10")
    assert {c: got.get(c, set()) for c in agreed} == key(agreed)


def test_with_the_columns_mapped_and_the_ladder_declared_every_class_agrees(tmp_path):
    conf = tmp_path / "pipeaudit.yaml"
    conf.write_text(LADDER, encoding="utf-8")
    got = classes_flagged(export(tmp_path / "opps.csv", DEALS), "2026-08-10", "--config", str(conf), *MAPS)
    classes = ("H1", "H2", "H4", "H5", "H6", "H7", "H8", "H9", "H10")
    assert {c: got.get(c, set()) for c in classes} == key(classes)


@pytest.mark.parametrize("push, flagged", [(21, True), (20, False)])
def test_a_big_push_across_weekly_snapshots_is_lost_deal_control(tmp_path, push, flagged):
    from datetime import date, timedelta

    conf = tmp_path / "pipeaudit.yaml"
    conf.write_text(LADDER, encoding="utf-8")
    db = tmp_path / "h.sqlite"
    deals = {"OPP-9001": ({}, None)}
    classes_flagged(export(tmp_path / "w1.csv", deals), "2026-08-03", "--config", str(conf), "--history", str(db), *MAPS)
    pushed = (date(2026, 9, 30) + timedelta(days=push)).isoformat()
    got = classes_flagged(export(tmp_path / "w2.csv", {"OPP-9001": ({"close_date": pushed}, "H11")}), "2026-08-10",
                          "--config", str(conf), "--history", str(db), *MAPS)
    assert got.get("H11", set()) == ({"OPP-9001"} if flagged else set())
