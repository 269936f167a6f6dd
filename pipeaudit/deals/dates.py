"""Dates as a person reads them, column by column.

Real date cells, Excel serials, epoch milliseconds, ISO (with T, fractions of a second and a zone:
`2026-11-03 14:22:05.123 UTC`, `...Z`, `...+08:00`), 2026/8/4, 2026.8.4, 2026年8月4日, 4-Aug-2026,
and the year-last forms 8/4/2026, 8/4/26, 04.08.2026. Whether 4/8/2026 is April or August is
decided per column from its values: a first part over 12 makes the column day-first, a second
part over 12 month-first, dotted dates are day-first; each separator is judged apart, so a column
mixing 27/01/2024 and 04-26-2023 reads both; a column its values do not settle follows another
date column of the export that is settled, else month-first, and says so (DateReading).
`date_order` in the config wins over all of this. Two-digit years go to the century nearest the
as-of date. A zone is dropped and the wall time kept.

Dates pandas cannot hold (before 1677, after 2262) never stop a run: the year 9999 is the CRMs'
"no end date" and reads as blank (counted in DateReading.no_date); any other date before 1900 or
after 2200 is an unreadable value, kept and reported like "soon".
"""

from __future__ import annotations

import datetime as _dt
import re

import numpy as np
import pandas as pd

from pipeaudit.deals.cells import _factorize, _is_blank_num, _kinds, _spread, _strings
from pipeaudit.model import DateReading

_MIN_DATE = pd.Timestamp("1900-01-01")
_MAX_DATE = pd.Timestamp("2200-12-31 23:59:59")
_SERIAL_MIN, _SERIAL_MAX = 1, 2958465
_EPOCH_MS = (9.4e11, 7.3e12)  # 1999..2200 in milliseconds
_EPOCH_S = (9.4e8, 7.3e9)  # 1999..2200 in seconds
NO_DATE_YEAR = 9999

_CJK_DATE = re.compile(r"^(\d{2,4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?(.*)$")
_NUMERIC = re.compile(r"^\d+(?:\.\d+)?$")
_ISO = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?$"
_ZONE = r"(\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$"
_YEAR_LAST = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})[-/.](\d{2}|\d{4})(?:\s|$)")
_NO_DATE = re.compile(r"(?:^|\D)9999(?:\D|$)")

_Y_FIRST = ("ISO8601", "%Y-%m-%d %H:%M:%S.%f")
_NAMED = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%d %b %y", "%b %d %y")


def _to_datetime(values, **kw) -> pd.Series:
    """pd.to_datetime(errors="coerce") that also turns dates out of pandas' range into NaT
    (pandas raises OutOfBoundsDatetime for them even when coercing)."""
    kw.setdefault("errors", "coerce")
    index = getattr(values, "index", None)
    try:
        got = pd.Series(pd.to_datetime(values, **kw), index=index)
    except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
        out = []
        for v in values:
            try:
                out.append(_ns(pd.Series([pd.to_datetime(v, **kw)])).iloc[0])
            except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
                out.append(pd.NaT)
        got = pd.Series(out, index=index, dtype="datetime64[ns]")
    return _ns(got)


_NS_MIN, _NS_MAX = pd.Timestamp.min, pd.Timestamp.max


def _ns(s: pd.Series) -> pd.Series:
    """As datetime64[ns]; dates beyond its range (pandas may parse them at a coarser unit) → NaT."""
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        s = pd.Series(pd.to_datetime(s, errors="coerce"), index=s.index)
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)
    if str(s.dtype) != "datetime64[ns]":
        coarse = s.astype("datetime64[s]")
        wide = coarse.notna() & ((coarse < np.datetime64("1678-01-01", "s")) | (coarse > np.datetime64("2261-12-31", "s")))
        s = s.mask(wide).astype("datetime64[ns]")
    return s


