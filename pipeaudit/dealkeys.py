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
