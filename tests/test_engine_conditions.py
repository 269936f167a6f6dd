"""Each operator on a small hand-built table: masks, blanks, missing columns, params."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipeaudit.engine.columns import Env
from pipeaudit.engine.conditions import evaluable, mask, OPERATORS, parse_condition
from pipeaudit.engine.parsing import ParseContext
from pipeaudit.errors import RuleError

AS_OF = date(2026, 11, 23)


@pytest.fixture
def frame():
    return pd.DataFrame({
        "row": np.arange(2, 7, dtype=np.int64),
        "owner": pd.Series(["张三", "李四", None, "  ", "Ann"], dtype=object),
        "next_step": pd.Series(["跟进", "周三演示给财务总监", "Follow up.", None, "无锡现场调研"], dtype=object),
        "amount": [150000.0, np.nan, 50000.0, 0.0, 1e6],
        "close_date": pd.to_datetime(["2026-10-01", "2026-12-01", None, "2027-12-31", "2026-11-23"]),
        "quote_date": pd.to_datetime(["2026-09-01", "2026-11-01", None, "2026-10-01", "2026-10-01"]),
        "confirmed": pd.array([True, False, None, True, None], dtype="boolean"),
        "deal_class": pd.Series(["A", "b", None, "C", "A"], dtype=object),
        "phase": pd.array([1, 2, 3, None, 5], dtype="Int64"),
        "status": ["open", "open", "open", "won", "open"],
    })


def run(spec, frame, params=None):
    ctx = ParseContext("t.yaml", "t", params or {}, RuleError)
    node = parse_condition(spec, ctx)
    out = mask(node, Env(frame, pd.Timestamp(AS_OF), params or {}))
    assert out.dtype == bool and len(out) == len(frame)
    return out.tolist()


def test_blank_and_present(frame):
    assert run({"blank": "owner"}, frame) == [False, False, True, True, False]
    assert run({"present": "owner"}, frame) == [True, True, False, False, True]
    # a column the export lacks is blank everywhere
    assert run({"blank": "insider"}, frame) == [True] * 5
    assert run({"present": "insider"}, frame) == [False] * 5


def test_equals_and_in_are_case_insensitive(frame):
    assert run({"equals": {"field": "deal_class", "value": "a"}}, frame) == [True, False, False, False, True]
    assert run({"in": {"field": "deal_class", "values": ["B", "c"]}}, frame) == [False, True, False, True, False]
    assert run({"class": ["A", "B"]}, frame) == [True, True, False, False, True]


def test_numeric_comparisons_and_params(frame):
    assert run({"gt": {"field": "amount", "value": 100000}}, frame) == [True, False, False, False, True]
    assert run({"le": {"field": "amount", "value": "{cap}"}}, frame, {"cap": 50000}) == [False, False, True, True, False]


def test_age_and_until(frame):
    assert run({"age_days": {"field": "close_date", "gt": 0}}, frame) == [True, False, False, False, False]
    assert run({"age_weeks": {"field": "close_date", "gt": 4}}, frame) == [True, False, False, False, False]
    assert run({"until_weeks": {"field": "close_date", "gt": "{w}"}}, frame, {"w": 4}) == [False, False, False, True, False]
    assert run({"until_days": {"field": "close_date", "lt": 10, "ge": 0}}, frame) == [False, True, False, False, True]


def test_before_after_with_blank_dates(frame):
    assert run({"after": {"field": "close_date", "other": "quote_date"}}, frame) == [True, True, False, True, True]
    assert run({"before": {"field": "close_date", "other": "quote_date"}}, frame) == [False] * 5


def test_stage_range_ignores_unknown_phase(frame):
    assert run({"stage": {"at_least": "discovery", "at_most": "solution"}}, frame) == [False, True, True, False, False]


def test_booleans(frame):
    assert run({"is_true": "confirmed"}, frame) == [True, False, False, True, False]
    assert run({"is_false": "confirmed"}, frame) == [False, True, False, False, False]
    assert run({"not_true": "confirmed"}, frame) == [False, True, True, False, True]
    # no such column: not_true holds, is_true does not
    f = frame.drop(columns="confirmed")
    assert run({"not_true": "confirmed"}, f) == [True] * 5
    assert run({"is_true": "confirmed"}, f) == [False] * 5


def test_contains_any_words_and_whole_values(frame):
    spec = {"contains_any": {"field": "next_step", "whole": ["跟进", "follow up", "无"]}}
    # "无锡现场调研" contains 无 but is not wholly 无; "Follow up." matches after trimming punctuation
    assert run(spec, frame) == [True, False, True, False, False]
    assert run({"contains_any": {"field": "next_step", "words": ["演示"]}}, frame) == [False, True, False, False, False]


def test_all_any_not(frame):
    spec = {"all": [{"class": ["A"]}, {"not": {"blank": "owner"}}]}
    assert run(spec, frame) == [True, False, False, False, True]
    spec = {"any": [{"blank": "owner"}, {"gt": {"field": "amount", "value": 500000}}]}
    assert run(spec, frame) == [False, False, True, True, True]


def test_data_is_never_evaluated(frame):
    f = frame.assign(next_step=["__import__('os').system('echo hi')", "{amount}", "{0.__class__}", None, "x"])
    spec = {"contains_any": {"field": "next_step", "words": ["__import__('os')", "{0.__class__}"]}}
    assert run(spec, f) == [True, False, True, False, False]
    assert run({"equals": {"field": "next_step", "value": "{amount}x"}}, f) == [False] * 5


def test_evaluable_needs_one_usable_any_branch():
    ctx = ParseContext("t.yaml", "t", {}, RuleError)
    node = parse_condition({"any": [{"blank": "insider"}, {"blank": "decision_maker"}]}, ctx)
    assert evaluable(node, {"insider"})
    assert not evaluable(node, {"owner"})
    node = parse_condition({"all": [{"blank": "insider"}, {"blank": "decision_maker"}]}, ctx)
    assert not evaluable(node, {"insider"})


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ({"blank": "close_dat"}, "unknown field 'close_dat' — did you mean 'close_date'?"),
        ({"blnk": "owner"}, "unknown operator 'blnk' — did you mean 'blank'?"),
        ({"gt": {"field": "owner", "value": 3}}, "field 'owner' is text"),
        ({"gt": {"field": "amount", "value": "{nope}"}}, "unknown param 'nope'"),
        ({"gt": {"field": "amount", "value": "lots"}}, "must be a number"),
        ({"age_days": {"field": "close_date"}}, "needs a bound"),
        ({"stage": {"at_least": "discovry"}}, "did you mean 'discovery'?"),
        ({"all": []}, "non-empty list"),
        ({"blank": "owner", "present": "owner"}, "exactly one operator"),
        ({"equals": {"field": "owner", "valu": 1}}, "did you mean 'value'?"),
    ],
)
def test_parse_errors_name_rule_and_hint(spec, fragment):
    with pytest.raises(RuleError) as err:
        parse_condition(spec, ParseContext("x.yaml", "my-rule", {}, RuleError))
    assert "rule 'my-rule'" in str(err.value) and fragment in str(err.value)


def test_every_operator_is_documented():
    for name, op in OPERATORS.items():
        assert op.doc, name
    assert {"blank", "present", "equals", "in", "contains_any", "gt", "ge", "lt", "le", "age_days", "age_weeks",
            "until_days", "until_weeks", "before", "after", "stage", "class", "all", "any", "not", "is_true",
            "is_false", "not_true"} <= set(OPERATORS)
