"""The backtest (pipeaudit.backtest): outcomes, Wilson and Katz intervals, and a replay of the
method's rules over a history built so that every figure can be worked out by hand."""

import json
from datetime import date, timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app
from pipeaudit.config import Config
from pipeaudit.deals.build import deals_from_records
from pipeaudit.engine import load_rules
from pipeaudit.backtest import backtest, lift_ci, outcomes, suggest, wilson
from pipeaudit.weekly.store import HistoryStore

WEEKS = [date(2026, 10, 5) + timedelta(weeks=i) for i in range(6)]


def _week(i: int) -> list[dict]:
    """40 deals in Qualified To Buy. F1-F20 have no insider, N1-N20 have one. In week 3 F1-F12 and
    N1-N4 are lost and the others won; closed deals stay in the exports."""
    recs = []
    for group, lost in (("F", 12), ("N", 4)):
        for n in range(1, 21):
            stage = "Qualified To Buy" if i < 2 else ("Closed Lost" if n <= lost else "Closed Won")
            recs.append({"deal_id": f"{group}{n}", "deal": f"{group}{n}", "owner": "Ann", "stage": stage,
                         "amount": 10000, "close_date": "2027-01-31", "decision_maker": "CFO",
                         "insider": "" if group == "F" else "IT lead", "next_step": "Demo on 12/2"})
    return recs


@pytest.fixture(scope="module")
def method_history(tmp_path_factory):
    db = tmp_path_factory.mktemp("bt") / "h.sqlite"
    with HistoryStore(db) as store:
        for i, day in enumerate(WEEKS):
            deals = deals_from_records(_week(i))
            store.store(deals, day, ladder=deals.ladder)
    return db


def _run(db, weeks=None):
    with HistoryStore(db, create=False) as store:
        snaps = store.snapshots()[: weeks or None]
        rows = store.rows_up_to(snaps[-1]["as_of"])
    rules = [r for r in load_rules([], default_rules=True).rules if r.enabled]
    return backtest(rows, snaps, rules, Config())


def test_wilson_and_katz_by_hand():
    lo, hi = wilson(12, 20)  # p 0.6, z^2 3.8415: centre 0.5839, half 0.1973
    assert (round(lo, 4), round(hi, 4)) == (0.3866, 0.7812)
    lo, hi = wilson(4, 20)  # centre 0.2483, half 0.1677
    assert (round(lo, 4), round(hi, 4)) == (0.0807, 0.4160)
    assert wilson(0, 0) is None
    lift, lo, hi, corrected = lift_ci(12, 20, 4, 20)
    # 0.6 / 0.2 = 3; se = sqrt(1/12 - 1/20 + 1/4 - 1/20) = 0.48305; exp(ln 3 -/+ 1.96 x 0.48305)
    assert (round(lift, 4), round(lo, 3), round(hi, 3), corrected) == (3.0, 1.164, 7.732, False)
    lift, lo, hi, corrected = lift_ci(0, 10, 5, 20)
    # Haldane: (0.5/11) / (5.5/21) = 0.17355; se = sqrt(1/0.5 - 1/11 + 1/5.5 - 1/21) = 1.42944
    assert (round(lift, 4), round(lo, 4), round(hi, 3), corrected) == (0.1736, 0.0105, 2.859, True)
    assert suggest(3.0, 1.164) == "error" and suggest(1.5, 1.1) == "warning" and suggest(3.0, 0.9) == "info"


def test_outcomes_read_the_weeks_after():
    w = [pd.Timestamp(d) for d in WEEKS]
    rows = pd.DataFrame([
        # pushed in week 2: bad from week 1; week 2's own date then holds through the horizon: good
        *[("a", w[i], "open", "2027-01-01" if i == 0 else "2027-02-01") for i in range(6)],
        ("b", w[0], "open", "2027-01-01"), ("b", w[1], "open", "2027-01-01"),  # vanishes: unknown
        ("c", w[3], "open", "2027-01-01"), ("c", w[5], "open", "2027-01-01"),  # history ends too soon
        ("d", w[0], "open", None), ("d", w[2], "won", None),  # won within the horizon: good
    ], columns=["key", "as_of", "status", "close_date"])
    got = outcomes(rows, horizon_weeks=4)
    assert got[("a", w[0])] == "bad" and got[("a", w[1])] == "good" and got[("a", w[2])] is None
    assert got[("b", w[0])] is None and got[("c", w[3])] is None and got[("d", w[0])] == "good"
    assert ("d", w[2]) not in got  # closed weeks are no observation


