"""The .ods guard: the tables of content.xml counted the way calamine will build them.

calamine builds every sheet of an .ods when the file is opened. An ODS table has no cell
references: rows and cells are counted, and number-rows-repeated / number-columns-repeated
multiply them, so a few bytes can declare millions of rows. calamine skips trailing empty rows
and cells, keeps empty rows between filled ones, and copies a repeated filled row or cell that
many times. Only the exact names (table:table-row, ...) count for calamine, and text or comments
inside a row make it fail.
"""

from __future__ import annotations

import operator
import re
import zipfile
from itertools import compress, repeat
from pathlib import Path

from pipeaudit.read import limits
from pipeaudit.read.guard.paths import not_workbook_error
from pipeaudit.read.guard.sheet_size import sheet_too_big
from pipeaudit.read.guard.xml_scan import MAX_CARRY, Finder, attr_list, xml_unescape
from pipeaudit.read.guard.zip_parts import part_blocks

_ODS_NAMES = rb"table:table|table:table-row|table:table-cell|table:covered-table-cell"
_ODS_SKIP = re.compile(
    rb"(?:[^<]++"
    rb"|<!--(?:[^-]++|-(?!->))*+-->"
    rb"|<!\[CDATA\[(?:[^\]]++|\](?!\]>))*+\]\]>"
    rb"|<\?(?:[^?]++|\?(?!>))*+\?>"
    rb"|<(?!/?+(?:" + _ODS_NAMES + rb")[ \t\r\n/>]|!--|!\[CDATA\[|\?)(?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+>"
    rb")*+"
)
_ODS_TAG = re.compile(rb"<(/?+)(" + _ODS_NAMES + rb")(?=[ \t\r\n/>])((?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+)>")
_ODS_IRREGULAR = (
    rb"<!|<\?"  # a comment, CDATA, PI or DTD
    rb"|<table:table[ \t\r\n/>]"  # a table starting (a nested one, or the next)
    rb"|<table:table-row(?:[^>\"']|\"[^\"]*\"|'[^']*')*/>"  # an empty-element row
    rb"|=[ \t\r\n]*(?:\"[^\"<]*<|'[^'<]*<)"  # '<' inside an attribute value
    rb"|number-rows-repeated"  # a repeated row (rare between filled rows)
    rb"|</table:table-row[ \t\r\n]"  # an end tag spelt with spaces
)
_ODS_COL_REPEAT = re.compile(rb"table:number-columns-repeated[ \t\r\n]*=[ \t\r\n]*[\"']([^\"']*)[\"']")
_RUST_USIZE = re.compile(rb"\+?([0-9]+)")  # what Rust's usize::from_str accepts
_MALFORMED = "a malformed tag"


