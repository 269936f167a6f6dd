"""The leaf condition operators: one small function per operator, each a boolean mask over deals.

Each is declared with its parse function, one line of doc and a YAML example (`pipeaudit rules
operators` prints them; a test parses every example). LEAVES lists them in order; the registry
that also holds all/any/not and matches_any is assembled in engine/conditions.py.
"""

from __future__ import annotations

import operator
import re
from typing import Callable

from pipeaudit.arrowtext import arrow_text
from pipeaudit.engine.columns import (
    KIND_OF,
    NUMERIC_KINDS,
    Env,
    blank_mask,
    compare,
    days_from,
    false_mask,
    numbers,
    text_isin,
    text_map,
)
from pipeaudit.engine.parsing import (
    Node,
    Operator,
    is_number,
    p_age,
    p_class,
    p_contains,
    p_dates,
    p_field,
    p_field_value,
    p_in,
    p_stage,
)
from pipeaudit.model import PHASES

LEAVES: list[Operator] = []


def leaf(name: str, parse: Callable, doc: str, *, example: str):
    """Declare a leaf operator of this module: its parser, its mask function, doc and example."""

    def deco(fn):
        LEAVES.append(Operator(name, parse, fn, doc, example))
        return fn

    return deco


@leaf(
    "blank", p_field(), "the field is empty on the deal (or the export has no such column)",
    example="{blank: decision_maker}",
)
def op_blank(node: Node, env: Env):
    return blank_mask(env, node.fields[0])


@leaf(
    "present", p_field(), "the field holds a value",
    example="{present: quote_date}",
)
def op_present(node: Node, env: Env):
    return ~blank_mask(env, node.fields[0])


def _bools(env: Env, name: str, which: str):
    import numpy as np

    if not env.has(name):
        return np.full(len(env.frame), which == "not_true")
    s = env.frame[name]
    if str(s.dtype) != "boolean" and s.dtype != bool:
        s = s.astype("boolean")
    if which == "is_true":
        return s.to_numpy(dtype=bool, na_value=False)
    if which == "is_false":
        return (~s).to_numpy(dtype=bool, na_value=False)
    return ~s.to_numpy(dtype=bool, na_value=False)


@leaf(
    "is_true", p_field({"bool"}), "the yes/no field is yes",
    example="{is_true: confirmed}",
)
def op_is_true(node: Node, env: Env):
    return _bools(env, node.fields[0], "is_true")


@leaf(
    "is_false", p_field({"bool"}), "the yes/no field is no (blank is not no)",
    example="{is_false: confirmed}",
)
def op_isfalse_mask(node: Node, env: Env):
    return _bools(env, node.fields[0], "is_false")


@leaf(
    "not_true", p_field({"bool"}), "the yes/no field is no or blank",
    example="{not_true: confirmed}",
)
def op_not_true(node: Node, env: Env):
    return _bools(env, node.fields[0], "not_true")


@leaf(
    "equals", p_field_value(None, numeric=False), "the field equals a value (text: case-insensitive)",
    example="{equals: {field: forecast_category, value: Commit}}",
)
def op_equals(node: Node, env: Env):
    name = node.fields[0]
    if not env.has(name):
        return false_mask(env)
    value = env.value(node.args["value"])
    kind = KIND_OF[name]
    if kind in NUMERIC_KINDS and is_number(value):
        return numbers(env, name) == float(value)
    if kind == "bool" and isinstance(value, bool):
        return _bools(env, name, "is_true" if value else "is_false")
    return text_isin(env, name, [str(value).strip().casefold()])


@leaf(
    "in", p_in, "the field is one of the values (text: case-insensitive)",
    example="{in: {field: insider_level, values: [low, 低]}}",
)
def op_in(node: Node, env: Env):
    name = node.fields[0]
    if not env.has(name):
        return false_mask(env)
    values = [str(v).strip().casefold() for v in env.value(node.args["values"])]
    return text_isin(env, name, values)


