"""Issue 13's rules on a six-week history of our own (tests/weekly_fixture.py), through run_audit.

Each expected list is read off the fixture's table by hand; the comments say how.
"""

from datetime import date

import pytest

from pipeaudit.config import Config
from weekly_fixture import MONDAYS, flagged, run_weeks


@pytest.fixture(scope="module")
def six_weeks(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("six")
    return run_weeks(tmp, quotas={"Ann": 730000, "Bob": 1460000})


def test_week_six_hygiene_rules(six_weeks):
    _, results = six_weeks
    r = results[-1]
    # next steps due 2026-11-16 (D5) and 2026-11-20 (D7) are past on 11-23; the others are due 12-01/12-02
    assert flagged(r, "next-step-overdue") == ["D5", "D7"]
    # D7 is Commit and its next step is overdue; D14 is Commit with a live step; D2 (Commit) is won
    assert flagged(r, "commit-without-next-step") == ["D7"]
    # D14: Commit on Presentation Scheduled (solution phase)
    assert flagged(r, "commit-on-early-stage") == ["D14"]
    # D7: 300,000 with one contact; everybody else has three
    assert flagged(r, "single-threaded-big-deal") == ["D7"]
    assert flagged(r, "amount-not-positive") == ["D12"]
    # "waiting on legal" names no date; "Demo to the CFO on 12/2" does
    assert flagged(r, "vague-next-step") == ["D3"]
    # D13's next step has no date; every other deal's has one
    assert flagged(r, "next-step-undated") == ["D13"]
    assert all(flagged(w, "next-step-undated") == ["D13"] for w in results)


def test_week_six_history_rules(six_weeks):
    _, results = six_weeks
    r = results[-1]
    # D8 pushed 28 days in W3 and 7 in W5 without moving on; D10 pushed 21 days this week
    assert flagged(r, "slipped-not-recovered") == ["D10", "D8"]
    msg = r.findings.loc[(r.findings["rule"] == "slipped-not-recovered") & (r.findings["deal_id"] == "D8"), "message"].iloc[0]
    assert "up to 28 days at once, 35 days in total (last push 7 days" in msg
    # calendar Q4 2026 ends 12-31: D10 went 12-20 -> 2027-01-10, D11 came 2027-01-15 -> 12-15
    assert flagged(r, "pushed-out-of-quarter") == ["D10"]
    assert flagged(r, "pulled-into-quarter") == ["D11"]
    out = r.findings.loc[r.findings["rule"] == "pushed-out-of-quarter", "message"].iloc[0]
    assert "FY2026 Q4" in out
    # in a stage since the first stored week (2026-10-19, 35 days): D7 closing (norm 21), D8 and D10
    # negotiation (30); D11 solution (45), D12 lead (45) and D13 discovery (45) are within theirs
    assert flagged(r, "stuck-in-stage") == ["D10", "D7", "D8"]
    d7 = r.findings.loc[(r.findings["rule"] == "stuck-in-stage") & (r.findings["deal_id"] == "D7"), "message"].iloc[0]
    assert d7 == ("In Contract Sent since 2026-10-19: 35 days, beyond the stage's norm of 21 days"
                  " (the default for the closing phase)")


def test_a_slip_stays_flagged_until_the_deal_recovers(six_weeks):
    _, results = six_weeks
    weekly = [flagged(r, "slipped-not-recovered") for r in results[1:]]
    # W2: D9 pushed 30 days; W3: D9 moved on to Presentation (recovered), D8 pushed 28 days and stays
    # flagged through W6 although its later push is only 7 days; W6: D10 pushed 21 days
    assert weekly == [["D9"], ["D8"], ["D8"], ["D8"], ["D10", "D8"]]
    skipped = {s.rule for s in results[0].skipped}
    assert "slipped-not-recovered" in skipped  # one stored week: nothing to derive, said, not guessed


def test_review_due_names_the_rep_behind_plan(six_weeks):
    _, results = six_weeks
    r = results[-1]
    rows = r.findings[r.findings["rule"] == "review-due"]
    # 35 days from 10-19 to 11-23: Bob's plan 1,460,000 x 35/365 = 140,000, won 50,000 (D9): 64.3% short;
    # Ann's plan 730,000 x 35/365 = 70,000, won 100,000 (D2): ahead
    assert rows["owner"].tolist() == ["Bob"] and rows["row"].isna().all()
    assert rows["message"].iloc[0] == ("won 50,000 over the last 6 weeks, 64% below the 140,000 a yearly target"
                                       " of 1,460,000 asks for them: a review is due")
    review = r.extras["review"]
    assert review["Bob"]["miss_pct"] == 64.3 and review["Ann"]["miss_pct"] == -42.9
    assert review["Ann"]["plan"] == 70000.0 and review["Bob"]["days"] == 35


def test_review_due_says_when_the_history_is_too_short(tmp_path):
    _, results = run_weeks(tmp_path, weeks=3, quotas={"Ann": 730000, "Bob": 1460000})
    r = results[-1]
    assert "review-due" not in set(r.findings["rule"])
    assert any("review-due: the history holds 3 week(s), fewer than 4" in n for n in r.notes)


def test_learned_norms_feed_the_aging_rule(tmp_path):
    _, results = run_weeks(tmp_path, Config(norms_learned=True))
    r = results[-1]
    # Qualified To Buy stays seen end to end: 14 (D1), 7 (D2), 21 (D3), 7 (D4), 28 (D5) days:
    # p80 = 21 + 0.2 x (28 - 21) = 22.4 -> norm 23; D13 has been in it since 10-19 (35 days)
    assert flagged(r, "stuck-in-stage") == ["D10", "D13", "D7", "D8"]
    d13 = r.findings.loc[(r.findings["rule"] == "stuck-in-stage") & (r.findings["deal_id"] == "D13"), "message"].iloc[0]
    assert "norm of 23 days (learned from the stored weeks (80th percentile))" in d13
    stages = {s["stage"]: s for s in r.extras["norms"]["ladders"]["hubspot"]}
    assert stages["Qualified To Buy"]["norm"] == 23 and stages["Qualified To Buy"]["samples"] == 5
    # too few stays elsewhere: said in a note, and those stages keep the rule's norms
    assert any("fewer than 5 completed stays for Appointment Scheduled (1), Presentation Scheduled (2)" in n for n in r.notes)


def test_learned_norms_with_a_short_history_fall_back_and_say_so(tmp_path):
    _, results = run_weeks(tmp_path, Config(norms_learned=True), weeks=3)
    assert any("norms: learned — the history holds 3 week(s), fewer than 4" in n for n in results[-1].notes)


def test_config_norms_per_ladder_and_stage(tmp_path):
    from pipeaudit.config.checker import Checker
    from pipeaudit.config.validate import _norms

    cfg = Config()
    cfg.norms, cfg.norms_learned = _norms(Checker(tmp_path / "x.yaml"), {"norms": {"hubspot": {"presentation scheduled": 30}}}, cfg)
    assert cfg.norms == {"hubspot": {"Presentation Scheduled": 30.0}}
    _, results = run_weeks(tmp_path, cfg)
    r = results[-1]
    # D11 has been in Presentation Scheduled since 10-19: 35 days, beyond the configured 30
    assert flagged(r, "stuck-in-stage") == ["D10", "D11", "D7", "D8"]
    d11 = r.findings.loc[(r.findings["rule"] == "stuck-in-stage") & (r.findings["deal_id"] == "D11"), "message"].iloc[0]
    assert "norm of 30 days (set in the config's norms)" in d11


def test_the_fiscal_year_moves_the_quarter(tmp_path):
    # a year from December: the quarter of 11-23 is Sep 1 - Nov 30 (FY2026 Q4)
    _, results = run_weeks(tmp_path, Config(fiscal_year_start=12))
    by_week = {MONDAYS[i]: flagged(r, "pushed-out-of-quarter") for i, r in enumerate(results)}
    # D9 went 11-30 -> 12-30 in W2, D8 11-30 -> 12-28 in W3; D10 (12-20 -> 01-10) was never due this quarter
    assert by_week[date(2026, 10, 26)] == ["D9"] and by_week[date(2026, 11, 2)] == ["D8"]
    assert by_week[date(2026, 11, 23)] == [] and flagged(results[-1], "pulled-into-quarter") == []
