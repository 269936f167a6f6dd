"""history-too-short: the history store holds too few weeks to judge ages and slips (said once).

With one stored week nobody can know how long a deal has held its class or stage, so rules that
need it are skipped; this check says so once for the whole export instead of once per deal.
"""

from __future__ import annotations

from pipeaudit.engine.checks.base import Check, CheckInput, Hits


def run(given: CheckInput) -> Hits:
    weeks = given.facts.weeks_stored
    if weeks is None or weeks >= int(given.params.get("min_weeks", 2)):
        return Hits(owners=[])
    return Hits(owners=[None], values={"weeks": [str(weeks)]})


CHECK = Check(
    "history-too-short",
    "export",
    run,
    doc="once per export when fewer than {min_weeks} weeks are stored (needs --history)",
    placeholders=("weeks",),
    params=("min_weeks",),
)
