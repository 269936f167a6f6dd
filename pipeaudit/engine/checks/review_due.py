"""review-due: a rep's results over the stored weeks miss the plan by more than {pct}%.

The seeds' cadence: when results fall more than 15% behind plan, a review is due, not at the end
of the quarter but now. With quotas and a history, the pipeline works out for each rep what was
won over the stored weeks and what the yearly target asks for the same span
(weekly.learn.results_vs_plan → RunFacts.plan_results); this check names every rep whose miss is
above the rule's `pct`, one finding per rep.
"""

from __future__ import annotations

from pipeaudit.engine.checks.base import Check, CheckInput, Hits


def run(given: CheckInput) -> Hits:
    results = given.facts.plan_results or {}
    pct = float(given.params.get("pct", 15))
    owners: list[str | None] = []
    values: dict[str, list[str]] = {"won": [], "plan_to_date": [], "miss_pct": [], "weeks": [], "target": []}
    for rep, entry in results.items():
        if not isinstance(entry, dict) or entry.get("miss_pct") is None or entry["miss_pct"] <= pct:
            continue
        owners.append(rep)
        values["won"].append(f"{entry['won']:,.0f}")
        values["plan_to_date"].append(f"{entry['plan']:,.0f}")
        values["miss_pct"].append(f"{entry['miss_pct']:.0f}%")
        values["weeks"].append(str(entry["weeks"]))
        values["target"].append(f"{entry['target']:,.0f}")
    return Hits(owners=owners, values=values)


CHECK = Check(
    "review-due",
    "owner",
    run,
    doc="one finding per rep whose wins over the stored weeks miss the plan for them by more than {pct}% (needs quotas and history)",
    requires=lambda p: [("owner",)],
    placeholders=("won", "plan_to_date", "miss_pct", "weeks", "target"),
    params=("pct",),
)
