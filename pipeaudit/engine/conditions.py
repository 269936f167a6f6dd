"""A rule's condition (`where:`): parsed once into a tree of Nodes, evaluated over the whole table.

The registry OPERATORS is assembled here, explicitly, from the leaf operators (engine/operators.py),
the phrase matcher (engine/phrases.py) and the combinators all/any/not below. Every operator
returns a numpy bool array as long as the deals frame. Nothing from a rule file or the data is
ever evaluated as code.

A field the export does not have is treated as blank on every deal (blank → True, present →
False, comparisons → False); whether the rule runs at all is decided beforehand by
`evaluable()` (see schema.Rule.requires).
"""

from __future__ import annotations

from typing import Any, Callable

from pipeaudit.engine import operators, phrases
from pipeaudit.engine.columns import Env
from pipeaudit.engine.parsing import MAX_CONDITION_DEPTH, Node, Operator, ParseContext
from pipeaudit.i18n import both
from pipeaudit.yamlsafe import clip, did_you_mean

COMBINATORS: list[Operator] = []


def combinator(name: str, parse: Callable, doc: str, *, example: str):
    def deco(fn):
        COMBINATORS.append(Operator(name, parse, fn, doc, example))
        return fn

    return deco


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
        raise ctx.fail(spec, op, both("rule_pack.too_deep", depth=MAX_CONDITION_DEPTH))
    ctx.depth += 1
    try:
        return OPERATORS[op].parse(arg, spec, ctx, op)
    finally:
        ctx.depth -= 1



def p_group(arg, container, ctx, op):
    if not isinstance(arg, list) or not arg:
        raise ctx.fail(container, op, f"'{op}' needs a non-empty list of conditions")
    return Node(op, (), {}, tuple(parse_condition(c, ctx, arg, i) for i, c in enumerate(arg)))


def p_not(arg, container, ctx, op):
    return Node(op, (), {}, (parse_condition(arg, ctx, container, op),))


@combinator(
    "all", p_group, "every condition in the list holds",
    example="{all: [{stage: {at_least: solution}}, {blank: decision_maker}]}",
)
def op_all(node: Node, env: Env):
    m = None
    for child in node.children:
        c = mask(child, env)
        m = c.copy() if m is None else (m & c)
    return m


@combinator(
    "any", p_group, "at least one condition in the list holds",
    example="{any: [{blank: insider}, {in: {field: insider_level, values: [low, 低]}}]}",
)
def op_any(node: Node, env: Env):
    m = None
    for child in node.children:
        c = mask(child, env)
        m = c.copy() if m is None else (m | c)
    return m


@combinator(
    "not", p_not, "the condition does not hold",
    example="{not: {in: {field: forecast_category, values: [Commit, Closed]}}}",
)
def op_not(node: Node, env: Env):
    return ~mask(node.children[0], env)


#: Every operator a condition may use, by name, in the order `rules operators` lists them.
OPERATORS: dict[str, Operator] = {op.name: op for op in (*operators.LEAVES, phrases.MATCHES_ANY, *COMBINATORS)}


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
