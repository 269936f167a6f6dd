"""Week-over-week changes laid out for the report: the waterfall as rows and as a chart that adds
up, the per-rep terms, and the named deals (weekly.baseline.named_changes) per kind."""

from __future__ import annotations

from typing import Any


def _plain(value: Any) -> Any:
    """numpy scalars as Python values, NaN as None (the generic rows come from unknown shapes)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value

def changes_tables(changes: Any, L: dict[str, str]) -> dict[str, Any] | None:
    """The history engineer's shape (changes.waterfall: team/by_owner terms and counts) laid out as
    tables; anything else falls back to generic (item, value) rows."""
    if changes is None:
        return None
    team = changes.get("team") if isinstance(changes, dict) else None
    if not isinstance(team, dict) or "start" not in team or "end" not in team:
        return {"generic": _changes_rows(changes)}
    lab = lambda k: L.get(f"chg_{k}", k)  # noqa: E731
    terms = [k for k in team if k != "counts" and isinstance(team[k], (int, float))]
    owners = {o: e for o, e in (changes.get("by_owner") or {}).items() if isinstance(e, dict)}
    # A deal that changed hands leaves one rep's pipeline and joins another's: without these two
    # columns a rep's row would not add up (for the team they cancel out).
    transfers = ("transfer_in", "transfer_out")
    moved = any(e.get(k) for e in owners.values() for k in transfers)
    owner_terms = terms
    if moved and "won" in terms:
        at = terms.index("won")
        owner_terms = [*terms[:at], *transfers, *terms[at:]]
    by_owner = []
    for owner, entry in owners.items():
        by_owner.append({"owner": owner, "display": owner or L["no_owner"],
                         "terms": [entry.get(k, 0.0) for k in owner_terms],
                         "counts": [(entry.get("counts") or {}).get(k) for k in (team.get("counts") or {})]})
    baseline = changes.get("baseline") if isinstance(changes.get("baseline"), dict) else {}
    return {
        "generic": None,
        "baseline": " ".join(str(baseline[k]) for k in ("source", "as_of") if baseline.get(k)),
        "waterfall": [{"item": lab(k), "value": team[k], "total": k in ("start", "end")} for k in terms],
        "counts": [{"item": lab(k), "value": v} for k, v in (team.get("counts") or {}).items()],
        "term_labels": [lab(k) for k in owner_terms],  # the columns of a rep's row
        "count_labels": [lab(k) for k in (team.get("counts") or {})],
        "by_owner": by_owner,
    }


def _changes_rows(changes: Any) -> list[dict[str, Any]] | None:
    """Week-over-week changes flattened to (item, value) rows; None when there are none to show."""
    if changes is None:
        return None
    rows: list[dict[str, Any]] = []

    def walk(prefix: str, value: Any, depth: int) -> None:
        if isinstance(value, dict) and depth < 3:
            for k, v in value.items():
                walk(f"{prefix} · {k}" if prefix else str(k), v, depth + 1)
        elif isinstance(value, (list, tuple)):
            rows.append({"item": prefix, "value": len(value)})
        else:
            rows.append({"item": prefix, "value": _plain(value)})

    walk("", changes, 0)
    return rows


#: The waterfall's terms in order: (key, sign); totals have sign 0.
WATERFALL = (("start", 0), ("new", 1), ("increased", 1), ("decreased", -1), ("won", -1), ("lost", -1),
             ("removed", -1), ("end", 0))


def waterfall_steps(changes: Any, L: dict[str, str]) -> list[dict[str, Any]]:
    """The team waterfall as chart steps ({short, label, value, total, sign}); [] without one.
    The terms add up by construction (weekly.baseline asserts it), so the chart does too."""
    team = changes.get("team") if isinstance(changes, dict) else None
    if not isinstance(team, dict) or "start" not in team or "end" not in team:
        return []
    steps = []
    for key, sign in WATERFALL:
        value = team.get(key)
        if not isinstance(value, (int, float)):
            continue
        if sign and not value:
            continue  # a term that did not happen this week: no empty slot in the chart
        steps.append({"short": L.get(f"wf_{key}", key), "label": L.get(f"chg_{key}", key), "value": float(value),
                      "total": sign == 0, "sign": sign or 1})
    return steps
