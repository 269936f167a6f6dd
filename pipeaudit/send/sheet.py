"""A one-rep workbook cut from report.xlsx, so an e-mailed xlsx holds the rep's own deals only.

report.xlsx holds every rep (a sheet each, plus the team summary); attaching it would show each
rep everyone's deals. The rep's sheet is copied, values only, into a new workbook: the rep page
as the report wrote it, and nothing else. The report folder is an input like any other: the file
is size- and zip-checked before openpyxl reads it, openpyxl must be parsing XML through defusedxml
(ensure_defusedxml; OPENPYXL_DEFUSEDXML=False switches that off, and the file is then not opened),
and text that starts like a formula stays text.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pipeaudit.i18n import both
from pipeaudit.send.retry import DeliveryError

MAX_BOOK_BYTES = 1 << 30  # report.xlsx on disk
MAX_UNPACKED = 4 << 30  # all its parts unpacked
MAX_RATIO = 200  # a part may unpack to at most this many times its packed size
MAX_ROWS = 200_000  # rows of one rep's sheet
HEAD_ROWS = 2  # the rep's title line (with the link back, which stays behind) and the header


class RepWorkbooks:
    """report.xlsx, opened once for a run; `one(title)` is that sheet alone, as xlsx bytes."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._book = None

    def _open(self):
        if self._book is not None:
            return self._book
        try:
            size = self.path.stat().st_size
            if size > MAX_BOOK_BYTES:
                raise DeliveryError(f"{self.path.name}: larger than {MAX_BOOK_BYTES >> 20} MB, not attached")
            with zipfile.ZipFile(self.path) as z:
                infos = z.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_UNPACKED or any(i.file_size > MAX_RATIO * max(i.compress_size, 1024) for i in infos):
                raise DeliveryError(f"{self.path.name}: " + both("delivery.zip_bomb"))
            from pipeaudit.errors import PipeauditError
            from pipeaudit.read.guard.paths import ensure_defusedxml

            try:
                ensure_defusedxml()
            except PipeauditError as exc:
                raise DeliveryError(f"{self.path.name}: " + both("delivery.not_opened") + f": {exc}") from None
            from openpyxl import load_workbook

            self._book = load_workbook(self.path, read_only=True, data_only=True)
        except DeliveryError:
            raise
        except FileNotFoundError:
            raise DeliveryError(f"{self.path.name}: " + both("delivery.missing_file")) from None
        except Exception as exc:  # a damaged workbook: openpyxl, zipfile and XML parsers raise their own types
            raise DeliveryError(f"{self.path.name}: " + both("read.unreadable", error=type(exc).__name__)) from None
        return self._book

    def one(self, title: str) -> bytes:
        from openpyxl import Workbook

        book = self._open()
        if title not in book.sheetnames:
            raise DeliveryError(f"{self.path.name}: " + both("delivery.no_rep_sheet", sheet=repr(title[:40])))
        from openpyxl.utils import get_column_letter

        source = book[title]
        out = Workbook(write_only=True)
        sheet = out.create_sheet(title)
        widths: dict[int, int] = {}
        for row in source.iter_rows(max_row=100, values_only=True):  # widths go before the first row
            for i, v in enumerate(row):
                widths[i] = max(widths.get(i, 8), min(60, _width(v) + 2))
        for i, w in widths.items():
            sheet.column_dimensions[get_column_letter(i + 1)].width = w
        sheet.freeze_panes = "B3"  # as report.xlsx: the two head rows and the deal's name stay in view
        try:
            for n, row in enumerate(source.iter_rows(values_only=True)):
                if n >= MAX_ROWS:
                    raise DeliveryError(both("delivery.sheet_rows", sheet=repr(title[:40]), limit=MAX_ROWS))
                sheet.append([_cell(sheet, v, bold=n < HEAD_ROWS) for v in row])
            buf = io.BytesIO()
            out.save(buf)
        except DeliveryError:
            raise
        except Exception as exc:  # a damaged sheet part, a value openpyxl will not write
            raise DeliveryError(both("delivery.sheet_copy", sheet=repr(title[:40]), error=type(exc).__name__)) from None
        return buf.getvalue()

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = None


def _cell(sheet, value: Any, bold: bool):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
        if value.startswith(("=", "+", "-", "@")):
            cell.quotePrefix = True
        if "\n" in value:  # findings and questions are a line each, as in report.xlsx
            from openpyxl.styles import Alignment

            cell.alignment = Alignment(wrap_text=True, vertical="top")
    elif isinstance(value, (datetime, date)):
        cell.number_format = "yyyy-mm-dd"
    if bold:
        cell.font = Font(bold=True)
    return cell


def _width(value: Any) -> int:
    if value is None:
        return 0
    text = str(value).split("\n", 1)[0]
    return (len(text) + len(text.encode("utf-8"))) // 2
