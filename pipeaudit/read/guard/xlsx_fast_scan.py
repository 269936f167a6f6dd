"""The fast xlsx extent scan: a few compiled patterns over each inflated block of a sheet part.

Only what the patterns flag (a reference outside the rectangle seen so far, an odd tag) is looked
at in Python; a block of cells inside the rectangle costs a regex pass and nothing more.
A cell that only calamine's running position can place (no r attribute, a repeated attribute, a
tag too long to see whole) raises NeedsRunningScan: xlsx_running_scan then measures exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from pipeaudit.read import limits
from pipeaudit.read.guard.a1_refs import calamine_ref, col_letters, col_number
from pipeaudit.read.guard.sheet_size import sheet_too_big
from pipeaudit.read.guard.xml_scan import Finder, has_repeated_name, tag_attributes

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
    letters, digits = col_letters(cols), str(rows).encode()
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


class NeedsRunningScan(Exception):
    """The part has cells without an r attribute: only the exact, slower scan can place them."""


class TooLongRef(Exception):
    """A cell reference of more than 40 letters and digits: calamine would wrap it anywhere."""


def xlsx_fast_extent(path: Path, sheet: str, blocks: Iterable[bytes], start: tuple[int, int]) -> tuple[int, int, int, int]:
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
    </x:c>, <a:b:c>) or is cut by the block's end; NeedsRunningScan if the cell has no r."""
    if data[p] == 0x3C:
        name_end = p + 2
    else:  # ':c' - a cell only if this is the first colon of an element name
        j = p
        while j > 0 and p - j < _OVERLAP and data[j - 1] not in b" \t\r\n/><\"'=":
            j -= 1
        if j == 0 or p - j >= _OVERLAP:
            raise NeedsRunningScan  # cannot tell from here: be exact
        if data[j - 1] != 0x3C or b":" in data[j:p]:
            return None  # an end tag, text, or a:b:c (local name "b:c")
        name_end = p + 2
    if data[name_end : name_end + 1] not in (b" ", b"\t", b"\r", b"\n", b"/", b">"):
        return None  # <col>, <cfRule>...; or cut at the very end (the next seam has it)
    parsed = tag_attributes(data, name_end)
    if parsed is None:
        if near_end:
            return None  # cut by the block's end: the next seam holds it whole
        raise NeedsRunningScan  # a tag longer than a seam: be exact
    values = [v for name, v in parsed[0] if name == b"r"]
    if not values or has_repeated_name(parsed[0]):
        # No r: placed by the running position. A repeated attribute: calamine may stop reading
        # attributes there and never see the r. Either way only the exact scan can bound it.
        raise NeedsRunningScan
    refs = []
    for value in values:
        if len(value) > 40 and re.fullmatch(rb"[A-Za-z0-9]+", value):
            raise TooLongRef
        ref = calamine_ref(value)
        if ref is not None and ref[1] is not None:
            refs.append((ref[0], ref[1]))
    return refs


_ANY_R = re.compile(rb"[ \t\r\n]r[ \t\r\n]*=[ \t\r\n]*[\"']([A-Za-z]*)([0-9]{1,12})[\"']")


def xlsx_exact_extremes(blocks: Iterable[bytes], rows: int, cols: int) -> tuple[int, int]:
    """The largest row and column over every r value (the fast scan vetted their spelling already)."""
    finder = Finder()
    finder.set_all(_cell_patterns(max(rows, 1), max(cols, 1)))
    for data, _lo, _hi, _near_end in _with_seams(blocks):
        if not finder.hits(0, data) and not finder.hits(1, data):
            continue
        for letters, digits in _ANY_R.findall(data):
            if letters:  # a cell's reference (a row's r has no letters)
                rows, cols = max(rows, int(digits)), max(cols, col_number(letters.upper()))
        finder.set_all(_cell_patterns(max(rows, 1), max(cols, 1)))
    return rows, cols
