"""facts-missing: which of the facts a stage should have settled are still blank, in one finding.

The method lists what a first visit must bring back (needs, budget, timeline, who decides, who
competes). One finding naming every blank fact reads better in the meeting than one per fact.
"""

from __future__ import annotations

from typing import Any

from pipeaudit.engine.checks.base import Check, CheckInput, Hits
from pipeaudit.engine.columns import blank_mask
from pipeaudit.i18n import t
from pipeaudit.model import FIELDS

MAX_FACTS = 16  # the blank facts of a deal are kept as bits of one int64


def requires(params: dict[str, Any]) -> list[tuple[str, ...]]:
    return [tuple(params.get("facts") or ())]


def run(given: CheckInput) -> Hits:
    import numpy as np

    frame = given.deals.frame
    lang = given.lang
    facts = [f for f in given.params.get("facts") or () if f in frame.columns][:MAX_FACTS]
    sep = t("list.items", lang)
    labels = [FIELDS[f].label(lang).lower() for f in facts]  # mid-sentence: "needs, budget" (Chinese has no case)
    # Each deal's blank facts as a bit pattern; the text is built once per pattern, not per deal.
    bits = np.zeros(len(frame), dtype=np.int64)
    for i, name in enumerate(facts):
        bits |= blank_mask(given.env, name).astype(np.int64) << i
    pos = np.flatnonzero(given.applies & (bits != 0))
    patterns, inverse = np.unique(bits[pos], return_inverse=True)
    texts = np.array([sep.join(lbl for i, lbl in enumerate(labels) if p >> i & 1) for p in patterns.tolist()], dtype=object)
    return Hits(positions=pos, values={"missing": texts[inverse] if len(pos) else np.zeros(0, dtype=object)})


CHECK = Check(
    "facts-missing",
    "deal",
    run,
    doc="deals with any of the `facts` fields blank; the message lists which (columns the export lacks are not asked for)",
    requires=requires,
    placeholders=("missing",),
    params=("facts",),
)
