"""The refusal for a sheet too big to load, worded once for the .xlsx, .ods and .xls scans.

python-calamine holds a sheet as one dense rectangle spanning its cells, so what must be bounded
is that rectangle: its last row, its width and its area, against the documented limits.
"""

from __future__ import annotations

from pathlib import Path

from pipeaudit.errors import InputError
from pipeaudit.i18n import both
from pipeaudit.read import limits


def sheet_too_big(path: Path, sheet: str, rows: int, cols: int, what: str) -> InputError:
    """The error for a sheet past the limit on `what`: "rows", "columns" or (anything else) cells."""
    max_cols, max_cells, max_rows = limits.limit("MAX_COLUMNS"), limits.limit("MAX_CELLS"), limits.MAX_ROWS
    if what == "rows":
        return InputError(f"{path}: " + both("read.sheet_rows", sheet=repr(sheet), rows=f"{rows:,}", limit=f"{max_rows:,}"))
    if what == "columns":
        return InputError(f"{path}: " + both("read.sheet_cols", sheet=repr(sheet), cols=f"{cols:,}", limit=f"{max_cols:,}"))
    return InputError(f"{path}: " + both("read.sheet_cells", sheet=repr(sheet), rows=f"{rows:,}", cols=f"{cols:,}",
                                         cells=f"{rows * cols:,}", limit=f"{max_cells:,}"))


def check_sheet_size(path: Path, sheet: str, rows: int, cols: int) -> None:
    """Refuse a sheet whose rectangle of rows x cols is past any of the limits."""
    if rows > limits.MAX_ROWS:
        raise sheet_too_big(path, sheet, rows, cols, "rows")
    if cols > limits.limit("MAX_COLUMNS"):
        raise sheet_too_big(path, sheet, rows, cols, "columns")
    if rows * cols > limits.limit("MAX_CELLS"):
        raise sheet_too_big(path, sheet, rows, cols, "cells")
