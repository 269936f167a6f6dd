"""funnel-short: a step of the rep's open funnel is below what the rep's quota needs.

With quotas (config `quotas:` or --quotas), pipeaudit.quotas works each rep's target back through
the funnel ratios and counts the rep's open deals at each step; this check names every step that
falls short, one finding per rep, with the widest gap as the question's focus.
"""

from __future__ import annotations

from pipeaudit.engine.checks.base import Check, CheckInput, Hits
from pipeaudit.funnel import short_steps, step_label
from pipeaudit.i18n import t


def run(given: CheckInput) -> Hits:
    funnels = given.facts.quota_funnels or {}
    lang = given.lang
    owners: list[str | None] = []
    values: dict[str, list[str]] = {"target": [], "short_steps": [], "top_step": []}
    for rep, entry in funnels.items():
        if rep.startswith("_") or not isinstance(entry, dict):
            continue  # _skipped / _no_deals lists, not reps
        short = short_steps(entry)
        if not short:
            continue
        parts = [
            t("funnel_short.step_short", lang, step=step_label(s, lang), short=str(n - h), need=str(n), have=str(h))
            for s, n, h in short
        ]
        owners.append(rep)
        values["target"].append(f"{entry['_target']:,.0f}")
        values["short_steps"].append(t("list.clauses", lang).join(parts))
        values["top_step"].append(step_label(max(short, key=lambda s: s[1] - s[2])[0], lang))
    return Hits(owners=owners, values=values)


CHECK = Check(
    "funnel-short",
    "owner",
    run,
    doc="one finding per rep whose open funnel is short of what the rep's quota needs (needs quotas)",
    requires=lambda p: [("owner",)],
    placeholders=("target", "short_steps", "top_step"),
)
