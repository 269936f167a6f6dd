"""What the stored weeks teach: stage dwell norms, conversion, time to close, forecast accuracy, and
results against plan.

Pure functions over the frames the history store gives (HistoryStore.rows_up_to: one row per deal
and stored week, with as_of and key; HistoryStore.snapshots: each week's ladder and fields), so
they are tested with hand-computed figures and printed by commands/history.py or fed to the
pipeline (learned norms for the aging rule, results for review-due). Every figure says how many
deals it rests on, and a figure resting on too few is marked, never passed off as a norm.

Weeks are the resolution: a deal seen in Proposal on one Monday and in Negotiation the next moved
within those seven days, so dwell times and times to close are multiples of the weeks stored.
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

LEARN_MIN_WEEKS = 4  # fewer stored weeks: no learned norm is used
MIN_SAMPLES = 5  # completed stays a stage needs before its learned norm is used
NORM_PERCENTILE = 80  # the learned norm: 80% of the completed stays were shorter
REVIEW_MIN_WEEKS = 4  # results against plan need at least this many weeks
YEAR_DAYS = 365.0  # a quota is a year's target (the seeds plan a year)


def with_ladders(rows: "pd.DataFrame", weeks: list[dict[str, Any]]) -> "pd.DataFrame":
    """Rows sorted by key and week, with each week's ladder and the rank as a float."""
    import pandas as pd

    ladder_of = {pd.Timestamp(w["as_of"]): w.get("ladder") for w in weeks}
    out = rows.loc[rows["key"].notna()].sort_values(["key", "as_of"], kind="stable").reset_index(drop=True)
    out["ladder"] = out["as_of"].map(ladder_of).astype(object)
    out["rank"] = pd.to_numeric(out["stage_rank"], errors="coerce").astype(float)
    out["status"] = out["status"].astype(object).where(out["status"].notna(), "open")
    return out


def _stage_names(r: "pd.DataFrame") -> dict[tuple[str, int], str]:
    """(ladder, rank) -> the stage as the exports spelled it most often (ties: alphabetical)."""
    names: dict[tuple[str, int], str] = {}
    at = r.loc[r["rank"].notna() & r["stage"].notna()]
    counts = at.groupby(["ladder", "rank", "stage"], dropna=False).size().reset_index(name="n")
    counts = counts.sort_values(["ladder", "rank", "n", "stage"], ascending=[True, True, False, True], kind="stable")
    for ladder, rank, stage in counts[["ladder", "rank", "stage"]].itertuples(index=False):
        names.setdefault((ladder, int(rank)), str(stage))
    return names


# ---- stage dwell -------------------------------------------------------------------------


def stage_stays(rows: "pd.DataFrame", weeks: list[dict[str, Any]]) -> "pd.DataFrame":
    """Every completed stay of a deal in an open stage: ladder, rank, key, entered, left, days.

    A stay is an unbroken run of weeks in one stage (a week the deal is missing does not break
    it). It counts only when both ends were seen: it began after the deal's first stored week, or
    the deal itself first appeared after the history's first week (a new deal), and a later week
    shows the deal elsewhere (another stage, won or lost).
    """
    import numpy as np
    import pandas as pd

    r = with_ladders(rows, weeks)
    cols = ["ladder", "rank", "key", "entered", "left", "days"]
    if r.empty:
        return pd.DataFrame(columns=cols)
    state = np.where(
        r["status"].eq("open") & r["rank"].notna(),
        r["ladder"].astype(str) + "\x1f" + r["rank"].astype(str),
        "closed:" + r["status"].astype(str) + ":" + r["rank"].isna().astype(str),
    )
    state = pd.Series(state, index=r.index)
    first_of_key = r["key"].ne(r["key"].shift())
    run = (first_of_key | state.ne(state.shift())).cumsum()
    runs = pd.DataFrame({
        "key": r["key"], "ladder": r["ladder"], "rank": r["rank"], "open": r["status"].eq("open"),
        "start": r["as_of"], "first": first_of_key, "run": run,
    }).groupby("run").agg(
        key=("key", "first"), ladder=("ladder", "first"), rank=("rank", "first"), open=("open", "first"),
        start=("start", "first"), first=("first", "first"),
    )
    runs["left"] = runs["start"].shift(-1).where(runs["key"].shift(-1).eq(runs["key"]))
    history_start = r["as_of"].min()
    key_first = r.groupby("key")["as_of"].min()
    new_deal = runs["key"].map(key_first).gt(history_start)
    keep = runs["open"] & runs["rank"].notna() & runs["left"].notna() & (~runs["first"] | new_deal)
    out = runs.loc[keep, ["ladder", "rank", "key", "start", "left"]].rename(columns={"start": "entered"})
    out["rank"] = out["rank"].astype(int)
    out["days"] = (out["left"] - out["entered"]).dt.days.astype(int)
    return out.reset_index(drop=True)[cols]


def percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), so tests can work it by hand:
    position (n - 1) * pct / 100 in the sorted values."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * pct / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def dwell_norms(rows: "pd.DataFrame", weeks: list[dict[str, Any]], *, min_samples: int = MIN_SAMPLES) -> dict[str, Any]:
    """Median and 80th percentile of the completed stays per ladder and stage, and the norm each gives.

    A stage's norm (whole days, the 80th percentile rounded up) is only usable when the history
    holds LEARN_MIN_WEEKS weeks and the stage `min_samples` completed stays; `enough` says so.
    """
    stays = stage_stays(rows, weeks)
    names = _stage_names(with_ladders(rows, weeks)) if len(rows) else {}
    n_weeks = len(weeks)
    ladders: dict[str, list[dict[str, Any]]] = {}
    for (ladder, rank), group in stays.groupby(["ladder", "rank"], sort=True):
        days = [float(d) for d in group["days"]]
        p80 = percentile(days, NORM_PERCENTILE)
        enough = n_weeks >= LEARN_MIN_WEEKS and len(days) >= min_samples
        ladders.setdefault(str(ladder), []).append({
            "rank": int(rank), "stage": names.get((ladder, int(rank)), f"#{int(rank)}"), "samples": len(days),
            "median": percentile(days, 50), "p80": p80, "norm": math.ceil(p80) if enough else None, "enough": enough,
        })
    return {
        "weeks": n_weeks, "min_weeks": LEARN_MIN_WEEKS, "min_samples": min_samples,
        "enough_weeks": n_weeks >= LEARN_MIN_WEEKS, "ladders": ladders,
    }


def config_stage_norms(cfg: Any) -> dict[str, dict[int, tuple[float, str]]]:
    """The config's `norms:` ({ladder: {stage: days}}, stages already checked) by stage rank."""
    from pipeaudit.deals.stages import all_ladders

    ladders = all_ladders(cfg)
    return {
        name: {ladders[name].open.index(stage): (float(days), "config") for stage, days in stages.items()}
        for name, stages in (cfg.norms or {}).items() if name in ladders
    }


def learned_stage_norms(norms: dict[str, Any]) -> dict[str, dict[int, tuple[float, str]]]:
    """The usable learned norms in RunFacts.stage_norms' shape."""
    return {
        ladder: {s["rank"]: (float(s["norm"]), "learned") for s in stages if s["enough"]}
        for ladder, stages in norms["ladders"].items()
    }


# ---- conversion and time to close ----------------------------------------------------------


