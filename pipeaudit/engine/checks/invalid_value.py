"""invalid-value: one finding per value the reader kept but could not understand.

The Deals builder never drops a value it cannot read (a date like "next week", an amount like
"TBD"): it records it in Deals.problems with its column and raw text, and this check turns each
record into a finding, so nothing unreadable passes unnoticed.
"""

from __future__ import annotations

from pipeaudit.engine.checks.base import Check, CheckInput, Hits
from pipeaudit.model import FIELDS


def run(given: CheckInput) -> Hits:
    import numpy as np

    deals = given.deals
    problems = deals.problems
    if problems is None or len(problems) == 0 or "index" not in problems.columns:
        return Hits(positions=np.zeros(0, dtype=np.int64))
    pos = deals.frame.index.get_indexer(problems["index"])
    keep = pos >= 0
    keep[keep] = given.applies[pos[keep]]
    sub = problems[keep]
    labels = {k: v.label(given.lang) for k, v in FIELDS.items()}
    field_names = sub["field"].astype("str") if "field" in sub.columns else None
    column = sub["column"].astype("str").fillna("") if "column" in sub.columns else field_names.fillna("")
    raw = sub["raw"].astype("str").fillna("") if "raw" in sub.columns else column.map(lambda _: "")
    flabel = field_names.map(labels).fillna(field_names).fillna("") if field_names is not None else column
    return Hits(
        positions=pos[keep].astype(np.int64),
        values={"column": column.to_numpy(object), "raw": raw.to_numpy(object), "field_label": flabel.to_numpy(object)},
    )


CHECK = Check(
    "invalid-value",
    "deal",
    run,
    doc="one hit per value the reader could not understand (Deals.problems)",
    placeholders=("column", "raw", "field_label"),
)
