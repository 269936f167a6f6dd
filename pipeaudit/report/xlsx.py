"""report.xlsx with XlsxWriter: a summary sheet, then a sheet per rep, ready to print and to click.

Why XlsxWriter (measured in benchmarks/RESULTS.md): it streams rows (constant_memory), writes native
charts, print setup, hyperlinks and row heights, and was twice as fast as openpyxl's write-only
mode on the same rows. The hand-written SpreadsheetML writer it replaces was faster still, but
every feature above would have grown it by hand.

Nothing from the data may become a formula: every text cell goes through write_string (never
write(), which would guess formulas and links), text a spreadsheet would run after an edit
(= + - @ tab CR) gets the quote-prefix style, characters XML 1.0 cannot hold are dropped, and
XlsxWriter escapes the rest (including Excel's own _xHHHH_ escapes). Links are only ever internal,
to sheet titles made safe by report.naming.

Layout: A4 landscape, fit to the page width, the table header repeated on every printed page,
row heights from the number of lines each row shows. A rep's sheet lists the riskiest
MAX_SHEET_DEALS flagged and A/B deals; `pipeaudit check --format csv` has every finding.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

MAX_WIDTH = 60
MAX_TEXT = 32000  # Excel allows 32,767 characters in a cell
MAX_SHEET_DEALS = 50  # deals on a rep's sheet, riskiest first: more than a meeting gets through
LINE_HEIGHT = 15.0  # points per line of 11-point text
MAX_ROW_LINES = 27  # Excel caps a row at 409 points
FILLS = {"error": "#F8C9C4", "warning": "#FCE3B0", "info": "#CFE0F5"}
HEAD_FILL = "#E8ECF0"
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: Any) -> str:
    """Text for a cell: what XML 1.0 cannot hold dropped, cut to what Excel holds."""
    text = value if type(value) is str else str(value)
    if not text.isprintable():
        text = _ILLEGAL_XML.sub("", text)
    return text[:MAX_TEXT]


def text_width(text: str) -> int:
    """Display columns of one line: CJK (3 bytes in UTF-8) counts as two."""
    return (len(text) + len(text.encode("utf-8"))) // 2


def lines_needed(text: str, width: float) -> int:
    """Lines a wrapped cell of `width` characters shows for `text`."""
    room = max(1.0, width - 1)
    return sum(max(1, math.ceil(text_width(line) / room)) for line in text.split("\n"))


class Sheet:
    """One worksheet written row by row, typed cells, row heights from the lines they show."""

    def __init__(self, book: "Book", ws, widths: list[float]):
        self.book, self.ws, self.widths, self.row = book, ws, widths, 0
        for i, w in enumerate(widths):
            ws.set_column(i, i, w)

    def write(self, values: list[Any], kinds: tuple | list = (), fill: str | None = None, bold: bool = False,
              fills: dict[int, str] | None = None, spill: bool = False) -> int:
        """Write one row; returns its index. kinds[i]: text (default), int, amount, date, link:SHEET.
        `spill`: one-line texts run on over the empty cells beside them instead of wrapping
        (titles, notes, the appendix's questions)."""
        r, ws, book = self.row, self.ws, self.book
        lines = 1
        cells = []
        for i, v in enumerate(values):
            kind = kinds[i] if i < len(kinds) else "text"
            cell_fill = (fills or {}).get(i, fill)
            if v is None or (isinstance(v, float) and not math.isfinite(v)):
                if cell_fill:
                    cells.append((i, "blank", None, book.fmt(cell_fill=cell_fill, bold=bold)))
                continue
            if kind in ("int", "amount", "float") and isinstance(v, (int, float)) and not isinstance(v, bool):
                cells.append((i, "number", v, book.fmt(kind, cell_fill, bold)))
            elif kind == "date" and isinstance(v, date):
                cells.append((i, "date", v if isinstance(v, datetime) else datetime(v.year, v.month, v.day),
                              book.fmt("date", cell_fill, bold)))
            elif kind.startswith("link:"):
                text = clean_text(v)
                cells.append((i, "link", (kind[5:], text), book.fmt("link", cell_fill, bold, False,
                                                                     text.startswith(_FORMULA_LEADS))))
            else:
                text = clean_text(v)
                wrap = "\n" in text or (not spill and i < len(self.widths) and text_width(text) > self.widths[i])
                if wrap:
                    lines = max(lines, lines_needed(text, self.widths[i] if i < len(self.widths) else 10))
                cells.append((i, "text", text, book.fmt("text", cell_fill, bold, wrap, text.startswith(_FORMULA_LEADS))))
        if lines > 1:
            ws.set_row(r, LINE_HEIGHT * min(lines, MAX_ROW_LINES) + 2)
        for i, how, v, fmt in cells:
            if how == "number":
                ws.write_number(r, i, v, fmt)
            elif how == "date":
                ws.write_datetime(r, i, v, fmt)
            elif how == "link":
                target, text = v
                ws.write_url(r, i, f"internal:{quote_title(target)}!A1", fmt, string=text)
            elif how == "blank":
                ws.write_blank(r, i, None, fmt)
            else:
                ws.write_string(r, i, v, fmt)
        self.row += 1
        return r

    def wide(self, head: str, text: str, first: int = 2, last: int = 9) -> int:
        """A heading in column A and a long multi-line text merged across columns first..last (the
        appendix's questions), its row as tall as the text needs at that width."""
        r, book = self.row, self.book
        text = clean_text(text)
        width = sum(self.widths[first:last + 1]) if len(self.widths) > last else 100.0
        self.ws.set_row(r, LINE_HEIGHT * min(lines_needed(text, width), MAX_ROW_LINES) + 2)
        self.ws.write_string(r, 0, clean_text(head), book.fmt("text", HEAD_FILL, True, True))
        self.ws.merge_range(r, first, r, last, text, book.fmt("text", None, False, True, text.startswith(_FORMULA_LEADS)))
        self.row += 1
        return r

    def gap(self, n: int = 1) -> None:
        self.row += n

    def title(self, text: str) -> int:
        return self.write([text], bold=True, spill=True)

    def note(self, text: str, bold: bool = False) -> int:
        return self.write([text], bold=bold, spill=True)


class Book:
    """The workbook and its formats, made once per combination."""

    def __init__(self, target: Any, unit_div: float):
        import xlsxwriter

        # strings_to_*: never turn a string into a formula, a number or a link behind our back
        self.wb = xlsxwriter.Workbook(target, {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
            "strings_to_urls": False, "default_date_format": "yyyy-mm-dd"})
        self.amount_format = "#,##0" if unit_div == 1 else "#,##0.0"
        self._formats: dict[tuple, Any] = {}

    def fmt(self, kind: str = "text", cell_fill: str | None = None, bold: bool = False, wrap: bool = False,
            quote: bool = False):
        key = (kind, cell_fill, bold, wrap, quote)
        found = self._formats.get(key)
        if found is None:
            props: dict[str, Any] = {"valign": "top"}
            if kind == "int":
                props["num_format"] = "0"
            elif kind == "amount":
                props["num_format"] = self.amount_format
            elif kind == "date":
                props["num_format"] = "yyyy-mm-dd"
            elif kind == "link":
                props.update(font_color="#1F5F99", underline=1)
            if cell_fill:
                props.update(bg_color=cell_fill, pattern=1)
            if bold:
                props["bold"] = True
            if wrap:
                props["text_wrap"] = True
            if quote:
                props["quote_prefix"] = True
            found = self._formats[key] = self.wb.add_format(props)
        return found

    def sheet(self, title: str, widths: list[float], header_rows: tuple[int, int] | None = None) -> Sheet:
        ws = self.wb.add_worksheet(title)
        ws.set_paper(9)  # A4
        ws.set_landscape()
        ws.fit_to_pages(1, 0)  # one page wide, as many tall as it takes
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
        ws.set_footer("&C&P / &N")
        if header_rows is not None:
            ws.repeat_rows(*header_rows)
        return Sheet(self, ws, widths)


def quote_title(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _widths(labels: list[str], sample: list[list[Any]], cap: int = MAX_WIDTH) -> list[float]:
    out = []
    for i, label in enumerate(labels):
        values = {r[i] for r in sample[:100] if i < len(r) and isinstance(r[i], str)}
        longest = max([text_width(label)] + [max(text_width(x) for x in v.split("\n")) for v in values if v])
        out.append(float(min(cap, max(8, longest + 2))))
    return out