def conversion(rows: "pd.DataFrame", weeks: list[dict[str, Any]]) -> dict[str, Any]:
    """Per stage, of the deals seen in it: how many later reached a further stage or were won
    (advanced), how many were lost without advancing, and advanced / reached; team and per rep
    (the deal's latest owner)."""
    import numpy as np
    import pandas as pd

    r = with_ladders(rows, weeks)
    if r.empty:
        return {"team": [], "by_owner": {}}
    names = _stage_names(r)
    rev = r.iloc[::-1]
    later_rank = rev.groupby(["key", "ladder"], dropna=False)["rank"].transform(
        lambda s: s.shift().cummax().ffill()).iloc[::-1]
    won = r["status"].eq("won").astype(float)
    later_won = won.iloc[::-1].groupby(r["key"].iloc[::-1]).transform(lambda s: s.shift().cummax().ffill()).iloc[::-1]
    last = r.groupby("key").tail(1).set_index("key")
    seen = r.assign(later_rank=later_rank, later_won=later_won.fillna(0) > 0)
    seen = seen.loc[seen["status"].eq("open") & seen["rank"].notna()].drop_duplicates(["key", "ladder", "rank"])
    advanced = (seen["later_rank"] > seen["rank"]).fillna(False) | seen["later_won"]
    lost = ~advanced & seen["key"].map(last["status"]).eq("lost")
    owner = seen["key"].map(last["owner"]).astype(object).where(lambda s: s.notna(), "")
    table = pd.DataFrame({"owner": owner, "ladder": seen["ladder"], "rank": seen["rank"].astype(int),
                          "advanced": advanced.astype(int), "lost": lost.astype(int)})

    def stages(part: "pd.DataFrame") -> list[dict[str, Any]]:
        out = []
        for (ladder, rank), g in part.groupby(["ladder", "rank"], sort=True, dropna=False):
            reached, adv, lst = len(g), int(g["advanced"].sum()), int(g["lost"].sum())
            out.append({
                "ladder": None if ladder is None or (isinstance(ladder, float) and np.isnan(ladder)) else str(ladder),
                "rank": int(rank), "stage": names.get((ladder, int(rank)), f"#{int(rank)}"),
                "reached": reached, "advanced": adv, "lost": lst, "still": reached - adv - lst,
                "conversion": adv / reached if reached else None,
            })
        return out

    return {"team": stages(table), "by_owner": {str(o): stages(g) for o, g in table.groupby("owner", sort=True)}}


def time_to_close(rows: "pd.DataFrame", weeks: list[dict[str, Any]]) -> dict[str, Any]:
    """Deals seen open and later closed: won, lost, win rate, and days from start to the week first
    seen won (start: the created date, else the first week seen when the deal appeared after the
    history began; deals open since before it have no known start and are left out of the days)."""
    import pandas as pd

    r = with_ladders(rows, weeks)
    if r.empty:
        return {"team": _close_stats([], 0, 0), "by_owner": {}}
    history_start = r["as_of"].min()
    seen_open = r.loc[r["status"].eq("open")].groupby("key")["as_of"].min()
    closed = r.loc[r["status"].isin(["won", "lost"]) & r["key"].isin(seen_open.index)]
    first_closed = closed.groupby("key").head(1).set_index("key")
    first_seen = r.groupby("key")["as_of"].min()
    created = r.groupby("key")["created"].first() if "created" in r.columns else pd.Series(dtype="datetime64[ns]")
    per: dict[str, dict[str, list]] = {}
    for key, row in first_closed.iterrows():
        owner = str(row["owner"]) if row["owner"] is not None and not pd.isna(row["owner"]) else ""
        entry = per.setdefault(owner, {"days": [], "won": [], "lost": []})
        entry[row["status"]].append(key)
        if row["status"] != "won":
            continue
        start = created.get(key)
        if start is None or pd.isna(start):
            start = first_seen[key] if first_seen[key] > history_start else None
        if start is not None:
            entry["days"].append(float((row["as_of"] - pd.Timestamp(start)).days))
    team_days = [d for e in per.values() for d in e["days"]]
    team_won = sum(len(e["won"]) for e in per.values())
    team_lost = sum(len(e["lost"]) for e in per.values())
    return {
        "team": _close_stats(team_days, team_won, team_lost),
        "by_owner": {o: _close_stats(e["days"], len(e["won"]), len(e["lost"])) for o, e in sorted(per.items())},
    }