def test_no_insider_backtested_by_hand(method_history):
    result = _run(method_history)
    assert (result["weeks"], result["too_short"], result["horizon_weeks"]) == (6, False, 4)
    rule = {r["rule"]: r for r in result["rules"]}
    ni = rule["no-insider"]
    # observed from week 1 (first flagged / first applied); lost in week 3 = bad, won = good
    assert ni["flagged"]["n"] == 20 and ni["flagged"]["bad"] == 12 and ni["not_flagged"]["bad"] == 4
    assert round(ni["lift"], 4) == 3.0 and [round(x, 3) for x in ni["lift_ci"]] == [1.164, 7.732]
    assert [round(x, 4) for x in ni["flagged"]["ci"]] == [0.3866, 0.7812]
    assert ni["judged"] and ni["suggested"] == "error" and ni["severity"] == "error"
    dm = rule["missing-decision-maker"]
    assert not dm["judged"] and dm["why_not"] == "too few deals: 0 flagged, 40 not flagged (needs 10 each)"
    a = rule["a-deal-overdue"]
    assert a["weeks_run"] == 0 and a["why_not"] == "never ran: the stored weeks lack class_since, deal_class"
    excluded = {x["rule"] for x in result["excluded"]}
    assert {"invalid-value", "funnel-short", "review-due", "history-too-short"} <= excluded


def test_a_short_history_is_not_judged(method_history):
    result = _run(method_history, weeks=5)
    assert result["too_short"] and result["needs_weeks"] == 6
    ni = {r["rule"]: r for r in result["rules"]}["no-insider"]
    assert not ni["judged"] and ni["suggested"] is None and ni["why_not"] == "history too short: 5 weeks, needs 6"


def test_backtest_command(method_history):
    runner = CliRunner()
    out = runner.invoke(app, ["history", "backtest", "--db", str(method_history), "--format", "json"])
    assert out.exit_code == 0, out.output
    rules = {r["rule"]: r for r in json.loads(out.output)["rules"]}
    assert rules["no-insider"]["suggested"] == "error"
    text = runner.invoke(app, ["history", "backtest", "--db", str(method_history)])
    assert text.exit_code == 0 and "PA102" in text.output and "3.00 [1.16–7.73]" in text.output
    bad = runner.invoke(app, ["history", "backtest", "--db", str(method_history), "--horizon", "0"])
    assert bad.exit_code == 2 and "--horizon 0" in bad.output


def test_the_method_rules_are_replayed_with_what_each_week_knew(tmp_path):
    # five A-class deals quoted before any confirmation, open for six weeks: class_since comes from
    # the history (week 1), so a-deal-overdue can only run from week 2 and flags in week 6 (35 days
    # as A > 4 weeks), too late for an outcome; price-before-confirmation flags them from week 1,
    # and six weeks later they are still open and unpushed: good outcomes
    db = tmp_path / "h.sqlite"
    with HistoryStore(db) as store:
        for day in WEEKS:
            deals = deals_from_records([
                {"deal_id": f"A{n}", "deal": f"A{n}", "owner": "Ann", "stage": "Decision Maker Bought-In",
                 "deal_class": "A", "quote_date": "2026-09-01", "confirmed": "no", "close_date": "2027-01-31",
                 "decision_maker": "CFO", "insider": "IT lead"} for n in range(1, 6)])
            store.store(deals, day, ladder=deals.ladder)
    rule = {r["rule"]: r for r in _run(db)["rules"]}
    a = rule["a-deal-overdue"]
    assert a["weeks_run"] == 5 and a["flagged"]["n"] == 0 and a["flagged"]["unknown"] == 5
    p = rule["price-before-confirmation"]
    assert p["weeks_run"] == 6 and p["flagged"]["n"] == 5 and p["flagged"]["bad"] == 0
    assert p["why_not"] == "too few deals: 5 flagged, 0 not flagged (needs 10 each)"
