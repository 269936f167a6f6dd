"""What condition operators read: the kinds of fields, and each deals column as numpy arrays.

`Env` is one evaluation: the deals frame, the as-of date, the rule's params and a cache, so a
column is converted once per run however many rules read it. Text columns are worked on per
distinct value (pipeaudit.codes) and indexed back; a field the export lacks reads as blank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipeaudit.arrowtext import arrow_of, arrow_text
from pipeaudit.model import DERIVED, FIELDS

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: Meta columns of Deals.frame a rule may name, with the kind used for validation.
META_KINDS: dict[str, str] = {
    "phase": "count",
    "stage_rank": "count",
    "status": "text",
    "stage_known": "bool",
    "on_hold": "bool",
    "row": "count",
}
#: Their labels for `pipeaudit rules fields` are the text catalogue's meta_column.<name>;
#: model.META_COLUMNS has the dtypes.
KIND_OF: dict[str, str] = {
    **{k: v.kind for k, v in FIELDS.items()},
    **{k: v.kind for k, v in DERIVED.items()},
    **META_KINDS,
}
NUMERIC_KINDS = {"amount", "probability", "count"}
TEXT_KINDS = {"id", "text", "stage", "class"}

@dataclass(frozen=True)
class ParamRef:
    """A value written as "{name}": read from the rule's params when the rule runs."""

    name: str



@dataclass
class Env:
    """What operators read: the frame, the as-of date and the rule's params (plus a cache)."""

    frame: "pd.DataFrame"
    as_of: Any  # pandas Timestamp
    params: dict[str, Any] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.frame.columns

    def value(self, v: Any) -> Any:
        return self.params[v.name] if isinstance(v, ParamRef) else v



# ---- column access ---------------------------------------------------------------------


def false_mask(env: Env):
    import numpy as np

    return np.zeros(len(env.frame), dtype=bool)


def blank_mask(env: Env, name: str):
    key = ("blank", name)
    if key not in env.cache:
        import numpy as np

        if not env.has(name):
            env.cache[key] = np.ones(len(env.frame), dtype=bool)
        else:
            s = env.frame[name]
            if KIND_OF.get(name) in TEXT_KINDS and (s.dtype == object or str(s.dtype) == "str"):
                found = text_codes(env, name) if ("factorize", name) not in env.cache else None
                if found is not None:  # no str copy of the column kept for this alone (peak memory)
                    codes, distinct = found
                    blank_u = _blank_texts(distinct)
                else:
                    codes, uniques = factorized(env, name)
                    blank_u = uniques.str.strip().eq("").to_numpy(dtype=bool, na_value=True)
                env.cache[key] = np.append(blank_u, True)[codes]  # code -1: missing, blank too
            else:
                env.cache[key] = s.isna().to_numpy(dtype=bool)
    return env.cache[key]


def _blank_texts(distinct) -> "np.ndarray":
    """Is each text blank once trimmed? The kernels of a str Series' .str.strip().eq(""), on an
    object array of str, without building the Series."""
    import numpy as np
    import pyarrow.compute as pc

    text = arrow_text(distinct)
    blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(text), ""), True)
    return np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)


def text_codes(env: Env, name: str):
    """(codes, distinct values as an object array) of an object text column, or None, once per run.

    Code -1 = missing. Cells are grouped by shared object (pipeaudit.codes), so a text may appear
    under two codes; everything built on this maps per code, which that does not change.
    """
    key = ("text_codes", name)
    if key not in env.cache:
        from pipeaudit.codes import factorized_text

        s = env.frame[name]
        env.cache[key] = factorized_text(s) if s.dtype == object else None
    return env.cache[key]


def factorized(env: Env, name: str):
    """(codes, uniques as str Series): text operators work on the distinct values, then index back."""
    key = ("factorize", name)
    if key not in env.cache:
        import pandas as pd

        found = text_codes(env, name)
        if found is not None:
            codes, distinct = found
            env.cache[key] = (codes, pd.Series(arrow_text(distinct), dtype="str"))  # zero-copy wrap
        else:
            codes, uniques = pd.factorize(env.frame[name], use_na_sentinel=True)
            env.cache[key] = (codes, pd.Series(uniques, dtype=object).astype("str"))
    return env.cache[key]


