"""The condition operators: one small function per operator, each returning a boolean mask.

A condition in YAML (`where:`) is parsed once into a tree of `Node`s (validated here, with the
rule's file and line in every error) and evaluated over the whole deals table: every operator
returns a numpy bool array as long as the frame. Nothing from a rule file or the data is ever
evaluated as code.

A field the export does not have is treated as blank on every deal (blank → True, present →
False, comparisons → False); whether the rule runs at all is decided beforehand by
`evaluable()` (see schema.Rule.requires).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from pipeaudit.model import DERIVED, FIELDS, PHASES
from pipeaudit.yamlsafe import clip, did_you_mean, line_of, shown

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: Meta columns of Deals.frame a rule may name, with the kind used for validation.
META_KINDS: dict[str, str] = {
    "phase": "count",
    "stage_rank": "count",
    "status": "text",
    "stage_known": "bool",
    "on_hold": "bool",
    "row": "count",
}
#: Labels of the meta columns (zh, en), for `pipeaudit rules fields`; model.META_COLUMNS has the dtypes.
META_LABELS: dict[str, tuple[str, str]] = {
    "phase": ("阶段序号（1–5，见 rules operators 列出的阶段）", "Phase (1-5, the phases listed by rules operators)"),
    "stage_rank": ("阶段位次（在本阶梯进行中阶段里的位置，从 0 起）", "Stage rank (0-based position among the ladder's open stages)"),
    "status": ("状态：open 进行中 / won 赢单 / lost 输单", "Status: open / won / lost"),
    "stage_known": ("阶段可识别（阶段值在已知阶梯上）", "Stage known (the stage value is on a known ladder)"),
    "row": ("行号（Excel 行或 CSV 行）", "Row (the Excel row or CSV line)"),
    "on_hold": ("已搁置（阶段或状态写明暂停，仍算进行中）", "On hold (the stage or status says paused; still counted as open)"),
}
KIND_OF: dict[str, str] = {
    **{k: v.kind for k, v in FIELDS.items()},
    **{k: v.kind for k, v in DERIVED.items()},
    **META_KINDS,
}
NUMERIC_KINDS = {"amount", "probability", "count"}
TEXT_KINDS = {"id", "text", "stage", "class"}
#: all/any/not nested deeper than this is refused when the rule is loaded (evaluation recurses)
MAX_CONDITION_DEPTH = 20


@dataclass(frozen=True)
class ParamRef:
    """A value written as "{name}": read from the rule's params when the rule runs."""

    name: str


@dataclass
class Node:
    op: str
    fields: tuple[str, ...] = ()
    args: dict[str, Any] = field(default_factory=dict)
    children: tuple["Node", ...] = ()


class ParseContext:
    """Where we are in a rule file, so every error names file, line, rule and key."""

    def __init__(self, path: Any, rule: str, params: dict[str, Any], error: type[Exception]):
        self.path, self.rule, self.params, self.error = path, rule, params, error
        self.param_refs: set[str] = set()
        self.depth = 0  # conditions being parsed, outermost first

    def fail(self, container: Any, key: Any, message: str) -> Exception:
        line = line_of(container, key)
        where = f"{self.path}:{line}" if line else str(self.path)
        return self.error(f"{where}: rule '{self.rule}': {message}")


@dataclass
class Env:
    """What operators read: the frame, the as-of date and the rule's params (plus a cache)."""

    frame: "pd.DataFrame"
    as_of: Any  # pandas Timestamp
    params: dict[str, Any] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.frame.columns

    def value(self, v: Any) -> Any:
        return self.params[v.name] if isinstance(v, ParamRef) else v


@dataclass(frozen=True)
class Operator:
    name: str
    parse: Callable[[Any, Any, ParseContext, str], Node]
    mask: Callable[[Node, Env], "np.ndarray"]
    doc: str
    #: A condition using the operator as written under `where:` (YAML flow style); shown by
    #: `pipeaudit rules operators`, and a test parses every one with parse_condition.
    example: str = ""


OPERATORS: dict[str, Operator] = {}


def operator(name: str, parse: Callable, doc: str, *, example: str):
    """Register an operator: its parser, its mask function, one line of doc and a YAML example."""

    def deco(fn):
        OPERATORS[name] = Operator(name, parse, fn, doc, example)
        return fn

    return deco


