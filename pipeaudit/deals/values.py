"""Cell values → typed columns, column-wise (dates: deals/dates.py).

Exports repeat values a lot, so every parser factorizes the column, parses the distinct values
once (with vectorized pandas string/regex/to_datetime work) and maps the result back by code.
Each parser returns (parsed, bad): `bad` is True where a cell is non-blank but unreadable; the
parsed value there is NA. Blank cells are NA and never bad. Nothing is ever evaluated.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from pipeaudit.arrowtext import arrow_of
from pipeaudit.deals.cells import _factorize, _is_blank_num, _kinds, _nfkc, _spread, _strings  # noqa: F401

# ---------------------------------------------------------------------------- amounts

#: Past the int64 range no amount is a deal's: a typo or a broken cell, kept and reported as
#: unreadable rather than summed (float64 would hold it, but totals and history could not).
MAX_AMOUNT = float(2**63)
MAX_COUNT = 2**53

_CURRENCY = re.compile(r"^(?:¥|\$|€|£|us\$|usd|cny|rmb|eur|人民币)|(?:¥|\$|€|£|usd|cny|rmb|eur|人民币)$", re.I)
_AMOUNT = re.compile(
    r"^(?P<sign>[+-]?)(?P<num>\d+(?:\.\d*)?|\.\d+)(?:e(?P<exp>[+-]?\d+))?"
    r"(?P<scale>万亿|百万|千万|万|亿|千|k|m|mm|mn|w|b|bn)?(?P<yuan>元)?$",
    re.I,
)
_SCALES = {
    "万": 1e4, "w": 1e4, "亿": 1e8, "万亿": 1e12, "千": 1e3, "k": 1e3, "百万": 1e6, "千万": 1e7,
    "m": 1e6, "mm": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9,
}


def _amount_strings(t: pd.Series, multiplier: float) -> pd.Series:
    """Normalised amount strings → floats (NaN where unreadable).

    A cell's own unit wins over the header's: "15万" in a 万元 column is 150000, and "12元" there
    is 12. Only a plain number (or one with a currency mark alone) takes the header multiplier.
    """
    t = t.str.replace(r"[\s,']", "", regex=True)
    neg_paren = t.str.match(r"^\(.*\)$")
    t = t.where(~neg_paren, t.str.slice(1, -1))
    lead_minus = t.str.startswith("-")
    t = t.str.replace(r"^[+-](?=[^\d.+-])", "", regex=True)  # "-¥5,000": sign before the currency mark
    for _ in range(2):  # currency before and/or after: "USD1,200", "1200USD", "¥15万"
        t = t.str.replace(_CURRENCY, "", regex=True)
    m = t.str.extract(_AMOUNT)
    num = pd.to_numeric(m["num"], errors="coerce")
    exp = pd.to_numeric(m["exp"], errors="coerce").fillna(0)
    num = num * np.power(10.0, exp)
    scale = m["scale"].str.lower().map(_SCALES).astype("float64")
    scale = scale.where(scale.notna() | m["yuan"].isna(), 1.0)
    factor = scale.fillna(multiplier)
    sign = np.where((m["sign"] == "-") | neg_paren | lead_minus, -1.0, 1.0)
    return (num * factor * sign).astype("float64")


def parse_amounts(s: pd.Series, multiplier: float = 1.0) -> tuple[pd.Series, pd.Series]:
    """Money: 15万, 1.2亿, currency marks, 1,200,000.00, 1.5k, (1,000); the header unit scales plain numbers."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        vals = s.astype("float64") * multiplier
        wild = ~np.isfinite(vals.to_numpy()) & vals.notna().to_numpy() | (vals.abs() >= MAX_AMOUNT).to_numpy()
        return vals.mask(wild), pd.Series(wild, index=s.index)
    codes, u = _factorize(s)
    res = pd.Series(np.nan, index=u.index, dtype="float64")
    blank = np.zeros(len(u), dtype=bool)
    if len(u):
        is_str, is_num, _, _ = _kinds(u)
        if is_num.any():
            n = u[is_num].astype("float64")
            blank[is_num] = n.isna().to_numpy()
            res.loc[n.index] = n * multiplier
        if is_str.any():
            t = _strings(u, is_str).astype(str)
            blank[is_str] = (t == "").to_numpy()
            plain = t.str.match(r"^-?\d+(?:\.\d+)?$")  # fast path: plain numbers need no regex work
            if plain.any():
                res.loc[t.index[plain]] = pd.to_numeric(t[plain], errors="coerce").astype("float64") * multiplier
            rest = t[~plain.to_numpy()]
            if len(rest):
                res.loc[rest.index] = _amount_strings(rest, multiplier)
        arr = res.to_numpy()
        with np.errstate(invalid="ignore"):
            res[~np.isfinite(arr) | (np.abs(arr) >= MAX_AMOUNT)] = np.nan
    bad_u = res.isna().to_numpy() & ~blank
    values = pd.Series(_spread(codes, res.to_numpy(), np.nan), index=s.index, dtype="float64")
    bad = pd.Series(_spread(codes, bad_u, False), index=s.index)
    return values, bad


