"""Parsing one condition's arguments: fields, numbers, lists and "{param}" references, checked
against the rule (file, line, rule and key in every error) when the rule pack loads.

The operators (engine/operators.py, engine/phrases.py) build their parse functions from these
helpers; engine/conditions.py dispatches on the operator name and nests all/any/not.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from pipeaudit.engine.columns import KIND_OF, TEXT_KINDS, Env, ParamRef
from pipeaudit.model import PHASES
from pipeaudit.yamlsafe import clip, clipped_repr, did_you_mean, line_of

if TYPE_CHECKING:
    import numpy as np

#: all/any/not nested deeper than this is refused when the rule is loaded (evaluation recurses)
MAX_CONDITION_DEPTH = 20



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



@dataclass(frozen=True)
class Operator:
    name: str
    parse: Callable[[Any, Any, ParseContext, str], Node]
    mask: Callable[[Node, Env], "np.ndarray"]
    doc: str
    #: A condition using the operator as written under `where:` (YAML flow style); shown by
    #: `pipeaudit rules operators`, and a test parses every one with parse_condition.
    example: str = ""



# ---- argument helpers ------------------------------------------------------------------


def param_or(value: Any, ctx: ParseContext, container: Any, key: Any) -> Any:
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


def field_arg(value: Any, ctx: ParseContext, container: Any, key: Any, kinds: set[str] | None = None) -> str:
    if not isinstance(value, str):
        raise ctx.fail(container, key, f"'{key}' must name a field")
    if value not in KIND_OF:
        raise ctx.fail(container, key, f"unknown field '{clip(value)}'{did_you_mean(value, KIND_OF)}")
    if kinds is not None and KIND_OF[value] not in kinds:
        raise ctx.fail(
            container, key, f"field '{value}' is {KIND_OF[value]}, this operator needs {'/'.join(sorted(kinds))}"
        )
    return value


def mapping_arg(spec: Any, ctx: ParseContext, container: Any, key: Any, op: str, required: set[str], optional: set[str] = frozenset()) -> dict:
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


def number_arg(value: Any, ctx: ParseContext, container: Any, key: Any) -> Any:
    value = param_or(value, ctx, container, key)
    if isinstance(value, ParamRef):
        if not comparable_number(ctx.params[value.name]):
            raise ctx.fail(container, key, f"param '{value.name}' must be a number within ±1.8e308 to be compared")
        return value
    if not comparable_number(value):
        raise ctx.fail(container, key, f"'{clip(key)}' must be a number within ±1.8e308 or a \"{{param}}\", not {clipped_repr(value)}")
    return value


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def comparable_number(v: Any) -> bool:
    """A number the engine can compare: int or float within the finite float range (no inf/nan)."""
    if not is_number(v):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:  # an int past ±1.8e308
        return False


def text_list_arg(value: Any, ctx: ParseContext, container: Any, key: Any) -> Any:
    value = param_or(value, ctx, container, key)
    if isinstance(value, ParamRef):
        if not isinstance(ctx.params[value.name], list):
            raise ctx.fail(container, key, f"param '{value.name}' must be a list to be used as '{key}'")
        return value
    if not isinstance(value, list) or not value or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        raise ctx.fail(container, key, f"'{key}' must be a non-empty list of values")
    return [str(v) for v in value]



# ---- parse functions of the leaf operators ---------------------------------------------


def p_field(kinds: set[str] | None = None):
    def parse(arg, container, ctx, op):
        return Node(op, (field_arg(arg, ctx, container, op, kinds),))

    return parse


def p_field_value(kinds: set[str] | None, numeric: bool):
    def parse(arg, container, ctx, op):
        spec = mapping_arg(arg, ctx, container, op, op, {"field", "value"})
        name = field_arg(spec["field"], ctx, spec, "field", kinds)
        if numeric:
            value = number_arg(spec["value"], ctx, spec, "value")
        else:
            value = param_or(spec["value"], ctx, spec, "value")
            if not isinstance(value, (ParamRef, str, int, float, bool)):
                raise ctx.fail(spec, "value", "'value' must be a single value")
        return Node(op, (name,), {"value": value})

    return parse


def p_in(arg, container, ctx, op):
    spec = mapping_arg(arg, ctx, container, op, op, {"field", "values"})
    name = field_arg(spec["field"], ctx, spec, "field")
    return Node(op, (name,), {"values": text_list_arg(spec["values"], ctx, spec, "values")})


def p_contains(arg, container, ctx, op):
    spec = mapping_arg(arg, ctx, container, op, op, {"field"}, {"words", "whole"})
    if "words" not in spec and "whole" not in spec:
        raise ctx.fail(container, op, f"'{op}' needs 'words' (found anywhere) and/or 'whole' (the whole value)")
    name = field_arg(spec["field"], ctx, spec, "field", TEXT_KINDS)
    args = {k: text_list_arg(spec[k], ctx, spec, k) for k in ("words", "whole") if k in spec}
    return Node(op, (name,), args)


CMP = ("gt", "ge", "lt", "le")


def p_age(arg, container, ctx, op):
    spec = mapping_arg(arg, ctx, container, op, op, {"field"}, set(CMP))
    name = field_arg(spec["field"], ctx, spec, "field", {"date"})
    cmps = {k: number_arg(spec[k], ctx, spec, k) for k in CMP if k in spec}
    if not cmps:
        raise ctx.fail(container, op, f"'{op}' needs a bound: gt, ge, lt or le")
    return Node(op, (name,), cmps)


def p_dates(arg, container, ctx, op):
    spec = mapping_arg(arg, ctx, container, op, op, {"field", "other"})
    a = field_arg(spec["field"], ctx, spec, "field", {"date"})
    b = field_arg(spec["other"], ctx, spec, "other", {"date"})
    return Node(op, (a, b))


def p_stage(arg, container, ctx, op):
    spec = mapping_arg(arg, ctx, container, op, op, set(), {"at_least", "at_most"})
    if not spec:
        raise ctx.fail(container, op, "'stage' needs at_least and/or at_most (a phase)")
    args = {}
    for k in ("at_least", "at_most"):
        if k in spec:
            if spec[k] not in PHASES:
                raise ctx.fail(spec, k, f"unknown phase '{clip(spec[k])}'{did_you_mean(str(spec[k]), PHASES)} (phases: {', '.join(PHASES)})")
            args[k] = PHASES.index(spec[k]) + 1
    return Node(op, ("phase",), args)


def p_class(arg, container, ctx, op):
    if isinstance(arg, str):
        arg = [arg]
    values = text_list_arg(arg, ctx, container, op)
    return Node(op, ("deal_class",), {"values": values})