@leaf(
    "contains_any", p_contains, "the text contains one of `words`, or is wholly one of `whole`",
    example='{contains_any: {field: next_step, words: [跟进, follow up], whole: [无, tbd, "-"]}}',
)
def op_contains_any(node: Node, env: Env):
    name = node.fields[0]
    if not env.has(name):
        return false_mask(env)
    m = false_mask(env)
    if "words" in node.args:
        words = [str(w).casefold() for w in env.value(node.args["words"]) if str(w).strip()]
        if words:
            m = m | text_map(env, name, lambda u: _contains_word(u, words))
    if "whole" in node.args:
        whole = {_strip_punct(str(w).strip().casefold()) for w in env.value(node.args["whole"])}
        whole |= {str(w).strip().casefold() for w in env.value(node.args["whole"])}  # e.g. "-" or "/" alone
        m = m | text_map(env, name, lambda u: whole_match(u, whole))
    return m


def whole_match_reference(u, whole: set[str]):
    """Is each value (trimmed, case-folded) one of `whole`, as it is or without the punctuation
    and spaces at its edges? The plain way: the regular expression on every value."""
    return u.isin(whole) | u.str.replace(_PUNCT_EDGES, "", regex=True).isin(whole)


def whole_match(u, whole: set[str]):
    """whole_match_reference on the few values that can match, found in Arrow's kernels.

    A fast path (tests/test_whole_match.py holds it to the plain one on fixed examples). Taking
    the edges off a value leaves a piece of it: the value is an entry with only stripped
    characters around it, or (for an entry "" such as "-" leaves) nothing but stripped characters.
    ASCII letters and digits and common CJK ideographs are never stripped, so a value holding one
    outside the entry cannot match; the candidates left are judged by the reference itself.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    entries = "|".join(re.escape(w) for w in sorted(whole) if w)
    if len(u) == 0 or len(entries) > _PATTERN_CHARS:  # a long list: one expression would be too big
        return whole_match_reference(u, whole)
    if not whole:
        return pd.Series(np.zeros(len(u), dtype=bool), index=u.index)
    edge = f"[^{_NEVER_STRIPPED}]*"
    body = f"(?:{entries})" + ("?" if "" in whole else "") if entries else ""
    try:
        arrow = hasattr(u.array, "__arrow_array__")
        text = pa.array(u.array) if arrow else arrow_text(u.to_numpy(dtype=object), pa.string())
        if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
            return whole_match_reference(u, whole)
        maybe = pc.fill_null(pc.match_substring_regex(text, f"^{edge}{body}{edge}$"), True)
        maybe = np.asarray(maybe.to_numpy(zero_copy_only=False), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return whole_match_reference(u, whole)
    out = np.zeros(len(u), dtype=bool)
    where = np.flatnonzero(maybe)
    if len(where):
        out[where] = whole_match_reference(u.iloc[where], whole).to_numpy(dtype=bool, na_value=False)
    return pd.Series(out, index=u.index)


_PUNCT_EDGES = r"^[\s\W_]+|[\s\W_]+$"
#: Characters _PUNCT_EDGES never strips (word characters, not "_"), as the inside of an RE2 class.
_NEVER_STRIPPED = r"0-9A-Za-z\x{4E00}-\x{9FA5}"
#: words are matched by one regular expression per this many characters of pattern: a single
#: expression of 100,000 words is more than the regex engine will compile
_PATTERN_CHARS = 4_000


def _contains_word(u, words: list[str]):
    """Does each value contain one of `words` (literal text)? In batches of alternatives."""
    hit = None
    batch: list[str] = []
    size = 0

    def flush():
        nonlocal hit, batch, size
        if batch:
            found = u.str.contains("|".join(batch), regex=True)
            hit = found if hit is None else (hit | found)
        batch, size = [], 0

    for word in words:
        escaped = re.escape(word)
        if len(escaped) > _PATTERN_CHARS:  # one long word: plain substring search
            found = u.str.contains(word, regex=False)
            hit = found if hit is None else (hit | found)
            continue
        if size + len(escaped) + 1 > _PATTERN_CHARS:
            flush()
        batch.append(escaped)
        size += len(escaped) + 1
    flush()
    return hit


def _strip_punct(text: str) -> str:
    return re.sub(_PUNCT_EDGES, "", text)


def _numeric_op(op: str):
    def fn(node: Node, env: Env):
        name = node.fields[0]
        if not env.has(name):
            return false_mask(env)
        return compare(numbers(env, name), {op: node.args["value"]}, env)

    return fn


for _op, _doc, _example in (
    ("gt", ">", "{gt: {field: amount, value: 1000000}}"),
    ("ge", ">=", "{ge: {field: probability, value: 0.9}}"),
    ("lt", "<", "{lt: {field: probability, value: 0.1}}"),
    ("le", "<=", "{le: {field: amount, value: 0}}"),
):
    leaf(
        _op, p_field_value(NUMERIC_KINDS, numeric=True), f"the number is {_doc} value", example=_example
    )(_numeric_op(_op))


def _age_op(sign: float, scale: float):
    def fn(node: Node, env: Env):
        name = node.fields[0]
        if not env.has(name):
            return false_mask(env)
        return compare(sign * days_from(env, name), node.args, env, scale)

    return fn


leaf(
    "age_days", p_age, "days from the date to the as-of date (blank date: not flagged)",
    example="{age_days: {field: last_activity, gt: 14}}",
)(_age_op(1.0, 1.0))
leaf(
    "age_weeks", p_age, "weeks from the date to the as-of date (blank date: not flagged)",
    example="{age_weeks: {field: class_since, gt: 4}}",
)(_age_op(1.0, 7.0))
leaf(
    "until_days", p_age, "days from the as-of date to the date (blank date: not flagged)",
    example="{until_days: {field: close_date, lt: 0}}",
)(_age_op(-1.0, 1.0))
leaf(
    "until_weeks", p_age, "weeks from the as-of date to the date (blank date: not flagged)",
    example="{until_weeks: {field: close_date, gt: 26}}",
)(_age_op(-1.0, 7.0))


def _date_compare(node: Node, env: Env, relation):
    """relation(the date, the other date), both as days relative to as_of (bigger = later); false
    where either is blank (NaN compares false) or a column is missing."""
    a, b = node.fields
    if not (env.has(a) and env.has(b)):
        return false_mask(env)
    import numpy as np

    with np.errstate(invalid="ignore"):
        return relation(-days_from(env, a), -days_from(env, b))


@leaf(
    "before", p_dates, "the date is earlier than the other date (either blank: false)",
    example="{before: {field: quote_date, other: confirmed_date}}",
)
def op_before(node: Node, env: Env):
    return _date_compare(node, env, operator.lt)


@leaf(
    "after", p_dates, "the date is later than the other date (either blank: false)",
    example="{after: {field: close_date, other: prev_close_date}}",
)
def op_after(node: Node, env: Env):
    return _date_compare(node, env, operator.gt)


@leaf(
    "stage", p_stage, f"the deal's phase is within at_least/at_most ({', '.join(PHASES)})",
    example="{stage: {at_least: solution, at_most: negotiation}}",
)
def op_stage(node: Node, env: Env):
    if not env.has("phase"):
        return false_mask(env)
    phase = numbers(env, "phase")
    cmps = {}
    if "at_least" in node.args:
        cmps["ge"] = node.args["at_least"]
    if "at_most" in node.args:
        cmps["le"] = node.args["at_most"]
    return compare(phase, cmps, env)


@leaf(
    "class", p_class, "the deal class (A, B, C, D, X) is one of these",
    example="{class: [A, B]}",
)
def op_class(node: Node, env: Env):
    if not env.has("deal_class"):
        return false_mask(env)
    values = [str(v).strip().casefold() for v in env.value(node.args["values"])]
    return text_isin(env, "deal_class", values)