def _close_stats(days: list[float], won: int, lost: int) -> dict[str, Any]:
    return {
        "won": won, "lost": lost, "win_rate": won / (won + lost) if won + lost else None,
        "measured": len(days), "median_days": percentile(days, 50) if days else None,
    }


# ---- forecast accuracy -----------------------------------------------------------------------


def forecast_accuracy(
    rows: "pd.DataFrame", weeks: list[dict[str, Any]], as_of: date, *, weeks_back: int = 4,
    basis: str = "auto", tolerance: float = 0.15,
) -> dict[str, Any]:
    """What each rep called `weeks_back` weeks ago against what was won since.

    Called: open deals in Commit (basis "commit": the forecast category) or A-class (basis
    "class") in the latest stored week at least `weeks_back` weeks before `as_of` (both mean
    "signs within about four weeks"). Won: first seen won in a later stored week up to `as_of`.
    Over-calling: the called amount not won exceeds `tolerance` of the called amount;
    under-calling: deals not called but won exceed `tolerance` of it. "auto" takes the forecast
    category when the call week's export had one with values, else the deal class.
    """
    import pandas as pd

    from pipeaudit.forecast import categories

    r = with_ladders(rows, weeks)
    cutoff = pd.Timestamp(as_of) - pd.Timedelta(days=7 * weeks_back)
    stored = sorted({pd.Timestamp(w["as_of"]) for w in weeks if pd.Timestamp(w["as_of"]) <= pd.Timestamp(as_of)})
    call = max((w for w in stored if w <= cutoff), default=None)
    head: dict[str, Any] = {"weeks_back": weeks_back, "tolerance": tolerance, "weeks": len(stored)}
    if call is None:
        return {**head, "too_short": True, "call_week": None, "end_week": stored[-1].date().isoformat() if stored else None}
    end = stored[-1]
    then = r.loc[r["as_of"].eq(call) & r["status"].eq("open")]
    fields = next((w.get("fields") or [] for w in weeks if pd.Timestamp(w["as_of"]) == call), [])
    has_cat = "forecast_category" in then.columns and then["forecast_category"].notna().any()
    has_class = "deal_class" in then.columns and then["deal_class"].notna().any()
    if basis == "auto":
        basis = "commit" if has_cat and "forecast_category" in fields else "class"
    if (basis == "commit" and not has_cat) or (basis == "class" and not has_class):
        return {**head, "too_short": False, "missing": "forecast_category" if basis == "commit" else "deal_class",
                "basis": basis, "call_week": call.date().isoformat(), "end_week": end.date().isoformat()}
    called = categories(then["forecast_category"]).eq("commit") if basis == "commit" else then["deal_class"].astype(object).eq("A")
    later = r.loc[(r["as_of"] > call) & (r["as_of"] <= end) & r["status"].eq("won")].groupby("key").head(1).set_index("key")
    won_amount = then["key"].map(pd.to_numeric(later["amount"], errors="coerce")).fillna(0.0)
    is_won = then["key"].isin(later.index)
    amount = pd.to_numeric(then["amount"], errors="coerce").fillna(0.0)
    owner = then["owner"].astype(object).where(then["owner"].notna(), "")
    table = pd.DataFrame({"owner": owner, "called": called.to_numpy(dtype=bool), "won": is_won, "amount": amount,
                          "won_amount": won_amount})

    def entry(t: "pd.DataFrame") -> dict[str, Any]:
        c, w = t.loc[t["called"]], t.loc[t["won"]]
        called_amt, called_won_amt = float(c["amount"].sum()), float(c.loc[c["won"], "won_amount"].sum())
        uncalled_won_amt = float(w.loc[~w["called"], "won_amount"].sum())
        over = called_amt > 0 and called_won_amt < (1 - tolerance) * called_amt
        under = uncalled_won_amt > tolerance * called_amt if called_amt > 0 else uncalled_won_amt > 0
        verdict = ("mixed" if over and under else "over-calling" if over else "under-calling" if under
                   else "nothing called" if called_amt == 0 else "on target")
        return {
            "called": {"count": int(len(c)), "amount": called_amt},
            "called_won": {"count": int(c["won"].sum()), "amount": called_won_amt},
            "uncalled_won": {"count": int((~w["called"]).sum()), "amount": uncalled_won_amt},
            "accuracy": called_won_amt / called_amt if called_amt else None,
            "over_called": max(called_amt - called_won_amt, 0.0), "under_called": uncalled_won_amt,
            "verdict": verdict,
        }

    return {
        **head, "too_short": False, "basis": basis, "call_week": call.date().isoformat(),
        "end_week": end.date().isoformat(), "team": entry(table),
        "by_owner": {str(o): entry(g) for o, g in table.groupby("owner", sort=True)},
    }


