"""Shared helpers of the value parsers (deals/values.py, deals/dates.py): work on distinct values."""

from __future__ import annotations

import datetime as _dt
import unicodedata

import numpy as np
import pandas as pd


def _factorize(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(codes, distinct values as an object Series); code -1 = missing."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return codes, pd.Series(np.asarray(uniques, dtype=object), dtype=object)


def _spread(codes: np.ndarray, values: np.ndarray, na) -> np.ndarray:
    """Map per-distinct results back to rows; -1 picks the appended NA."""
    return np.append(values, np.array([na], dtype=values.dtype))[codes]


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _kinds(u: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Masks over distinct values: strings, real numbers (not bool), bools, date/datetimes."""
    kind = pd.api.types.infer_dtype(u, skipna=False)  # C-speed for the common uniform columns
    n = len(u)
    yes, no = np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    if kind == "string":
        return yes, no, no, no
    if kind in ("integer", "floating", "mixed-integer-float"):
        return no, yes, no, no
    if kind in ("datetime", "date", "datetime64"):
        return no, no, no, yes
    if kind == "boolean":
        return no, no, yes, no
    types = [type(v) for v in u]
    is_str = np.array([issubclass(t, str) for t in types], dtype=bool)
    is_bool = np.array([issubclass(t, (bool, np.bool_)) for t in types], dtype=bool)
    is_num = np.array(
        [issubclass(t, (int, float, np.integer, np.floating)) for t in types], dtype=bool
    ) & ~is_bool
    is_date = np.array([issubclass(t, (_dt.date, np.datetime64)) for t in types], dtype=bool)
    return is_str, is_num, is_bool, is_date


def _strings(u: pd.Series, mask: np.ndarray) -> pd.Series:
    """The string distinct values, NFKC-normalised and stripped ("" = blank)."""
    t = u[mask].astype(object)
    wide = ~t.map(str.isascii).astype(bool)  # only non-ASCII text can change under NFKC
    if wide.any():
        t = t.where(~wide, t[wide].str.normalize("NFKC"))
    return t.str.strip().astype(object)


def _is_blank_num(v: object) -> bool:
    return isinstance(v, float) and v != v
