"""What makes two rows one deal: its id, else its name at its account, normalised alike.

Week over week (weekly.match) pairs this week's deals with last week's by these keys; within one
export, the duplicate-deal check finds two rows with the same key. One normalisation for both, so
a deal the history calls the same is the deal a duplicate check calls the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def normalise_text(s: "pd.Series") -> "pd.Series":
    """Trimmed, NFKC, case-folded, single-spaced text; blank -> None.

    Worked on the distinct values only, in plain Python (a weekly export repeats its names and
    accounts; five pandas string passes over 100,000 ids cost ten times as much)."""
    import unicodedata

    import numpy as np
    import pandas as pd

    codes, distinct = pd.factorize(s, use_na_sentinel=True)
    out = [" ".join(unicodedata.normalize("NFKC", str(v)).split()).casefold() or None for v in distinct.tolist()]
    table = np.array([*out, None], dtype=object)  # code -1 (missing) picks the last entry
    return pd.Series(table[codes], index=s.index, dtype=object)


def id_key(frame: "pd.DataFrame") -> "pd.Series":
    import pandas as pd

    if "deal_id" not in frame.columns:
        return pd.Series(None, index=frame.index, dtype=object)
    return normalise_text(frame["deal_id"])


def name_key(frame: "pd.DataFrame") -> "pd.Series":
    """deal name + account; None when the deal has no name (an account alone identifies nothing)."""
    import pandas as pd

    if "deal" not in frame.columns:
        return pd.Series(None, index=frame.index, dtype=object)
    name = normalise_text(frame["deal"]).tolist()
    account = normalise_text(frame["account"]).tolist() if "account" in frame.columns else [None] * len(name)
    return pd.Series([None if n is None else f"{n}\x1f{a or ''}" for n, a in zip(name, account)],
                     index=frame.index, dtype=object)
