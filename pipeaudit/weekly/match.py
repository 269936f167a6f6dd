"""Which deal of this week is which deal of an earlier week.

Matching is one-to-one and done with whole-table merges, no per-deal loops:
  1. by deal_id (NFKC, white space collapsed, trimmed, case-folded), where both weeks have one;
  2. the rest by (deal name, account), normalised the same way.
A key that repeats in one week pairs its first occurrence with the other week's first, second with
second, and so on; surplus copies stay unmatched (new / removed).

`deal_key` is the same identity written as one string, which the history store keeps per row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeaudit.dealkeys import id_key, name_key, normalise_text  # noqa: F401 (the keys live there)

if TYPE_CHECKING:
    import pandas as pd


def deal_key(frame: "pd.DataFrame") -> "pd.Series":
    """One stable key per deal for the history store: 'id:<id>' else 'name:<deal>\\x1f<account>'."""
    import pandas as pd

    ids, names = id_key(frame).tolist(), name_key(frame).tolist()
    return pd.Series([f"id:{i}" if i is not None else (f"name:{n}" if n is not None else None)
                      for i, n in zip(ids, names)], index=frame.index, dtype=object)


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


def match_quality(current: "pd.DataFrame", previous: "pd.DataFrame", pos: "Any") -> dict:
    """How well last week was matched: the key the weeks share, last week's open deals and how many
    of them were found this week. `reliable` is False when fewer than half were found: a waterfall
    built on it would report most deals as gone and come back as new, which is not news."""
    import numpy as np

    def has(frame: "pd.DataFrame", name: str) -> bool:
        return name in frame.columns and bool(frame[name].notna().any())

    if has(current, "deal_id") and has(previous, "deal_id"):
        key = "deal_id"
    elif has(current, "deal") and has(previous, "deal"):
        key = "deal+account" if has(current, "account") and has(previous, "account") else "deal"
    else:
        key = None
    status = previous["status"].astype(object).fillna("open").to_numpy() if "status" in previous.columns else None
    prev_open = np.ones(len(previous), dtype=bool) if status is None else status == "open"
    found = np.zeros(len(previous), dtype=bool)
    hits = np.asarray(pos, dtype=np.int64)
    found[hits[hits >= 0]] = True
    total, matched = int(prev_open.sum()), int((found & prev_open).sum())
    return {"key": key, "previous_open": total, "matched_open": matched, "reliable": total == 0 or 2 * matched >= total}
