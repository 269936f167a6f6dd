"""Files → RawTable: find the sheet, the header row and the deal rows, as a person reading the export would.

Decides by extension; every unreadable file becomes an InputError naming the file and the reason.
Heavy libraries (pandas, calamine) are imported only when a file is actually read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipeaudit.errors import InputError
from pipeaudit.i18n import both, in_both, t

if TYPE_CHECKING:
    from pipeaudit.model import RawTable

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
SUPPORTED = EXCEL_SUFFIXES + TEXT_SUFFIXES

__all__ = ["read_table", "list_sheets", "SUPPORTED"]


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    if suffix in TEXT_SUFFIXES:
        return "text"
    raise InputError(f"{path}: " + in_both(lambda lang: t(
        "read.unsupported", lang, suffix=suffix or t("read.no_extension", lang), supported=", ".join(SUPPORTED))))


def read_table(
    path: Path,
    sheet: str | None = None,
    header_score: Callable[[Sequence[object]], int] | None = None,
) -> RawTable:
    """The deal table in `path`: header located, title/blank/total rows gone, values untyped."""
    from pipeaudit.read.guard import check_path
    from pipeaudit.runtime import use_jemalloc

    path = Path(path)
    size = check_path(path)
    kind = _kind(path)
    use_jemalloc()  # before Arrow's first buffer: the guards, the CSV reader and the engine all use it
    if kind == "excel":
        from pipeaudit.read.excel import read_excel

        return read_excel(path, size, sheet, header_score)
    if sheet is not None:  # a sheet that cannot be honoured must not be ignored silently
        raise InputError(f"{path}: --sheet {sheet}: " + both("read.text_no_sheets", kind=path.suffix or "text"))
    from pipeaudit.read.csv import read_delimited

    return read_delimited(path, size, header_score)


def list_sheets(path: Path) -> list[str]:
    """Sheet names in workbook order; [] for a text file."""
    from pipeaudit.read.guard import check_path

    path = Path(path)
    size = check_path(path)
    if _kind(path) != "excel":
        return []
    from pipeaudit.read.excel import list_excel_sheets

    return list_excel_sheets(path, size)
