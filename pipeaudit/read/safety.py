"""Checks made before any parser touches a file: existence, size, container sanity, encryption, zip bombs.

Run first so that a hostile file is refused with a clear reason instead of a parser's traceback
or an exhausted machine.
"""

from __future__ import annotations

import operator
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
import itertools
from itertools import repeat
from pathlib import Path
from typing import IO, Any

from pipeaudit.errors import InputError
from pipeaudit.read import limits
from pipeaudit.read.guard.ods_extent import check_ods
from pipeaudit.read.guard.paths import ZIP_MAGIC, not_workbook_error, read_magic
from pipeaudit.read.guard.sheet_size import check_sheet_size, sheet_too_big
from pipeaudit.read.guard.xml_scan import (
    MAX_CARRY,
    Finder,
    attr_list,
    has_repeated_name,
    tag_attributes,
    xml_unescape,
)
from pipeaudit.read.guard.zip_parts import part_blocks


def check_zip(path: Path) -> None:
    """Refuse a zip container whose central directory promises a bomb, without inflating anything."""
    max_total = limits.limit("MAX_UNCOMPRESSED_BYTES")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise not_workbook_error(path, f"damaged zip: {exc}") from None
    if len(infos) > limits.MAX_ZIP_MEMBERS:
        raise InputError(
            f"{path}: 工作簿包含 {len(infos)} 个部件，超过上限 {limits.MAX_ZIP_MEMBERS} / "
            f"the workbook has {len(infos)} parts, more than the limit of {limits.MAX_ZIP_MEMBERS} (possible zip bomb)"
        )
    _check_dimensions(path, infos)
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.RATIO_MIN_BYTES and ratio > limits.MAX_COMPRESSION_RATIO:
            raise InputError(
                f"{path}: 部件 {info.filename} 压缩比异常（{ratio:.0f}:1），疑似 zip 炸弹 / "
                f"part {info.filename} would inflate {ratio:.0f}:1 to {info.file_size:,} bytes (zip bomb refused; "
                f"limit {limits.MAX_COMPRESSION_RATIO}:1 above {limits.RATIO_MIN_BYTES:,} bytes)"
            )
    if total > max_total:
        raise InputError(
            f"{path}: 解压后共 {total:,} 字节，超过上限 {max_total:,} / "
            f"would inflate to {total:,} bytes, over the limit of {max_total:,} "
            "(zip bomb refused; raise PIPEAUDIT_MAX_UNCOMPRESSED if the file is genuine)"
        )
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        _check_shared_strings(path, infos)
    if path.suffix.lower() == ".ods":  # calamine builds every table of an .ods when opening it
        try:
            with zipfile.ZipFile(path) as zf:
                check_ods(path, zf, infos)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise not_workbook_error(path, f"damaged zip: {exc}") from None


_SST_COUNT = re.compile(rb"""[ \t\r\n]uniqueCount[ \t\r\n]*=[ \t\r\n]*["']\+?0*([0-9]{1,30})["']""")