# ---------------------------------------------------------------------------- booleans

_TRUE = {
    "是", "有", "已确认", "确认", "已", "对", "y", "yes", "true", "t", "√", "✓", "✔", "1", "ok",
    "已完成", "完成", "已确定", "确定",
}
_FALSE = {
    "否", "无", "未确认", "未", "不", "没有", "n", "no", "false", "f", "×", "✗", "✘", "x", "0",
    "未完成", "未确定", "待确认",
}
_BOOLS = {**{w: True for w in _TRUE}, **{w: False for w in _FALSE}}


def parse_bools(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Yes/no flags: 是/否, 有/无, 已确认/未确认, Y/N, yes/no, true/false, √/×, ✓/✗, 1/0."""
    codes, u = _factorize(s)
    vals = np.zeros(len(u), dtype=bool)
    known = np.zeros(len(u), dtype=bool)
    blank = np.zeros(len(u), dtype=bool)
    if len(u):
        is_str, is_num, is_bool, _ = _kinds(u)
        if is_bool.any():
            vals[is_bool] = u[is_bool].astype(bool).to_numpy()
            known[is_bool] = True
        if is_num.any():
            n = u[is_num].astype("float64").to_numpy()
            blank[is_num] = np.isnan(n)
            vals[is_num] = n == 1
            known[is_num] = (n == 1) | (n == 0)
        if is_str.any():
            t = _strings(u, is_str).str.casefold().str.replace(r"\s+", "", regex=True)
            blank[is_str] = (t == "").to_numpy()
            mapped = t.map(_BOOLS)
            known[is_str] = mapped.notna().to_numpy()
            vals[is_str] = mapped.fillna(False).astype(bool).to_numpy()
    row_vals = _spread(codes, vals, False)
    row_known = _spread(codes, known, False)
    bad = ~row_known & ~_spread(codes, blank, True)
    arr = pd.arrays.BooleanArray(row_vals, ~row_known)
    return pd.Series(arr, index=s.index), pd.Series(bad, index=s.index)


# ---------------------------------------------------------------------------- probability


def parse_probability(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Win probability as 0..1. With a % sign it is a percent; without, values > 1 are percents
    (75 → 0.75) and values ≤ 1 are fractions (0.75 → 0.75, so a bare 1 means 100%)."""
    codes, u = _factorize(s)
    res = pd.Series(np.nan, index=u.index, dtype="float64")
    blank = np.zeros(len(u), dtype=bool)
    if len(u):
        is_str, is_num, _, _ = _kinds(u)
        num = pd.Series(np.nan, index=u.index, dtype="float64")
        pct = pd.Series(False, index=u.index)
        if is_num.any():
            n = u[is_num].astype("float64")
            blank[is_num] = n.isna().to_numpy()
            num.loc[n.index] = n
        if is_str.any():
            t = _strings(u, is_str).astype(str).str.replace(r"\s+", "", regex=True)
            blank[is_str] = (t == "").to_numpy()
            m = t.str.extract(r"^(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))(?P<pct>%)?$")
            num.loc[t.index] = pd.to_numeric(m["num"], errors="coerce")
            pct.loc[t.index] = m["pct"].notna().to_numpy()
        as_pct = pct | (num > 1)
        val = num.where(~as_pct, num / 100.0)
        ok = (num >= 0) & (num <= 100) & val.between(0, 1)
        res = val.where(ok)
    bad_u = res.isna().to_numpy() & ~blank
    values = pd.Series(_spread(codes, res.to_numpy(dtype="float64"), np.nan), index=s.index, dtype="float64")
    bad = pd.Series(_spread(codes, bad_u, False), index=s.index)
    return values, bad


# ---------------------------------------------------------------------------- text and classes


def _text_of(v: object) -> object:
    if v is None or isinstance(v, float) and v != v:
        return None
    if isinstance(v, str):
        t = v.strip()
        return t or None
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))  # an ID read from Excel as 1001.0 is "1001"
    if isinstance(v, _dt.datetime):
        return v.isoformat(sep=" ") if (v.hour or v.minute or v.second) else v.date().isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    return str(v).strip() or None


