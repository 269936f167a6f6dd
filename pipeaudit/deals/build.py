"""RawTable → Deals: map headers, type every mapped column, place each stage on its ladder.

Unreadable values never stop the run and are never dropped: the typed column holds NA and the
value is listed in Deals.problems (the `invalid-value` rule reports them).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from pipeaudit.config import Config
from pipeaudit.deals.cells import _factorize
from pipeaudit.deals.columns import map_columns, normalise_header
from pipeaudit.deals.dates import order_evidence, read_dates
from pipeaudit.deals.notes import date_notes, mapping_notes, stage_notes
from pipeaudit.deals.stages import place_stages, status_from_columns
from pipeaudit.deals.values import PARSERS, _text_of, clean_text, parse_amounts, parse_dates
from pipeaudit.i18n import Lang, both
from pipeaudit.model import DERIVED, FIELDS, META_COLUMNS, ORDER_COLUMNS, DateReading, Deals, RawTable

PROBLEM_COLUMNS = ("index", "row", "field", "column", "raw")
_CJK = re.compile(r"[\u3400-\u9fff]")


def empty_problems() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "index": pd.Series([], dtype="int64"),
            "row": pd.Series([], dtype="int64"),
            "field": pd.Series([], dtype=object),
            "column": pd.Series([], dtype=object),
            "raw": pd.Series([], dtype=object),
        }
    )


def _typed(kind: str, col: pd.Series, cfg: Config, multiplier: float) -> tuple[pd.Series, pd.Series | None]:
    """(typed column, bad mask or None) for one field kind."""
    if kind == "date":
        return parse_dates(col, cfg.date_order)
    if kind == "amount":
        return parse_amounts(col, multiplier)
    if kind in PARSERS:
        return PARSERS[kind](col)
    return clean_text(col), None


def _language(headers: list[str]) -> Lang:
    if not headers:
        return "zh"
    cjk = sum(1 for h in headers if _CJK.search(str(h)))
    return "zh" if cjk * 2 >= len(headers) else "en"


def _date_fallback(cm, cells: pd.DataFrame, cfg: Config, distinct: dict[int, tuple]) -> tuple[str, str] | None:
    """The order the export's settled date columns agree on (for the columns their values leave open).

    `distinct` holds _factorize() of the object date columns by position: their distinct values, NA
    left out and in first-seen order, are what order_evidence reads.
    """
    if cfg.date_order is not None:
        return None
    found: dict[str, str] = {}
    for name, i in cm.fields.items():
        if FIELDS[name].kind == "date":
            order, evidence, conflict = order_evidence(distinct[i][1] if i in distinct else cells.iloc[:, i])
            if order and not conflict:
                found.setdefault(order, f"{cm.headers[name]}: {evidence}")
    if len(found) == 1:
        order, why = next(iter(found.items()))
        return order, why
    return None


def build_deals(raw: RawTable, cfg: Config | None = None, maps: dict[str, str] | None = None, *,
                as_of: date | None = None) -> Deals:
    """Typed Deals from a raw table; `maps` (field → header) overrides the aliases (default cfg.columns).
    `as_of` places two-digit years (default: today)."""
    cfg = cfg or Config()
    maps = dict(cfg.columns if maps is None else maps)
    cells = raw.cells
    cm = map_columns(list(raw.headers), maps, cells=cells)
    n = len(cells)
    index = pd.RangeIndex(n)
    rows = np.asarray(raw.row_numbers, dtype=np.int64)
    if len(rows) != n:
        raise ValueError("RawTable.row_numbers and cells differ in length")

    columns: dict[str, pd.Series] = {"row": pd.Series(rows, index=index, dtype="int64")}
    problems: list[pd.DataFrame] = []
    dates: dict[str, DateReading] = {}
    # each object date column factorized once: its distinct values settle the order and are parsed
    distinct = {i: _factorize(cells.iloc[:, i]) for name, i in cm.fields.items()
                if FIELDS[name].kind == "date" and cells.iloc[:, i].dtype == object}
    fallback = _date_fallback(cm, cells, cfg, distinct)
    for name in sorted(cm.fields, key=cm.fields.get):
        col = cells.iloc[:, cm.fields[name]].reset_index(drop=True)
        if FIELDS[name].kind == "date":
            values, bad, dates[name] = read_dates(col, cfg.date_order, as_of=as_of, fallback=fallback,
                                                  factorized=distinct.get(cm.fields[name]))
        else:
            values, bad = _typed(FIELDS[name].kind, col, cfg, cm.units.get(name, 1.0))
        columns[name] = values
        if bad is not None and bad.any():
            problems.append(_problem_rows(name, cm.headers[name], col, bad, rows))

    unknown_stages: dict[str, int] = {}
    statuses = status_from_columns(n, columns.get("deal_status"), columns.get("is_closed"), columns.get("is_won"))
    if "stage" in columns:
        meta, order, ladder, unknown_stages = place_stages(
            columns["stage"], cfg, columns.get("probability"), statuses[:2])
    else:
        ladder, order = None, None
        meta, _o, _l, _u = place_stages(pd.Series([None] * n, index=index, dtype=object), None,
                                        statuses=statuses[:2])
    for key in META_COLUMNS:
        if key in meta and not (order is not None and order.how == "none" and key in ORDER_COLUMNS):
            columns[key] = meta[key]

    # One block per column (pd.concat): a DataFrame from a dict would first copy every object
    # column into one 2-D block, which costs more than all the text parsing of a large export.
    frame = pd.concat([s.rename(name) for name, s in columns.items()], axis=1)
    frame.index = index
    if problems:  # in reading order: by deal, then by column
        probs = pd.concat(problems, ignore_index=True).sort_values("index", kind="stable", ignore_index=True)
    else:
        probs = empty_problems()
    notes = list(raw.notes)
    for header in cm.duplicates:
        notes.append(both("deals.duplicate_column", header=str(header)))
    notes.extend(mapping_notes(cm.undecided))
    notes.extend(stage_notes(order, unknown_stages, int(meta["on_hold"].sum()), statuses[2]))
    notes.extend(date_notes(dates, cm.headers))
    mapped_headers = list(cm.headers.values()) or [str(h) for h in raw.headers]
    return Deals(
        frame=frame,
        problems=probs,
        source=Path(raw.source),
        sheet=raw.sheet,
        header_row=raw.header_row,
        mapping=dict(cm.headers),
        units=dict(cm.units),
        unmapped=list(cm.unmapped),
        ladder=ladder.name if ladder else None,
        language=_language(mapped_headers),
        skipped_total_rows=list(raw.skipped_total_rows),
        dropped_blank_rows=raw.dropped_blank_rows,
        notes=notes,
        headers=[str(h) for h in raw.headers],
        columns=dict(cm.info),
        unmapped_why=dict(cm.why),
        undecided=list(cm.undecided),
        stage_order=order,
        unknown_stages=unknown_stages,
        dates=dates,
        skipped_hint_rows=list(getattr(raw, "skipped_hint_rows", [])),
    )


def _problem_rows(name: str, header: str, col: pd.Series, bad: pd.Series, rows: np.ndarray) -> pd.DataFrame:
    mask = bad.to_numpy(dtype=bool)
    where = np.flatnonzero(mask)
    raw_text = col.iloc[where].map(_raw_text).to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "index": where.astype("int64"),
            "row": rows[where],
            "field": np.full(len(where), name, dtype=object),
            "column": np.full(len(where), header, dtype=object),
            "raw": raw_text,
        }
    )


def _raw_text(value: object) -> str:
    text = _text_of(value)
    return str(value) if text is None else text


def deals_from_records(
    records: list[dict[str, object]], cfg: Config | None = None, *, source: str = "<records>"
) -> Deals:
    """Deals from dicts keyed by field names or export headers, values raw as in an export.

    Rows are numbered 2, 3, ... as under a header on line 1. Keys naming derived columns
    (prev_stage, close_slips, ...) are typed and added too, so rule examples can use them.
    """
    headers: list[str] = []
    seen: set[str] = set()
    for rec in records:
        if not isinstance(rec, dict):
            from pipeaudit.errors import RuleError

            raise RuleError(f"{source}: each example deal must be a mapping of field to value")
        for key in rec:
            k = str(key)
            if k not in seen:
                seen.add(k)
                headers.append(k)
    derived = [h for h in headers if h in DERIVED]
    plain = [h for h in headers if h not in DERIVED]
    data = {i: pd.Series([rec.get(h) for rec in records], dtype=object) for i, h in enumerate(plain)}
    cells = pd.DataFrame(data, index=pd.RangeIndex(len(records)))
    if not plain:
        cells = pd.DataFrame(index=pd.RangeIndex(len(records)))
    # A key that is a field name maps to that field even when another key is an alias of it.
    maps = {h: h for h in plain if h in FIELDS}
    if cfg is not None:
        for name, header in cfg.columns.items():
            if name not in maps and any(normalise_header(header) == normalise_header(h) for h in plain):
                maps[name] = header
    raw = RawTable(
        source=Path(source),
        sheet=None,
        header_row=1,
        headers=plain,
        cells=cells,
        row_numbers=np.arange(2, len(records) + 2, dtype=np.int64),
    )
    deals = build_deals(raw, cfg, maps)
    for h in derived:
        col = pd.Series([rec.get(h) for rec in records], dtype=object)
        kind = DERIVED[h].kind
        if kind == "stage":
            values = clean_text(col)
        else:
            values, _ = _typed(kind, col, cfg or Config(), 1.0)
        values = pd.Series(values.array, index=deals.frame.index, dtype=object if kind == "stage" else values.dtype)
        deals.frame[h] = values
    return deals
