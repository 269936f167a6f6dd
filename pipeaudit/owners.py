"""One answer to "is this the same rep?", used by every --rep filter, quota lookup and week match.

A rep typed on the command line, written in a quota sheet or stored in last week's export names
the same person when the names agree after Unicode NFKC folding (full-width letters, compatibility
forms), collapsing runs of white space, trimming and case-folding. Every place that compares owner
names calls this module, so "Emma Schulz", " emma  schulz " and "ＥＭＭＡ Schulz" agree everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Iterable

from pipeaudit.errors import ConfigError
from pipeaudit.i18n import both

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from pipeaudit.model import Deals

_SPACES = re.compile(r"\s+")


def owner_key(name: object) -> str:
    """The comparison key of one owner name ("" for a blank or missing name)."""
    if name is None or (isinstance(name, float) and name != name):
        return ""
    text = unicodedata.normalize("NFKC", str(name))
    return _SPACES.sub(" ", text).strip().casefold()


def owner_mask(owners: "pd.Series", rep: str) -> "np.ndarray":
    """Which cells of `owners` name `rep` (computed once per distinct owner, not per deal)."""
    import numpy as np
    import pandas as pd

    want = owner_key(rep)
    codes, distinct = pd.factorize(owners, use_na_sentinel=True)
    hit = np.array([owner_key(v) == want for v in distinct] + [False], dtype=bool)
    return hit[codes]  # code -1 (missing) picks the appended False


def unknown_rep(rep: str, owners: Iterable[object]) -> ConfigError:
    """The error for a --rep that names nobody, with the closest owners as a hint."""
    import difflib

    names = sorted({str(o).strip() for o in owners if owner_key(o)})
    close = difflib.get_close_matches(str(rep).strip()[:200], names, n=5, cutoff=0.4) or names[:5]
    hint = f"; {both('owners.close_names')}: {', '.join(close)}" if close else ""
    return ConfigError(f"--rep {rep!r}: " + both("owners.no_such_rep") + hint)


def select_rep(deals: "Deals", rep: str | None) -> "Deals":
    """Only `rep`'s deals (all of them when rep is None); the problems of dropped deals go too."""
    import dataclasses

    if rep is None:
        return deals
    frame = deals.frame
    if "owner" not in frame.columns:
        return dataclasses.replace(deals, frame=frame.iloc[0:0])
    frame = frame[owner_mask(frame["owner"], rep)]
    problems = deals.problems
    if problems is not None and len(problems) and "index" in problems.columns:
        problems = problems[problems["index"].isin(frame.index)]
    return dataclasses.replace(deals, frame=frame, problems=problems)
