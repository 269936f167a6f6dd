"""duplicate-deal: two open deals that are most likely one (entered twice, or split by accident).

Likely the same deal: the same deal id, or the same deal name at the same account (compared as
weekly.match compares deals across weeks: NFKC, spaces collapsed, case-folded). Both copies are
flagged, each naming the other's row, because either may be the one to keep; the amount counted
twice is what makes this a pipeline problem and not a typing one.
"""

from __future__ import annotations

from pipeaudit.engine.checks.base import Check, CheckInput, Hits


def _key(frame):
    """One identity per deal: the id where there is one, else name + account; None when neither."""
    from pipeaudit.dealkeys import id_key, name_key

    ids, names = id_key(frame), name_key(frame)
    key = ("id:" + ids.astype("string")).fillna("name:" + names.astype("string"))
    return key.astype(object).where(key.notna(), None)


def run(given: CheckInput) -> Hits:
    import numpy as np
    import pandas as pd

    frame = given.deals.frame
    candidates = given.applies.copy()
    key = _key(frame).to_numpy(dtype=object)
    candidates &= pd.notna(key)
    # Same name at the same account also counts between deals that carry different ids.
    from pipeaudit.dealkeys import name_key

    by_name = name_key(frame).to_numpy(dtype=object)
    rows = frame["row"].to_numpy() if "row" in frame.columns else np.arange(len(frame)) + 2
    others: dict[int, list[int]] = {}
    for keys in (key, by_name):
        pos = np.flatnonzero(candidates & pd.notna(keys))
        if len(pos) < 2:
            continue
        repeated = pd.Series(keys[pos]).duplicated(keep=False).to_numpy()
        pos = pos[repeated]  # most deals are unique: group only the few that are not
        if len(pos) == 0:
            continue
        groups = pd.Series(pos).groupby(pd.Series(keys[pos]).to_numpy(), sort=False).agg(list)
        for members in groups:
            for p in members:
                others.setdefault(int(p), [])
                others[int(p)].extend(int(rows[q]) for q in members if q != p)
    pos = np.array(sorted(others), dtype=np.int64)
    sep = "、" if given.lang == "zh" else ", "
    text = [sep.join(str(r) for r in sorted(set(others[p]))[:5]) for p in pos.tolist()]
    return Hits(positions=pos, values={"other_rows": np.array(text, dtype=object)})


CHECK = Check(
    "duplicate-deal",
    "deal",
    run,
    doc="open deals with the same deal id, or the same deal name at the same account: likely one deal entered twice",
    requires=lambda p: [("deal_id", "deal")],
    placeholders=("other_rows",),
)
