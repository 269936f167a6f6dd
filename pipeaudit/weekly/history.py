"""One run's use of the history store: keep this week, learn from the earlier ones.

With --history (or `history:` in the config) a run reads the stored weeks; it stores this week's
deals only when asked (`record`: `report`, the weekly cron job, always; `check` with --history on
its command line or --record; a --rep run never, as one rep's deals would replace the team's week), derives since-dates and slips from
the stored weeks, and, when no --baseline is given, compares this week with the latest stored week
before the as-of date.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeaudit.i18n import both
from pipeaudit.owners import select_rep
from pipeaudit.weekly.baseline import compare
from pipeaudit.weekly.derive import derive
from pipeaudit.weekly.store import MIN_WEEKS, HistoryStore

if TYPE_CHECKING:
    from pipeaudit.model import Deals


@dataclass
class HistoryRun:
    """What a run took from the history store, for the outputs and the checks."""

    info: dict[str, Any]  # db, weeks, previous, filled, min_weeks: the JSON "history" object
    changes: dict[str, Any] | None = None  # against the latest stored week, when there is one
    notes: list[str] = field(default_factory=list)

    @property
    def weeks(self) -> int:
        return int(self.info["weeks"])


def with_history(deals: "Deals", db: Path, as_of: date, *, rep: str | None, compare_previous: bool,
                 record: bool = True) -> tuple["Deals", HistoryRun]:
    """Store the week (when `record`, never with --rep), derive what the stored weeks teach, compare
    with the last one. A run that does not record still reads (an absent file is created empty)."""
    notes: list[str] = []
    with HistoryStore(db) as store:
        if rep is None and record:
            store.store(deals, as_of, source=str(deals.source), ladder=deals.ladder)
        elif rep is not None:
            notes.append("--rep: " + both("history_db.rep_read_only", db=str(db)))
        deals, derived = derive(deals, store, as_of)
        info = {
            "db": str(db),
            "weeks": derived.weeks,
            "previous": derived.previous.isoformat() if derived.previous else None,
            "filled": derived.filled,
            "min_weeks": MIN_WEEKS,
            "recorded": bool(rep is None and record),
        }
        changes = None
        if compare_previous and derived.previous is not None:
            previous = dataclasses.replace(
                deals, frame=store.snapshot(derived.previous), problems=None, ladder=store.ladder(derived.previous)
            )
            deals, changes = compare(deals, select_rep(previous, rep), source=str(db), as_of=derived.previous)
    return deals, HistoryRun(info, changes, notes)
