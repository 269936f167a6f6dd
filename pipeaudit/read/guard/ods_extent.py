"""The .ods guard: the tables of content.xml counted the way calamine will build them.

calamine builds every sheet of an .ods when the file is opened. An ODS table has no cell
references: rows and cells are counted, and number-rows-repeated / number-columns-repeated
multiply them, so a few bytes can declare millions of rows. calamine skips trailing empty rows
and cells, keeps empty rows between filled ones, and copies a repeated filled row or cell that
many times. Only the exact names (table:table-row, ...) count for calamine, and text or comments
inside a row make it fail. Plain rows are handled in bulk; what that looks for is searched once per
block, not once per row, so the scan's time follows the size of content.xml.
"""

from __future__ import annotations

import operator
import re
import zipfile
from bisect import bisect_left, bisect_right
from itertools import accumulate, compress, repeat
from pathlib import Path

from pipeaudit.read import limits
from pipeaudit.read.guard.paths import not_workbook_error
from pipeaudit.read.guard.sheet_size import sheet_too_big
from pipeaudit.read.guard.xml_scan import MAX_CARRY, BlockSearch, Finder, TagEnds, attr_list, xml_unescape
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


def _irregular(empty_row: bytes) -> bytes:
    return (
        rb"<!|<\?"  # a comment, CDATA, PI or DTD
        rb"|<table:table[ \t\r\n/>]"  # a table starting (a nested one, or the next)
        rb"|" + empty_row +  # an empty-element row
        rb"|=[ \t\r\n]*(?:\"[^\"<]*<|'[^'<]*<)"  # '<' inside an attribute value
        rb"|number-rows-repeated"  # a repeated row (rare between filled rows)
        rb"|</table:table-row[ \t\r\n]"  # an end tag spelt with spaces
    )


