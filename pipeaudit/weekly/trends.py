"""Trends across the stored weeks: the series the report draws for the team and each rep.

Pure: it reads frames and counts handed to it and returns plain lists (the pipeline reads the
store, read-only, and passes this week's deals in memory, stored or not). Per week, for the last
MAX_WEEKS weeks up to the as-of date:

    open_amount   open pipeline amount (blank or non-finite amounts count 0)
    open_deals    open deals
    a, b          open A- and B-class deals
    errors        error findings of that week's run (recorded by `report`, or `check --record`);
                  None for a week whose run did not record them
    slips         open deals whose close date moved later than in the week before (matched by
                  weekly.match's key); None for the first week shown, which has no week before
    coverage      open amount / the sum of the quotas (a ratio), None without quotas

A rep's series cover the weeks in which the rep had a deal; a week without counts stays None, so
a chart shows a gap instead of a false zero.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from pipeaudit.weekly.match import deal_key

if TYPE_CHECKING:
    import pandas as pd

MAX_WEEKS = 12
MIN_WEEKS = 2  # a trend needs two points
SERIES = ("open_amount", "open_deals", "a", "b", "errors", "slips", "coverage")


def _prepare(frame: "pd.DataFrame", as_of: date) -> "pd.DataFrame":
    """The columns a trend reads, with the week and the deal key."""
    import numpy as np
    import pandas as pd

    n = len(frame)
    status = frame["status"].astype(object).fillna("open") if "status" in frame.columns else pd.Series("open", index=frame.index)
    amount = pd.to_numeric(frame["amount"], errors="coerce") if "amount" in frame.columns else pd.Series(np.nan, index=frame.index)
    amount = amount.where(np.isfinite(amount.to_numpy(dtype="float64", na_value=np.nan)), 0.0).fillna(0.0)
    cls = (frame["deal_class"].astype(object).where(frame["deal_class"].notna(), "").astype(str).str.strip().str.upper()
           .str[:1] if "deal_class" in frame.columns else pd.Series("", index=frame.index))
    owner = (frame["owner"].astype(object).where(frame["owner"].notna(), "").astype(str).str.strip()
             if "owner" in frame.columns else pd.Series("", index=frame.index))
    close = (pd.to_datetime(frame["close_date"], errors="coerce") if "close_date" in frame.columns
             else pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]"))
    key = frame["key"] if "key" in frame.columns else deal_key(frame)
    return pd.DataFrame({
        "as_of": [as_of] * n, "key": key.to_numpy(dtype=object), "owner": owner.to_numpy(dtype=object),
        "open": status.eq("open").to_numpy(dtype=bool), "amount": amount.to_numpy(dtype="float64"),
        "cls": cls.to_numpy(dtype=object), "close": close.to_numpy(dtype="datetime64[ns]"),
    })


def weekly_trends(stored: "pd.DataFrame", current: "pd.DataFrame", as_of: date,
                  counts: dict[tuple[date, str], tuple[int, int, int]],
                  targets: dict[str, float] | None = None, max_weeks: int = MAX_WEEKS) -> dict[str, Any] | None:
    """{"weeks": [iso dates], "team": {series: [values]}, "by_owner": {owner: {series: [values]}}},
    or None with fewer than MIN_WEEKS weeks.

    `stored`: store rows (as_of, key, fields) of the weeks before `as_of`; `current`: this week's
    Deals.frame; `counts`: (week, owner) -> (errors, warnings, infos), this week's included.
    """
    import pandas as pd

    weeks = sorted({d.date() if hasattr(d, "date") else d for d in pd.to_datetime(stored["as_of"]).tolist()}
                   if len(stored) else set())
    weeks = [w for w in weeks if w < as_of][-(max_weeks - 1):] + [as_of]
    if len(weeks) < MIN_WEEKS:
        return None
    parts = []
    for w in weeks[:-1]:
        rows = stored[pd.to_datetime(stored["as_of"]).dt.date == w]
        parts.append(_prepare(rows.reset_index(drop=True), w))
    parts.append(_prepare(current.reset_index(drop=True), as_of))
    owners = sorted({o for p in parts for o in p["owner"].unique()})
    targets = targets or {}
    team_target = sum(v for v in targets.values() if v and v > 0) or None
    team: dict[str, list] = {k: [] for k in SERIES}
    by_owner: dict[str, dict[str, list]] = {o: {k: [] for k in SERIES} for o in owners}
    previous = None
    for w, p in zip(weeks, parts):
        op = p[p["open"]]
        slipped = _slips(previous, p) if previous is not None else None
        g = op.groupby("owner")
        stats = pd.DataFrame({
            "open_amount": g["amount"].sum(), "open_deals": g.size(),
            "a": g["cls"].apply(lambda s: int((s == "A").sum())), "b": g["cls"].apply(lambda s: int((s == "B").sum())),
        })
        week_counts = {o: c for (d, o), c in counts.items() if d == w}
        recorded = bool(week_counts)
        for o in owners:
            row = stats.loc[o] if o in stats.index else None
            series = by_owner[o]
            series["open_amount"].append(float(row["open_amount"]) if row is not None else 0.0)
            series["open_deals"].append(int(row["open_deals"]) if row is not None else 0)
            series["a"].append(int(row["a"]) if row is not None else 0)
            series["b"].append(int(row["b"]) if row is not None else 0)
            series["errors"].append(int(week_counts.get(o, (0, 0, 0))[0]) if recorded else None)
            series["slips"].append(int(slipped.get(o, 0)) if slipped is not None else None)
            target = targets.get(o)
            series["coverage"].append(round(series["open_amount"][-1] / target, 3) if target else None)
        team["open_amount"].append(float(op["amount"].sum()))
        team["open_deals"].append(int(len(op)))
        team["a"].append(int((op["cls"] == "A").sum()))
        team["b"].append(int((op["cls"] == "B").sum()))
        team["errors"].append(sum(c[0] for c in week_counts.values()) if recorded else None)
        team["slips"].append(sum(slipped.values()) if slipped is not None else None)
        team["coverage"].append(round(team["open_amount"][-1] / team_target, 3) if team_target else None)
        previous = p
    return {"weeks": [w.isoformat() for w in weeks], "team": team, "by_owner": by_owner}


def _slips(before: "pd.DataFrame", now: "pd.DataFrame") -> dict[str, int]:
    """Open deals of `now` (by owner) whose close date is later than in `before`, by deal key."""
    import numpy as np

    a = now[now["open"] & now["key"].notna()].drop_duplicates("key")
    b = before[before["open"] & before["key"].notna()].drop_duplicates("key")[["key", "close"]]
    m = a.merge(b, on="key", how="inner", suffixes=("", "_before"))
    later = ~np.isnat(m["close"].to_numpy()) & ~np.isnat(m["close_before"].to_numpy()) & (
        m["close"].to_numpy() > m["close_before"].to_numpy())
    return m.loc[later].groupby("owner").size().astype(int).to_dict()