# ---- parsing helpers -------------------------------------------------------------------


def _param_or(value: Any, ctx: ParseContext, container: Any, key: Any) -> Any:
    """A "{name}" string becomes a ParamRef (validated against the rule's params)."""
    if isinstance(value, str):
        m = re.fullmatch(r"\{([a-z_][a-z0-9_]*)\}", value.strip())
        if m:
            name = m.group(1)
            if name not in ctx.params:
                raise ctx.fail(
                    container, key, f"unknown param '{clip(name)}'{did_you_mean(name, ctx.params)}"
                    + ("" if ctx.params else " (the rule declares no params)")
                )
            ctx.param_refs.add(name)
            return ParamRef(name)
    return value


def _field(value: Any, ctx: ParseContext, container: Any, key: Any, kinds: set[str] | None = None) -> str:
    if not isinstance(value, str):
        raise ctx.fail(container, key, f"'{key}' must name a field")
    if value not in KIND_OF:
        raise ctx.fail(container, key, f"unknown field '{clip(value)}'{did_you_mean(value, KIND_OF)}")
    if kinds is not None and KIND_OF[value] not in kinds:
        raise ctx.fail(
            container, key, f"field '{value}' is {KIND_OF[value]}, this operator needs {'/'.join(sorted(kinds))}"
        )
    return value


def _mapping(spec: Any, ctx: ParseContext, container: Any, key: Any, op: str, required: set[str], optional: set[str] = frozenset()) -> dict:
    if not isinstance(spec, dict):
        raise ctx.fail(container, key, f"'{op}' needs a mapping with {', '.join(sorted(required))}")
    allowed = required | set(optional)
    for k in spec:
        if k not in allowed:
            raise ctx.fail(spec, k, f"unknown key '{clip(k)}' in '{op}'{did_you_mean(str(k), allowed)}")
    for k in required:
        if k not in spec:
            raise ctx.fail(container, key, f"'{op}' needs '{k}'")
    return spec


def _number(value: Any, ctx: ParseContext, container: Any, key: Any) -> Any:
    value = _param_or(value, ctx, container, key)
    if isinstance(value, ParamRef):
        if not comparable_number(ctx.params[value.name]):
            raise ctx.fail(container, key, f"param '{value.name}' must be a number within ±1.8e308 to be compared")
        return value
    if not comparable_number(value):
        raise ctx.fail(container, key, f"'{clip(key)}' must be a number within ±1.8e308 or a \"{{param}}\", not {shown(value)}")
    return value


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def comparable_number(v: Any) -> bool:
    """A number the engine can compare: int or float within the finite float range (no inf/nan)."""
    if not _is_number(v):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:  # an int past ±1.8e308
        return False


def _text_list(value: Any, ctx: ParseContext, container: Any, key: Any) -> Any:
    value = _param_or(value, ctx, container, key)
    if isinstance(value, ParamRef):
        if not isinstance(ctx.params[value.name], list):
            raise ctx.fail(container, key, f"param '{value.name}' must be a list to be used as '{key}'")
        return value
    if not isinstance(value, list) or not value or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        raise ctx.fail(container, key, f"'{key}' must be a non-empty list of values")
    return [str(v) for v in value]


def parse_condition(spec: Any, ctx: ParseContext, container: Any = None, key: Any = None) -> Node:
    """YAML condition → Node. Exactly one operator per mapping."""
    if not isinstance(spec, dict) or len(spec) != 1:
        raise ctx.fail(
            container, key, "a condition is a mapping with exactly one operator, e.g. {blank: decision_maker}"
        )
    (op, arg), = spec.items()
    if op not in OPERATORS:
        raise ctx.fail(spec, op, f"unknown operator '{clip(op)}'{did_you_mean(str(op), OPERATORS)}")
    if ctx.depth >= MAX_CONDITION_DEPTH:
        raise ctx.fail(spec, op, f"conditions nested more than {MAX_CONDITION_DEPTH} deep (all/any/not) / 条件嵌套过深")
    ctx.depth += 1
    try:
        return OPERATORS[op].parse(arg, spec, ctx, op)
    finally:
        ctx.depth -= 1


