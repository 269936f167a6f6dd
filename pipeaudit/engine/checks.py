"""Registered Python checks, for rules that are not a simple mask (`check: NAME` in a rule).

A check receives the deals, the mask of deals the rule applies to and the rule's params, and
returns the hits: frame positions (a deal may be hit more than once, e.g. one finding per
unreadable value) plus extra placeholder values for the message, one string per hit.
Other modules register theirs with `@register_check(...)`; modules listed in PLUGIN_MODULES are
imported on first lookup when they exist.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from pipeaudit.model import FIELDS

if TYPE_CHECKING:
    import numpy as np

    from pipeaudit.engine.conditions import Env
    from pipeaudit.model import Deals


@dataclass
class Hits:
    positions: "np.ndarray"  # int positions into deals.frame
    values: dict[str, Any] = field(default_factory=dict)  # placeholder -> sequence of str, one per hit


@dataclass(frozen=True)
class Check:
    name: str
    fn: Callable[["Deals", "np.ndarray", dict, "Env", str], Hits]
    #: fields the check needs, given its params: a list of alternatives (at least one present each)
    requires: Callable[[dict], list[tuple[str, ...]]]
    placeholders: tuple[str, ...] = ()
    params: tuple[str, ...] = ()  # params the check reads (must be declared by the rule)
    doc: str = ""


CHECKS: dict[str, Check] = {}

#: Modules that register checks of their own (history, plan...). Imported on first lookup if present.
PLUGIN_MODULES: list[str] = ["pipeaudit.history", "pipeaudit.plan", "pipeaudit.changes"]
_plugins_loaded = False


def register_check(name: str, *, requires=None, placeholders=(), params=(), doc=""):
    def deco(fn):
        CHECKS[name] = Check(name, fn, requires or (lambda p: []), tuple(placeholders), tuple(params), doc)
        return fn

    return deco


def get_checks() -> dict[str, Check]:
    global _plugins_loaded
    if not _plugins_loaded:
        _plugins_loaded = True
        for module in PLUGIN_MODULES:
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name != module:
                    raise
    return CHECKS


# ---- built-in checks -------------------------------------------------------------------


@register_check(
    "invalid-value",
    placeholders=("column", "raw", "field_label"),
    doc="one hit per value the reader could not understand (Deals.problems)",
)
def invalid_value(deals: "Deals", applies: "np.ndarray", params: dict, env: "Env", lang: str) -> Hits:
    import numpy as np

    problems = deals.problems
    if problems is None or len(problems) == 0 or "index" not in problems.columns:
        return Hits(np.zeros(0, dtype=np.int64))
    pos = deals.frame.index.get_indexer(problems["index"])
    keep = pos >= 0
    keep[keep] = applies[pos[keep]]
    sub = problems[keep]
    labels = {k: (v.zh if lang == "zh" else v.en) for k, v in FIELDS.items()}
    field_names = sub["field"].astype("str") if "field" in sub.columns else None
    column = sub["column"].astype("str").fillna("") if "column" in sub.columns else field_names.fillna("")
    raw = sub["raw"].astype("str").fillna("") if "raw" in sub.columns else column.map(lambda _: "")
    flabel = field_names.map(labels).fillna(field_names).fillna("") if field_names is not None else column
    return Hits(
        pos[keep].astype(np.int64),
        {"column": column.to_numpy(object), "raw": raw.to_numpy(object), "field_label": flabel.to_numpy(object)},
    )


def _facts_requires(params: dict) -> list[tuple[str, ...]]:
    return [tuple(params.get("facts") or ())]


@register_check(
    "facts-missing",
    requires=_facts_requires,
    placeholders=("missing",),
    params=("facts",),
    doc="deals with any of the `facts` fields blank; the message lists which (columns the export lacks are not asked for)",
)
def facts_missing(deals: "Deals", applies: "np.ndarray", params: dict, env: "Env", lang: str) -> Hits:
    import numpy as np

    from pipeaudit.engine.conditions import _blank

    facts = [f for f in params.get("facts") or () if f in deals.frame.columns][:16]
    sep = "、" if lang == "zh" else ", "
    labels = [FIELDS[f].zh if lang == "zh" else FIELDS[f].en.lower() for f in facts]
    # Each deal's blank facts as a bit pattern; the text is built once per pattern, not per deal.
    bits = np.zeros(len(deals.frame), dtype=np.int64)
    for i, name in enumerate(facts):
        bits |= _blank(env, name).astype(np.int64) << i
    pos = np.flatnonzero(applies & (bits != 0))
    patterns, inverse = np.unique(bits[pos], return_inverse=True)
    texts = np.array([sep.join(lbl for i, lbl in enumerate(labels) if p >> i & 1) for p in patterns.tolist()], dtype=object)
    return Hits(pos, {"missing": texts[inverse] if len(pos) else np.zeros(0, dtype=object)})
