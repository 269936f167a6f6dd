"""Workbooks (.xlsx/.xlsm/.xls/.ods) through python-calamine: fast, and it never evaluates formulas."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeaudit.errors import InputError
from pipeaudit.i18n import both
from pipeaudit.read import limits
from pipeaudit.read.guard import (
    OLE2_MAGIC,
    ZIP_MAGIC,
    check_sheet_extent,
    check_xls,
    check_zip,
    is_encrypted_ole,
    not_workbook_error,
    protected_error,
    read_magic,
)
from pipeaudit.read.header import (
    HeaderScore,
    find_header,
    header_names,
    hint_note,
    no_header_error,
    shape_data,
    skip_hint_rows,
)

if TYPE_CHECKING:
    from pipeaudit.model import RawTable



def _precheck(path: Path, size: int) -> None:
    """Match the bytes against the extension, spot encryption and zip bombs before calamine opens it."""
    if size > limits.limit("MAX_WORKBOOK_BYTES"):
        raise InputError(f"{path}: " + both("read.workbook_too_big", size=f"{size:,}",
                                            limit=f"{limits.limit('MAX_WORKBOOK_BYTES'):,}"))
    magic = read_magic(path)
    suffix = path.suffix.lower()
    if magic.startswith(OLE2_MAGIC):
        if is_encrypted_ole(path):
            raise protected_error(path)
        if suffix != ".xls":
            raise not_workbook_error(path, "an OLE2 file, not a zip package; an old .xls renamed?")
        check_xls(path)  # calamine builds every sheet on opening: bound them first
        return
    if magic.startswith(ZIP_MAGIC):
        if suffix == ".xls":
            raise not_workbook_error(path, "a zip package named .xls; rename it to .xlsx")
        check_zip(path)
        return
    raise not_workbook_error(path)


def _open(path: Path) -> Any:
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    try:
        return CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise protected_error(path) from None
    except (CalamineError, ValueError, OSError, RuntimeError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "password" in text.lower() or "encrypt" in text.lower():
            raise protected_error(path) from None
        raise not_workbook_error(path, text[:200]) from None


def open_workbook(path: Path, size: int) -> Any:
    _precheck(path, size)
    return _open(path)


@contextlib.contextmanager
def _calamine_panics(path: Path) -> Iterator[None]:
    """A Rust panic inside python-calamine (a malformed record it does not expect) surfaces as
    pyo3's PanicException, a BaseException no `except Exception` catches: make it a refusal.

    Rust's panic hook also prints the panic (and maybe a backtrace) straight to file descriptor 2,
    so stderr is held in a temporary file while calamine works: dropped after a panic, passed on
    untouched otherwise. (The progress spinner writes to its own copy of the descriptor.)
    """
    import os
    import sys
    import tempfile

    with tempfile.TemporaryFile() as held:
        _flush(sys.stderr)
        saved = os.dup(2)
        os.dup2(held.fileno(), 2)
        panicked = False
        try:
            yield
        except BaseException as exc:
            if type(exc).__name__ != "PanicException":
                raise
            panicked = True
            detail = (str(exc).splitlines() or [""])[0][:160]
            raise not_workbook_error(path, f"the workbook reader could not parse it: {detail}") from None
        finally:
            _flush(sys.stderr)
            os.dup2(saved, 2)
            os.close(saved)
            if not panicked:
                held.seek(0)
                for block in iter(lambda: held.read(1 << 16), b""):
                    os.write(2, block)


def _flush(stream: Any) -> None:
    try:
        stream.flush()
    except (AttributeError, OSError, ValueError):
        pass


def list_excel_sheets(path: Path, size: int) -> list[str]:
    with _calamine_panics(path):
        wb = open_workbook(path, size)
        try:
            return list(wb.sheet_names)
        finally:
            wb.close()


def _load_sheet(path: Path, wb: Any, name: str) -> Any:
    from python_calamine import CalamineError

    check_sheet_extent(path, name)  # calamine allocates the sheet's whole rectangle: bound it first
    try:
        sheet = wb.get_sheet_by_name(name)
    except (CalamineError, ValueError, RuntimeError) as exc:
        raise not_workbook_error(path, f"sheet {name!r}: {str(exc).splitlines()[0][:200]}") from None
    max_cols = limits.limit("MAX_COLUMNS")
    if sheet.width > max_cols:
        raise InputError(f"{path}: " + both("read.sheet_columns", sheet=repr(name), cols=f"{sheet.width:,}",
                                            limit=f"{max_cols:,}"))
    return sheet


def _head(sheet: Any) -> list[list[object]]:
    # Blank rows inside the head are cheap; scan a bounded window for the header.
    return sheet.to_python(nrows=limits.HEADER_SCAN_ROWS * 4) if sheet.start is not None else []


def _resolve_sheet(path: Path, names: list[str], sheet: str) -> str:
    if sheet in names:
        return sheet
    if sheet.strip().isdigit():
        index = int(sheet.strip())
        if index < len(names):
            return names[index]
    listing = ", ".join(f"{i}={n!r}" for i, n in enumerate(names))
    raise InputError(f"{path}: " + both("read.no_sheet", sheet=repr(sheet), sheets=listing))


def read_excel(path: Path, size: int, sheet: str | None, score: HeaderScore | None) -> RawTable:
    with _calamine_panics(path):
        return _read_excel(path, size, sheet, score)


def _read_excel(path: Path, size: int, sheet: str | None, score: HeaderScore | None) -> RawTable:
    wb = open_workbook(path, size)
    try:
        names = list(wb.sheet_names)
        if not names:
            raise not_workbook_error(path, "no sheets")
        if sheet is not None:
            chosen = _resolve_sheet(path, names, sheet)
            data = _load_sheet(path, wb, chosen)
            head = _head(data)
            h, _s, shown = find_header(head, score, scan=limits.HEADER_SCAN_ROWS)
            if h < 0:
                raise no_header_error(path, chosen, head[shown] if shown is not None else None)
        else:
            best: tuple[int, str, Any, list[list[object]], int] | None = None
            first_fail: tuple[str, list[object] | None] | None = None
            for name in names:
                candidate = _load_sheet(path, wb, name)
                head = _head(candidate)
                h, s, shown = find_header(head, score, scan=limits.HEADER_SCAN_ROWS)
                if h < 0:
                    if first_fail is None or (shown is not None and first_fail[1] is None):
                        first_fail = (name, head[shown] if shown is not None else None)
                    continue
                if best is None or s > best[0]:
                    best = (s, name, candidate, head, h)
            if best is None:
                name, cells = first_fail or (names[0], None)
                raise no_header_error(path, name, cells)
            _s, chosen, data, head, h = best
        return _table(path, chosen, data, h)
    finally:
        wb.close()


def _table(path: Path, name: str, sheet: Any, h: int) -> RawTable:
    import numpy as np
    import pandas as pd

    from pipeaudit.model import RawTable

    start_row, start_col = sheet.start
    rows = sheet.to_python()
    header_cells = rows[h]
    body = rows[h + 1 :]
    width = len(header_cells)
    n = len(body)
    # Transpose once in C: one row of `columns` per sheet column, no per-cell Python work.
    columns = _columns(body, width)
    del body, rows
    # calamine gives "" for an empty cell; numpy compares the whole object array in one call
    empty = columns == ""
    columns[empty] = None
    # Drop trailing columns that have neither a header nor data (formatting often widens the range).
    while width and header_cells[width - 1] in ("", None) and bool(empty[width - 1].all()):
        width -= 1
    headers = header_names(header_cells[:width], first_column=start_col + 1)
    # Object columns, as found: letting pandas infer string dtypes here would cost more than the read.
    # The frame is a view of `columns` (one block), not a copy of it.
    cells = pd.DataFrame(columns[:width].T, index=pd.RangeIndex(n), columns=range(width), dtype=object, copy=False)
    row_numbers = np.arange(start_row + h + 2, start_row + h + 2 + n, dtype=np.int64)
    cells, row_numbers, totals, blanks = shape_data(cells, row_numbers, list(empty[:width]))
    cells, row_numbers, hints = skip_hint_rows(cells, row_numbers)
    return RawTable(
        source=path,
        sheet=name,
        header_row=start_row + h + 1,
        headers=headers,
        cells=cells,
        row_numbers=row_numbers,
        skipped_total_rows=totals,
        dropped_blank_rows=blanks,
        notes=[hint_note(hints)] if hints else [],
        skipped_hint_rows=hints,
    )


def _columns(body: list[list[object]], width: int):
    """The rows below the header as a C-contiguous (width, n) object array: columns[j] is column j."""
    import numpy as np

    n = len(body)
    if n and all(len(r) == width for r in body):
        columns = np.empty((width, n), dtype=object)
        # Filled through its transposed view: numpy writes each row's references straight into place,
        # with no (n, width) grid to transpose and copy again (100k x 23 cells: 0.13 -> 0.08 s).
        columns.T[:] = body
        return columns
    columns = np.empty((width, n), dtype=object)
    columns.fill("")  # a ragged grid (calamine's is rectangular): short rows end in empty cells
    for i, row in enumerate(body):
        cells = row[:width]
        columns[: len(cells), i] = cells
    return columns