def folded_uniques(env: Env, name: str):
    """(codes, the distinct values trimmed and case-folded as a str Series), once per run: every
    text comparison of a column (equals, in, class, contains_any) starts from these."""
    key = ("folded", name)
    if key not in env.cache:
        codes, uniques = factorized(env, name)
        env.cache[key] = (codes, casefolded(uniques.str.strip()))
    return env.cache[key]


#: Text made only of these characters has no case but ASCII's: ASCII, CJK symbols and punctuation,
#: common CJK ideographs, and the full-width forms but the capital letters Ａ-Ｚ.
_NO_CASE_BUT_ASCII = r"^[\x{01}-\x{7F}\x{3000}-\x{303F}\x{4E00}-\x{9FA5}\x{FF01}-\x{FF20}\x{FF3B}-\x{FFEF}]*$"


def casefolded_reference(t: "pd.Series") -> "pd.Series":
    """A str Series case-folded, the plain way (Python's str.casefold on every value)."""
    return t.str.casefold()


def casefolded(t: "pd.Series") -> "pd.Series":
    """casefolded_reference, with the values that have no case but ASCII's lower-cased in Arrow.

    A fast path (tests/test_casefold.py holds it to the reference on every character of the
    ranges it takes and on fixed examples): folding such a value is ASCII lower-casing; every
    other value is folded by the reference.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(t) == 0 or not hasattr(t.array, "__arrow_array__"):
        return casefolded_reference(t)
    text = arrow_of(t.array)
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        return casefolded_reference(t)
    simple = pc.fill_null(pc.match_substring_regex(text, _NO_CASE_BUT_ASCII), True)
    out = pc.ascii_lower(text)
    other = np.flatnonzero(~np.asarray(simple.to_numpy(zero_copy_only=False), dtype=bool))
    if len(other):
        rest = casefolded_reference(t.iloc[other]).to_numpy(dtype=object, na_value=None)
        out = pc.replace_with_mask(out, pc.invert(simple), pa.array(rest, type=out.type, from_pandas=True))
    import pandas as pd

    return pd.Series(pd.array(out, dtype=t.dtype), index=t.index)


def text_isin(env: Env, name: str, values) -> "np.ndarray":
    """Trimmed, case-folded value is one of `values` (computed once per distinct value)."""
    import numpy as np

    codes, folded = folded_uniques(env, name)
    hit_u = folded.isin(list(values)).to_numpy(dtype=bool, na_value=False)
    hit_u = np.append(hit_u, False)  # code -1 (NA) indexes the appended False
    return hit_u[codes]


def text_map(env: Env, name: str, fn) -> "np.ndarray":
    """Apply a vectorized str function to the distinct values; bool mask per deal."""
    import numpy as np

    codes, folded = folded_uniques(env, name)
    hit_u = np.append(fn(folded).to_numpy(dtype=bool, na_value=False), False)
    return hit_u[codes]


def numbers(env: Env, name: str):
    """The column as float64 (NaN where blank or unreadable; all NaN when the export lacks it)."""
    import numpy as np

    key = ("num", name)
    if key not in env.cache:
        import pandas as pd

        if not env.has(name):
            env.cache[key] = np.full(len(env.frame), np.nan)
        else:
            s = env.frame[name]
            if s.dtype == bool or str(s.dtype) == "boolean":
                s = s.astype("Float64")
            env.cache[key] = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return env.cache[key]


def days_from(env: Env, name: str):
    """as_of − date in whole calendar days (float, NaN for NaT); a time of day is ignored."""
    import numpy as np

    key = ("days", name)
    if key not in env.cache:
        import pandas as pd

        days = pd.to_datetime(env.frame[name], errors="coerce").to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        as_of = np.datetime64(env.as_of.date(), "D")
        out = (as_of - days).astype("timedelta64[D]").astype(np.float64)
        out[np.isnat(days)] = np.nan
        env.cache[key] = out
    return env.cache[key]


def compare(values, cmps: dict[str, Any], env: Env, scale: float = 1.0):
    import numpy as np

    m = np.ones(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        for k, bound in cmps.items():
            b = float(env.value(bound)) * scale
            if k == "gt":
                m &= values > b
            elif k == "ge":
                m &= values >= b
            elif k == "lt":
                m &= values < b
            else:
                m &= values <= b
    return m