class _OdsTables:
    """calamine's ODS reader reduced to counts: per table, the rows and columns it will hold."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done = False
        self.in_table = self.in_row = False
        self.cell_depth = 0
        self.max_cols, self.max_cells = limits.limit("MAX_COLUMNS"), limits.limit("MAX_CELLS")
        self.extents: list[tuple[str, int, int]] = []  # per table: name, rows, columns
        self.finder = Finder()
        self.finder.set(0, _ODS_IRREGULAR)

    def feed(self, data: bytes) -> bytes:
        pos, end = 0, len(data)
        self.tokens_until = 0
        while not self.done:
            if self.in_table and not self.in_row and not self.cell_depth and pos >= self.tokens_until:
                pos = self._rows_in_bulk(data, pos)
            pos = _ODS_SKIP.match(data, pos).end()
            if pos >= end:
                return b""
            tok = _ODS_TAG.match(data, pos)
            if tok is None:
                return data[pos:]
            pos = tok.end()
            self.token(tok.group(1) == b"/", tok.group(2), tok.group(3))
        return b""

    def _rows_in_bulk(self, data: bytes, pos: int) -> int:
        """Handle whole plain rows from pos on with a few C-level calls each; return where token by
        token must go on. Plain: no comment/CDATA/PI/DTD, no table start, no '<' in an attribute
        value, no entity in a row repeat, no empty-element row; each slice between row ends holds
        one row start and no cell before it."""
        stop = data.find(b"</table:table>", pos)
        stop = len(data) if stop == -1 else stop
        end = data.rfind(b"</table:table-row>", pos, stop)
        if end == -1:
            return pos
        end += len(b"</table:table-row>")
        odd = self.finder.first(0, data, pos, end)
        if odd is not None:
            nxt = data.find(b"</table:table-row>", odd)
            self.tokens_until = len(data) if nxt == -1 else nxt + len(b"</table:table-row>")
            end = data.rfind(b"</table:table-row>", pos, odd)
            if end == -1:
                return pos
            end += len(b"</table:table-row>")
        segs = data[pos:end].split(b"</table:table-row>")[:-1]
        starts = list(map(bytes.startswith, segs, repeat(b"<table:table-row")))
        if not all(starts) or data.count(b"<table:table-row", pos, end) != len(segs):
            # the first slice not holding exactly one row start, at its start, goes token by token
            counts = map(bytes.count, segs, repeat(b"<table:table-row"))
            k = next(i for i, (st, n) in enumerate(zip(starts, counts)) if not st or n != 1)
            self.tokens_until = max(self.tokens_until, pos + sum(map(len, segs[: k + 1])) + (k + 1) * 18)
            segs = segs[:k]
        if not segs:
            return pos
        # Per row: the last filled cell (an office: value attribute or a formula) ends its start
        # tag before the next '<' (none inside values here); its cells up to there are written,
        # each `number-columns-repeated` times. A row's own tag holds no repeat in this path.
        body = [i + 1 for i in map(bytes.find, segs, repeat(b">"))]
        filled = list(map(bytes.rfind, segs, repeat(b"office:")))
        if data.find(b"table:formula", pos, end) != -1:
            filled = list(map(max, filled, map(bytes.rfind, segs, repeat(b"table:formula"))))
        upto = list(map(bytes.find, segs, repeat(b"<"), filled))
        upto = [len(g) if u == -1 else u for g, u in zip(segs, upto)]
        widths = list(map(bytes.count, segs, repeat(b"<table:"), body, upto))
        repeated = map(bytes.find, segs, repeat(b"number-columns-repeated"), body, upto)
        for i in compress(range(len(segs)), map(operator.ne, repeated, repeat(-1))):
            if filled[i] < body[i]:
                continue
            for value in _ODS_COL_REPEAT.findall(segs[i], body[i], upto[i]):
                n = int(value) if value.isdigit() and len(value) < 10 else _usize(value)
                if n is None:
                    self.done = True
                    return pos
                widths[i] += n - 1
        self._add_plain_rows([w if f >= b else 0 for f, b, w in zip(filled, body, widths)])
        return pos + sum(map(len, segs)) + 18 * len(segs)  # 18 = len(b"</table:table-row>")

    def _repeats(self, attrs: bytes, name: bytes, unescape: bool) -> int | None:
        """The repeat count calamine reads (1 when absent); None when calamine fails on it."""
        found = [v for k, v in attr_list(self.path, attrs, _MALFORMED) if k == name]
        if not found:
            return 1
        counts = [n for v in found if (n := _usize(xml_unescape(v).encode() if unescape else v)) is not None]
        return max(counts) if counts else None  # calamine reads one; the largest is the safe bound

    def token(self, closing: bool, name: bytes, attrs: bytes) -> None:
        empty = not closing and attrs.rstrip(b" \t\r\n").endswith(b"/")
        if name == b"table:table":
            if closing:
                if self.in_table:
                    self._end_table()
            elif self.in_table:
                raise not_workbook_error(self.path, "a table nested in a table")
            else:
                self.in_table, self.total, self.first, self.last_end, self.cols, self.cells = True, 0, None, 0, 0, 0
                names = [v for k, v in attr_list(self.path, attrs, _MALFORMED) if k == b"table:name"]
                self.name = xml_unescape(names[0]) if names else "?"
                if empty:
                    self._end_table()
            return
        if not self.in_table:
            return
        if self.cell_depth:  # calamine reads a cell's content up to its end
            if name in (b"table:table-cell", b"table:covered-table-cell"):
                self.cell_depth += -1 if closing else (0 if empty else 1)
            return
        if name == b"table:table-row":
            if closing:
                if self.in_row:
                    self._end_row()
                return
            repeats = self._repeats(attrs, b"table:number-rows-repeated", unescape=True)
            if repeats is None:
                self.done = True  # calamine fails: the tables checked so far are all it builds
                return
            self.in_row, self.row_repeats, self.width, self.pending = True, repeats, 0, 0
            if empty:
                self._end_row()
            return
        if closing or not self.in_row:
            return
        repeats = self._repeats(attrs, b"table:number-columns-repeated", unescape=False)
        if repeats is None:
            self.done = True
            return
        filled = any(k.startswith(b"office:") or k == b"table:formula" for k, _v in attr_list(self.path, attrs, _MALFORMED))
        if filled:  # empty cells before it are written out, then this one `repeats` times
            self.width += self.pending + repeats
            self.pending = 0
        else:
            self.pending += repeats  # written only if a filled cell follows in this row
        if self.width > self.max_cols:
            raise sheet_too_big(self.path, self.name, self.total + 1, self.width, "columns")
        if not empty:
            self.cell_depth = 1

    def _end_row(self) -> None:
        self.in_row = False
        self._add_row(self.row_repeats, self.width)

    def _add_row(self, repeats: int, width: int) -> None:
        """calamine keeps rows from the first filled one to the last (empty ones between them), each
        `repeats` times, as wide as the widest; and each row element's cells once beforehand."""
        if width:
            if self.first is None:
                self.first = self.total
            self.last_end = self.total + repeats
            self.cols, self.cells = max(self.cols, width), self.cells + width
            self._check()
        self.total += repeats

    def _add_plain_rows(self, widths: list[int]) -> None:
        """_add_row(1, w) for each of widths, at once."""
        filled = [i for i, w in enumerate(widths) if w] if any(widths) else []
        if filled:
            if self.first is None:
                self.first = self.total + filled[0]
            self.last_end = self.total + filled[-1] + 1
            self.cols, self.cells = max(self.cols, max(widths)), self.cells + sum(widths)
            self._check()
        self.total += len(widths)

    def _check(self) -> None:
        rows = self.last_end - self.first
        if rows > limits.MAX_ROWS:
            raise sheet_too_big(self.path, self.name, rows, self.cols, "rows")
        if self.cols > self.max_cols:
            raise sheet_too_big(self.path, self.name, rows, self.cols, "columns")
        if rows * self.cols > self.max_cells or self.cells > self.max_cells:
            raise sheet_too_big(self.path, self.name, rows, self.cols, "cells")

    def _end_table(self) -> None:
        self.in_table = False
        if self.first is not None:
            self.extents.append((self.name, self.last_end - self.first, self.cols))