def _serials(values: pd.Series) -> pd.Series:
    """Excel serial day numbers (fractions = time of day), yyyymmdd integers and epoch seconds or
    milliseconds (API extracts) → datetimes."""
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
        out.loc[ymd[ymd].index] = _to_datetime(num[ymd].astype("int64").astype(str), format="%Y%m%d").to_numpy()
    for (lo, hi), unit in ((_EPOCH_MS, "ms"), (_EPOCH_S, "s")):
        epoch = (num >= lo) & (num <= hi)
        if epoch.any():
            out.loc[epoch[epoch].index] = pd.to_datetime(num[epoch].round().astype("int64"), unit=unit).to_numpy()
    return out


def _try_formats(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    todo = text
    for fmt in formats:
        if todo.empty:
            break
        got = _to_datetime(todo, format=fmt)
        got.index = todo.index
        hit = got.notna()
        if hit.any():
            out.loc[got[hit].index] = got[hit].astype("datetime64[ns]")
            todo = todo[~hit]
    return out


def _full_year(yy: int, pivot: int) -> int:
    """A two-digit year in the century nearest the pivot year (2026: 26 → 2026, 98 → 1998, 70 → 2070)."""
    year = pivot // 100 * 100 + yy
    if year - pivot > 50:
        year -= 100
    elif pivot - year > 50:
        year += 100
    return year


def _parse_date_strings(t: pd.Series, date_order: str, pivot: int, by_sep: dict[str, str] | None = None) -> pd.Series:
    """Normalised date strings → datetimes (NaT where unreadable)."""
    # 2026年8月4日 [10:30] → 2026-8-4 [10:30]
    cjk = t.str.contains("年", regex=False)
    if cjk.any():
        t = t.where(~cjk, t[cjk].str.replace(_CJK_DATE, lambda m: f"{m[1]}-{m[2]}-{m[3]} {m[4].strip()}".strip(), regex=True))
    t = t.str.replace(r"\s+", " ", regex=True).str.replace(_ZONE, r"\1", regex=True)
    t = t.str.replace(r"(?<=\d)T(?=\d)", " ", regex=True)
    out = pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")

    y_first = t.str.match(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s|$)")
    if y_first.any():
        sub = t[y_first].str.replace(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})", r"\1-\2-\3", regex=True)
        sub = sub.str.replace(",", ".", regex=False)
        out.loc[sub.index] = _try_formats(sub, _Y_FIRST)

    y_last = t.str.match(r"^\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})(?:\s|$)")
    if y_last.any():
        seps = t[y_last].str.extract(r"^\d{1,2}([-/.])", expand=False)
        sub = t[y_last].str.replace(r"^(\d{1,2})[-.](\d{1,2})[-.]", r"\1/\2/", regex=True)
        sub = sub.str.replace(
            r"^(\d{1,2}/\d{1,2}/)(\d{2})(?=\s|$)", lambda m: f"{m[1]}{_full_year(int(m[2]), pivot)}", regex=True
        )
        for order in ("mdy", "dmy"):
            mine = seps.map(lambda sep: (by_sep or {}).get(sep, date_order)) == order
            if mine.any():
                first, second = ("%m", "%d") if order == "mdy" else ("%d", "%m")
                base = f"{first}/{second}/%Y"
                out.loc[sub[mine].index] = _try_formats(sub[mine], (base, base + " %H:%M", base + " %H:%M:%S"))

    named = t.str.contains(r"[A-Za-z]{3}", regex=True) & ~y_first & ~y_last
    if named.any():
        sub = t[named].str.replace(r"[-,/.]", " ", regex=True).str.replace(r"\s+", " ", regex=True).str.strip()
        sub = sub.str.replace(r"(?<=[A-Za-z] )(\d{1,2}) (\d{2})$|^(\d{1,2} [A-Za-z]+ )(\d{2})$",
                              lambda m: (f"{m[1]} {_full_year(int(m[2]), pivot)}" if m[1]
                                         else f"{m[3]}{_full_year(int(m[4]), pivot)}"), regex=True)
        out.loc[sub.index] = _try_formats(sub, _NAMED)

    # Digits as text are a serial only from 10000 (1927) on: "2026" in a CSV is a year, not 1905.
    numeric = t.str.match(_NUMERIC) & ~y_first & ~y_last
    numeric &= pd.to_numeric(t.where(numeric, "0"), errors="coerce").fillna(0).ge(10000)
    if numeric.any():
        out.loc[t[numeric].index] = _serials(t[numeric])
    return out


