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
from pipeaudit.i18n import filler


def _codes(frame, name, pos):
    """Normalised key codes of a column at positions `pos` (-1: none; all -1 without the column)."""
    import numpy as np

    from pipeaudit.engine.keycodes import normalised_codes

    if name not in frame.columns:
        return np.full(len(pos), -1, dtype=np.int64)
    return normalised_codes(frame[name].iloc[pos])


def _joint(*parts):
    """One code per combination of the parts' codes (-1 in the first part: -1)."""
    import numpy as np
    import pandas as pd

    codes = np.zeros(len(parts[0]), dtype=np.int64)
    for part in parts:
        joined, _ = pd.factorize(codes * (int(part.max(initial=-1)) + 2) + (part + 1))
        codes = joined.astype(np.int64)
    return np.where(parts[0] < 0, -1, codes)


def _keys(frame, pos):
    """Two identities per candidate deal as codes (-1: none), as dealkeys would key them:
    the id where there is one, else name + account; and name + account + the amount to the cent
    (a deal entered twice carries its amount along)."""
    import numpy as np
    import pandas as pd

    ids, names, accounts = (_codes(frame, c, pos) for c in ("deal_id", "deal", "account"))
    name_acc = _joint(names, accounts)
    by_id = np.where(ids >= 0, 2 * ids, np.where(name_acc >= 0, 2 * name_acc + 1, -1))
    if "amount" not in frame.columns:
        return by_id, name_acc
    cents = pd.to_numeric(frame["amount"].iloc[pos], errors="coerce").round(2)
    cents = cents.to_numpy(dtype=np.float64, na_value=np.nan)
    # the float's bits: -0.0 is not 0.0 (as their str() differ); every NaN is one "no amount"
    bits = np.where(np.isnan(cents), np.int64(-1), cents.view(np.int64))
    cent_codes, _ = pd.factorize(bits)
    return by_id, _joint(name_acc, cent_codes.astype(np.int64))


def _pairs(keys, rows):
    """For each deal whose key another shares: (its index in keys, the other's row, the size of
    the group); the other is the group's first row, or its second for the first itself."""
    import numpy as np

    idx = np.flatnonzero(keys >= 0)
    order = idx[np.lexsort((rows[idx], keys[idx]))]
    k = keys[order]
    start = np.ones(len(k), dtype=bool)
    start[1:] = k[1:] != k[:-1]
    group = np.cumsum(start) - 1
    first_at = np.flatnonzero(start)
    size = np.diff(np.append(first_at, len(k)))[group]
    nth = np.arange(len(k)) - first_at[group]
    dup = size > 1
    first_row = rows[order[first_at[group]]]
    second_row = rows[order[np.minimum(first_at[group] + 1, len(k) - 1)]]
    other = np.where(nth == 0, second_row, first_row)
    return order[dup], other[dup].astype(np.int64), size[dup].astype(np.int64)


def run(given: CheckInput) -> Hits:
    import numpy as np

    frame = given.deals.frame
    rows = frame["row"].to_numpy(dtype=np.int64) if "row" in frame.columns else np.arange(len(frame)) + 2
    cand = np.flatnonzero(np.asarray(given.applies, dtype=bool))
    found: dict[int, tuple[int, int]] = {}
    # by id (else name + account), then by name + account + amount between deals whose ids differ
    for keys in _keys(frame, cand):
        for i, other, size in zip(*(a.tolist() for a in _pairs(keys, rows[cand]))):
            p = int(cand[i])
            if p not in found or size > found[p][1]:
                found[p] = (other, size)
    pos = np.array(sorted(found), dtype=np.int64)
    # looked up once, filled per finding: a million lookups would take seconds
    row_text, more_text = filler("text.row", given.lang), filler("duplicate.more", given.lang)
    texts = [
        row_text(row=other) + (more_text(more=size - 2) if size > 2 else "")
        for other, size in (found[p] for p in pos.tolist())
    ]
    return Hits(positions=pos, values={"other_rows": np.array(texts, dtype=object)})


CHECK = Check(
    "duplicate-deal",
    "deal",
    run,
    doc="open deals with the same deal id, or the same deal name at the same account: likely one deal entered twice",
    requires=lambda p: [("deal_id", "deal")],
    placeholders=("other_rows",),
)
