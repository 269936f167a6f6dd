"""week-match-poor: last week's deals were mostly not found this week, so "what changed" is not news.

Matching goes by deal id, else by name with account. An export whose ids changed (or that has
none, and names that were edited) matches few deals: every deal then looks new and every old one
gone. Said once for the export, with the key used and what to map, instead of a waterfall.
"""

from __future__ import annotations

from pipeaudit.engine.checks.base import Check, CheckInput, Hits

KEY_TEXT = {"deal_id": "deal_id", "deal+account": "deal + account", "deal": "deal name", None: "none"}


def run(given: CheckInput) -> Hits:
    quality = given.facts.week_match
    if not quality or quality.get("reliable", True):
        return Hits(owners=[])
    return Hits(
        owners=[None],
        values={
            "matched": [str(quality["matched_open"])],
            "previous": [str(quality["previous_open"])],
            "key": [KEY_TEXT.get(quality.get("key"), str(quality.get("key")))],
        },
    )


CHECK = Check(
    "week-match-poor",
    "export",
    run,
    doc="once per export when fewer than half of last week's open deals were found this week (needs --baseline or --history)",
    placeholders=("matched", "previous", "key"),
)
