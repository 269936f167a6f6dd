"""Last week against this week: prev_* columns for the rules, and the pipeline waterfall.

The waterfall is over the OPEN pipeline amount (NaN or non-finite amounts count as 0; sums are done
in integer cents so the identity holds exactly):
  start      open amount last week
  new        this week's open deals with no open match last week (new, or reopened), at today's amount
  increased  open both weeks: amount rises, summed
  decreased  open both weeks: amount cuts, summed (positive number)
  won        open last week, won this week, at last week's amount
  lost       open last week, lost this week, at last week's amount
  removed    open last week, gone from this export, at last week's amount
  end        open amount this week
  start + new + increased - decreased - won - lost - removed = end
Per owner, a deal that changed hands while open also moves `transfer_out` (old owner, last week's
amount) and `transfer_in` (new owner, same amount); they cancel for the team, and each owner's
identity adds transfer_in and subtracts transfer_out.

Beside the sums, `named_changes` says WHICH deals moved, computed once here from the same match
and the same masks: new, gone, won, lost, slipped (with the days pushed), advanced and regressed,
each with its amount, owner and stage. The report, `check` text and JSON all read these lists
from changes["deals"], so they cannot disagree with the waterfall's counts. Each list keeps the
largest deals first, at most NAMED_PER_OWNER per rep (the count and sum are of every deal).

Last week may come from an export (--baseline) or from the history store (--history); either way
it arrives here as a Deals table, read and normalised exactly like this week's.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import TYPE_CHECKING, Any

from pipeaudit.weekly.match import match, match_quality

if TYPE_CHECKING:
    import pandas as pd

    from pipeaudit.model import Deals

#: Fields copied from the matched row of last week into DERIVED prev_* columns.
PREV_COLUMNS: dict[str, str] = {
    "stage": "prev_stage",
    "phase": "prev_phase",
    "stage_rank": "prev_stage_rank",
    "amount": "prev_amount",
    "close_date": "prev_close_date",
    "deal_class": "prev_deal_class",
}
TERMS: tuple[str, ...] = ("start", "new", "increased", "decreased", "won", "lost", "removed", "end")
NO_OWNER = "(none)"
#: The named lists, in the order they are shown.
CHANGE_KINDS: tuple[str, ...] = ("new", "gone", "won", "lost", "slipped", "advanced", "regressed")
NAMED_PER_OWNER = 50  # deals named per rep and kind; the count and amount cover them all
_MAX_AMOUNT = 1e15  # a hostile 1e308 must not overflow the cent sums


def add_prev_columns(deals: "Deals", previous: "pd.DataFrame", pos: Any, *, same_ladder: bool = True) -> "Deals":
    """Deals with DERIVED prev_* columns from the matched rows (missing where unmatched).

    `pos` is match()'s answer: for each deal, its row in `previous` or -1. A column last week's
    data lacks stays absent, so a rule that needs it is skipped, not silent. stage_rank is only
    comparable on the same ladder; otherwise prev_stage_rank is left out and rules fall back to
    the ladder-neutral phase. An empty previous week gives all-missing columns of the right type.
    """
    import numpy as np

    frame = deals.frame
    pos = np.asarray(pos, dtype=np.int64)
    new_cols = {}
    for src, dst in PREV_COLUMNS.items():
        if src not in previous.columns or (dst == "prev_stage_rank" and not same_ladder):
            continue
        # reindex by position: -1 is no label, so unmatched deals get the dtype's own missing value
        taken = previous[src].reset_index(drop=True).reindex(pos)
        if taken.dtype == object:
            taken = taken.where(taken.notna(), None)
        taken.index = frame.index
        new_cols[dst] = taken
    out = frame.drop(columns=[c for c in new_cols if c in frame.columns]).assign(**new_cols)
    return dataclasses.replace(deals, frame=out)


def _cents(frame: "pd.DataFrame") -> "Any":
    import numpy as np
    import pandas as pd

    if "amount" not in frame.columns:
        return np.zeros(len(frame), dtype=np.int64)
    a = pd.to_numeric(frame["amount"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    a = np.where(np.isfinite(a), np.clip(a, -_MAX_AMOUNT, _MAX_AMOUNT), 0.0)
    return np.rint(a * 100).astype(np.int64)


def _status(frame: "pd.DataFrame") -> "Any":
    import numpy as np

    if "status" not in frame.columns:
        return np.full(len(frame), "open", dtype=object)
    return frame["status"].astype(object).fillna("open").to_numpy()


def _owners(frame: "pd.DataFrame") -> "Any":
    import numpy as np

    if "owner" not in frame.columns:
        return np.full(len(frame), NO_OWNER, dtype=object)
    return frame["owner"].astype(object).where(frame["owner"].notna(), NO_OWNER).to_numpy(dtype=object)


def _progress(frame: "pd.DataFrame", col: str) -> "Any":
    import numpy as np
    import pandas as pd

    if col not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def waterfall(current: "pd.DataFrame", previous: "pd.DataFrame", pos: Any = None) -> dict[str, Any]:
    """Team and per-owner waterfall plus change counts; the identity is asserted before returning."""
    import numpy as np
    import pandas as pd

    if pos is None:
        pos = match(current, previous).to_numpy()
    pos = np.asarray(pos, dtype=np.int64)
    hit = pos >= 0
    safe = pos.clip(min=0)
    a, b = _cents(current), _cents(previous)
    cs, ps = _status(current), _status(previous)
    co, po = _owners(current), _owners(previous)
    c_open, p_open = cs == "open", ps == "open"
    m_prev_open = hit & (p_open[safe] if len(previous) else np.zeros(len(current), dtype=bool))
    cont = c_open & m_prev_open  # open both weeks (current positions)
    new = c_open & ~m_prev_open
    b_m = np.where(hit, b[safe] if len(previous) else 0, 0)
    delta = np.where(cont, a - b_m, 0)
    prev_owner_m = np.where(hit, po[safe] if len(previous) else NO_OWNER, NO_OWNER)
    moved_hands = cont & (prev_owner_m != co)

    # fate of last week's open deals, by previous position
    fate = np.full(len(previous), "removed", dtype=object)
    fate[pos[hit]] = cs[hit]
    won, lost, removed = p_open & (fate == "won"), p_open & (fate == "lost"), p_open & (fate == "removed")

    cur_terms = pd.DataFrame(
        {
            "owner": co,
            "new": np.where(new, a, 0),
            "increased": np.where(delta > 0, delta, 0),
            "decreased": np.where(delta < 0, -delta, 0),
            "transfer_in": np.where(moved_hands, b_m, 0),
            "end": np.where(c_open, a, 0),
        }
    )
    prev_terms = pd.DataFrame(
        {
            "owner": po,
            "start": np.where(p_open, b, 0),
            "won": np.where(won, b, 0),
            "lost": np.where(lost, b, 0),
            "removed": np.where(removed, b, 0),
        }
    )
    out_terms = pd.DataFrame({"owner": prev_owner_m[moved_hands], "transfer_out": b_m[moved_hands]})

    # counts
    rank_c, rank_p = _progress(current, "stage_rank"), _progress(previous, "stage_rank")
    ph_c, ph_p = _progress(current, "phase"), _progress(previous, "phase")
    rp = np.where(hit, rank_p[safe] if len(previous) else np.nan, np.nan)
    php = np.where(hit, ph_p[safe] if len(previous) else np.nan, np.nan)
    use_rank = ~np.isnan(rank_c) & ~np.isnan(rp)
    up = np.where(use_rank, rank_c > rp, ph_c > php) & cont
    down = np.where(use_rank, rank_c < rp, ph_c < php) & cont
    cd_c = _dates(current)
    cd_p_all = _dates(previous)
    cd_p = np.where(hit, cd_p_all[safe] if len(previous) else np.datetime64("NaT"), np.datetime64("NaT"))
    slipped = cont & ~np.isnat(cd_c) & ~np.isnat(cd_p) & (cd_c > cd_p)
    cur_counts = pd.DataFrame(
        {
            "owner": co,
            "deals_now": c_open,
            "new_deals": new,
            "moved_forward": up,
            "moved_back": down,
            "slipped": slipped,
            "amount_up": cont & (delta > 0),
            "amount_down": cont & (delta < 0),
        }
    )
    prev_counts = pd.DataFrame(
        {"owner": po, "deals_then": p_open, "won_deals": won, "lost_deals": lost, "gone_deals": removed}
    )

    money = pd.concat(
        [cur_terms.groupby("owner").sum(), prev_terms.groupby("owner").sum(), out_terms.groupby("owner").sum()], axis=1
    ).fillna(0).astype("int64")
    counts = pd.concat([cur_counts.groupby("owner").sum(), prev_counts.groupby("owner").sum()], axis=1).fillna(0).astype("int64")
    for col in (*TERMS, "transfer_in", "transfer_out"):
        if col not in money.columns:
            money[col] = 0

    def lhs(row: Any) -> Any:
        return (
            row["start"] + row["new"] + row["increased"] - row["decreased"] + row["transfer_in"]
            - row["transfer_out"] - row["won"] - row["lost"] - row["removed"]
        )

    by_owner_ok = (lhs(money) == money["end"]).all()
    team_cents = money.sum()
    team_ok = lhs(team_cents) == team_cents["end"] and team_cents["transfer_in"] == team_cents["transfer_out"]
    if not (by_owner_ok and team_ok):  # an invariant, not a user error: a bug if it ever fails
        raise AssertionError("pipeline waterfall does not reconcile")

    def money_dict(row: Any, with_transfers: bool) -> dict[str, float]:
        names = (*TERMS, "transfer_in", "transfer_out") if with_transfers else TERMS
        return {k: int(row[k]) / 100 for k in names}

    count_names = list(counts.columns)
    team = money_dict(team_cents, False)
    team["counts"] = {k: int(counts[k].sum()) for k in count_names}
    by_owner = {}
    for owner in sorted(set(money.index) | set(counts.index), key=str):
        entry = money_dict(money.loc[owner], True) if owner in money.index else dict.fromkeys(TERMS, 0.0)
        entry["counts"] = {k: int(counts.at[owner, k]) if owner in counts.index else 0 for k in count_names}
        by_owner[str(owner)] = entry
    return {"team": team, "by_owner": by_owner}


def _dates(frame: "pd.DataFrame") -> "Any":
    import numpy as np
    import pandas as pd

    if "close_date" not in frame.columns:
        return np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[ns]")
    return pd.to_datetime(frame["close_date"], errors="coerce").to_numpy(dtype="datetime64[ns]")


def _text(frame: "pd.DataFrame", col: str) -> "Any":
    import numpy as np

    if col not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    s = frame[col]
    return s.astype(object).where(s.notna(), None).to_numpy(dtype=object)


def _iso(values: "Any") -> list[str | None]:
    import numpy as np

    return [None if np.isnat(v) else str(v)[:10] for v in values]


def named_changes(current: "pd.DataFrame", previous: "pd.DataFrame", pos: Any) -> dict[str, Any]:
    """Which deals moved, by kind: {kind: {"count", "amount", "deals": [{deal, deal_id, account,
    owner, amount, stage, prev_stage, close_date, prev_close_date, days}]}}.

    Uses the masks of `waterfall` (open both weeks, statuses, stage rank or phase, close dates),
    so counts agree with changes["team"]["counts"]. Amounts: today's for new, advanced, regressed
    and slipped deals; last week's for gone, won and lost ones (what left the pipeline).
    """
    import numpy as np
    import pandas as pd

    pos = np.asarray(pos, dtype=np.int64)
    hit = pos >= 0
    safe = pos.clip(min=0)
    has_prev = len(previous) > 0
    cs, ps = _status(current), _status(previous)
    c_open, p_open = cs == "open", ps == "open"
    m_prev_open = hit & (p_open[safe] if has_prev else np.zeros(len(current), dtype=bool))
    cont = c_open & m_prev_open
    rank_c, rank_p = _progress(current, "stage_rank"), _progress(previous, "stage_rank")
    ph_c, ph_p = _progress(current, "phase"), _progress(previous, "phase")
    rp = np.where(hit, rank_p[safe] if has_prev else np.nan, np.nan)
    php = np.where(hit, ph_p[safe] if has_prev else np.nan, np.nan)
    use_rank = ~np.isnan(rank_c) & ~np.isnan(rp)
    with np.errstate(invalid="ignore"):
        up = np.where(use_rank, rank_c > rp, ph_c > php) & cont
        down = np.where(use_rank, rank_c < rp, ph_c < php) & cont
    cd_c, cd_p_all = _dates(current), _dates(previous)
    cd_p = np.where(hit, cd_p_all[safe] if has_prev else np.datetime64("NaT"), np.datetime64("NaT"))
    slipped = cont & ~np.isnat(cd_c) & ~np.isnat(cd_p) & (cd_c > cd_p)
    days = np.where(slipped, (cd_c - cd_p).astype("timedelta64[D]").astype(np.int64), 0)
    fate = np.full(len(previous), "removed", dtype=object)
    fate[pos[hit]] = cs[hit]

    cur = {"deal": _text(current, "deal"), "deal_id": _text(current, "deal_id"), "account": _text(current, "account"),
           "owner": _owners(current), "amount": _cents(current) / 100, "stage": _text(current, "stage"),
           "close_date": _iso(cd_c)}
    prev_stage_c = np.where(hit, _text(previous, "stage")[safe] if has_prev else None, None)
    prv = {"deal": _text(previous, "deal"), "deal_id": _text(previous, "deal_id"), "account": _text(previous, "account"),
           "owner": _owners(previous), "amount": _cents(previous) / 100, "stage": _text(previous, "stage"),
           "close_date": _iso(cd_p_all)}
    kinds = {
        "new": (cur, c_open & ~m_prev_open, None),
        "gone": (prv, p_open & (fate == "removed"), None),
        "won": (prv, p_open & (fate == "won"), None),
        "lost": (prv, p_open & (fate == "lost"), None),
        "slipped": (cur, slipped, "slipped"),
        "advanced": (cur, up, "moved"),
        "regressed": (cur, down, "moved"),
    }
    out: dict[str, Any] = {}
    for kind, (cols, mask, extra) in kinds.items():
        at = np.flatnonzero(mask)
        amounts = cols["amount"][at]
        frame = pd.DataFrame({"at": at, "owner": cols["owner"][at], "amount": amounts})
        # largest first, then in the export's order; at most NAMED_PER_OWNER per rep
        frame = frame.sort_values(["amount", "at"], ascending=[False, True], kind="stable")
        frame = frame[frame.groupby("owner", sort=False).cumcount() < NAMED_PER_OWNER]
        deals = []
        for i in frame["at"].tolist():
            entry = {k: (None if cols[k][i] is None else cols[k][i]) for k in ("deal", "deal_id", "account", "stage")}
            entry["owner"] = "" if cols["owner"][i] == NO_OWNER else str(cols["owner"][i])
            entry["amount"] = float(cols["amount"][i])
            entry["close_date"] = cols["close_date"][i]
            if extra == "slipped":
                entry["prev_close_date"] = None if np.isnat(cd_p[i]) else str(cd_p[i])[:10]
                entry["days"] = int(days[i])
            if extra == "moved":
                entry["prev_stage"] = prev_stage_c[i]
            deals.append(entry)
        out[kind] = {"count": int(len(at)), "amount": round(float(amounts.sum()), 2), "deals": deals}
    return out


def compare(deals: "Deals", previous: "Deals", *, source: str, as_of: date | None) -> tuple["Deals", dict]:
    """This week's deals with prev_* columns, and the changes (waterfall and match count) since `previous`."""
    pos = match(deals.frame, previous.frame).to_numpy()
    enriched = add_prev_columns(deals, previous.frame, pos, same_ladder=previous.ladder == deals.ladder)
    changes = waterfall(deals.frame, previous.frame, pos)
    changes["deals"] = named_changes(deals.frame, previous.frame, pos)
    changes = {
        "baseline": {
            "source": source, "as_of": as_of.isoformat() if as_of else None, "matched": int((pos >= 0).sum()),
            **match_quality(deals.frame, previous.frame, pos),
        },
        **changes,
    }
    return enriched, changes
