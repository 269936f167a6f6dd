"""stage-aging: a deal has sat in its stage longer than that stage's norm.

A flat "45 days in a stage" is too slow for the late stages and too hasty for the early ones: a
negotiation that has not moved in a month is in trouble, a lead may well take six weeks. The norm
of each deal's stage is, first found:

  1. the run's stage norms (RunFacts.stage_norms): learned from the stored weeks when the config
     says `norms: learned` and the history suffices, or set per ladder and stage under `norms:`;
  2. the rule's param for the deal's phase (lead, discovery, solution, negotiation, closing);
  3. the rule's `days` for a deal on no known stage.

The message names the norm and where it came from, so a rep can argue with the number.
"""

from __future__ import annotations

from typing import Any

from pipeaudit.engine.checks.base import Check, CheckInput, Hits
from pipeaudit.engine.columns import days_from, numbers
from pipeaudit.i18n import Lang, t
from pipeaudit.model import PHASES

PARAMS = (*PHASES, "days")


def norms_per_deal(given: CheckInput) -> tuple[Any, Any]:
    """(norm in days per deal, source code per deal): 0..4 = a phase's param, 5 = days, 6 = config, 7 = learned."""
    import numpy as np

    env, params = given.env, given.params
    phase = numbers(env, "phase")
    by_phase = np.array([float(params[p]) for p in PHASES] + [float(params["days"])])
    code = np.where(np.isnan(phase), 5, np.nan_to_num(phase, nan=1).astype(np.int64) - 1).clip(0, 5)
    norm = by_phase[code]
    table = (given.facts.stage_norms or {}).get(given.deals.ladder or "", {})
    if table:
        rank = numbers(env, "stage_rank")
        for r, (days, source) in table.items():
            at = rank == r
            norm = np.where(at, float(days), norm)
            code = np.where(at, 7 if source == "learned" else 6, code)
    return norm, code.astype(np.int64)


def _source_texts(lang: Lang) -> list[str]:
    """Where a norm came from, as the message names it, by the source code of norms_per_deal."""
    texts = [t("aging.phase_default", lang, phase=t("phase." + p, lang)) for p in PHASES]
    return [*texts, t("aging.unknown_stage", lang), t("aging.config", lang), t("aging.learned", lang)]


def run(given: CheckInput) -> Hits:
    import numpy as np

    days = days_from(given.env, "stage_since")
    norm, code = norms_per_deal(given)
    with np.errstate(invalid="ignore"):
        pos = np.flatnonzero(given.applies & (days > norm))
    texts = np.array(_source_texts(given.lang), dtype=object)
    return Hits(
        positions=pos,
        values={
            "days_in_stage": np.array([f"{d:.0f}" for d in days[pos]], dtype=object),
            "norm": np.array([f"{v:.0f}" for v in norm[pos]], dtype=object),
            "norm_source": texts[code[pos]] if len(pos) else np.zeros(0, dtype=object),
        },
    )


CHECK = Check(
    "stage-aging",
    "deal",
    run,
    doc="longer in its stage (since stage_since) than the stage's norm: config or learned norms, else the phase's param",
    requires=lambda p: [("stage_since",)],
    placeholders=("days_in_stage", "norm", "norm_source"),
    params=PARAMS,
)
