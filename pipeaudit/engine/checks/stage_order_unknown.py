"""stage-order-unknown: no ladder, probability or numbering puts this export's stages in order.

Without an order pipeaudit cannot tell a first visit from a negotiation, so every rule that needs
the stage is skipped. That is one configuration problem, so it is one finding for the whole
export naming the unplaced values with their deal counts, never one finding per deal.
"""

from __future__ import annotations

from pipeaudit.engine.checks.base import Check, CheckInput, Hits
from pipeaudit.i18n import t

SHOWN = 8  # values named in the message; the count says how many more


def run(given: CheckInput) -> Hits:
    order, unknown = given.deals.stage_order, given.deals.unknown_stages
    if order is None or order.how != "none" or not unknown:
        return Hits(owners=[])
    lang = given.lang
    items = sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = t("list.items", lang).join(
        t("order_unknown.value", lang, value=value, deals=str(deals)) for value, deals in items[:SHOWN]
    )
    if len(items) > SHOWN:
        shown += t("order_unknown.more", lang, more=str(len(items) - SHOWN))
    return Hits(
        owners=[None],
        values={"values": [shown], "distinct": [str(len(items))], "deals": [str(sum(unknown.values()))]},
    )


CHECK = Check(
    "stage-order-unknown",
    "export",
    run,
    doc="once per export when the stage values fit no known ladder, probability or numbering",
    requires=lambda p: [("stage",)],
    placeholders=("values", "distinct", "deals"),
)
