"""Every example of every shipped rule pack: flagged deals must be flagged, clean ones must not.

A new rule is tested by writing its examples in YAML; this one parametrised test picks them up.
"""

from collections import Counter

import pandas as pd
import pytest

from pipeaudit.engine import load_rules
from pipeaudit.engine.examples import iter_examples, run_example

RULES = load_rules([], default_rules=True)
EXAMPLES = list(iter_examples(RULES))


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_example(example):
    assert run_example(example) is None


OWN_PACKS = {"method", "data", "hygiene"}


def test_every_rule_has_flagged_and_clean_examples():
    kinds = Counter((e.rule.name, e.kind) for e in EXAMPLES)
    for rule in RULES:
        if rule.pack not in OWN_PACKS:  # packs from other features are checked by their own tests
            continue
        assert kinds[(rule.name, "flagged")] >= 1, rule.name
        assert kinds[(rule.name, "clean")] >= 1, rule.name


def _stage_ladders(rule):
    from pipeaudit.deals.build import deals_from_records

    ladders, statuses, phases = set(), set(), set()
    for kind in ("flagged", "clean"):
        for rec in rule.examples.get(kind, []):
            if rec.get("stage"):
                d = deals_from_records([rec])
                ladders.add(d.ladder)
                statuses.add(d.frame["status"].iloc[0])
                ph = d.frame["phase"].iloc[0]
                if not pd.isna(ph):
                    phases.add(int(ph))
    return ladders, statuses, phases


@pytest.mark.parametrize("rule", [r for r in RULES if r.pack in OWN_PACKS], ids=lambda r: r.name)
def test_builtin_examples_cover_closed_deals_and_several_ladders(rule):
    ladders, statuses, phases = _stage_ladders(rule)
    assert statuses & {"won", "lost"} or set(rule.applies.statuses) != {"open"}, "no closed-deal example"
    assert len(ladders - {None}) >= 2, ladders
    if rule.applies.min_phase == 2:  # past the first stage: a first-stage deal must be shown clean
        clean_phases = _stage_ladders_clean_first(rule)
        assert clean_phases, "no first-stage example"


def _stage_ladders_clean_first(rule):
    from pipeaudit.deals.build import deals_from_records

    return [
        r for r in rule.examples.get("clean", [])
        if r.get("stage") and deals_from_records([r]).frame["phase"].fillna(0).iloc[0] == 1
    ]


def test_each_pack_covers_every_ladder():
    for pack in OWN_PACKS - {"data"}:
        ladders = set()
        for rule in RULES:
            if rule.pack == pack:
                ladders |= _stage_ladders(rule)[0]
        assert {"edcba", "t6", "salesforce", "hubspot"} <= ladders, (pack, ladders)


def test_the_four_named_rules_exist_as_errors():
    for name in ("missing-decision-maker", "no-insider", "price-before-confirmation", "a-deal-overdue"):
        assert RULES.get(name).severity == "error"
