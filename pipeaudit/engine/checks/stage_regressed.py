"""stage-regressed: a deal sits lower on its ladder than it did last week.

By stage rank when both weeks are on the same ladder, else by the ladder-neutral phase, so a
ladder renamed between exports still compares. A deal now won or lost has not regressed.
"""

from __future__ import annotations

from pipeaudit.engine.checks.base import Check, CheckInput, Hits
from pipeaudit.engine.columns import Env, numbers


def regressed_mask(env: Env):
    import numpy as np

    rank, prev_rank = numbers(env, "stage_rank"), numbers(env, "prev_stage_rank")
    phase, prev_phase = numbers(env, "phase"), numbers(env, "prev_phase")
    by_rank = ~np.isnan(rank) & ~np.isnan(prev_rank)
    with np.errstate(invalid="ignore"):
        return np.where(by_rank, rank < prev_rank, phase < prev_phase)


def run(given: CheckInput) -> Hits:
    import numpy as np

    return Hits(positions=np.flatnonzero(given.applies & regressed_mask(given.env)))


CHECK = Check(
    "stage-regressed",
    "deal",
    run,
    doc="the deal sits lower on its ladder than last week (stage rank on the same ladder, else phase)",
    requires=lambda p: [("stage_rank", "phase"), ("prev_stage_rank", "prev_phase")],
)
