"""The exact xlsx extent scan: calamine's running cell position, followed token by token.

For sheets with cells that carry no r attribute (or whose attributes leave calamine's choice
open): such a cell lands in the column after the previous cell of its row, on the row after the
previous </row> (or the row a <row r=..> names). _SKIP passes over text, comments, CDATA,
processing instructions and every other tag (attribute values may hold '<' and '>') in C; Python
only sees <c>, <row> and <sheetData> tags, and runs of plain rows are counted in bulk. What the bulk
counting searches for is searched once per block (BlockSearch, _RowEnds), not once per row: the
scan's time follows the sheet's size, whatever its rows look like.
"""

from __future__ import annotations

import operator
import re
from bisect import bisect_left
from collections.abc import Iterable
from itertools import accumulate, repeat
from pathlib import Path

from pipeaudit.read import limits
from pipeaudit.read.guard.a1_refs import calamine_ref
from pipeaudit.read.guard.paths import not_workbook_error
from pipeaudit.read.guard.sheet_size import sheet_too_big
from pipeaudit.read.guard.xml_scan import MAX_CARRY, BlockSearch, TagEnds, attr_list, has_repeated_name

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
# _ROW_END where the tag holds no '<': such a row end never holds another, so one split finds them all.
_LOCAL_ROW_END = re.compile(rb"(</row[ \t\r\n]*>|<row(?:[ \t\r\n](?:[^<>\"']|\"[^\"<]*\"|'[^'<]*')*)?/>)")
# A '<row ' whose tag (as _ROW_END reads it) reaches a '<' or a quote that does not close before one.
_ROW_WITH_LT = re.compile(rb"<row[ \t\r\n](?:[^<>\"']++|\"[^\"<]*+\"|'[^'<]*+')*+(?=[<\"'])")


def _plain(row: bytes) -> bool:
    return row.lstrip().startswith(b"<row") and row.count(b"<row") == 1


def _plain_all(rows: list[bytes]) -> list[bool]:
    """_plain of each row, at C speed."""
    return list(map(operator.and_, map(bytes.startswith, map(bytes.lstrip, rows), repeat(b"<row")),
                    map(operator.eq, map(bytes.count, rows, repeat(b"<row")), repeat(1))))


class _RowEnds:
    """The row ends of one block, found once: what _ROW_END.split(data[pos:end]) gives, for any pos.

    Most row ends hold no '<' after their first: they are all found by one split, never overlap, and
    the split from any pos is the run of them after pos. A '<row .. />' whose quotes or text hold a
    '<' may swallow others; those few are found apart (their tag ends through TagEnds, in one pass)
    and walked one by one.
    """

    def __init__(self, data: bytes, search: BlockSearch) -> None:
        self.data = data
        tags = TagEnds(data)
        pieces = _LOCAL_ROW_END.split(data)
        search.searched += len(data)
        bounds = list(accumulate(map(len, pieces)))
        self.starts, self.ends = bounds[0:-1:2], bounds[1::2]
        self.texts = pieces[0::2]  # texts[i]: what comes before row end i (from the previous one)
        self.plain = _plain_all(self.texts)
        self.cells = list(map(bytes.count, self.texts, repeat(b"<c")))
        self.odd_starts: list[int] = []
        self.odd_ends: list[int] = []
        for m in _ROW_WITH_LT.finditer(data):
            end = tags.end(m.start() + 5)
            if end != -1 and data[end - 1] == 0x2F:  # '/>'
                self.odd_starts.append(m.start())
                self.odd_ends.append(end + 1)
        search.searched += len(data) + tags.searched

    def rows(self, pos: int, end: int) -> tuple[list[bytes], list[int], list[int], int | None]:
        """The plain rows of _ROW_END.split(data[pos:end]), in order, up to the first that is not
        plain: their texts, where each one's row end ends, their '<c' counts; and where the row end
        of the first row that is not plain ends (None if all are plain)."""
        data, starts, ends, odd_starts, odd_ends = self.data, self.starts, self.ends, self.odd_starts, self.odd_ends
        texts: list[bytes] = []
        seps: list[int] = []
        cells: list[int] = []
        never = len(data) + 1
        i, j = bisect_left(starts, pos), bisect_left(odd_starts, pos)
        x = pos
        while True:
            while j < len(odd_starts) and odd_starts[j] < end < odd_ends[j]:
                j += 1  # cut by `end`: no row end in the split
            local = starts[i] if i < len(starts) else never
            odd = odd_starts[j] if j < len(odd_starts) else never
            if min(local, odd) >= end:
                return texts, seps, cells, None
            if odd < local:  # a row end holding a '<': the split goes on after it
                text = data[x:odd]
                if not _plain(text):
                    return texts, seps, cells, odd_ends[j]
                texts.append(text)
                seps.append(odd_ends[j])
                cells.append(text.count(b"<c"))
                x = odd_ends[j]
                i, j = bisect_left(starts, x, i), bisect_left(odd_starts, x, j)
                continue
            hi = bisect_left(starts, min(odd, end), i)  # the row ends i..hi-1 follow each other
            text = data[x:local]
            if not _plain(text):
                return texts, seps, cells, ends[i]
            texts.append(text)
            seps.append(ends[i])
            cells.append(text.count(b"<c"))
            try:
                bad = self.plain.index(False, i + 1, hi)
            except ValueError:
                bad = hi
            texts += self.texts[i + 1 : bad]
            seps += ends[i + 1 : bad]
            cells += self.cells[i + 1 : bad]
            if bad < hi:
                return texts, seps, cells, ends[bad]
            x, i = ends[hi - 1], hi
            j = bisect_left(odd_starts, x, j)


