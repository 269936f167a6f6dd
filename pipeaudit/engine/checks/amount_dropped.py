"""amount-dropped: the amount is at least {pct}% below last week's.

A deal that quietly shrinks is often a deal being lost slowly; the message gives last week's
amount and the cut, so the rep can say why.
"""

from __future__ import annotations

from pipeaudit.engine.checks.base import Check, CheckInput, Hits
from pipeaudit.engine.columns import Env, numbers


def dropped_mask(env: Env, pct: float):
    """Amount cut by pct % or more against a positive amount last week; a blank amount is not a cut."""
    import numpy as np

    now, before = numbers(env, "amount"), numbers(env, "prev_amount")
    with np.errstate(invalid="ignore"):
        return (before > 0) & ~np.isnan(now) & (now <= before * (1 - float(pct) / 100.0) + 1e-9 * before)


def run(given: CheckInput) -> Hits:
    import numpy as np

    pos = np.flatnonzero(given.applies & dropped_mask(given.env, float(given.params.get("pct", 20))))
    now, before = numbers(given.env, "amount")[pos], numbers(given.env, "prev_amount")[pos]
    drop = np.round((1 - now / before) * 100).astype(np.int64) if len(pos) else np.zeros(0, dtype=np.int64)
    return Hits(positions=pos, values={"drop_pct": np.array([f"{d}%" for d in drop], dtype=object)})


CHECK = Check(
    "amount-dropped",
    "deal",
    run,
    doc="the amount is at least {pct}% below last week's",
    requires=lambda p: [("amount",), ("prev_amount",)],
    placeholders=("drop_pct",),
    params=("pct",),
)