def clean_text(s: pd.Series) -> pd.Series:
    """Text as object dtype: stripped str, blank → None; numbers/dates rendered plainly."""
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:  # the CSV reader's str columns
        return pd.Series(_clean_arrow_text(s), index=s.index, dtype=object, copy=False)
    if s.dtype == object and len(s) > 2 * _DISTINCT_SAMPLE:
        # Mostly distinct text (IDs, names): trimming each cell costs less than hashing them all.
        cells = s.to_numpy()
        sample = cells[:_DISTINCT_SAMPLE]
        if len(set(sample)) * 2 > len(sample) and pd.api.types.infer_dtype(cells, skipna=True) == "string":
            vals = np.array([(v.strip() or None) if isinstance(v, str) else None for v in cells], dtype=object)
            return pd.Series(vals, index=s.index, dtype=object, copy=False)
    codes, u = _factorize(s)
    if pd.api.types.infer_dtype(u, skipna=False) == "string":
        t = u.str.strip()
        vals = t.where(t != "", None).to_numpy(dtype=object)
    else:
        vals = np.array([_text_of(v) for v in u], dtype=object)
    return pd.Series(_spread(codes, vals, None), index=s.index, dtype=object, copy=False)


def _clean_arrow_text(s: pd.Series) -> np.ndarray:
    """clean_text of an Arrow-backed str column, in Arrow's kernels (same trimming as str.strip).

    A column of repeated values (owners, stages) is dictionary-encoded first: only its distinct
    values are trimmed and become Python strings, and equal cells share one object. A column of
    mostly distinct values (IDs, names) is converted directly, which costs less than hashing it.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = arrow_of(s.array)

    def cleaned(values):  # trimmed, "" -> null, as an object array with None
        t = pc.utf8_trim_whitespace(values)
        t = pc.if_else(pc.equal(t, ""), pa.scalar(None, t.type), t)
        return t.to_numpy(zero_copy_only=False)

    sample = arr.slice(0, _DISTINCT_SAMPLE)
    if len(arr) > 2 * _DISTINCT_SAMPLE and pc.count_distinct(sample).as_py() * 2 > len(sample):
        return cleaned(arr)
    encoded = pc.dictionary_encode(arr)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return _spread(codes, cleaned(encoded.dictionary), None)


#: Values sampled from the top of a text column to tell IDs and names from repeated values.
_DISTINCT_SAMPLE = 4096

_CLASS = re.compile(r"^(?:class|grade|等级|级别)?[\s:\-]*([abcdx])(?:[\s\-]*(?:类|级|class|grade|类商机|级商机))?$", re.I)


def parse_deal_class(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Deal class A/B/C/D/X from "A", "A类", "a级", "Class A", "A-class"; anything else is bad."""
    text = clean_text(s)
    codes, u = _factorize(text)
    out = np.empty(len(u), dtype=object)
    if len(u):
        t = u.astype(str).map(_nfkc)
        m = t.str.extract(_CLASS)[0].str.upper()
        out[:] = [v if isinstance(v, str) else None for v in m]
    bad_u = np.array([v is None for v in out], dtype=bool)
    values = pd.Series(_spread(codes, out, None), index=s.index, dtype=object)
    bad = pd.Series(_spread(codes, bad_u, False), index=s.index)
    return values, bad


def parse_count(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whole non-negative counts (close-date changes, days in stage, contacts; derived columns in
    rule examples). A negative, fractional or absurdly large count is unreadable."""
    amounts, bad = parse_amounts(s)
    with np.errstate(invalid="ignore"):
        whole = amounts.notna() & (amounts == np.floor(amounts.fillna(0))) & (amounts >= 0) & (amounts < MAX_COUNT)
    bad = bad | (amounts.notna() & ~whole)
    return amounts.where(whole).astype("Int64"), bad


from pipeaudit.deals.dates import parse_dates  # noqa: E402 - re-exported: parse_* live here

PARSERS: dict[str, Callable[..., tuple[pd.Series, pd.Series]]] = {
    "date": parse_dates,
    "amount": parse_amounts,
    "bool": parse_bools,
    "probability": parse_probability,
    "class": parse_deal_class,
    "count": parse_count,
}
