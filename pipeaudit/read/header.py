"""Find the header row and shape the data rows below it, the same way for Excel and CSV.

A person skips the merged title, the "导出时间" line and blank rows without thinking; this module
does the same, then drops blank and total rows so that only deals remain.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from pipeaudit.errors import InputError
from pipeaudit.i18n import both, in_both, t

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

HeaderScore = Callable[[Sequence[object]], int]

#: A line a CRM writes above the table to say when or by whom it was exported.
EXPORT_LINE = re.compile(
    r"^\s*(导出时间|导出日期|导出人|导出于|打印时间|生成时间|报表生成|报表时间|数据截止|截止日期|统计时间|"
    r"export(ed)?\b|report\s+generated|generated\b|run\s+(at|on|date)|as\s+of\b|printed\b)",
    re.IGNORECASE,
)

#: Labels of total/subtotal rows. Matched against the whole cell (after trimming), so that a deal
#: called "Total Solutions Ltd" is never mistaken for one; "合计：1,234" and "Grand Totals (52 records)"
#: are.
TOTAL_LABEL = re.compile(
    r"^\s*(总合计|合计|小计|总计|共计|汇总|grand\s*totals?|sub-?\s*totals?|totals?|sum)\s*"
    r"([:：].*|[(（][^)）]*[)）])?\s*$",
    re.IGNORECASE,
)

#: The same labels for Arrow's RE2 engine: no \s (pandas would fall back to Python per cell).
_WS = "[ \t\u3000\u00a0]*"
ARROW_TOTAL_LABEL = (
    f"(?i)^{_WS}(总合计|合计|小计|总计|共计|汇总|grand *totals?|sub-? *totals?|totals?|sum){_WS}"
    f"([:：].*|[(（][^)）]*[)）])?{_WS}$"
)

#: A cell that reads as a number, amount, percentage or date: such cells may fill a total row.
_NUMBERISH = re.compile(
    r"^\s*(usd|cny|rmb|eur|us\$|hk\$)?[\s$¥￥€£+\-−(（]*[\d.,，\s/:\-]*\d[\d.,，\s/:\-]*"
    r"(万元|千元|元|万|亿|k|m|%|年|月|日)?[)）]?\s*(usd|cny|rmb|eur|元)?\s*$",
    re.IGNORECASE,
)


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return value != value  # NaN
    return False


def default_header_score(cells: Sequence[object]) -> int:
    """Without field aliases, a header is the row with the most filled text cells."""
    return sum(1 for c in cells if isinstance(c, str) and c.strip())


def _filled(cells: Sequence[object]) -> list[object]:
    return [c for c in cells if not is_blank(c)]


def is_title_or_export_line(cells: Sequence[object]) -> bool:
    """A merged title ("2026年11月商机明细") has one filled cell; an export-time line says so."""
    filled = _filled(cells)
    if len(filled) <= 1:
        return True
    first = filled[0]
    return isinstance(first, str) and bool(EXPORT_LINE.match(first)) and len(filled) <= 4


def find_header(
    rows: Sequence[Sequence[object]],
    score: HeaderScore | None,
    *,
    scan: int,
) -> tuple[int, int, int | None]:
    """(index of the best header row, its score, index of the best candidate to show) over the first `scan` non-empty rows.

    Returns index -1 when no row qualifies; ties go to the earliest row.
    """
    score = score or default_header_score
    best, best_score, seen = -1, -1, 0
    fallback: int | None = None
    for i, cells in enumerate(rows):
        if not _filled(cells):
            continue
        seen += 1
        if seen > scan:
            break
        if fallback is None:
            fallback = i
        if is_title_or_export_line(cells):
            continue
        s = int(score(list(cells)))
        if s > best_score:
            best, best_score = i, s
    shown = best if best >= 0 else fallback
    if best_score < 2:
        return -1, max(best_score, 0), shown
    return best, best_score, shown


def no_header_error(path: Any, sheet: str | None, candidate: Sequence[object] | None) -> InputError:
    found = ", ".join(_cell_text(c) for c in _filled(candidate or [])[:6]) or both("read.nothing")
    if len(found) > 160:
        found = found[:157] + "..."
    no_header = in_both(lambda lang: t("read.no_header", lang, where=t("read.in_sheet", lang, sheet=repr(sheet)) if sheet else ""))
    return InputError(f"{path}: {no_header}; {both('read.found')}: {found}; " + both("read.map_hint"))


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    return str(value).strip()


def header_names(cells: Sequence[object], first_column: int = 1) -> list[str]:
    """Header texts, with "Column N" for empty cells and "(2)", "(3)" suffixes for repeats."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for j, cell in enumerate(cells):
        name = " ".join(_cell_text(cell).split()) if not is_blank(cell) else f"Column {first_column + j}"
        key = name.casefold()
        if key in seen:
            seen[key] += 1
            candidate = f"{name} ({seen[key]})"
            while candidate.casefold() in seen:
                seen[key] += 1
                candidate = f"{name} ({seen[key]})"
            name = candidate
        seen[name.casefold()] = seen.get(name.casefold(), 1)
        names.append(name)
    return names