def _p_field(kinds: set[str] | None = None):
    def parse(arg, container, ctx, op):
        return Node(op, (_field(arg, ctx, container, op, kinds),))

    return parse


def _p_field_value(kinds: set[str] | None, numeric: bool):
    def parse(arg, container, ctx, op):
        spec = _mapping(arg, ctx, container, op, op, {"field", "value"})
        name = _field(spec["field"], ctx, spec, "field", kinds)
        if numeric:
            value = _number(spec["value"], ctx, spec, "value")
        else:
            value = _param_or(spec["value"], ctx, spec, "value")
            if not isinstance(value, (ParamRef, str, int, float, bool)):
                raise ctx.fail(spec, "value", "'value' must be a single value")
        return Node(op, (name,), {"value": value})

    return parse


def _p_in(arg, container, ctx, op):
    spec = _mapping(arg, ctx, container, op, op, {"field", "values"})
    name = _field(spec["field"], ctx, spec, "field")
    return Node(op, (name,), {"values": _text_list(spec["values"], ctx, spec, "values")})


def _p_contains(arg, container, ctx, op):
    spec = _mapping(arg, ctx, container, op, op, {"field"}, {"words", "whole"})
    if "words" not in spec and "whole" not in spec:
        raise ctx.fail(container, op, f"'{op}' needs 'words' (found anywhere) and/or 'whole' (the whole value)")
    name = _field(spec["field"], ctx, spec, "field", TEXT_KINDS)
    args = {k: _text_list(spec[k], ctx, spec, k) for k in ("words", "whole") if k in spec}
    return Node(op, (name,), args)


_CMP = ("gt", "ge", "lt", "le")


def _p_age(arg, container, ctx, op):
    spec = _mapping(arg, ctx, container, op, op, {"field"}, set(_CMP))
    name = _field(spec["field"], ctx, spec, "field", {"date"})
    cmps = {k: _number(spec[k], ctx, spec, k) for k in _CMP if k in spec}
    if not cmps:
        raise ctx.fail(container, op, f"'{op}' needs a bound: gt, ge, lt or le")
    return Node(op, (name,), cmps)


def _p_dates(arg, container, ctx, op):
    spec = _mapping(arg, ctx, container, op, op, {"field", "other"})
    a = _field(spec["field"], ctx, spec, "field", {"date"})
    b = _field(spec["other"], ctx, spec, "other", {"date"})
    return Node(op, (a, b))


def _p_stage(arg, container, ctx, op):
    spec = _mapping(arg, ctx, container, op, op, set(), {"at_least", "at_most"})
    if not spec:
        raise ctx.fail(container, op, "'stage' needs at_least and/or at_most (a phase)")
    args = {}
    for k in ("at_least", "at_most"):
        if k in spec:
            if spec[k] not in PHASES:
                raise ctx.fail(spec, k, f"unknown phase '{clip(spec[k])}'{did_you_mean(str(spec[k]), PHASES)} (phases: {', '.join(PHASES)})")
            args[k] = PHASES.index(spec[k]) + 1
    return Node(op, ("phase",), args)


def _p_class(arg, container, ctx, op):
    if isinstance(arg, str):
        arg = [arg]
    values = _text_list(arg, ctx, container, op)
    return Node(op, ("deal_class",), {"values": values})


def _p_group(arg, container, ctx, op):
    if not isinstance(arg, list) or not arg:
        raise ctx.fail(container, op, f"'{op}' needs a non-empty list of conditions")
    return Node(op, (), {}, tuple(parse_condition(c, ctx, arg, i) for i, c in enumerate(arg)))


def _p_not(arg, container, ctx, op):
    return Node(op, (), {}, (parse_condition(arg, ctx, container, op),))


# ---- column access ---------------------------------------------------------------------


def _false(env: Env):
    import numpy as np

    return np.zeros(len(env.frame), dtype=bool)


