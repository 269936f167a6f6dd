"""amount-outlier: an open deal's amount far above the team's usual deal.

A 1.2亿 lead in a team whose deals are 10-50万 is either a typo (元 for 万, a stray zero) or the
deal that decides the quarter; either way the manager should hear of it. "Usual" is the median
amount of the export's open deals with a positive amount, so one giant deal cannot move it; with
fewer than {min_deals} such deals there is no usual deal to compare with and nothing is flagged.
"""

from __future__ import annotations

from pipeaudit.engine.checks.base import Check, CheckInput, Hits
from pipeaudit.engine.columns import numbers


def _open(given: CheckInput):
    import numpy as np

    frame = given.deals.frame
    if "status" not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    return frame["status"].astype(object).eq("open").to_numpy(dtype=bool, na_value=False)


def run(given: CheckInput) -> Hits:
    import numpy as np

    amount = numbers(given.env, "amount")
    with np.errstate(invalid="ignore"):
        usable = _open(given) & np.isfinite(amount) & (amount > 0)
    base = amount[usable]
    empty = np.zeros(0, dtype=object)
    if len(base) < int(given.params.get("min_deals", 5)):
        return Hits(positions=np.zeros(0, dtype=np.int64), values={"usual": empty, "times_usual": empty, "share": empty})
    usual = float(np.median(base))
    total = float(base.sum())
    with np.errstate(invalid="ignore"):
        pos = np.flatnonzero(given.applies & usable & (amount > float(given.params.get("times", 10)) * usual))
    hits = amount[pos]
    return Hits(positions=pos, values={
        "usual": np.array([f"{usual:,.0f}"] * len(pos), dtype=object),
        "times_usual": np.array([f"{a / usual:,.0f}" for a in hits], dtype=object),
        "share": np.array([f"{a / total * 100:.0f}%" for a in hits], dtype=object),
    })


CHECK = Check(
    "amount-outlier",
    "deal",
    run,
    doc="an open deal whose amount is more than {times} times the median of the export's open deals"
        " (needs {min_deals} open deals with an amount)",
    requires=lambda p: [("amount",)],
    placeholders=("usual", "times_usual", "share"),
    params=("times", "min_deals"),
)