def _usize(text: bytes) -> int | None:
    """text as Rust's usize::from_str reads it (a '+', leading zeros allowed); None where it fails."""
    m = _RUST_USIZE.fullmatch(text)
    digits = m.group(1).lstrip(b"0") if m else b""
    if m is None or len(digits) > 20 or int(digits or b"0") >= 1 << 64:
        return None
    return int(digits or b"0")


def ods_extents(path: Path) -> list[tuple[str, int, int]]:
    """(table, rows, columns) bounding what calamine builds for each table of an .ods; raises
    InputError past the limits."""
    with zipfile.ZipFile(path) as zf:
        return check_ods(path, zf, zf.infolist())


def check_ods(path: Path, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> list[tuple[str, int, int]]:
    """Refuse an .ods whose tables would hold more rows, columns or cells than the limits."""
    extents: list[tuple[str, int, int]] = []
    with path.open("rb") as fh:
        for info in infos:
            if info.filename.lower() != "content.xml":
                continue
            tables = _OdsTables(path)
            carry = b""
            for block in part_blocks(path, fh, info, zf):
                carry = tables.feed(carry + block if carry else block)
                if len(carry) > MAX_CARRY:
                    raise not_workbook_error(path, f"content.xml: an element over {MAX_CARRY:,} bytes")
                if tables.done:
                    break
            extents += tables.extents
    return extents