def empty_mask(col: pd.Series) -> np.ndarray:
    """True where a cell is empty: None/NaN or a string with nothing but spaces."""
    import numpy as np
    import pandas as pd

    if col.dtype == object:
        # Workbook cells: the reader already turned "" into None; whitespace-only cells are left to the
        # value parsers (checking every object cell here would cost more than reading the sheet).
        return np.asarray(pd.isna(col.to_numpy()), dtype=bool)
    arrow = _arrow_strings(col)
    if arrow is not None:  # straight to Arrow's kernels: pandas' wrappers cost more than the scan
        import pyarrow.compute as pc

        blank = pc.fill_null(pc.utf8_is_space(arrow), True)  # null: empty
        return blank.to_numpy(zero_copy_only=False).astype(bool, copy=False)
    mask = col.isna().to_numpy(dtype=bool)
    if not mask.all():
        mask = mask | col.str.isspace().fillna(False).to_numpy(dtype=bool)
    return mask


def _arrow_strings(col: pd.Series):
    """The Arrow (large_)string (chunked) array under a pandas Arrow-backed str column, or None."""
    import pyarrow as pa

    if col.dtype == object or not hasattr(col.array, "__arrow_array__"):
        return None
    try:
        arr = pa.array(col.array)  # zero-copy; may be a ChunkedArray, which the kernels take as is
    except (pa.ArrowException, TypeError):
        return None
    return arr if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) else None


_TOTAL_FIRST = frozenset("总合小共汇gGsStTſ \t\u3000\u00a0")  # as _ARROW_TOTAL_FIRST: TOTAL_LABEL allows leading space
_TOTAL_FIRST_ARRAY = sorted(_TOTAL_FIRST)  # for np.isin in total_label_hits
#: First characters a cell matching ARROW_TOTAL_LABEL can start with: a label's first letter in
#: either case (ſ folds to s under (?i)) or the leading space _WS allows.
_ARROW_TOTAL_FIRST = frozenset("总合小共汇gGsStTſ \t\u3000\u00a0")


def total_label_hits(values: np.ndarray) -> list[int]:
    """Positions of the str cells of an object array that start with a character of _TOTAL_FIRST
    and match TOTAL_LABEL: total_label_hits_reference, with the first-character test done by numpy.

    The fast path: numpy cuts every cell to its first character in C (astype("U1"): a str cell's
    first code point, exactly v[:1]; other cells their str()'s, which the exact test then drops),
    so Python only looks at the few cells starting like a label (100k cells: 15 -> 5-9 ms).
    tests/test_guards_untested.py holds the two to the same positions on fixed examples.
    """
    import numpy as np

    try:
        firsts = values.astype("U1")
    except (TypeError, ValueError, UnicodeError):  # a cell numpy cannot make text of (bytes...)
        return total_label_hits_reference(values)
    candidates = np.flatnonzero(np.isin(firsts, _TOTAL_FIRST_ARRAY)).tolist()
    return [k for k in candidates if values[k].__class__ is str and TOTAL_LABEL.match(values[k])]


