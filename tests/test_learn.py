"""What the history teaches (pipeaudit.weekly.learn) and `pipeaudit history norms|funnel|accuracy`,
checked against figures worked out by hand from tests/weekly_fixture.py."""

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app
from pipeaudit.weekly.learn import conversion, dwell_norms, forecast_accuracy, percentile, stage_stays, time_to_close
from pipeaudit.weekly.store import HistoryStore
from weekly_fixture import run_weeks


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    db, _ = run_weeks(tmp_path_factory.mktemp("learn"))
    with HistoryStore(db, create=False) as store:
        rows, weeks = store.rows_up_to(date(2026, 11, 23)), store.snapshots()
    return db, rows, weeks


def test_percentile_interpolates_between_ranks():
    assert percentile([7, 7, 14, 21, 28], 50) == 14
    assert percentile([7, 7, 14, 21, 28], 80) == pytest.approx(22.4)  # position 3.2: 21 + 0.2 x 7
    assert percentile([14, 21], 80) == pytest.approx(19.6)  # position 0.8: 14 + 0.8 x 7
    assert percentile([5], 80) == 5


def test_stays_need_both_ends_seen(history):
    _, rows, weeks = history
    stays = stage_stays(rows, weeks)
    got = sorted((k, int(r), d) for k, r, d in zip(stays["key"], stays["rank"], stays["days"]))
    # Q (rank 1): D1 W3->W5, D2 W2->W3, D3 W2->W5, D4 W3->lost W4, D5 W2->W6; A (0): D6, new in W3, ->Q W5;
    # P (2): D2 W3->won W6, D9 W3->won W5. D1..D5 in A and D7, D8, D10-D13 began before W1: not seen entering.
    assert got == [
        ("id:d1", 1, 14), ("id:d2", 1, 7), ("id:d2", 2, 21), ("id:d3", 1, 21), ("id:d4", 1, 7),
        ("id:d5", 1, 28), ("id:d6", 0, 14), ("id:d9", 2, 14),
    ]


def test_dwell_norms_by_hand(history):
    _, rows, weeks = history
    norms = dwell_norms(rows, weeks)
    assert norms["weeks"] == 6 and norms["enough_weeks"]
    stages = {s["stage"]: s for s in norms["ladders"]["hubspot"]}
    q = stages["Qualified To Buy"]
    assert (q["samples"], q["median"], q["p80"], q["norm"], q["enough"]) == (5, 14, pytest.approx(22.4), 23, True)
    p = stages["Presentation Scheduled"]
    assert (p["samples"], p["median"], p["p80"], p["norm"]) == (2, 17.5, pytest.approx(19.6), None)
    assert stages["Appointment Scheduled"]["samples"] == 1 and not stages["Appointment Scheduled"]["enough"]
    assert not dwell_norms(rows, weeks, min_samples=6)["ladders"]["hubspot"][1]["enough"]
    short = dwell_norms(rows.loc[rows["as_of"] <= "2026-11-02"], weeks[:3])
    assert not short["enough_weeks"] and all(s["norm"] is None for s in short["ladders"].get("hubspot", []))


def test_conversion_by_hand(history):
    _, rows, weeks = history
    team = {s["stage"]: s for s in conversion(rows, weeks)["team"]}
    # A: D1-D6, D12 seen; all but D12 moved on. Q: D1-D6, D9, D13; D1, D2, D3, D5, D9 moved on, D4 lost.
    # P: D2, D3, D9, D11, D14; D2 and D9 won. D: D1, D5, D8, D10, none moved. C: D7.
    assert (team["Appointment Scheduled"]["reached"], team["Appointment Scheduled"]["advanced"]) == (7, 6)
    q = team["Qualified To Buy"]
    assert (q["reached"], q["advanced"], q["lost"], q["still"], q["conversion"]) == (8, 5, 1, 2, 5 / 8)
    assert (team["Presentation Scheduled"]["reached"], team["Presentation Scheduled"]["advanced"]) == (5, 2)
    assert team["Decision Maker Bought-In"]["conversion"] == 0 and team["Contract Sent"]["reached"] == 1
    bob = {s["stage"]: s for s in conversion(rows, weeks)["by_owner"]["Bob"]}
    # Bob's Q: D4 (lost), D5 (on to D), D6, D9 (on to P), D13
    assert (bob["Qualified To Buy"]["reached"], bob["Qualified To Buy"]["advanced"], bob["Qualified To Buy"]["lost"]) == (5, 2, 1)


