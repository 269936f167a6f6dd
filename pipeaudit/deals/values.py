"""Cell values → typed columns, column-wise.

Exports repeat values a lot, so every parser factorizes the column, parses the distinct values
once (with vectorized pandas string/regex/to_datetime work) and maps the result back by code.
Each parser returns (parsed, bad): `bad` is True where a cell is non-blank but unreadable; the
parsed value there is NA. Blank cells are NA and never bad. Nothing is ever evaluated.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd

# ---------------------------------------------------------------------------- helpers


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


# ---------------------------------------------------------------------------- dates

_MIN_DATE = pd.Timestamp("1900-01-01")
_MAX_DATE = pd.Timestamp("2200-12-31 23:59:59")
_SERIAL_MIN, _SERIAL_MAX = 1, 2958465

_CJK_DATE = re.compile(r"^(\d{2,4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?(.*)$")
_NUMERIC = re.compile(r"^\d+(?:\.\d+)?$")
_ISO = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?$"

_Y_FIRST = ("ISO8601", "%Y-%m-%d %H:%M:%S.%f")
_NAMED = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%d %b %y", "%b %d %y")


def _serials(values: pd.Series) -> pd.Series:
    """Excel serial day numbers (fractions = time of day) and yyyymmdd integers → datetimes."""
    num = pd.to_numeric(values, errors="coerce").astype("float64")
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    ymd = (num >= 19000101) & (num <= 22001231) & (num == np.floor(num))
    serial = (num >= _SERIAL_MIN) & (num <= _SERIAL_MAX) & ~ymd
    if serial.any():
        days = num[serial]
        ok = days <= 110000  # beyond ~2200 would overflow; they stay NaT and count as bad
        secs = np.round(days[ok].to_numpy() * 86400).astype("int64").astype("timedelta64[s]")
        out.loc[days[ok].index] = (np.datetime64("1899-12-30", "s") + secs).astype("datetime64[ns]")
    if ymd.any():
        out.loc[ymd[ymd].index] = pd.to_datetime(
            num[ymd].astype("int64").astype(str), format="%Y%m%d", errors="coerce"
        )
    return out


def _try_formats(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    todo = text
    for fmt in formats:
        if todo.empty:
            break
        got = pd.to_datetime(todo, format=fmt, errors="coerce")
        hit = got.notna()
        if hit.any():
            out.loc[got[hit].index] = got[hit].astype("datetime64[ns]")
            todo = todo[~hit]
    return out


def _parse_date_strings(t: pd.Series, date_order: str) -> pd.Series:
    """Normalised date strings → datetimes (NaT where unreadable)."""
    # 2026年8月4日 [10:30] → 2026-8-4 [10:30]
    cjk = t.str.contains("年", regex=False)
    if cjk.any():
        t = t.where(~cjk, t[cjk].str.replace(_CJK_DATE, lambda m: f"{m[1]}-{m[2]}-{m[3]} {m[4].strip()}".strip(), regex=True))
    t = t.str.replace(r"\s+", " ", regex=True).str.replace("T", " ", regex=False).str.rstrip("Z")
    out = pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")

    y_first = t.str.match(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s|$)")
    if y_first.any():
        sub = t[y_first].str.replace(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})", r"\1-\2-\3", regex=True)
        out.loc[sub.index] = _try_formats(sub, _Y_FIRST)

    y_last = t.str.match(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}(?:\s|$)")
    if y_last.any():
        sub = t[y_last].str.replace(r"^(\d{1,2})[-.](\d{1,2})[-.](\d{4})", r"\1/\2/\3", regex=True)
        first, second = ("%m", "%d") if date_order == "mdy" else ("%d", "%m")
        base = f"{first}/{second}/%Y"
        out.loc[sub.index] = _try_formats(sub, (base, base + " %H:%M", base + " %H:%M:%S"))

    named = t.str.contains(r"[A-Za-z]{3}", regex=True) & ~y_first & ~y_last
    if named.any():
        sub = t[named].str.replace(r"[-,/.]", " ", regex=True).str.replace(r"\s+", " ", regex=True).str.strip()
        out.loc[sub.index] = _try_formats(sub, _NAMED)

    # Digits as text are a serial only from 10000 (1927) on: "2026" in a CSV is a year, not 1905.
    numeric = t.str.match(_NUMERIC) & ~y_first & ~y_last
    numeric &= pd.to_numeric(t.where(numeric, "0"), errors="coerce").fillna(0).ge(10000)
    if numeric.any():
        out.loc[t[numeric].index] = _serials(t[numeric])
    return out


def parse_dates(s: pd.Series, date_order: str = "mdy") -> tuple[pd.Series, pd.Series]:
    """Dates from real date cells, Excel serials, ISO, 2026/8/4, 2026年8月4日, 8/4/2026, 4-Aug-2026."""
    if date_order not in ("mdy", "dmy"):
        raise ValueError(f"date_order must be mdy or dmy, not {date_order!r}")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        vals = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        vals = vals.astype("datetime64[ns]")
        return vals, pd.Series(False, index=s.index)
    codes, u = _factorize(s)
    res = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
    blank = np.zeros(len(u), dtype=bool)
    if len(u):
        is_str, is_num, _, is_date = _kinds(u)
        if is_date.any():
            d = u[is_date]
            try:
                conv = pd.to_datetime(d, errors="coerce")
            except (ValueError, TypeError):  # time-zone-aware or mixed zones: keep the wall time
                conv = pd.to_datetime(
                    d.map(lambda v: v.replace(tzinfo=None) if isinstance(v, _dt.datetime) else v),
                    errors="coerce",
                )
            if getattr(conv.dt, "tz", None) is not None:
                conv = conv.dt.tz_localize(None)
            res.loc[d.index] = conv.astype("datetime64[ns]")
        if is_num.any():
            n = u[is_num]
            blank[is_num] = n.map(_is_blank_num).to_numpy(dtype=bool)
            res.loc[n.index] = _serials(n)
        if is_str.any():
            t = _strings(u, is_str).astype(str)
            blank[is_str] = (t == "").to_numpy()
            # Fast path: exports are mostly uniform ISO dates; only the rest needs the slow forms.
            iso = t.str.match(_ISO)
            if iso.any():
                res.loc[t.index[iso]] = pd.to_datetime(t[iso], format="ISO8601", errors="coerce").astype("datetime64[ns]")
            rest = t[~iso.to_numpy() | res.loc[t.index].isna().to_numpy()]
            if len(rest):
                res.loc[rest.index] = _parse_date_strings(rest, date_order)
        out_of_range = res.notna() & ((res < _MIN_DATE) | (res > _MAX_DATE))
        res[out_of_range] = pd.NaT
    bad_u = (res.isna().to_numpy() & ~blank)
    values = pd.Series(_spread(codes, res.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns")), index=s.index)
    bad = pd.Series(_spread(codes, bad_u, False), index=s.index)
    return values, bad


# ---------------------------------------------------------------------------- amounts

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
        return vals, pd.Series(False, index=s.index)
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
        res[~np.isfinite(res.to_numpy())] = np.nan
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
        return pd.Series(_clean_arrow_text(s), index=s.index, dtype=object)
    codes, u = _factorize(s)
    if pd.api.types.infer_dtype(u, skipna=False) == "string":
        t = u.str.strip()
        vals = t.where(t != "", None).to_numpy(dtype=object)
    else:
        vals = np.array([_text_of(v) for v in u], dtype=object)
    return pd.Series(_spread(codes, vals, None), index=s.index, dtype=object)


def _clean_arrow_text(s: pd.Series) -> np.ndarray:
    """clean_text of an Arrow-backed str column, in Arrow's kernels (same trimming as str.strip).

    A column of repeated values (owners, stages) is dictionary-encoded first: only its distinct
    values are trimmed and become Python strings, and equal cells share one object. A column of
    mostly distinct values (IDs, names) is converted directly, which costs less than hashing it.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(s.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()

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
    """Whole non-negative counts (for derived columns given in rule examples)."""
    amounts, bad = parse_amounts(s)
    whole = amounts.notna() & (amounts == np.floor(amounts.fillna(0)))
    bad = bad | (amounts.notna() & ~whole)
    return amounts.where(whole).astype("Int64"), bad


PARSERS: dict[str, Callable[..., tuple[pd.Series, pd.Series]]] = {
    "date": parse_dates,
    "amount": parse_amounts,
    "bool": parse_bools,
    "probability": parse_probability,
    "class": parse_deal_class,
    "count": parse_count,
}