def total_label_hits_reference(values: np.ndarray) -> list[int]:
    """total_label_hits the plain way, one cell at a time: what the fast path must agree with."""
    return [
        k for k, v in enumerate(values)
        if v.__class__ is str and v[:1] in _TOTAL_FIRST and TOTAL_LABEL.match(v)
    ]


def _total_label_mask(col: pd.Series) -> np.ndarray:
    """Cells that read as a total label; vectorized on Arrow strings, prefiltered on object columns."""
    import numpy as np

    n = len(col)
    if col.dtype == object:
        # Object columns (workbooks) have no C-level string kernels; a first-character set test keeps
        # the regex off all but a handful of cells.
        mask = np.zeros(n, dtype=bool)
        mask[total_label_hits(col.to_numpy())] = True
        return mask
    arrow = _arrow_strings(col)
    if arrow is not None:
        import pyarrow as pa
        import pyarrow.compute as pc

        # Only a cell starting with a label's first letter (any case, RE2 folds ſ to s) or with
        # leading space can match: the regex runs on those alone.
        first = pc.utf8_slice_codeunits(arrow, 0, 1)
        maybe = pc.fill_null(pc.is_in(first, value_set=pa.array(list(_ARROW_TOTAL_FIRST), type=first.type)), False)
        mask = np.zeros(n, dtype=bool)
        where = np.flatnonzero(maybe.to_numpy(zero_copy_only=False))
        if len(where):
            hit = pc.match_substring_regex(arrow.take(pa.array(where)), ARROW_TOTAL_LABEL)
            mask[where] = pc.fill_null(hit, False).to_numpy(zero_copy_only=False)
        return mask
    try:
        # A plain pattern string keeps the match inside Arrow's regex engine (a compiled re.Pattern
        # would fall back to Python per cell).
        return col.str.match(ARROW_TOTAL_LABEL).fillna(False).to_numpy(dtype=bool)
    except AttributeError:  # a column without strings
        return np.zeros(n, dtype=bool)


def _blank_rows(cells: pd.DataFrame) -> np.ndarray:
    """Rows with every cell empty. A column is only checked on the rows still blank after the
    columns before it: once the ID column is found filled, nothing else needs reading."""
    import numpy as np

    n = len(cells)
    blank = np.ones(n, dtype=bool)
    for c in cells.columns:
        todo = np.flatnonzero(blank)
        if len(todo) == 0:
            break
        col = cells[c]
        if len(todo) == n:
            blank &= empty_mask(col)
        else:
            blank[todo] = empty_mask(col.iloc[todo])
    return blank