def blank_mask(env: Env, name: str):
    key = ("blank", name)
    if key not in env.cache:
        import numpy as np

        if not env.has(name):
            env.cache[key] = np.ones(len(env.frame), dtype=bool)
        else:
            s = env.frame[name]
            if KIND_OF.get(name) in TEXT_KINDS and (s.dtype == object or str(s.dtype) == "str"):
                codes, uniques = _factorized(env, name)
                blank_u = uniques.str.strip().eq("").to_numpy(dtype=bool, na_value=True)
                env.cache[key] = np.append(blank_u, True)[codes]  # code -1: missing, blank too
            else:
                env.cache[key] = s.isna().to_numpy(dtype=bool)
    return env.cache[key]


def text_codes(env: Env, name: str):
    """(codes, distinct values as an object array) of an object text column, or None, once per run.

    Code -1 = missing. Cells are grouped by shared object (pipeaudit.codes), so a text may appear
    under two codes; everything built on this maps per code, which that does not change.
    """
    key = ("text_codes", name)
    if key not in env.cache:
        from pipeaudit.codes import factorized_text

        s = env.frame[name]
        env.cache[key] = factorized_text(s) if s.dtype == object else None
    return env.cache[key]


def _factorized(env: Env, name: str):
    """(codes, uniques as str Series): text operators work on the distinct values, then index back."""
    key = ("factorize", name)
    if key not in env.cache:
        import pandas as pd

        found = text_codes(env, name)
        if found is not None:
            codes, distinct = found
            env.cache[key] = (codes, pd.Series(distinct, dtype="str"))
        else:
            codes, uniques = pd.factorize(env.frame[name], use_na_sentinel=True)
            env.cache[key] = (codes, pd.Series(uniques, dtype=object).astype("str"))
    return env.cache[key]


def _text_isin(env: Env, name: str, values) -> "np.ndarray":
    """Trimmed, case-folded value is one of `values` (computed once per distinct value)."""
    import numpy as np

    codes, uniques = _factorized(env, name)
    hit_u = uniques.str.strip().str.casefold().isin(list(values)).to_numpy(dtype=bool, na_value=False)
    hit_u = np.append(hit_u, False)  # code -1 (NA) indexes the appended False
    return hit_u[codes]


def _text_map(env: Env, name: str, fn) -> "np.ndarray":
    """Apply a vectorized str function to the distinct values; bool mask per deal."""
    import numpy as np

    codes, uniques = _factorized(env, name)
    hit_u = np.append(fn(uniques.str.strip().str.casefold()).to_numpy(dtype=bool, na_value=False), False)
    return hit_u[codes]


def numbers(env: Env, name: str):
    """The column as float64 (NaN where blank or unreadable; all NaN when the export lacks it)."""
    import numpy as np

    key = ("num", name)
    if key not in env.cache:
        import pandas as pd

        if not env.has(name):
            env.cache[key] = np.full(len(env.frame), np.nan)
        else:
            s = env.frame[name]
            if s.dtype == bool or str(s.dtype) == "boolean":
                s = s.astype("Float64")
            env.cache[key] = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return env.cache[key]


def days_from(env: Env, name: str):
    """as_of − date in whole calendar days (float, NaN for NaT); a time of day is ignored."""
    import numpy as np

    key = ("days", name)
    if key not in env.cache:
        import pandas as pd

        days = pd.to_datetime(env.frame[name], errors="coerce").to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        as_of = np.datetime64(env.as_of.date(), "D")
        out = (as_of - days).astype("timedelta64[D]").astype(np.float64)
        out[np.isnat(days)] = np.nan
        env.cache[key] = out
    return env.cache[key]


