"""Stages without a ladder given: won/lost words, coverage, probability, numbers, status columns,
unknown values counted once, and rules that need the order skipped with a note."""

from datetime import date

import pandas as pd
import pytest

from pipeaudit.config import Config
from pipeaudit.deals.build import deals_from_records
from pipeaudit.deals.stages import classify_stages, detect_ladder, place_stages, status_from_columns
from pipeaudit.engine import evaluate, load_rules
from pipeaudit.findings import skipped_reason

RULES = load_rules([], default_rules=True)


def obj(values):
    return pd.Series(values, dtype=object)


@pytest.mark.parametrize(
    "value, status",
    [
        ("won", "won"), ("Closed Won", "won"), ("closed_won", "won"), ("CLOSED-WON", "won"), ("closedwon", "won"),
        ("Signed", "won"), ("赢单", "won"), ("已成交", "won"), ("已赢单", "won"), ("7 - Closed Won", "won"),
        ("lost", "lost"), ("Closed Lost", "lost"), ("closed_lost", "lost"), ("Dead", "lost"),
        ("disqualified", "lost"), ("输单", "lost"), ("丢单", "lost"), ("已输单", "lost"),
        ("Closed-Lost to Competition", "lost"),
    ],
)
def test_won_and_lost_words_without_a_ladder(value, status):
    row = classify_stages(obj([value]), None).iloc[0]
    assert row["status"] == status and row["stage_known"]


@pytest.mark.parametrize("value", ["On Hold", "on_hold", "已搁置", "暂停"])
def test_on_hold_is_open_on_no_stage(value):
    row = classify_stages(obj([value]), None).iloc[0]
    assert row["status"] == "open" and row["on_hold"] and row["stage_known"] and pd.isna(row["stage_rank"])


@pytest.mark.parametrize(
    "values, name",
    [
        # one matching value among many unknown ones chooses nothing
        (["Proposal", "Stage X", "Stage Y", "Stage Z"], None),
        (["Prospecting", "Foo"], None),
        # coverage decides, not the first match
        (["discovery", "demo", "proposal", "negotiation", "closed_won"], "saas"),
        (["Qualification", "Needs Analysis", "Identify Decision Makers", "Negotiation/Review"], "salesforce"),
        (["Qualified", "Contact Made", "Demo Scheduled", "Proposal Made", "Negotiations Started", "Won"], "pipedrive"),
        (["Qualify", "Develop", "Propose", "Close"], "dynamics"),
        (["New", "Qualified", "Proposition", "Won"], "odoo"),
        (["初步接洽", "需求确定", "方案/报价", "谈判审核", "赢单", "输单"], "zh_crm"),
        (["信息", "初访", "演示", "商务", "签约"], "t6"),
        # half covered, two at least: chosen, the rest unknown
        (["E确认商机", "C方案论证", "奇怪", "更奇怪"], "edcba"),
    ],
)
def test_ladder_chosen_by_coverage(values, name):
    got = detect_ladder(obj(values), Config())
    assert (got.name if got else None) == name


def test_probability_orders_stages_no_ladder_knows():
    stages = obj(["立项", "方案", "谈判", "立项", "方案", "赢单"])
    prob = pd.Series([0.2, 0.5, 0.8, 0.2, 0.5, 1.0])
    meta, order, ladder, unknown = place_stages(stages, Config(), prob)
    assert order.how == "probability" and order.open == ("立项", "方案", "谈判")
    assert meta["stage_rank"].tolist()[:3] == [0, 1, 2] and unknown == {}
    assert ladder.name.startswith("inferred-probability-")


def test_a_ladder_covering_everything_beats_the_probability_column():
    stages = obj(["Prospecting", "Qualification", "Negotiation/Review"])
    _, order, _, _ = place_stages(stages, Config(), pd.Series([0.9, 0.1, 0.5]))
    assert order.how == "ladder" and order.name == "salesforce"


@pytest.mark.parametrize(
    "values, expected",
    [
        (["1 - Prospect", "2 - Qualify", "3 - Propose", "Closed Won"], ("1 - Prospect", "2 - Qualify", "3 - Propose")),
        (["03 立项", "01 线索", "02 初访"], ("01 线索", "02 初访", "03 立项")),
        (["Stage 2: Workshop", "Stage 1: Kickoff"], ("Stage 1: Kickoff", "Stage 2: Workshop")),
        # two of three are on the Dynamics ladder, the numbers place all three
        (["1 - Prospect", "2 - Qualify", "3 - Propose"], ("1 - Prospect", "2 - Qualify", "3 - Propose")),
    ],
)
def test_numbered_prefixes_order_stages(values, expected):
    _, order, _, unknown = place_stages(obj(values), Config())
    assert order.how == "numbered" and order.open == expected and unknown == {}


