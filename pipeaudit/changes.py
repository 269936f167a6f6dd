"""Week over week: match this export's deals to last week's and account for every yuan that moved.

Matching (one-to-one, whole-table merges, no per-deal loops):
  1. by deal_id (trimmed, NFKC, case-folded), where both weeks have one;
  2. the rest by (deal name, account), normalised the same way and with runs of spaces collapsed.
A key that repeats in one week pairs its first occurrence with the other week's first, second with
second, and so on; surplus copies stay unmatched (new / removed).

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
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
_MAX_AMOUNT = 1e15  # a hostile 1e308 must not overflow the cent sums


def normalise_text(s: "pd.Series") -> "pd.Series":
    """Trimmed, NFKC, case-folded, single-spaced text; blank -> <NA>."""
    out = s.astype("string").str.normalize("NFKC").str.replace(r"\s+", " ", regex=True).str.strip().str.casefold()
    out = out.mask(out.eq("").fillna(False))
    return out.astype(object).where(out.notna(), None)


def id_key(frame: "pd.DataFrame") -> "pd.Series":
    import pandas as pd

    if "deal_id" not in frame.columns:
        return pd.Series(None, index=frame.index, dtype=object)
    return normalise_text(frame["deal_id"])


def name_key(frame: "pd.DataFrame") -> "pd.Series":
    """deal name + account; <NA> when the deal has no name (an account alone identifies nothing)."""
    import pandas as pd

    if "deal" not in frame.columns:
        return pd.Series(None, index=frame.index, dtype=object)
    name = normalise_text(frame["deal"])
    account = normalise_text(frame["account"]) if "account" in frame.columns else pd.Series(None, index=frame.index)
    key = name.astype("string") + "\x1f" + account.astype("string").fillna("")
    return key.astype(object).where(name.notna(), None)


def deal_key(frame: "pd.DataFrame") -> "pd.Series":
    """One stable key per deal for the history store: 'id:<id>' else 'name:<deal>\\x1f<account>'."""
    ids = id_key(frame)
    names = name_key(frame)
    key = ("id:" + ids.astype("string")).fillna("name:" + names.astype("string"))
    return key.astype(object).where(key.notna(), None)


def _pair(cur: "pd.Series", prev: "pd.Series") -> "pd.DataFrame":
    """Positional pairs (cur, prev) of equal keys, k-th occurrence with k-th occurrence."""
    import pandas as pd

    c = pd.DataFrame({"k": cur.to_numpy(dtype=object), "cur": range(len(cur))}).dropna(subset=["k"])
    p = pd.DataFrame({"k": prev.to_numpy(dtype=object), "prev": range(len(prev))}).dropna(subset=["k"])
    c["n"] = c.groupby("k").cumcount()
    p["n"] = p.groupby("k").cumcount()
    return c.merge(p, on=["k", "n"], how="inner")[["cur", "prev"]]


def match(current: "pd.DataFrame", previous: "pd.DataFrame") -> "pd.Series":
    """For each current row (by position), the position of its match last week, or -1."""
    import numpy as np
    import pandas as pd

    out = np.full(len(current), -1, dtype=np.int64)
    by_id = _pair(id_key(current), id_key(previous))
    out[by_id["cur"].to_numpy()] = by_id["prev"].to_numpy()
    taken_prev = np.zeros(len(previous), dtype=bool)
    taken_prev[by_id["prev"].to_numpy()] = True
    free_cur = out < 0
    cur_names = name_key(current).where(pd.Series(free_cur, index=current.index), None)
    prev_names = name_key(previous).where(pd.Series(~taken_prev, index=previous.index), None)
    by_name = _pair(cur_names, prev_names)
    out[by_name["cur"].to_numpy()] = by_name["prev"].to_numpy()
    return pd.Series(out, index=current.index, name="prev_pos")


def add_prev_columns(deals: "Deals", previous: "pd.DataFrame", *, same_ladder: bool = True) -> "Deals":
    """Deals with DERIVED prev_* columns from the matched rows (NA where unmatched).

    A column last week's data lacks stays absent, so a rule that needs it is skipped, not silent.
    stage_rank is only comparable on the same ladder; otherwise prev_stage_rank is left out and
    rules fall back to the ladder-neutral phase.
    """
    import pandas as pd

    frame = deals.frame
    pos = match(frame, previous).to_numpy()
    hit = pos >= 0
    new_cols = {}
    for src, dst in PREV_COLUMNS.items():
        if src not in previous.columns or (dst == "prev_stage_rank" and not same_ladder):
            continue
        col = previous[src]
        taken = col.iloc[pos.clip(min=0)].reset_index(drop=True) if len(previous) else pd.Series([None] * len(frame))
        taken = taken.where(pd.Series(hit), None if col.dtype == object else pd.NA)
        taken.index = frame.index
        new_cols[dst] = taken.astype(col.dtype) if col.dtype != object else taken
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


def compare(deals: "Deals", previous: "Deals | pd.DataFrame", *, source: str, as_of: date | None) -> tuple["Deals", dict]:
    """Enrich `deals` with prev_* columns and build extras["changes"] in one pass."""
    prev_frame = previous.frame if hasattr(previous, "frame") else previous
    same_ladder = getattr(previous, "ladder", deals.ladder) == deals.ladder
    pos = match(deals.frame, prev_frame).to_numpy()
    enriched = add_prev_columns(deals, prev_frame, same_ladder=same_ladder)
    changes = waterfall(deals.frame, prev_frame, pos)
    changes = {
        "baseline": {"source": source, "as_of": as_of.isoformat() if as_of else None, "matched": int((pos >= 0).sum())},
        **changes,
    }
    return enriched, changes


# --------------------------------------------------------------------------------------
# Registered checks for rules/changes.yaml (comparisons between two columns of one deal)
# --------------------------------------------------------------------------------------

from pipeaudit.engine.checks import Hits, register_check  # noqa: E402  (engine.checks is pandas-free)


def _col(frame: "pd.DataFrame", name: str) -> "Any":
    import numpy as np
    import pandas as pd

    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _text_values(frame: "pd.DataFrame", name: str, pos: "Any") -> "Any":
    import numpy as np

    if name not in frame.columns:
        return np.full(len(pos), "", dtype=object)
    col = frame[name].iloc[pos]
    return col.astype(object).where(col.notna(), "").astype(str).to_numpy(dtype=object)


def regressed_mask(frame: "pd.DataFrame") -> "Any":
    """Open deals lower on the ladder than last week: by stage rank when both weeks have one
    (same ladder), else by the ladder-neutral phase. A deal now won or lost is not 'regressed'."""
    import numpy as np

    rank, prev_rank = _col(frame, "stage_rank"), _col(frame, "prev_stage_rank")
    phase, prev_phase = _col(frame, "phase"), _col(frame, "prev_phase")
    by_rank = ~np.isnan(rank) & ~np.isnan(prev_rank)
    with np.errstate(invalid="ignore"):
        return np.where(by_rank, rank < prev_rank, phase < prev_phase)


@register_check(
    "stage-regressed",
    requires=lambda p: [("stage_rank", "phase"), ("prev_stage_rank", "prev_phase")],
    placeholders=("prev_stage",),
    doc="the deal sits lower on its ladder than last week (stage rank on the same ladder, else phase)",
)
def check_stage_regressed(deals: "Deals", applies: "Any", params: dict, env: Any, lang: str) -> Hits:
    import numpy as np

    from pipeaudit.model import PHASE_LABELS, PHASES

    pos = np.flatnonzero(applies & regressed_mask(deals.frame))
    shown = _text_values(deals.frame, "prev_stage", pos)
    phase = _col(deals.frame, "prev_phase")[pos]
    labels = [PHASE_LABELS[PHASES[int(p) - 1]][0 if lang == "zh" else 1] if p == p and 1 <= p <= 5 else "—" for p in phase]
    shown = np.where(shown == "", np.array(labels, dtype=object), shown)
    return Hits(pos, {"prev_stage": shown})


def dropped_mask(frame: "pd.DataFrame", pct: float) -> "Any":
    """Amount cut by pct % or more against a positive amount last week; a blank amount is not a cut."""
    import numpy as np

    now, before = _col(frame, "amount"), _col(frame, "prev_amount")
    with np.errstate(invalid="ignore"):
        return (before > 0) & ~np.isnan(now) & (now <= before * (1 - float(pct) / 100.0) + 1e-9 * before)


@register_check(
    "amount-dropped",
    requires=lambda p: [("amount",), ("prev_amount",)],
    placeholders=("prev_amount", "drop_pct"),
    params=("pct",),
    doc="the amount is at least {pct}% below last week's",
)
def check_amount_dropped(deals: "Deals", applies: "Any", params: dict, env: Any, lang: str) -> Hits:
    import numpy as np

    pct = float(params.get("pct", 20))
    frame = deals.frame
    pos = np.flatnonzero(applies & dropped_mask(frame, pct))
    now, before = _col(frame, "amount")[pos], _col(frame, "prev_amount")[pos]
    drop = np.round((1 - now / before) * 100).astype(np.int64) if len(pos) else np.zeros(0, dtype=np.int64)
    return Hits(
        pos,
        {
            "prev_amount": np.array([f"{v:,.0f}" for v in before], dtype=object),
            "drop_pct": np.array([f"{d}%" for d in drop], dtype=object),
        },
    )


def pipeline_enrich(deals: "Deals", ctx: Any) -> "Deals":
    """pipeline ENRICHERS hook for --baseline: read last week's export like this one and compare."""
    from pipeaudit.errors import ConfigError, InputError
    from pipeaudit.history import only_rep
    from pipeaudit.options import ReadOptions
    from pipeaudit.pipeline import load_deals
    from pipeaudit.read import EXCEL_SUFFIXES

    opts = ctx.opts
    # --sheet names this week's sheet; last week's export may be a CSV, which has none
    sheet = opts.sheet if Path(opts.baseline).suffix.lower() in EXCEL_SUFFIXES else None
    prev_opts = ReadOptions(path=opts.baseline, sheet=sheet, maps=dict(opts.maps), config=opts.config)
    try:
        loaded = load_deals(prev_opts, ctx.cfg)
    except (InputError, ConfigError) as exc:  # say it is last week's file that failed, not this week's
        raise type(exc)(f"--baseline {exc} / 上周的导出文件无法读取") from None
    previous = only_rep(loaded, getattr(opts, "rep", None))
    deals, ctx.extras["changes"] = compare(deals, previous, source=str(opts.baseline), as_of=None)
    return deals
