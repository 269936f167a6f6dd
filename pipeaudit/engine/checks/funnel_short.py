"""funnel-short: a step of the rep's open funnel is below what the rep's quota needs.

With quotas (config `quotas:` or --quotas), pipeaudit.quotas works each rep's target back through
the funnel ratios and counts the rep's open deals at each step; this check names every step that
falls short, one finding per rep, with the widest gap as the question's focus.
"""

from __future__ import annotations

from pipeaudit.engine.checks.base import Check, CheckInput, Hits
from pipeaudit.funnel import STEP_LABELS, short_steps


def run(given: CheckInput) -> Hits:
    funnels = given.facts.quota_funnels or {}
    zh = given.lang == "zh"
    owners: list[str | None] = []
    values: dict[str, list[str]] = {"target": [], "short_steps": [], "top_step": []}
    for rep, entry in funnels.items():
        if rep.startswith("_") or not isinstance(entry, dict):
            continue  # _skipped / _no_deals lists, not reps
        short = short_steps(entry)
        if not short:
            continue

        def label(step: str) -> str:
            return STEP_LABELS[step][0 if zh else 1]

        if zh:
            parts = [f"{label(s)}缺 {n - h}（需 {n}，有 {h}）" for s, n, h in short]
        else:
            parts = [f"{label(s)} short by {n - h} (need {n}, have {h})" for s, n, h in short]
        owners.append(rep)
        values["target"].append(f"{entry['_target']:,.0f}")
        values["short_steps"].append(("；" if zh else "; ").join(parts))
        values["top_step"].append(label(max(short, key=lambda t: t[1] - t[2])[0]))
    return Hits(owners=owners, values=values)


CHECK = Check(
    "funnel-short",
    "owner",
    run,
    doc="one finding per rep whose open funnel is short of what the rep's quota needs (needs quotas)",
    requires=lambda p: [("owner",)],
    placeholders=("target", "short_steps", "top_step"),
)
