"""What the stored weeks teach about this week's deals: since-dates, slips, weeks of history.

From the history store and this export (in memory, stored or not), `derive` fills class_since and
stage_since where the export lacks them (the first week of the current unbroken run in that class
or stage; missing weeks do not break a run), close_slips (how often the close date moved later
between stored weeks), the pushes of the close date (push_stats) and weeks_of_history.

`derive_from_rows` does the same from a frame of stored rows, so the backtest can derive any past
week exactly as a run on that Monday would have.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from pipeaudit.weekly.match import deal_key
from pipeaudit.weekly.store import MIN_WEEKS, HistoryStore

if TYPE_CHECKING:
    import pandas as pd

    from pipeaudit.model import Deals


@dataclass
class Derived:
    weeks: int  # stored weeks up to and including the as-of date
    previous: date | None  # the latest stored week before the as-of date
    filled: list[str]  # columns added or filled from history


def _run_start(hist: "pd.DataFrame", col: str) -> "pd.Series":
    """Per key, the first as_of of the latest unbroken run of equal `col` values."""
    import pandas as pd

    value = hist[col].astype(object).where(hist[col].notna(), "\x00")
    new_run = hist["key"].ne(hist["key"].shift()) | value.ne(value.shift())
    run = new_run.cumsum()
    start = hist["as_of"].groupby(run).transform("min")
    last = ~hist["key"].duplicated(keep="last")
    return pd.Series(start[last].to_numpy(), index=hist.loc[last, "key"].to_numpy())


def _dates(values: "pd.Series", index: "pd.Index") -> "pd.Series":
    """Values as datetime64[ns] (NaT where missing), whatever dtype an empty or all-missing map gave."""
    import pandas as pd

    as_objects = pd.Series(values.to_numpy(dtype=object), index=index)
    return pd.to_datetime(as_objects.where(as_objects.notna(), None), errors="coerce").astype("datetime64[ns]")


def derive(deals: "Deals", store: HistoryStore, as_of: date) -> tuple["Deals", Derived]:
    """Fill class_since / stage_since (where the export lacks them), close_slips, the pushes and
    weeks_of_history, from the stored weeks before `as_of` plus this export (in memory, whether or
    not it was stored). With fewer than MIN_WEEKS weeks nothing is filled, so rules needing these
    columns are skipped rather than fed a guess.
    """
    import pandas as pd

    weeks = len([d for d in store.as_of_dates() if d < as_of]) + 1
    previous = store.latest_before(as_of)
    if weeks < MIN_WEEKS:
        return deals, Derived(weeks, previous, [])
    stored = store.rows_up_to(as_of)
    stored = stored.loc[stored["as_of"] < pd.Timestamp(as_of)]
    out, filled = derive_from_rows(deals, stored, as_of)
    return out, Derived(weeks, previous, filled)


_HIST = ("deal_class", "stage", "close_date", "stage_rank", "phase")


def derive_from_rows(deals: "Deals", stored: "pd.DataFrame", as_of: date) -> tuple["Deals", list[str]]:
    """`derive` over `stored` (rows of earlier weeks, as HistoryStore.rows_up_to gives them)."""
    import pandas as pd

    frame = deals.frame
    keys = deal_key(frame)
    current = pd.DataFrame({"as_of": pd.Timestamp(as_of), "key": keys.to_numpy(dtype=object)})
    for col in _HIST:
        if col in frame.columns:
            current[col] = frame[col].to_numpy()
        elif col == "close_date":
            current[col] = pd.NaT
        else:
            current[col] = None
    current["close_date"] = pd.to_datetime(current["close_date"], errors="coerce").astype("datetime64[ns]")
    hist = pd.concat([stored[["as_of", "key", *_HIST]], current], ignore_index=True)
    hist = hist.loc[hist["key"].notna()].drop_duplicates(["key", "as_of"], keep="first")
    hist = hist.sort_values(["key", "as_of"], kind="stable").reset_index(drop=True)
    filled: list[str] = []
    new_cols: dict[str, Any] = {}
    for since, col in (("class_since", "deal_class"), ("stage_since", "stage")):
        if col not in frame.columns:
            continue
        starts = _run_start(hist, col)
        derived = _dates(starts.reindex(keys.to_numpy()), frame.index).where(frame[col].notna())
        if since in frame.columns:
            existing = _dates(frame[since], frame.index)
            if existing.isna().any():
                new_cols[since] = existing.fillna(derived)
                filled.append(since)
        else:
            new_cols[since] = derived
            filled.append(since)
    if "close_date" in frame.columns:
        cd = hist.groupby("key")["close_date"].ffill()
        before = cd.groupby(hist["key"]).shift()
        slips = (hist["close_date"].notna() & before.notna() & (hist["close_date"] > before)).groupby(hist["key"]).sum()
        new_cols["close_slips"] = keys.map(slips).fillna(0).astype("Int64")
        filled.append("close_slips")
        pushes = push_stats(hist)
        for col in ("last_push_days", "max_push_days", "pushed_days"):
            new_cols[col] = keys.map(pushes[col]).astype("Int64")
        new_cols["slip_recovered"] = keys.map(pushes["slip_recovered"]).astype("boolean")
        filled.extend(("last_push_days", "max_push_days", "pushed_days", "slip_recovered"))
    counts = hist.groupby("key").size()
    new_cols["weeks_of_history"] = keys.map(counts).fillna(0).astype("Int64")
    filled.append("weeks_of_history")
    out = frame.drop(columns=[c for c in new_cols if c in frame.columns]).assign(**new_cols)
    return dataclasses.replace(deals, frame=out), filled


def push_stats(hist: "pd.DataFrame") -> "pd.DataFrame":
    """Per key: last_push_days, max_push_days, pushed_days and slip_recovered (index: key).

    `hist` is sorted by key and as_of. A push is a week whose close date is later than the last
    known one; pull-ins are no pushes. Pushes are tallied from the week the deal last moved
    forward on its ladder (stage rank, else phase): progress wipes the slate. max_push_days is the
    largest single push of that stretch, pushed_days their sum; last_push_days the latest push
    ever. A deal has recovered (slip_recovered) when it was pushed at some point and, since, has
    moved forward or brought its close date back to where the stretch began. Pushes can only be
    seen between stored weeks: a deal pushed twice within one week shows one push.
    """
    import numpy as np
    import pandas as pd

    key = hist["key"]
    first = key.ne(key.shift())
    close = hist["close_date"]
    known = close.groupby(key).ffill()
    before = known.groupby(key).shift()  # the last known close date before this week
    push = (close - before).dt.days.where(close.notna() & before.notna(), 0).clip(lower=0).fillna(0)
    rank = pd.to_numeric(hist["stage_rank"], errors="coerce").astype(float)
    phase = pd.to_numeric(hist["phase"], errors="coerce").astype(float)
    prev_rank, prev_phase = rank.where(~first).shift(), phase.where(~first).shift()
    by_rank = rank.notna() & prev_rank.notna()
    advance = ~first & np.where(by_rank, rank > prev_rank, phase > prev_phase)
    stretch = (first | advance).cumsum()
    base = before.fillna(close).groupby(stretch).transform("first")
    tally = push.groupby(stretch).cumsum()
    largest = push.groupby(stretch).cummax()
    ever = push.groupby(key).cumsum() > 0
    latest = push.where(push > 0).groupby(key).ffill().fillna(0)
    undone = (tally > 0) & known.notna() & base.notna() & (known <= base)
    last = ~key.duplicated(keep="last")
    out = pd.DataFrame(
        {
            "last_push_days": latest[last].astype("int64").to_numpy(),
            "max_push_days": largest[last].astype("int64").to_numpy(),
            "pushed_days": tally[last].astype("int64").to_numpy(),
            "slip_recovered": (ever & ((tally == 0) | undone))[last].to_numpy(dtype=bool),
        },
        index=key[last].to_numpy(),
    )
    return out