def test_status_column_decides_open_and_closed():
    stages = obj(["C方案论证", "C方案论证", "B商务谈判", "B商务谈判"])
    statuses = status_from_columns(4, deal_status=obj(["进行中", "赢单", "Lost", "on hold"]))
    meta, order, _, _ = place_stages(stages, Config(), statuses=statuses[:2])
    assert meta["status"].tolist() == ["open", "won", "lost", "open"]
    assert meta["on_hold"].tolist() == [False, False, False, True]
    assert meta["stage_rank"].isna().tolist() == [False, True, True, False]
    assert order.status_from == "deal_status"
    assert order.status_disagrees == 2  # two open stages the status calls won and lost: said in a note


def test_disagreement_between_stage_and_status_is_a_note():
    records = [{"stage": "Closed Won", "deal_status": "Open"}, {"stage": "C方案论证", "deal_status": "进行中"},
               {"stage": "E确认商机", "deal_status": "进行中"}]
    deals = deals_from_records(records)
    assert deals.frame["status"].tolist() == ["open", "open", "open"]
    assert any(n.startswith("1 deal(s) whose stage says otherwise than deal_status") for n in deals.notes)


def test_is_closed_is_won_flags():
    closed = pd.Series(pd.array([True, True, False, None], dtype="boolean"))
    won = pd.Series(pd.array([True, False, False, None], dtype="boolean"))
    got, used, _ = status_from_columns(4, is_closed=closed, is_won=won)
    assert got.tolist() == ["won", "lost", "open", None] and used == "is_closed/is_won"


def test_unknown_stages_counted_once_per_value_and_no_per_deal_spam():
    records = [{"deal": f"D{i}", "stage": "Discovery Call" if i % 3 else "Tech Eval"} for i in range(30)]
    records += [{"deal": "W", "stage": "closed_won"}]
    deals = deals_from_records(records)
    assert deals.stage_order.how == "none"
    assert deals.unknown_stages == {"Discovery Call": 20, "Tech Eval": 10}
    assert not [n for n in deals.notes if "stage" in n and "order" in n]  # said once, as the finding below
    assert "phase" not in deals.frame.columns and "stage_rank" not in deals.frame.columns
    findings, skipped = evaluate(deals, RULES.rules, date(2026, 11, 23), "en")
    assert "unknown-stage" not in set(findings["rule"])
    once = findings[findings["rule"] == "stage-order-unknown"]
    assert len(once) == 1 and once["row"].isna().all() and once["owner"].isna().all()
    assert once["message"].iloc[0].startswith("2 stage value(s) cannot be put in order (30 open deals): "
                                              "'Discovery Call' (20), 'Tech Eval' (10)")
    assert "pipeaudit init" in once["question"].iloc[0]
    by_rule = {s.rule: s.missing for s in skipped}
    assert "unknown-stage" in by_rule and "no-insider" in by_rule
    assert skipped_reason(by_rule["unknown-stage"], "en") == "the stage order is unknown (no ladder recognised; see the notes)"
    assert "阶段顺序未知" in skipped_reason(by_rule["no-insider"], "zh")


def test_stray_value_on_a_known_ladder_is_flagged_per_deal():
    deals = deals_from_records([{"stage": "E确认商机"}, {"stage": "C方案论证"}, {"stage": "谈恋爱中"}])
    assert deals.ladder == "edcba" and deals.unknown_stages == {"谈恋爱中": 1}
    findings, _ = evaluate(deals, [RULES.get("unknown-stage")], date(2026, 11, 23), "zh")
    assert findings["stage"].tolist() == ["谈恋爱中"]


def test_stage_rules_run_on_an_inferred_order():
    deals = deals_from_records([
        {"stage": "1 - Intro", "deal": "a"}, {"stage": "3 - Pricing", "deal": "b", "decision_maker": ""},
        {"stage": "2 - Scope", "deal": "c"},
    ])
    assert deals.stage_order.how == "numbered"
    assert deals.frame["phase"].tolist() == [1, 4, 2]
    findings, skipped = evaluate(deals, [RULES.get("missing-decision-maker")], date(2026, 11, 23), "en")
    assert not skipped and findings["deal"].tolist() == ["b", "c"]  # past the first stage; "a" is in it
