"""report.xlsx written by XlsxWriter (what the report uses) and by openpyxl's write-only mode, timed
on the same report model: the cost of the library choice in issue 12.

Usage: python benchmarks/xlsx_writers.py [ROWS]   (default 100000: the bench's workbook)
Builds the report model of the generated ROWS-deal workbook once, then writes report.xlsx with each
library, twice, and prints the best time of each. The openpyxl path writes the same cells, styles
(wrap, number formats, fills, quote prefix), row heights and links through an adapter; charts and
print setup, a few objects per sheet, are left out of both timings' difference.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


class _OpenpyxlSheet:
    """The slice of XlsxWriter's worksheet API that report.workbook calls, on an openpyxl write-only sheet."""

    def __init__(self, book: "_OpenpyxlBook", ws):
        self.book, self.ws, self.rows, self.heights = book, ws, {}, {}

    def get_name(self):
        return self.ws.title

    def set_column(self, first, last, width):
        from openpyxl.utils import get_column_letter

        self.ws.column_dimensions[get_column_letter(first + 1)].width = width

    def set_row(self, r, height):
        self.heights[r] = height

    def _put(self, r, c, value, fmt, link=None):
        from openpyxl.cell import WriteOnlyCell

        self._flush(r)
        cell = WriteOnlyCell(self.ws, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        if fmt is not None:
            fmt.apply(cell)
        if link:
            cell.hyperlink = link
        self.rows.setdefault(r, {})[c] = cell

    def _flush(self, upto):
        for r in sorted(k for k in self.rows if k < upto):
            cells = self.rows.pop(r)
            if r in self.heights:
                self.ws.row_dimensions[r + 1].height = self.heights.pop(r)
            self.ws.append([cells.get(i) for i in range(max(cells) + 1)])

    def write_string(self, r, c, v, fmt=None):
        self._put(r, c, v, fmt)

    def write_number(self, r, c, v, fmt=None):
        self._put(r, c, v, fmt)

    def write_datetime(self, r, c, v, fmt=None):
        self._put(r, c, v, fmt)

    def write_blank(self, r, c, v, fmt=None):
        self._put(r, c, None, fmt)

    def write_url(self, r, c, url, fmt=None, string=None):
        self._put(r, c, string, fmt, link=url.replace("internal:", "#"))

    def merge_range(self, r, c1, r2, c2, text, fmt=None):
        self._put(r, c1, text, fmt)

    def close(self):
        self._flush(1 << 30)

    def __getattr__(self, name):  # freeze_panes, autofilter, print setup, charts: not timed
        return lambda *a, **k: None


class _Fmt:
    def __init__(self, props):
        from openpyxl.styles import Alignment, Font, PatternFill

        self.number_format = props.get("num_format")
        self.alignment = Alignment(vertical="top", wrap_text=bool(props.get("text_wrap")))
        self.font = Font(bold=bool(props.get("bold")))
        colour = props.get("bg_color")
        self.fill = PatternFill("solid", fgColor=colour.lstrip("#")) if colour else None
        self.quote = bool(props.get("quote_prefix"))

    def apply(self, cell):
        if self.number_format:
            cell.number_format = self.number_format
        cell.alignment = self.alignment
        cell.font = self.font
        if self.fill is not None:
            cell.fill = self.fill
        if self.quote:
            cell.quotePrefix = True


class _OpenpyxlBook:
    def __init__(self, path):
        from openpyxl import Workbook

        self.path, self.wb, self.sheets = path, Workbook(write_only=True), []

    def add_worksheet(self, title):
        sheet = _OpenpyxlSheet(self, self.wb.create_sheet(title))
        self.sheets.append(sheet)
        return sheet

    def add_format(self, props):
        return _Fmt(props)

    def add_chart(self, *a, **k):
        return type("Chart", (), {"__getattr__": lambda self, n: (lambda *a, **k: None)})()

    def close(self):
        for s in self.sheets:
            s.close()
        self.wb.save(self.path)


def write_with(model, path: Path, library: str) -> float:
    from pipeaudit.report import workbook, xlsx
    from pipeaudit.report.naming import sheet_names

    L = model["L"]
    summary_title = L["summary_sheet"][:31]
    titles = sheet_names([r["owner"] for r in model["reps"]], reserved={summary_title}, blank=L["no_owner"])
    start = time.perf_counter()
    if library == "xlsxwriter":
        workbook.write_workbook(model, path)
    else:
        book = xlsx.Book.__new__(xlsx.Book)
        book.wb = _OpenpyxlBook(path)
        book.amount_format = "#,##0.0"
        book._formats = {}
        workbook.summary_sheet(book, model, summary_title, titles)
        for rep in model["reps"]:
            workbook.rep_sheet(book, model, rep, titles[rep["owner"]], summary_title)
        book.wb.close()
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    rows = int(argv[0]) if argv else 100_000
    from generate import dataset_path  # benchmarks/generate.py

    from pipeaudit.options import AuditOptions
    from pipeaudit.pipeline import run_audit
    from pipeaudit.report.context import build_model
    from pipeaudit.report.texts import load_texts

    export = dataset_path(rows, "xlsx")
    result = run_audit(AuditOptions(path=export, as_of=date(2026, 11, 23)))
    model = build_model(result, load_texts(result.lang))
    with tempfile.TemporaryDirectory() as tmp:
        for library in ("xlsxwriter", "openpyxl"):
            best = min(write_with(model, Path(tmp) / f"{library}-{i}.xlsx", library) for i in range(2))
            size = (Path(tmp) / f"{library}-0.xlsx").stat().st_size
            print(f"{library:<11} {best:6.2f} s  {size / 1e6:5.1f} MB  ({len(model['reps'])} rep sheets)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
