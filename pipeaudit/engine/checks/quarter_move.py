"""quarter-move: the close date crossed the end of the current fiscal quarter since last week.

`direction: out` — last week the deal was due to close this quarter, now it is due after it: the
quarter's number just lost it. `direction: in` — last week it was due after this quarter, now it
is due within it: the number just gained it, and the manager wants to know what changed.

The quarter is the one holding the as-of date, by the fiscal year of the config
(`fiscal_year_start`, RunFacts.fiscal_year_start; see pipeaudit.fiscal). Last week's close date
comes from --baseline or the history (prev_close_date).
"""

from __future__ import annotations

from pipeaudit.engine.checks.base import Check, CheckInput, Hits
from pipeaudit.engine.columns import days_from
from pipeaudit.errors import RuleError
from pipeaudit.fiscal import quarter_of
from pipeaudit.i18n import both

DIRECTIONS = ("out", "in")


def run(given: CheckInput) -> Hits:
    import numpy as np

    direction = str(given.params.get("direction", "out"))
    if direction not in DIRECTIONS:
        raise RuleError("check quarter-move: " + both("quarter_move.direction", value=repr(direction)))
    as_of = given.env.as_of.date()
    quarter = quarter_of(as_of, given.facts.fiscal_year_start)
    first, last = (quarter.start - as_of).days, (quarter.end - as_of).days  # relative to the as-of date
    now, before = -days_from(given.env, "close_date"), -days_from(given.env, "prev_close_date")
    with np.errstate(invalid="ignore"):
        now_in = (now >= first) & (now <= last)
        before_in = (before >= first) & (before <= last)
        moved = (before_in & (now > last)) if direction == "out" else ((before > last) & now_in)
    pos = np.flatnonzero(given.applies & moved)
    return Hits(
        positions=pos,
        values={
            "quarter": np.full(len(pos), quarter.label(), dtype=object),
            "quarter_end": np.full(len(pos), quarter.end.isoformat(), dtype=object),
        },
    )


CHECK = Check(
    "quarter-move",
    "deal",
    run,
    doc="the close date left (direction: out) or entered (direction: in) the current fiscal quarter since last week",
    requires=lambda p: [("close_date",), ("prev_close_date",)],
    placeholders=("quarter", "quarter_end"),
    params=("direction",),
)
