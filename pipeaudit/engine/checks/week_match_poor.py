"""week-match-poor: last week's deals were mostly not found this week, so "what changed" is not news.

Matching goes by deal id, else by name with account. An export whose ids changed (or that has
none, and names that were edited) matches few deals: every deal then looks new and every old one
gone. Said once for the export, with the key used and what to map, instead of a waterfall.
"""

from __future__ import annotations

from pipeaudit.engine.checks.base import Check, CheckInput, Hits
from pipeaudit.i18n import Lang, t

#: The catalogue text of each key weekly.match.match_quality may report (None: no key at all).
_KEYS = {"deal_id": "week_match.key_deal_id", "deal+account": "week_match.key_deal_account", "deal": "week_match.key_deal"}


def key_text(key: str | None, lang: Lang) -> str:
    """How last week was matched, as a person reads it: 'deal_id', 'deal name + account', ..."""
    return t(_KEYS.get(key or "", "week_match.key_none"), lang)


def run(given: CheckInput) -> Hits:
    quality = given.facts.week_match
    if not quality or quality.get("reliable", True):
        return Hits(owners=[])
    return Hits(
        owners=[None],
        values={
            "matched": [str(quality["matched_open"])],
            "previous": [str(quality["previous_open"])],
            "key": [key_text(quality.get("key"), given.lang)],
        },
    )


CHECK = Check(
    "week-match-poor",
    "export",
    run,
    doc="once per export when fewer than half of last week's open deals were found this week (needs --baseline or --history)",
    placeholders=("matched", "previous", "key"),
)