def shape_data(
    cells: pd.DataFrame, row_numbers: np.ndarray, empties: list[np.ndarray] | None = None
) -> tuple[pd.DataFrame, np.ndarray, list[int], int]:
    """Drop blank and total rows: (cells, row_numbers, total row numbers, blank rows dropped).

    `empties` (one bool mask per column) may be passed when the caller already knows them.
    """
    import numpy as np

    n = len(cells)
    if n == 0:
        return cells, row_numbers, [], 0
    if empties is not None:
        blank = np.logical_and.reduce(empties) if empties else np.ones(n, dtype=bool)

        def filled_count(k: int) -> int:
            return sum(1 for e in empties if not e[k])
    else:
        blank = _blank_rows(cells)

        def filled_count(k: int) -> int:  # only asked for the few total-row candidates
            return sum(1 for c in cells.columns if not empty_mask(cells[c].iloc[k : k + 1])[0])

    # Total rows: a label in one of the first few filled columns, little else but numbers.
    label = np.zeros(n, dtype=bool)
    for c in list(cells.columns)[:4]:
        label |= _total_label_mask(cells[c])
    totals: list[int] = []
    drop_total = np.zeros(n, dtype=bool)
    if label.any():
        width = len(cells.columns)
        allowed = max(1, width // 5)
        for k in np.flatnonzero(label & ~blank):
            row = cells.iloc[k].tolist()
            texts = [v for v in row if isinstance(v, str) and v.strip()]
            labels = [v for v in texts if TOTAL_LABEL.match(v)]
            others = [v for v in texts if not TOTAL_LABEL.match(v) and not _NUMBERISH.match(v)]
            if labels and len(others) <= allowed and filled_count(k) <= max(2, width - 1):
                drop_total[k] = True
                totals.append(int(row_numbers[k]))
    keep = ~(blank | drop_total)
    dropped_blank = int(blank.sum())
    if keep.all():
        return cells, row_numbers, totals, dropped_blank
    drop = np.flatnonzero(~keep)
    first_dropped = int(drop[0])
    if len(drop) == n - first_dropped:
        # Only trailing rows go (the usual total row at the bottom): a slice, not a copy of every column.
        kept = cells.iloc[:first_dropped]
    else:
        kept = cells.iloc[np.flatnonzero(keep)].reset_index(drop=True)
    return kept, row_numbers[keep], totals, dropped_blank


#: A cell of an import template's instruction row: 必填/选填, "required", "format: YYYY-MM-DD",
#: "从下拉选择", a type name. Matched against the whole cell, case-folded, brackets dropped.
HINT_CELL = re.compile(
    r"^[*＊\s]*[(（\[【]?\s*(?:"
    r"必填|选填|非必填|必选|可选|可填|可空|必须|必填项|选填项|不必填|required|optional|mandatory|not required|"
    r"文本|数字|数值|日期|日期时间|时间|金额|整数|小数|百分比|单选|多选|人员|查找关联|布尔|是/否|"
    r"text|number|numeric|date|datetime|currency|picklist|lookup|boolean|checkbox|string|integer|decimal|percent"
    r")\s*[)）\]】]?\s*$"
    r"|必填|选填|请选择|请输入|请填写|从下拉|下拉选择|下拉框|填写说明|格式[:：]|示例[:：]|例如|例[:：]|"
    r"\be\.g\.|^format\b|\bformat[:：]|yyyy[-/.]?mm|mm[-/.]dd|dd[-/.]mm|\(required\)|\(optional\)",
    re.IGNORECASE,
)
HINT_SCAN = 3  # rows right under the header that may be instructions


def is_hint_row(cells: Sequence[object]) -> bool:
    """A row of instructions (必填 / 选填 / "format: YYYY-MM-DD" / 请选择) rather than a deal: at least
    half of its filled cells, and one at least, are instructions, and none is a number or a date."""
    import unicodedata

    filled = _filled(cells)
    if not filled or any(not isinstance(c, str) for c in filled):
        return False
    hints = sum(1 for c in filled if HINT_CELL.search(unicodedata.normalize("NFKC", c).strip()))
    return hints >= 1 and hints * 2 >= len(filled)


def skip_hint_rows(cells: pd.DataFrame, row_numbers: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, list[int]]:
    """Drop the instruction rows an import template puts right under its header: (cells, row numbers,
    the row numbers dropped). Only the first HINT_SCAN rows are looked at, so the cost is nil."""
    hints: list[int] = []
    k = 0
    while k < min(HINT_SCAN, len(cells)):
        row = [None if is_blank(v) else v for v in cells.iloc[k].tolist()]
        if not is_hint_row(row):
            break
        hints.append(int(row_numbers[k]))
        k += 1
    if not k:
        return cells, row_numbers, hints
    return cells.iloc[k:].reset_index(drop=True), row_numbers[k:], hints


def hint_note(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows)
    return both("read.hint_rows", rows=shown)