_ODS_IRREGULAR = _irregular(rb"<table:table-row(?:[^>\"']|\"[^\"]*\"|'[^']*')*/>")  # for RE2
# The same for `re`, with the empty-element row read only up to a '<': `re` tries the pattern at
# each '<table:table-row' and must not read on to the next '>' each time, however far. The rows
# whose tag does reach a '<' (or a quote that does not close before one) are found apart, and
# their tags read in one pass (TagEnds).
_ODS_IRREGULAR_SHORT = re.compile(_irregular(rb"<table:table-row(?:[^<>\"']|\"[^\"<]*\"|'[^'<]*')*/>"))
_ODS_ROW_WITH_LT = re.compile(rb"<table:table-row(?:[^<>\"']++|\"[^\"<]*+\"|'[^'<]*+')*+(?=[<\"'])")
_ROW_END = b"</table:table-row>"
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
        self.searched_before = 0  # bytes searched in earlier blocks (see BlockSearch)
        self.search = BlockSearch(b"")

    @property
    def searched(self) -> int:
        """The bytes the bulk row counting searched so far (in proportion to what was fed; for tests)."""
        return self.searched_before + self.search.searched

    def feed(self, data: bytes) -> bytes:
        pos, end = 0, len(data)
        self._start_block(data)
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

    def _start_block(self, data: bytes) -> None:
        self.tokens_until = 0
        self.searched_before += self.search.searched
        self.search = BlockSearch(data)
        self.row_ends: list[int] | None = None  # where each </table:table-row> of data ends (built on need)
        self.parts: list[bytes] = []  # what comes before each of them
        self.plain: list[bool] = []  # whether that is a plain row
        self.odd_rows: list[tuple[int, int]] | None = None  # (start, end) of empty rows whose tag holds a '<'
        self.no_odd_from: dict[int, int] = {}  # end -> from where RE2 found nothing irregular up to end
        self.odd_row_memo: dict[int, tuple[int, int]] = {}

    def _rows_in_bulk(self, data: bytes, pos: int) -> int:
        """Handle whole plain rows from pos on with a few C-level calls each; return where token by
        token must go on. Plain: no comment/CDATA/PI/DTD, no table start, no '<' in an attribute
        value, no entity in a row repeat, no empty-element row; each slice between row ends holds
        one row start and no cell before it.

        Called on every row that cannot be handled in bulk, so nothing here may look further than
        the rows it handles: what lies to the end of the block is found once (BlockSearch, _segments).
        """
        search = self.search
        stop = search.find(b"</table:table>", pos)
        stop = len(data) if stop == -1 else stop
        end = search.rfind(_ROW_END, pos, stop)
        if end == -1:
            return pos
        end += len(_ROW_END)
        odd = self._first_odd(data, pos, end)
        if odd is not None:
            nxt = data.find(_ROW_END, odd)
            self.tokens_until = len(data) if nxt == -1 else nxt + len(_ROW_END)
            end = data.rfind(_ROW_END, pos, odd)
            search.searched += (len(data) if nxt == -1 else nxt) - pos
            if end == -1:
                return pos
            end += len(_ROW_END)
        segs, bad = self._segments(data, pos, end)
        if bad is not None:  # the first slice not holding exactly one row start, at its start, goes token by token
            self.tokens_until = max(self.tokens_until, bad)
        if not segs:
            return pos
        done = pos + sum(map(len, segs)) + len(_ROW_END) * len(segs)
        # Per row: the last filled cell (an office: value attribute or a formula) ends its start
        # tag before the next '<' (none inside values here); its cells up to there are written,
        # each `number-columns-repeated` times. A row's own tag holds no repeat in this path.
        body = [i + 1 for i in map(bytes.find, segs, repeat(b">"))]
        filled = list(map(bytes.rfind, segs, repeat(b"office:")))
        search.searched += done - pos
        if data.find(b"table:formula", pos, done) != -1:
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
        return done

    def _first_odd(self, data: bytes, pos: int, end: int) -> int | None:
        """Where _ODS_IRREGULAR first matches data[pos:end], or None: RE2 asked once per end, then
        `re` (remembered) for the pattern, and the rows whose tag holds a '<' taken from a list."""
        clear = self.no_odd_from.get(end)
        if clear is not None and clear <= pos:
            return None
        if clear is None:
            self.search.searched += end - pos
            if not self.finder.maybe(0, data, pos, end):
                self.no_odd_from[end] = pos
                return None
            self.no_odd_from[end] = len(data) + 1  # RE2 asked: `re` from now on
        hits = (self.search.find(_ODS_IRREGULAR_SHORT, pos, end), self._empty_row_with_lt(data, pos, end))
        return min((i for i in hits if i >= 0), default=None)

    def _empty_row_with_lt(self, data: bytes, pos: int, end: int) -> int:
        """Where the first empty-element row whose tag holds a '<' starts, at or after pos and ending
        by end; -1 if none. Their tags are read once per block (TagEnds)."""
        if self.odd_rows is None:
            tags = TagEnds(data)
            self.odd_rows = []
            for m in _ODS_ROW_WITH_LT.finditer(data):
                tag_end = tags.end(m.start() + len(b"<table:table-row"))
                if tag_end != -1 and data[tag_end - 1] == 0x2F:  # '/>'
                    self.odd_rows.append((m.start(), tag_end + 1))
            self.search.searched += len(data) + tags.searched
        got = self.odd_row_memo.get(end)
        if got is not None and got[0] <= pos and (got[1] == -1 or got[1] >= pos):
            return got[1]
        hit, rows = -1, self.odd_rows
        i = bisect_left(rows, (pos,))
        while i < len(rows) and rows[i][0] < end:
            if rows[i][1] <= end:  # (one cut by end is no match)
                hit = rows[i][0]
                break
            i += 1
        self.odd_row_memo[end] = (pos, hit)
        return hit

    def _segments(self, data: bytes, pos: int, end: int) -> tuple[list[bytes], int | None]:
        """data[pos:end].split(_ROW_END)[:-1] up to the first slice that is not a plain row (not
        starting with a row start, or not holding exactly one); and where that slice's row end ends
        (None if every slice is plain). Splits the block once, whatever pos."""
        if self.row_ends is None:
            self.parts = data.split(_ROW_END)
            self.row_ends = list(accumulate(map(operator.add, map(len, self.parts[:-1]), repeat(len(_ROW_END)))))
            self.plain = list(map(operator.and_, map(bytes.startswith, self.parts, repeat(b"<table:table-row")),
                                  map(operator.eq, map(bytes.count, self.parts, repeat(b"<table:table-row")), repeat(1))))
            self.search.searched += len(data)
        ends, size = self.row_ends, len(_ROW_END)
        j = bisect_left(ends, pos + size)  # the first row end starting at or after pos
        stop = bisect_right(ends, end, j)
        first = data[pos : ends[j] - size]
        if not _plain_row(first):
            return [], ends[j]
        try:
            bad = self.plain.index(False, j + 1, stop)
        except ValueError:
            bad = stop
        return [first, *self.parts[j + 1 : bad]], (ends[bad] if bad < stop else None)

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


def _plain_row(seg: bytes) -> bool:
    return seg.startswith(b"<table:table-row") and seg.count(b"<table:table-row") == 1


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