def test_time_to_close_by_hand(history):
    _, rows, weeks = history
    ttc = time_to_close(rows, weeks)
    # won: D2 (created 09-01, first won 11-23: 83 days), D9 (created 10-01, won 11-16: 46 days); lost: D4
    assert ttc["team"] == {"won": 2, "lost": 1, "win_rate": 2 / 3, "measured": 2, "median_days": 64.5}
    assert ttc["by_owner"]["Ann"]["median_days"] == 83 and ttc["by_owner"]["Bob"]["win_rate"] == 0.5


def test_forecast_accuracy_by_hand(history):
    _, rows, weeks = history
    acc = forecast_accuracy(rows, weeks, date(2026, 11, 23))
    # four weeks before 11-23 is 10-26 (W2): Commit then were D2 (100,000, won W6) and D7 (300,000, open)
    assert (acc["basis"], acc["call_week"], acc["end_week"]) == ("commit", "2026-10-26", "2026-11-23")
    ann, bob = acc["by_owner"]["Ann"], acc["by_owner"]["Bob"]
    assert ann["called"] == {"count": 2, "amount": 400000.0} and ann["called_won"] == {"count": 1, "amount": 100000.0}
    assert ann["accuracy"] == 0.25 and ann["over_called"] == 300000.0 and ann["verdict"] == "over-calling"
    # Bob called nothing and won D9 (Best Case then, 50,000)
    assert bob["uncalled_won"] == {"count": 1, "amount": 50000.0} and bob["verdict"] == "under-calling"
    # team: 50,000 won uncalled is within 15% of the 400,000 called, the 300,000 not won is not
    assert acc["team"]["verdict"] == "over-calling"
    by_class = forecast_accuracy(rows, weeks, date(2026, 11, 23), basis="class")
    assert by_class["missing"] == "deal_class"  # the exports carry no class: said, not guessed
    assert forecast_accuracy(rows, weeks, date(2026, 11, 2))["too_short"]  # no week four weeks before W3


def test_history_commands_text_and_json(history):
    db = str(history[0])
    runner = CliRunner()
    out = runner.invoke(app, ["history", "norms", "--db", db])
    assert out.exit_code == 0, out.output
    assert "Qualified To Buy" in out.output and "22.4" in out.output and "23" in out.output
    js = json.loads(runner.invoke(app, ["history", "norms", "--db", db, "--format", "json"]).output)
    assert js["ladders"]["hubspot"][1]["p80"] == pytest.approx(22.4)
    out = runner.invoke(app, ["history", "funnel", "--db", db])
    assert out.exit_code == 0 and "62%" in out.output and "64.5" in out.output
    js = json.loads(runner.invoke(app, ["history", "funnel", "--db", db, "--format", "json"]).output)
    assert js["time_to_close"]["team"]["won"] == 2
    out = runner.invoke(app, ["history", "accuracy", "--db", db])
    assert out.exit_code == 0 and "over-calling" in out.output and "█" in out.output
    js = json.loads(runner.invoke(app, ["history", "accuracy", "--db", db, "--format", "json"]).output)
    assert js["by_owner"]["Ann"]["accuracy"] == 0.25
    short = runner.invoke(app, ["history", "accuracy", "--db", db, "--as-of", "2026-11-02"])
    assert short.exit_code == 0 and "history too short" in short.output


@pytest.mark.parametrize("args, message", [
    (["history", "norms", "--format", "xml"], "--format 'xml'"),
    (["history", "accuracy", "--basis", "gut"], "--basis 'gut'"),
    (["history", "norms", "--as-of", "23/11/2026"], "--as-of"),
])
def test_history_commands_refuse_bad_options_with_one_line(history, args, message):
    out = CliRunner().invoke(app, [*args, "--db", str(history[0])])
    assert out.exit_code == 2 and message in out.output and "Traceback" not in out.output


def test_history_commands_on_a_missing_database(tmp_path):
    out = CliRunner().invoke(app, ["history", "funnel", "--db", str(tmp_path / "none.sqlite")])
    assert out.exit_code == 2 and "no history database here yet" in out.output
