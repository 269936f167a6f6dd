"""The exact xlsx extent scan: calamine's running cell position, followed token by token.

For sheets with cells that carry no r attribute (or whose attributes leave calamine's choice
open): such a cell lands in the column after the previous cell of its row, on the row after the
previous </row> (or the row a <row r=..> names). _SKIP passes over text, comments, CDATA,
processing instructions and every other tag (attribute values may hold '<' and '>') in C; Python
only sees <c>, <row> and <sheetData> tags, and runs of plain rows are counted in bulk.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable
from itertools import repeat
from pathlib import Path

from pipeaudit.read import limits
from pipeaudit.read.guard.a1_refs import calamine_ref
from pipeaudit.read.guard.paths import not_workbook_error
from pipeaudit.read.guard.sheet_size import sheet_too_big
from pipeaudit.read.guard.xml_scan import MAX_CARRY, attr_list, has_repeated_name

_SKIP = re.compile(
    rb"(?:[^<]++"
    rb"|<!--(?:[^-]++|-(?!->))*+-->"
    rb"|<!\[CDATA\[(?:[^\]]++|\](?!\]>))*+\]\]>"
    rb"|<\?(?:[^?]++|\?(?!>))*+\?>"
    rb"|<(?!/?+(?:[^ \t\r\n/>:]*+:)?+(?:c|row|sheetData)[ \t\r\n/>]|!--|!\[CDATA\[|\?)"
    rb"(?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+>"
    rb")*+"
)
_RELEVANT = re.compile(rb"<(/?+)(?:[^ \t\r\n/>:]*+:)?+(c|row|sheetData)((?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+)>")
_ROW_END = re.compile(rb"</row[ \t\r\n]*>|<row(?:[ \t\r\n](?:[^>\"']|\"[^\"]*\"|'[^']*')*)?/>")
_IRREGULAR = (  # what keeps a run of rows from being counted in bulk
    re.compile(rb":(?:c|row)[ \t\r\n/>]"),  # a prefixed cell or row
    re.compile(rb"r[ \t\r\n]*="),  # maybe an r attribute
    re.compile(rb"=[ \t\r\n]*(?:\"[^\"<]*<|'[^'<]*<)"),  # '<' inside an attribute value
)


class _Running:
    """calamine's cell reader, reduced to positions: where each cell lands, and the extremes."""

    def __init__(self, path: Path, sheet: str) -> None:
        self.path, self.sheet = path, sheet
        self.started = self.done = False
        self.row_index = self.col_index = self.depth = 0
        self.rows = self.cols = 0
        self.max_cols = limits.limit("MAX_COLUMNS")
        self.malformed = f"sheet {sheet!r}: a malformed cell or row tag"

    def feed(self, data: bytes) -> bytes:
        """Process every complete token of data; return the unfinished tail to prepend to the next block."""
        pos, end = 0, len(data)
        self.tokens_until = 0
        while not self.done:
            if self.started and not self.depth and pos >= self.tokens_until:
                pos = self._rows_in_bulk(data, pos)
            pos = _SKIP.match(data, pos).end()
            if pos >= end:
                return b""
            tok = _RELEVANT.match(data, pos)
            if tok is None:
                return data[pos:]  # an element, comment... cut by the block end
            pos = tok.end()
            self.token(tok.group(1) == b"/", tok.group(2), tok.group(3))
        return b""

    def _rows_in_bulk(self, data: bytes, pos: int) -> int:
        """Count whole plain rows from pos on at C speed; return where token by token must go on.

        Plain rows: unprefixed, no r attribute, no comment/CDATA/PI/DTD/sheetData, no '<' inside an
        attribute value - so every '<' starts a tag and a row's cells are its '<c' count. A cell
        left open across a </row> (or a row nested in a cell) shows as a slice that does not start
        with '<row' or holds two; calamine itself fails on most such shapes.
        """
        end = self._last_row_end(data, pos, len(data))
        if end == pos:
            return pos
        odd = min(
            (i for i in (
                data.find(b"<!", pos, end), data.find(b"<?", pos, end), data.find(b"sheetData", pos, end),
                *(m.start() for m in (rx.search(data, pos, end) for rx in _IRREGULAR) if m),
            ) if i >= 0),
            default=None,
        )
        if odd is not None:  # rows before it in bulk; its own row token by token
            nxt = data.find(b"</row", odd)
            self.tokens_until = len(data) if nxt == -1 else nxt + 5
            end = self._last_row_end(data, pos, odd)
            if end == pos:
                return pos
        rows = _ROW_END.split(data[pos:end])[:-1]
        plain = list(map(operator.and_, map(bytes.startswith, map(bytes.lstrip, rows), repeat(b"<row")),
                         map(operator.eq, map(bytes.count, rows, repeat(b"<row")), repeat(1))))
        if not all(plain):  # e.g. a block starting inside a row: that row token by token
            k = plain.index(False)
            ends = _ROW_END.finditer(data, pos, end)
            seps = [next(ends).end() for _ in range(k + 1)]
            self.tokens_until = max(self.tokens_until, seps[k])
            if k == 0:
                return pos
            rows, end = rows[:k], seps[k - 1]
        cells = list(map(bytes.count, rows, repeat(b"<c")))
        last = max((i for i, n in enumerate(cells) if n), default=-1) if cells[-1] == 0 else len(cells) - 1
        if last >= 0:
            self._place(self.row_index + last, max(cells) - 1)
        self.row_index += len(rows)
        return end

    @staticmethod
    def _last_row_end(data: bytes, start: int, stop: int) -> int:
        """Just after the last </row> or <row/> ending before stop, or start."""
        i = data.rfind(b"</row", start, stop)
        while i != -1:
            m = _ROW_END.match(data, i)
            if m and m.end() <= stop:
                return m.end()
            i = data.rfind(b"</row", start, i)
        return start

    def _place(self, row: int, col: int) -> None:
        if row + 1 > self.rows:
            self.rows = row + 1
            if self.rows > limits.MAX_ROWS:
                raise sheet_too_big(self.path, self.sheet, self.rows, self.cols, "rows")
        if col + 1 > self.cols:
            self.cols = col + 1
            if self.cols > self.max_cols:
                raise sheet_too_big(self.path, self.sheet, self.rows, self.cols, "columns")

    def token(self, closing: bool, name: bytes, attrs: bytes) -> None:
        empty = not closing and attrs.rstrip(b" \t\r\n").endswith(b"/")
        if name == b"sheetData":
            if not self.started and not closing:
                self.started = True
                self.done = empty
            elif self.started and closing:
                self.done = True
            return
        if not self.started:
            return
        if self.depth:  # inside a cell: calamine reads (or fails on) everything up to its </c>
            if name == b"c":
                self.depth += -1 if closing else (0 if empty else 1)
            return
        if name == b"row":
            if closing:
                self.row_index, self.col_index = self.row_index + 1, 0
                return
            found = attr_list(self.path, attrs, self.malformed)
            refs = [calamine_ref(v) for k, v in found if k == b"r"]
            if refs:  # which r calamine reads is not certain: the largest is the safe bound
                good = [r for r in refs if r is not None]
                if not good and not has_repeated_name(found):
                    self.done = True  # calamine fails on the sheet: nothing is built
                    return
                if good:
                    # with a repeated attribute calamine may not see r at all: keep the larger
                    self.row_index = max(self.row_index if has_repeated_name(found) else 0, max(r[0] for r in good) - 1)
            if empty:
                self.row_index, self.col_index = self.row_index + 1, 0
            return
        if closing:
            return  # a stray </c>
        found = attr_list(self.path, attrs, self.malformed)
        refs = [calamine_ref(v) for k, v in found if k == b"r"]
        good = [r for r in refs if r is not None and r[1] is not None]
        if refs and not good and not has_repeated_name(found):
            self.done = True  # calamine fails on the sheet: nothing is built
            return
        if good:  # which r calamine keeps depends on the other attributes: bound by the largest
            row, col = max(r[0] for r in good) - 1, max(r[1] for r in good) - 1
            if has_repeated_name(found):  # calamine may stop before the r and use the running position
                row, col = max(row, self.row_index), max(col, self.col_index)
            self.col_index = col
        else:
            row, col = self.row_index, self.col_index
        self.col_index += 1
        self.depth = 0 if empty else 1
        self._place(row, col)


def xlsx_running_extent(path: Path, sheet: str, blocks: Iterable[bytes]) -> tuple[int, int]:
    """(rows, cols) calamine's running position reaches over the part's blocks; InputError past
    the row or column limit, or for a part with a DTD or an element too long to carry."""
    run = _Running(path, sheet)
    carry = b""
    first = True
    for block in blocks:
        if first and b"<!DOCTYPE" in block[:4096]:
            raise not_workbook_error(path, f"sheet {sheet!r} carries a DTD")
        first = False
        carry = run.feed(carry + block if carry else block)
        if len(carry) > MAX_CARRY:
            raise not_workbook_error(path, f"sheet {sheet!r}: an element over {MAX_CARRY:,} bytes")
        if run.done:
            break
    return run.rows, run.cols