def separator_evidence(values: pd.Series) -> dict[str, tuple[str | None, str, bool]]:
    """Per separator of the year-last dates ("/", "-", "."): (order its values settle or None, a
    value that shows it, whether its values contradict each other). One export may write 27/01/2024
    and 04-26-2023 in one column: each separator is its own habit."""
    if values.dtype != object and not pd.api.types.is_string_dtype(values.dtype):
        return {}
    found: dict[str, list] = {}  # sep -> [day_first, month_first, seen]
    for v in pd.unique(values.dropna()):
        if not isinstance(v, str):
            continue
        m = _YEAR_LAST.match(v.strip())
        if not m:
            continue
        a, b = int(m.group(1)), int(m.group(3))
        slot = found.setdefault(m.group(2), [None, None, v.strip()])
        if a > 12 and b <= 12 and slot[0] is None:
            slot[0] = v.strip()
        elif b > 12 and a <= 12 and slot[1] is None:
            slot[1] = v.strip()
    out: dict[str, tuple[str | None, str, bool]] = {}
    for sep, (day_first, month_first, seen) in found.items():
        if day_first and month_first:
            out[sep] = (None, f"{day_first} / {month_first}", True)
        elif day_first:
            out[sep] = ("dmy", day_first, False)
        elif month_first:
            out[sep] = ("mdy", month_first, False)
        elif sep == ".":
            out[sep] = ("dmy", seen, False)  # dotted dates are day-first
        else:
            out[sep] = (None, "", False)
    return out


def order_evidence(values: pd.Series) -> tuple[str | None, str, bool]:
    """(the one order the values settle or None, a value that shows it, whether they contradict)."""
    ev = separator_evidence(values)
    orders = {o for o, _, _ in ev.values() if o}
    conflict = any(c for _, _, c in ev.values())
    if len(orders) > 1:
        return None, " / ".join(e for o, e, _ in ev.values() if o), True
    if conflict:
        return None, next(e for _, e, c in ev.values() if c), True
    if orders:
        return orders.pop(), next(e for o, e, _ in ev.values() if o), False
    return None, "", False


def _pivot(as_of: _dt.date | None) -> int:
    return (as_of or _dt.date.today()).year


def parse_dates(s: pd.Series, date_order: str | None = None, *, as_of: _dt.date | None = None
                ) -> tuple[pd.Series, pd.Series]:
    """Dates (datetime64[ns], NaT when blank or unreadable) and the mask of unreadable cells.
    date_order None decides from the column's own values (month-first when they do not say)."""
    values, bad, _ = read_dates(s, date_order, as_of=as_of)
    return values, bad


def read_dates(s: pd.Series, date_order: str | None = None, *, as_of: _dt.date | None = None,
               fallback: tuple[str, str] | None = None, factorized: tuple[np.ndarray, pd.Series] | None = None
               ) -> tuple[pd.Series, pd.Series, DateReading]:
    """parse_dates plus how the column was read. `fallback` (order, how) is used when the values do
    not settle the order (another column of the export settled it). `factorized` is _factorize(s)
    of an object column when the caller has it already."""
    if date_order not in (None, "mdy", "dmy"):
        raise ValueError(f"date_order must be mdy or dmy, not {date_order!r}")
    by_sep: dict[str, str] = {}
    # An object column is factorized once: its distinct values give the evidence and are parsed.
    if factorized is None and s.dtype == object:
        factorized = _factorize(s)
    if date_order is not None:
        reading = DateReading(date_order, "config")
    else:
        # The distinct values in first-seen order, NA left out: what pd.unique(s.dropna()) gives.
        ev = separator_evidence(factorized[1] if factorized is not None else s)
        orders = {o for o, _, _ in ev.values() if o}
        conflicts = [e for _, e, c in ev.values() if c]
        if len(orders) > 1 and not conflicts and all(o for o, _, _ in ev.values()):
            # each separator settled, differently: read each by its own habit, and say so
            by_sep = {sep: o for sep, (o, _, _) in ev.items()}
            shown = " · ".join(f"{e} ({o})" for o, e, _ in ev.values())
            reading = DateReading("mixed", "values", shown)
        elif len(orders) == 1 and not conflicts:
            order = next(iter(orders))
            reading = DateReading(order, "values", next(e for o, e, _ in ev.values() if o))
        elif conflicts or len(orders) > 1:
            how, order = ("export", fallback[0]) if fallback else ("default", "mdy")
            shown = " / ".join(conflicts) or " / ".join(e for o, e, _ in ev.values() if o)
            reading = DateReading(order, how, shown, settled=False)
        elif ev:
            how, order = ("export", fallback[0]) if fallback else ("default", "mdy")
            reading = DateReading(order, how, fallback[1] if fallback else "", settled=False)
        else:
            reading = DateReading("ymd", "values")
    order = reading.order if reading.order in ("mdy", "dmy") else "mdy"
    values, bad, no_date = _parse(s, order, _pivot(as_of), by_sep, factorized)
    if no_date:
        reading = DateReading(reading.order, reading.how, reading.evidence, reading.settled, no_date)
    return values, bad, reading