def _check_shared_strings(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a shared-string table declaring more strings than it could hold.

    calamine reserves room for <sst uniqueCount="..."> strings when it opens the workbook: four
    billion aborts the process, and 2^64-1 panics. A real table spends at least 5 bytes a string
    (<si/>), and no sheet here can hold more than MAX_CELLS of them.
    """
    max_cells = limits.limit("MAX_CELLS")
    with path.open("rb") as fh, zipfile.ZipFile(path) as zf:
        for info in infos:
            if not info.filename.lower().endswith("sharedstrings.xml"):
                continue
            head = b""
            for block in part_blocks(path, fh, info, zf):
                head += block
                if len(head) >= 65536:
                    break
            start = head.find(b"<sst")
            end = head.find(b">", start) if start != -1 else -1
            declared = [int(v) for v in _SST_COUNT.findall(head, start, end)] if end != -1 else []
            most = max(1000, info.file_size // 5)
            if any(n > most or n > max_cells for n in declared):
                raise InputError(
                    f"{path}: 共享字符串表声明的数量不合理 / the shared-string table declares {max(declared):,} "
                    f"strings, more than its {info.file_size:,} bytes can hold or the limit of {max_cells:,} "
                    "(PIPEAUDIT_MAX_CELLS)"
                )


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?\"")


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _check_dimensions(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a worksheet whose declared extent would make the reader allocate a vast dense grid.

    Only the first few KB of each sheet part are inflated: the <dimension> element comes first.
    A cell placed at XFD1048576 next to A1 would otherwise cost terabytes.
    """
    max_cols = limits.limit("MAX_COLUMNS")
    max_cells = limits.limit("MAX_CELLS")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    with zf:
        for info in infos:
            name = info.filename
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            try:
                with zf.open(info) as fh:
                    head = fh.read(8192)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
                raise not_workbook_error(path, f"damaged part {name}: {exc}") from None
            m = _DIMENSION.search(head)
            if not m or not m.group(3):
                continue
            rows = int(m.group(4)) - int(m.group(2)) + 1
            cols = _col_number(m.group(3)) - _col_number(m.group(1)) + 1
            if cols > max_cols or rows * cols > max_cells:
                raise InputError(
                    f"{path}: 工作表范围过大 / a sheet ({name}) spans {rows:,} rows x {cols:,} columns, over the limits "
                    f"of {max_cols:,} columns and {max_cells:,} cells (PIPEAUDIT_MAX_COLUMNS, PIPEAUDIT_MAX_CELLS)"
                )


# ---- the real extent of a sheet, measured before calamine builds it -------------------------
#
# python-calamine holds a sheet as one dense rectangle spanning its cells. A cell at XFD1048576
# next to A1 asks for 17 billion cells: the allocation fails and Rust aborts the whole process
# (SIGABRT, nothing to catch). <dimension> is only a claim, so the cells themselves are scanned,
# the way calamine will place them, before the sheet is loaded:
#   * an explicit reference (<c r="B7">) places a cell; of several r attributes calamine keeps the
#     last or, after some repeated attributes, the first: the scan bounds by the largest;
#   * a cell without r takes the running position: the column after the previous cell of its row,
#     on the row after the previous </row> (or the row a <row r=..> names);
#   * prefixes are ignored (<x:c> is a cell) and '<' or '>' may sit inside attribute values.
# The fast path inflates the part in blocks and runs a few compiled patterns over each block;
# only what they flag (a reference outside the rectangle seen so far, an odd tag) is looked at
# in Python. A sheet with cells lacking r takes the exact, slower path (_xlsx_running_extent).

_OVERLAP = 256  # a match this close to a block's end is checked again in the next seam
_SEAM = 64 * 1024  # what a seam borrows from the next block: room for the element a match sits in


def _with_seams(blocks: Iterable[bytes]) -> Iterator[tuple[bytes, int, int, int]]:
    """(data, lo, hi, near_end): every block, and every seam between two blocks (the previous one's
    tail and the next one's head), with the window [lo, hi) of match starts that data is in charge of.

    Blocks leave their first _OVERLAP bytes to the seam before them; a seam covers _OVERLAP either
    side of the boundary, and has room to look back and _SEAM bytes ahead, so an element cut by a
    block's end (a match at or past near_end) is read whole there. No block is copied.
    """
    tail = b""
    for block in _at_least(blocks, 4 * _OVERLAP):
        if tail:
            yield tail + block[:_SEAM], len(tail) - _OVERLAP, len(tail) + _OVERLAP, len(tail) + _SEAM
        yield block, _OVERLAP if tail else 0, len(block), len(block) - _OVERLAP
        tail = block[-2 * _OVERLAP :]


def _at_least(blocks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """The same bytes, with small blocks joined up to `size` (only the last may stay smaller)."""
    pending: list[bytes] = []
    have = 0
    for block in blocks:
        if not pending and len(block) >= size:
            yield block
            continue
        pending.append(block)
        have += len(block)
        if have >= size:
            yield b"".join(pending)
            pending, have = [], 0
    if pending:
        yield b"".join(pending)


def _col_letters(n: int) -> bytes:
    out = bytearray()
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out.insert(0, 65 + rem)
    return bytes(out)


def _greater_same_length(s: bytes, classes: Callable[[int], bytes], top: int) -> list[bytes]:
    """Regex branches matching strings of len(s) symbols, ordered after s (symbols are byte values)."""
    out = []
    for i, ch in enumerate(s):
        if ch < top:
            out.append(b"".join(classes(c) for c in s[:i]) + classes(-(ch + 1)) + b"".join(classes(0) for _ in s[i + 1 :]))
    return out


def _digit_class(c: int) -> bytes:
    if c == 0:
        return b"[0-9]"
    if c < 0:  # "any digit from -c up"
        return b"[%c-9]" % -c
    return bytes([c])


def _letter_class(c: int) -> bytes:
    if c == 0:
        return b"[A-Za-z]"
    if c < 0:
        lo = -c
        return b"[%c-Z%c-z]" % (lo, lo + 32)
    return b"[%c%c]" % (c, c + 32)


def _bad_value(rows: int, cols: int) -> bytes:
    """Regex for a quoted r value that is NOT a cell inside rows x cols (or a row number <= rows)."""
    letters, digits = _col_letters(cols), str(rows).encode()
    alts = [
        b"[^A-Za-z0-9]",  # empty, '$', a quote...
        b"[A-Za-z]+[^A-Za-z0-9]",  # letters without a row
        b"[A-Za-z]{%d}" % (len(letters) + 1),
        b"[A-Za-z]*0",  # a leading zero (or row 0): looked at in Python
        b"[A-Za-z]*[1-9][0-9]{%d}" % len(digits),
        b"[A-Za-z]*[0-9]+[^0-9\"]",
    ]
    alts += [g + b"[^A-Za-z]" for g in _greater_same_length(letters, _letter_class, ord("Z"))]
    alts += [b"[A-Za-z]*" + g + b"[^0-9]" for g in _greater_same_length(digits, _digit_class, ord("9"))]
    return b"(?:" + b"|".join(alts) + b")"


def _cell_patterns(rows: int, cols: int) -> tuple[bytes, bytes]:
    """Patterns for a cell start tag that needs a look: its first attribute is not r="...", that
    first r lies outside rows x cols, or another r attribute follows. One is for <c, one for the
    ':c' of a prefixed <x:c (rare in most files, so nearly free there)."""
    tail = (
        rb'(?:[^ ]| [^r]| r[^=]| r=[^"]| r="' + _bad_value(rows, cols)
        + rb"| r=\"[^\"]*\"(?:[^>\"']|\"[^\"]*\"|'[^']*')*[ \t\r\n]r[ \t\r\n]*=)"
    )
    return b"<c" + tail, b":c" + tail


_DIM_HINT = re.compile(rb"<(?:[^ \t\r\n/>:]*:)?dimension[ \t\r\n][^>]*?ref=\"[A-Z]{1,3}\d+:([A-Z]{1,3})(\d+)\"")


def _calamine_ref(value: bytes) -> tuple[int, int | None] | None:
    """(row, column or None), 1-based, as calamine reads an r value; None where calamine fails.

    Letters then digits, either case; nothing else. Unlike calamine (u32 arithmetic) huge values
    are kept whole, so they are refused rather than wrapped.
    """
    m = re.fullmatch(rb"([A-Za-z]*)([0-9]+)", value)
    if not m:
        return None
    row = int(m.group(2))
    if row == 0:
        return None
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ch - 64
    return row, (col or None)


class _NeedsRunningScan(Exception):
    """The part has cells without an r attribute: only the exact, slower scan can place them."""


def _xlsx_fast_extent(path: Path, sheet: str, blocks: Iterable[bytes], start: tuple[int, int]) -> tuple[int, int, int, int]:
    """(rows, cols) of a rectangle holding every cell, and the largest row/col actually seen.

    The rectangle grows as references outside it turn up (rows by doubling, so a sheet written in
    row order costs a handful of regrowths), so it may be up to twice the real extent.
    """
    box_rows, box_cols = start
    seen_rows = seen_cols = 0
    max_cols = limits.limit("MAX_COLUMNS")
    finder = Finder()
    finder.set_all(_cell_patterns(box_rows, box_cols))
    for data, lo, hi, near_end in _with_seams(blocks):
        grown = False
        for p in sorted(finder.hits(0, data) + finder.hits(1, data)):
            if not lo <= p < hi:
                continue
            refs = _cell_refs(data, p, p >= near_end)
            if refs is None:
                continue  # not a cell start, or one the next seam holds whole
            for row, col in refs:
                if row > limits.MAX_ROWS:
                    raise sheet_too_big(path, sheet, row, col, "rows")
                if col > max_cols:
                    raise sheet_too_big(path, sheet, row, col, "columns")
                seen_rows, seen_cols = max(seen_rows, row), max(seen_cols, col)
                if row > box_rows:
                    box_rows, grown = min(limits.MAX_ROWS, max(row, 2 * box_rows)), True
                if col > box_cols:
                    box_cols, grown = col, True
        if grown:
            finder.set_all(_cell_patterns(box_rows, box_cols))
    return box_rows, box_cols, seen_rows, seen_cols


def _cell_refs(data: bytes, p: int, near_end: bool) -> list[tuple[int, int]] | None:
    """At p: '<c...' or the ':c' of '<prefix:c'. The (row, col) of every r attribute of that cell
    start tag (calamine keeps the last; all are bounded); None if it is no cell start (<col>,
    </x:c>, <a:b:c>) or is cut by the block's end; _NeedsRunningScan if the cell has no r."""
    if data[p] == 0x3C:
        name_end = p + 2
    else:  # ':c' - a cell only if this is the first colon of an element name
        j = p
        while j > 0 and p - j < _OVERLAP and data[j - 1] not in b" \t\r\n/><\"'=":
            j -= 1
        if j == 0 or p - j >= _OVERLAP:
            raise _NeedsRunningScan  # cannot tell from here: be exact
        if data[j - 1] != 0x3C or b":" in data[j:p]:
            return None  # an end tag, text, or a:b:c (local name "b:c")
        name_end = p + 2
    if data[name_end : name_end + 1] not in (b" ", b"\t", b"\r", b"\n", b"/", b">"):
        return None  # <col>, <cfRule>...; or cut at the very end (the next seam has it)
    parsed = tag_attributes(data, name_end)
    if parsed is None:
        if near_end:
            return None  # cut by the block's end: the next seam holds it whole
        raise _NeedsRunningScan  # a tag longer than a seam: be exact
    values = [v for name, v in parsed[0] if name == b"r"]
    if not values or has_repeated_name(parsed[0]):
        # No r: placed by the running position. A repeated attribute: calamine may stop reading
        # attributes there and never see the r. Either way only the exact scan can bound it.
        raise _NeedsRunningScan
    refs = []
    for value in values:
        if len(value) > 40 and re.fullmatch(rb"[A-Za-z0-9]+", value):
            raise _TooLongRef
        ref = _calamine_ref(value)
        if ref is not None and ref[1] is not None:
            refs.append((ref[0], ref[1]))
    return refs


class _TooLongRef(Exception):
    """A cell reference of more than 40 letters and digits: calamine would wrap it anywhere."""


# The exact scan, for sheets with cells that carry no r: it follows calamine's running position.
# _SKIP passes over text, comments, CDATA, processing instructions and every other tag (attribute
# values may hold '<' and '>') in C; Python only sees <c>, <row> and <sheetData> tags.
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
            refs = [_calamine_ref(v) for k, v in found if k == b"r"]
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
        refs = [_calamine_ref(v) for k, v in found if k == b"r"]
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


_ROW_END = re.compile(rb"</row[ \t\r\n]*>|<row(?:[ \t\r\n](?:[^>\"']|\"[^\"]*\"|'[^']*')*)?/>")
_IRREGULAR = (
    re.compile(rb":(?:c|row)[ \t\r\n/>]"),  # a prefixed cell or row
    re.compile(rb"r[ \t\r\n]*="),  # maybe an r attribute
    re.compile(rb"=[ \t\r\n]*(?:\"[^\"<]*<|'[^'<]*<)"),  # '<' inside an attribute value
)


def _xlsx_running_extent(path: Path, sheet: str, blocks: Iterable[bytes]) -> tuple[int, int]:
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


# ---- which zip part holds a sheet --------------------------------------------------------

_SHEET_TAG = re.compile(rb"<(?:[^ \t\r\n/>:]*:)?sheet[ \t\r\n]")
_REL_TAG = re.compile(rb"<(?:[^ \t\r\n/>:]*:)?Relationship[ \t\r\n]")
_SHEET_FOLDERS = ("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/")


def _small_part(zf: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = zf.getinfo(name)
        if info.file_size > 16 * 1024 * 1024:
            return None
        with zf.open(info) as fh:
            return fh.read(16 * 1024 * 1024 + 1)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        return None


def _tags(data: bytes, pattern: re.Pattern[bytes]) -> Iterator[dict[bytes, bytes]]:
    for m in pattern.finditer(data):
        parsed = tag_attributes(data, m.end() - 1)
        if parsed is not None:
            yield dict(parsed[0])


def _sheet_members(zf: zipfile.ZipFile, sheet: str) -> list[zipfile.ZipInfo]:
    """The parts calamine may read for `sheet`: resolved as calamine does (workbook.xml -> rels -> path,
    matched without regard to case), or every sheet-like part when that cannot be told."""
    workbook, rels = _small_part(zf, "xl/workbook.xml"), _small_part(zf, "xl/_rels/workbook.xml.rels")
    wanted: set[str] = set()
    if workbook is not None and rels is not None:
        targets = {t.get(b"Id", b""): t.get(b"Target", b"").decode("utf-8", "replace") for t in _tags(rels, _REL_TAG)}
        for attrs in _tags(workbook, _SHEET_TAG):
            if xml_unescape(attrs.get(b"name", b"")) != sheet:
                continue
            rid = attrs.get(b"r:id", attrs.get(b"relationships:id"))
            target = targets.get(rid) if rid is not None else None
            if target is None:
                continue
            wanted.add((target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") else "xl/" + target).lower())
    members = [i for i in zf.infolist() if i.filename.lower() in wanted]
    if members:
        return members
    sheetish = {t.lower() for t in wanted}
    return [i for i in zf.infolist() if i.filename.lower().startswith(_SHEET_FOLDERS) or i.filename.lower() in sheetish]


def check_sheet_extent(path: Path, sheet: str) -> None:
    """Refuse an .xlsx/.xlsm sheet whose cells span more than the limits, before calamine loads it.

    Called for each sheet just before it is loaded; .ods and .xls are checked when they are opened
    (calamine reads all their sheets at once).
    """
    sheet_extent(path, sheet)


def sheet_extent(path: Path, sheet: str) -> tuple[int, int]:
    """(last row, last column), 1-based, of a rectangle holding every cell calamine would place for
    `sheet`; raises InputError past the limits. (0, 0) for what is not an .xlsx/.xlsm zip."""
    if path.suffix.lower() not in (".xlsx", ".xlsm") or read_magic(path, 4) != ZIP_MAGIC:
        return 0, 0
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return 0, 0  # check_zip refused it already, or calamine will
    rows = cols = 0
    with zf, path.open("rb") as fh:
        for info in _sheet_members(zf, sheet):
            if not info.is_dir():
                r, c = _xlsx_part_extent(path, sheet, fh, zf, info)
                rows, cols = max(rows, r), max(cols, c)
    return rows, cols


def _xlsx_part_extent(path: Path, sheet: str, fh: IO[bytes], zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int]:
    start = (1, 1)
    blocks = part_blocks(path, fh, info, zf)
    first = next(blocks, b"")
    hint = _DIM_HINT.search(first[:65536])
    if hint:  # only a starting guess for the rectangle; the scan corrects it either way
        rows, cols = int(hint.group(2)), _col_number(hint.group(1))
        if 0 < rows <= limits.MAX_ROWS and 0 < cols <= limits.limit("MAX_COLUMNS"):
            start = (rows, cols)
    try:
        rows, cols, seen_rows, seen_cols = _xlsx_fast_extent(path, sheet, itertools.chain((first,), blocks), start)
    except _TooLongRef:
        raise not_workbook_error(path, f"sheet {sheet!r}: a cell reference over 40 characters") from None
    except _NeedsRunningScan:
        rows, cols = _xlsx_running_extent(path, sheet, part_blocks(path, fh, info, zf))
        check_sheet_size(path, sheet, rows, cols)
        return rows, cols
    if rows * cols > limits.limit("MAX_CELLS") and (rows, cols) != (seen_rows, seen_cols):
        # The rectangle was grown in steps and may be loose: measure the extremes exactly.
        rows, cols = _xlsx_exact_extremes(part_blocks(path, fh, info, zf), seen_rows, seen_cols)
    check_sheet_size(path, sheet, rows, cols)
    return rows, cols


_ANY_R = re.compile(rb"[ \t\r\n]r[ \t\r\n]*=[ \t\r\n]*[\"']([A-Za-z]*)([0-9]{1,12})[\"']")


def _xlsx_exact_extremes(blocks: Iterable[bytes], rows: int, cols: int) -> tuple[int, int]:
    """The largest row and column over every r value (the fast scan vetted their spelling already)."""
    finder = Finder()
    finder.set_all(_cell_patterns(max(rows, 1), max(cols, 1)))
    for data, _lo, _hi, _near_end in _with_seams(blocks):
        if not finder.hits(0, data) and not finder.hits(1, data):
            continue
        for letters, digits in _ANY_R.findall(data):
            if letters:  # a cell's reference (a row's r has no letters)
                rows, cols = max(rows, int(digits)), max(cols, _col_number(letters.upper()))
        finder.set_all(_cell_patterns(max(rows, 1), max(cols, 1)))
    return rows, cols