# ---- results against plan -------------------------------------------------------------------


def results_vs_plan(
    rows: "pd.DataFrame", current: "pd.DataFrame", as_of: date, targets: dict[str, float],
    *, min_weeks: int = REVIEW_MIN_WEEKS,
) -> tuple[dict[str, dict[str, Any]] | None, int]:
    """Per rep: the amount won over the stored weeks against the yearly target's share of them.

    The span runs from the first stored week to `as_of` (this export counts as that week). A deal
    counts as won in the span when it was seen open in an earlier week and won later, or when it
    is won with a close date inside the span. plan = target × span days / 365; miss_pct =
    (plan - won) / plan in percent (negative when ahead). Returns (None, weeks) when fewer than
    `min_weeks` weeks are known; reps are matched to owners by pipeaudit.owners.owner_key.
    """
    import pandas as pd

    from pipeaudit.owners import owner_key
    from pipeaudit.weekly.match import deal_key

    now = pd.DataFrame({
        "as_of": pd.Timestamp(as_of), "key": deal_key(current).to_numpy(dtype=object),
        **{c: current[c].to_numpy() if c in current.columns else None for c in ("owner", "status", "amount", "close_date")},
    })
    earlier = rows.loc[rows["as_of"] < pd.Timestamp(as_of), ["as_of", "key", "owner", "status", "amount", "close_date"]]
    r = pd.concat([earlier, now], ignore_index=True)
    r = r.loc[r["key"].notna()].sort_values(["key", "as_of"], kind="stable")
    r["status"] = r["status"].astype(object).where(r["status"].notna(), "open")
    n_weeks = int(r["as_of"].nunique())
    if n_weeks < min_weeks:
        return None, n_weeks
    start, end = r["as_of"].min(), pd.Timestamp(as_of)
    days = int((end - start).days)
    was_open = r["status"].eq("open").groupby(r["key"]).cummax().groupby(r["key"]).shift().fillna(False).astype(bool)
    won_rows = r.loc[r["status"].eq("won")].assign(was_open=was_open)
    first_won = won_rows.groupby("key").head(1)
    close = pd.to_datetime(first_won["close_date"], errors="coerce")
    counted = first_won.loc[first_won["was_open"] | ((close > start) & (close <= end)).fillna(False)]
    owner = counted["owner"].astype(object).map(lambda o: owner_key(str(o)) if o is not None and not pd.isna(o) else "")
    won_by = pd.to_numeric(counted["amount"], errors="coerce").fillna(0.0).groupby(owner).sum()
    deals_by = owner.value_counts()
    out: dict[str, dict[str, Any]] = {}
    for rep, target in targets.items():
        key = owner_key(rep)
        plan = float(target) * days / YEAR_DAYS
        won = float(won_by.get(key, 0.0))
        out[rep] = {
            "target": float(target), "won": won, "won_deals": int(deals_by.get(key, 0)), "plan": round(plan, 2),
            "miss_pct": round((plan - won) / plan * 100, 1) if plan > 0 else None,
            "weeks": n_weeks, "days": days, "from": start.date().isoformat(), "to": end.date().isoformat(),
        }
    return out, n_weeks