def _parse(s: pd.Series, date_order: str, pivot: int, by_sep: dict[str, str] | None = None,
           factorized: tuple[np.ndarray, pd.Series] | None = None) -> tuple[pd.Series, pd.Series, int]:
    """`factorized` is _factorize(s) when the caller has it already."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        vals = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        vals = vals.astype("datetime64[ns]")
        return vals, pd.Series(False, index=s.index), 0
    codes, u = factorized if factorized is not None else _factorize(s)
    res = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
    blank = np.zeros(len(u), dtype=bool)
    no_date_u = np.zeros(len(u), dtype=bool)
    if len(u):
        is_str, is_num, _, is_date = _kinds(u)
        if is_date.any():
            d = u[is_date]
            naive = d.map(lambda v: v.replace(tzinfo=None) if isinstance(v, _dt.datetime) else v)
            years = naive.map(lambda v: getattr(v, "year", 0)).to_numpy(dtype=np.int64)
            no_date_u[np.flatnonzero(is_date)[years == NO_DATE_YEAR]] = True
            conv = _to_datetime(naive.where(pd.Series((years > 1677) & (years < 2262), index=d.index), None))
            conv.index = d.index
            res.loc[d.index] = conv.astype("datetime64[ns]")
        if is_num.any():
            n = u[is_num]
            blank[is_num] = n.map(_is_blank_num).to_numpy(dtype=bool)
            res.loc[n.index] = _serials(n)
        if is_str.any():
            t = _strings(u, is_str).astype(str)
            blank[is_str] = (t == "").to_numpy()
            placeholder = t.str.contains(_NO_DATE) & t.str.match(r"^[\d\s\-/.:年月日T]+$")
            no_date_u[np.flatnonzero(is_str)[placeholder.to_numpy()]] = True
            t = t[~placeholder.to_numpy()]
            # Fast path: exports are mostly uniform ISO dates; only the rest needs the slow forms.
            iso = t.str.match(_ISO)
            if iso.any():
                got = _to_datetime(t[iso], format="ISO8601")
                res.loc[t.index[iso]] = got.to_numpy(dtype="datetime64[ns]")
            rest = t[~iso.to_numpy() | res.loc[t.index].isna().to_numpy()]
            if len(rest):
                res.loc[rest.index] = _parse_date_strings(rest, date_order, pivot, by_sep)
        out_of_range = res.notna() & ((res < _MIN_DATE) | (res > _MAX_DATE))
        res[out_of_range] = pd.NaT
        res[no_date_u] = pd.NaT
    bad_u = res.isna().to_numpy() & ~blank & ~no_date_u
    values = pd.Series(_spread(codes, res.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns")), index=s.index)
    bad = pd.Series(_spread(codes, bad_u, False), index=s.index)
    no_date = int(_spread(codes, no_date_u, False).sum())
    return values, bad, no_date
