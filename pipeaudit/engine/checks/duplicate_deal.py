"""duplicate-deal: two open deals that are most likely one (entered twice, or split by accident).

Likely the same deal: the same deal id, or the same deal name at the same account with the same
amount (compared as weekly.match compares deals across weeks: NFKC, spaces collapsed, case-folded).
A name and an account alone are not enough: "MES一期" twice at one customer with 49万 and 15万 is
two projects, and flagging it would bury the real copies. Both copies are
flagged, each naming the other's row, because either may be the one to keep; the amount counted
twice is what makes this a pipeline problem and not a typing one.
"""

from __future__ import annotations

from pipeaudit.engine.checks.base import Check, CheckInput, Hits
from pipeaudit.i18n import t


def _key(frame):
    """One identity per deal: the id where there is one, else name + account; None when neither."""
    from pipeaudit.dealkeys import id_key, name_key

    import numpy as np

    ids, names = id_key(frame).tolist(), name_key(frame).tolist()
    return np.array([f"id:{i}" if i is not None else (f"name:{n}" if n is not None else None)
                     for i, n in zip(ids, names)], dtype=object), np.array(names, dtype=object)


def _same_amount(names, frame):
    """name + account + the amount (to the cent): a deal entered twice carries its amount along."""
    import numpy as np
    import pandas as pd

    if "amount" not in frame.columns:
        return names
    cents = pd.to_numeric(frame["amount"], errors="coerce").round(2).tolist()
    return np.array([None if n is None else f"{n}\x1f{'' if c != c else c}" for n, c in zip(names.tolist(), cents)],
                    dtype=object)


def _pairs(keys, candidates, rows):
    """For each candidate deal whose key another candidate shares: (position, the other's row, the
    size of the group), from one sort over the repeated keys only (no loop per group)."""
    import numpy as np
    import pandas as pd

    pos = np.flatnonzero(candidates & pd.notna(keys))
    if len(pos) < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    frame = pd.DataFrame({"key": keys[pos], "pos": pos, "row": rows[pos]})
    frame = frame[frame["key"].duplicated(keep=False)].sort_values(["key", "row"], kind="stable")
    if frame.empty:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    g = frame.groupby("key", sort=False)["row"]
    first, size = g.transform("first"), g.transform("size")
    nth = g.cumcount().to_numpy()
    second = frame["key"].map(pd.Series(frame["row"].to_numpy()[nth == 1], index=frame["key"].to_numpy()[nth == 1]))
    other = np.where(nth == 0, second.to_numpy(), first.to_numpy())
    return frame["pos"].to_numpy(dtype=np.int64), other.astype(np.int64), size.to_numpy(dtype=np.int64)


def run(given: CheckInput) -> Hits:
    import numpy as np

    frame = given.deals.frame
    rows = frame["row"].to_numpy(dtype=np.int64) if "row" in frame.columns else np.arange(len(frame)) + 2
    candidates = np.asarray(given.applies, dtype=bool)
    found: dict[int, tuple[int, int]] = {}
    # by id (else name + account), then by name + account between deals whose ids differ
    by_id, names = _key(frame)
    for keys in (by_id, _same_amount(names, frame)):
        for p, other, size in zip(*(a.tolist() for a in _pairs(keys, candidates, rows))):
            if p not in found or size > found[p][1]:
                found[p] = (other, size)
    pos = np.array(sorted(found), dtype=np.int64)
    lang = given.lang
    text = [
        t("text.row", lang, row=str(found[p][0]))
        + (t("duplicate.more", lang, more=found[p][1] - 2) if found[p][1] > 2 else "")
        for p in pos.tolist()
    ]
    return Hits(positions=pos, values={"other_rows": np.array(text, dtype=object)})


CHECK = Check(
    "duplicate-deal",
    "deal",
    run,
    doc="open deals with the same deal id, or the same deal name at the same account: likely one deal entered twice",
    requires=lambda p: [("deal_id", "deal")],
    placeholders=("other_rows",),
)