def _compare(values, cmps: dict[str, Any], env: Env, scale: float = 1.0):
    import numpy as np

    m = np.ones(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        for k, bound in cmps.items():
            b = float(env.value(bound)) * scale
            if k == "gt":
                m &= values > b
            elif k == "ge":
                m &= values >= b
            elif k == "lt":
                m &= values < b
            else:
                m &= values <= b
    return m


# ---- operators -------------------------------------------------------------------------


@operator(
    "blank", _p_field(), "the field is empty on the deal (or the export has no such column)",
    example="{blank: decision_maker}",
)
def op_blank(node: Node, env: Env):
    return blank_mask(env, node.fields[0])


@operator(
    "present", _p_field(), "the field holds a value",
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


@operator(
    "is_true", _p_field({"bool"}), "the yes/no field is yes",
    example="{is_true: confirmed}",
)
def op_is_true(node: Node, env: Env):
    return _bools(env, node.fields[0], "is_true")


@operator(
    "is_false", _p_field({"bool"}), "the yes/no field is no (blank is not no)",
    example="{is_false: confirmed}",
)
def op_is_false(node: Node, env: Env):
    return _bools(env, node.fields[0], "is_false")


@operator(
    "not_true", _p_field({"bool"}), "the yes/no field is no or blank",
    example="{not_true: confirmed}",
)
def op_not_true(node: Node, env: Env):
    return _bools(env, node.fields[0], "not_true")


@operator(
    "equals", _p_field_value(None, numeric=False), "the field equals a value (text: case-insensitive)",
    example="{equals: {field: forecast_category, value: Commit}}",
)
def op_equals(node: Node, env: Env):
    name = node.fields[0]
    if not env.has(name):
        return _false(env)
    value = env.value(node.args["value"])
    kind = KIND_OF[name]
    if kind in NUMERIC_KINDS and _is_number(value):
        return numbers(env, name) == float(value)
    if kind == "bool" and isinstance(value, bool):
        return _bools(env, name, "is_true" if value else "is_false")
    return _text_isin(env, name, [str(value).strip().casefold()])


@operator(
    "in", _p_in, "the field is one of the values (text: case-insensitive)",
    example="{in: {field: insider_level, values: [low, 低]}}",
)
def op_in(node: Node, env: Env):
    name = node.fields[0]
    if not env.has(name):
        return _false(env)
    values = [str(v).strip().casefold() for v in env.value(node.args["values"])]
    return _text_isin(env, name, values)


@operator(
    "contains_any", _p_contains, "the text contains one of `words`, or is wholly one of `whole`",
    example='{contains_any: {field: next_step, words: [跟进, follow up], whole: [无, tbd, "-"]}}',
)
def op_contains_any(node: Node, env: Env):
    name = node.fields[0]
    if not env.has(name):
        return _false(env)
    m = _false(env)
    if "words" in node.args:
        words = [str(w).casefold() for w in env.value(node.args["words"]) if str(w).strip()]
        if words:
            m = m | _text_map(env, name, lambda u: _contains_word(u, words))
    if "whole" in node.args:
        whole = {_strip_punct(str(w).strip().casefold()) for w in env.value(node.args["whole"])}
        whole |= {str(w).strip().casefold() for w in env.value(node.args["whole"])}  # e.g. "-" or "/" alone
        m = m | _text_map(
            env, name, lambda u: u.isin(whole) | u.str.replace(_PUNCT_EDGES, "", regex=True).isin(whole)
        )
    return m


_PUNCT_EDGES = r"^[\s\W_]+|[\s\W_]+$"
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
            return _false(env)
        return _compare(numbers(env, name), {op: node.args["value"]}, env)

    return fn


for _op, _doc, _example in (
    ("gt", ">", "{gt: {field: amount, value: 1000000}}"),
    ("ge", ">=", "{ge: {field: probability, value: 0.9}}"),
    ("lt", "<", "{lt: {field: probability, value: 0.1}}"),
    ("le", "<=", "{le: {field: amount, value: 0}}"),
):
    operator(
        _op, _p_field_value(NUMERIC_KINDS, numeric=True), f"the number is {_doc} value", example=_example
    )(_numeric_op(_op))


def _age_op(sign: float, scale: float):
    def fn(node: Node, env: Env):
        name = node.fields[0]
        if not env.has(name):
            return _false(env)
        return _compare(sign * days_from(env, name), node.args, env, scale)

    return fn


operator(
    "age_days", _p_age, "days from the date to the as-of date (blank date: not flagged)",
    example="{age_days: {field: last_activity, gt: 14}}",
)(_age_op(1.0, 1.0))
operator(
    "age_weeks", _p_age, "weeks from the date to the as-of date (blank date: not flagged)",
    example="{age_weeks: {field: class_since, gt: 4}}",
)(_age_op(1.0, 7.0))
operator(
    "until_days", _p_age, "days from the as-of date to the date (blank date: not flagged)",
    example="{until_days: {field: close_date, lt: 0}}",
)(_age_op(-1.0, 1.0))
operator(
    "until_weeks", _p_age, "weeks from the as-of date to the date (blank date: not flagged)",
    example="{until_weeks: {field: close_date, gt: 26}}",
)(_age_op(-1.0, 7.0))


def _date_pair(node: Node, env: Env):
    a, b = node.fields
    if not (env.has(a) and env.has(b)):
        return None, None
    return -days_from(env, a), -days_from(env, b)  # both relative to as_of: bigger = later


@operator(
    "before", _p_dates, "the date is earlier than the other date (either blank: false)",
    example="{before: {field: quote_date, other: confirmed_date}}",
)
def op_before(node: Node, env: Env):
    a, b = _date_pair(node, env)
    if a is None:
        return _false(env)
    import numpy as np

    with np.errstate(invalid="ignore"):
        return a < b


@operator(
    "after", _p_dates, "the date is later than the other date (either blank: false)",
    example="{after: {field: close_date, other: prev_close_date}}",
)
def op_after(node: Node, env: Env):
    a, b = _date_pair(node, env)
    if a is None:
        return _false(env)
    import numpy as np

    with np.errstate(invalid="ignore"):
        return a > b


@operator(
    "stage", _p_stage, f"the deal's phase is within at_least/at_most ({', '.join(PHASES)})",
    example="{stage: {at_least: solution, at_most: negotiation}}",
)
def op_stage(node: Node, env: Env):
    if not env.has("phase"):
        return _false(env)
    phase = numbers(env, "phase")
    cmps = {}
    if "at_least" in node.args:
        cmps["ge"] = node.args["at_least"]
    if "at_most" in node.args:
        cmps["le"] = node.args["at_most"]
    return _compare(phase, cmps, env)


@operator(
    "class", _p_class, "the deal class (A, B, C, D, X) is one of these",
    example="{class: [A, B]}",
)
def op_class(node: Node, env: Env):
    if not env.has("deal_class"):
        return _false(env)
    values = [str(v).strip().casefold() for v in env.value(node.args["values"])]
    return _text_isin(env, "deal_class", values)


@operator(
    "all", _p_group, "every condition in the list holds",
    example="{all: [{stage: {at_least: solution}}, {blank: decision_maker}]}",
)
def op_all(node: Node, env: Env):
    m = None
    for child in node.children:
        c = mask(child, env)
        m = c.copy() if m is None else (m & c)
    return m


@operator(
    "any", _p_group, "at least one condition in the list holds",
    example="{any: [{blank: insider}, {in: {field: insider_level, values: [low, 低]}}]}",
)
def op_any(node: Node, env: Env):
    m = None
    for child in node.children:
        c = mask(child, env)
        m = c.copy() if m is None else (m | c)
    return m


@operator(
    "not", _p_not, "the condition does not hold",
    example="{not: {in: {field: forecast_category, values: [Commit, Closed]}}}",
)
def op_not(node: Node, env: Env):
    return ~mask(node.children[0], env)


# ---- tree helpers ----------------------------------------------------------------------


def mask(node: Node, env: Env):
    return OPERATORS[node.op].mask(node, env)


def referenced_fields(node: Node) -> set[str]:
    out = set(node.fields)
    for child in node.children:
        out |= referenced_fields(child)
    return out


def evaluable(node: Node, columns) -> bool:
    """Can the condition say something on this export? `any` needs one usable branch, others all."""
    if node.op == "any":
        return any(evaluable(c, columns) for c in node.children)
    if node.children:
        return all(evaluable(c, columns) for c in node.children)
    return all(f in columns for f in node.fields)


def first_date_field(node: Node) -> str | None:
    """The date of the first age_*/until_* operator: what {age_days} in a message refers to."""
    if node.op in ("age_days", "age_weeks", "until_days", "until_weeks"):
        return node.fields[0]
    for child in node.children:
        found = first_date_field(child)
        if found:
            return found
    return None


# Operators kept in a module of their own register themselves when it is imported; it needs the
# helpers above, so it comes last. (Importing it here means no caller can forget it.)
from pipeaudit.engine import phrases as _phrases  # noqa: E402,F401