class _Running:
    """calamine's cell reader, reduced to positions: where each cell lands, and the extremes."""

    def __init__(self, path: Path, sheet: str) -> None:
        self.path, self.sheet = path, sheet
        self.started = self.done = False
        self.row_index = self.col_index = self.depth = 0
        self.rows = self.cols = 0
        self.max_cols = limits.limit("MAX_COLUMNS")
        self.malformed = f"sheet {sheet!r}: a malformed cell or row tag"
        self.searched_before = 0  # bytes searched in earlier blocks (see BlockSearch)
        self.search = BlockSearch(b"")

    @property
    def searched(self) -> int:
        """The bytes the bulk row counting searched so far (in proportion to what was fed; for tests)."""
        return self.searched_before + self.search.searched

    def feed(self, data: bytes) -> bytes:
        """Process every complete token of data; return the unfinished tail to prepend to the next block."""
        pos, end = 0, len(data)
        self._start_block(data)
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

    def _start_block(self, data: bytes) -> None:
        self.tokens_until = 0
        self.searched_before += self.search.searched
        self.search = BlockSearch(data)
        self.row_ends: _RowEnds | None = None  # built when first needed
        self.last_row_end = _last_row_end(data, 0, len(data), self.search)  # the block's last; see _rows_in_bulk

    def _rows_in_bulk(self, data: bytes, pos: int) -> int:
        """Count whole plain rows from pos on at C speed; return where token by token must go on.

        Plain rows: unprefixed, no r attribute, no comment/CDATA/PI/DTD/sheetData, no '<' inside an
        attribute value - so every '<' starts a tag and a row's cells are its '<c' count. A cell
        left open across a </row> (or a row nested in a cell) shows as a slice that does not start
        with '<row' or holds two; calamine itself fails on most such shapes.

        Called on every row that cannot be counted in bulk, so nothing here may look further than
        the rows it counts: the searches to the block's end are made once (BlockSearch, _RowEnds).
        """
        # _last_row_end(data, pos, len(data)): the block's last row end, if it is not before pos
        end = self.last_row_end[1] if self.last_row_end[0] >= pos else pos
        if end == pos:
            return pos
        search = self.search
        odd = min(
            (i for i in (
                search.find(b"<!", pos, end), search.find(b"<?", pos, end), search.find(b"sheetData", pos, end),
                *(search.find(rx, pos, end) for rx in _IRREGULAR),
            ) if i >= 0),
            default=None,
        )
        if odd is not None:  # rows before it in bulk; its own row token by token
            nxt = data.find(b"</row", odd)
            self.tokens_until = len(data) if nxt == -1 else nxt + 5
            search.searched += (len(data) if nxt == -1 else nxt) - odd
            end = _last_row_end(data, pos, odd, search)[1]
            if end == pos:
                return pos
        if self.row_ends is None:
            self.row_ends = _RowEnds(data, search)
        rows, seps, cells, bad = self.row_ends.rows(pos, end)
        if bad is not None:  # e.g. a block starting inside a row: that row token by token
            self.tokens_until = max(self.tokens_until, bad)
            if not rows:
                return pos
            end = seps[-1]
        last = len(cells) - 1
        while last >= 0 and not cells[last]:
            last -= 1
        if last >= 0:
            self._place(self.row_index + last, max(cells) - 1)
        self.row_index += len(rows)
        return end

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


def _last_row_end(data: bytes, start: int, stop: int, search: BlockSearch | None = None) -> tuple[int, int]:
    """(where it starts, just after) the last </row> ending before stop and not before start, or (-1, start)."""
    i = data.rfind(b"</row", start, stop)
    while i != -1:
        m = _ROW_END.match(data, i)
        if m and m.end() <= stop:
            if search is not None:
                search.searched += stop - i
            return i, m.end()
        i = data.rfind(b"</row", start, i)
    if search is not None:
        search.searched += stop - start
    return -1, start


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
