"""The .xls guard: BIFF8 records in an OLE2 compound file, walked before calamine opens it.

calamine builds every sheet of an .xls when it opens the file. A cell record carries its own row
and column (16 bits each): one at (65535, 65535) next to A1 asks for 4.3 billion cells, and a
sheet's DIMENSIONS record makes calamine reserve rows x cols up front (wrapping around when the
last row is before the first): both abort the process. A sheet offset past the stream makes it
panic. The check reads the Workbook stream the way calamine finds it (first directory entry named
"Workbook", else "Book") and walks the records.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeaudit.errors import InputError
from pipeaudit.i18n import both
from pipeaudit.read import limits
from pipeaudit.read.guard.paths import not_workbook_error, protected_error
from pipeaudit.read.guard.sheet_size import check_sheet_size

_ENDOFCHAIN, _RESERVED, _DIFSECT = 0xFFFFFFFE, 0xFFFFFFFA, 0xFFFFFFFC
# Cell records calamine places (number, label, bool/error, string after a formula, rk, label
# from the shared strings, formula), plus older-BIFF and rich-string forms it may: all bounded.
_BIFF_CELLS = frozenset({0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x0006, 0x00D6, 0x0002, 0x0003, 0x0004, 0x0005, 0x0206, 0x0406})


def check_xls(path: Path) -> None:
    """Refuse an .xls whose sheets (cells, or what DIMENSIONS declares) exceed the limits, or
    whose structure would make calamine abort or panic; before calamine opens it."""
    try:
        with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            stream = _ole_stream(path, mm)
    except (OSError, ValueError) as exc:
        raise not_workbook_error(path, f"cannot read the OLE2 container: {exc}") from None
    if stream is not None:
        _check_biff(path, stream)


def _ole_damaged(path: Path, what: str) -> InputError:
    return not_workbook_error(path, f"damaged OLE2 container: {what}")


def _ole_stream(path: Path, mm: Any) -> bytes | None:
    """The bytes of the stream calamine reads, or None when it has none (calamine then fails)."""
    if len(mm) < 512:
        raise _ole_damaged(path, "shorter than its header")
    shift, mini_shift = struct.unpack_from("<HH", mm, 30)
    if shift not in (9, 12) or mini_shift != 6:
        raise _ole_damaged(path, "sector sizes")
    ss = 1 << shift
    count = max(0, -(-(len(mm) - ss) // ss))  # sectors after the header (the last may be short)

    def sector(i: int) -> bytes:
        if not 0 <= i < count:
            raise _ole_damaged(path, f"sector {i} past the end of the file")
        return mm[(i + 1) * ss : (i + 2) * ss]

    def u32s(data: bytes) -> list[int]:
        return list(struct.unpack_from(f"<{len(data) // 4}I", data))

    difat = u32s(mm[76:512])
    nxt, seen = struct.unpack_from("<I", mm, 68)[0], set()
    while nxt < _RESERVED:
        if nxt in seen:
            raise _ole_damaged(path, "a loop in the sector allocation table")
        seen.add(nxt)
        more = u32s(sector(nxt))
        difat += more[:-1]
        nxt = more[-1] if more else _ENDOFCHAIN
    fat: list[int] = []
    for i in difat:
        if i < _DIFSECT:
            fat += u32s(sector(i))

    def chain(start: int, table: list[int]) -> list[int]:
        out, cur, seen = [], start, set()
        while cur != _ENDOFCHAIN:
            if cur >= len(table) or cur in seen:
                raise _ole_damaged(path, "a broken sector chain")
            seen.add(cur)
            out.append(cur)
            cur = table[cur]
        return out

    directory = b"".join(sector(i) for i in chain(struct.unpack_from("<I", mm, 48)[0], fat))
    entries = []
    for off in range(0, len(directory) - 127, 128):
        e = directory[off : off + 128]
        name = e[:64].decode("utf-16-le", "ignore").split("\0")[0]
        size = struct.unpack_from("<I" if ss == 512 else "<Q", e, 120)[0]
        entries.append((name, struct.unpack_from("<I", e, 116)[0], size))
    if not entries:
        raise _ole_damaged(path, "no directory")
    found = next((e for e in entries if e[0] == "Workbook"), None) or next((e for e in entries if e[0] == "Book"), None)
    if found is None:
        return None
    _name, start, size = found
    if size > len(mm):
        raise _ole_damaged(path, f"a {size:,}-byte workbook stream in a {len(mm):,}-byte file")
    if size >= 4096:
        data = b"".join(sector(i) for i in chain(start, fat))
    else:  # a small stream lives in the mini stream, in 64-byte mini sectors
        mini_fat_len = struct.unpack_from("<I", mm, 64)[0]
        if not mini_fat_len:
            return None
        minifat = u32s(b"".join(sector(i) for i in chain(struct.unpack_from("<I", mm, 60)[0], fat)))
        ministream = b"".join(sector(i) for i in chain(entries[0][1], fat))
        ids = chain(start, minifat)
        if any((i + 1) * 64 > len(ministream) for i in ids):
            raise _ole_damaged(path, "a mini sector past the mini stream")
        data = b"".join(ministream[i * 64 : (i + 1) * 64] for i in ids)
    return data[:size]


def _biff_records(stream: bytes, pos: int) -> Iterator[tuple[int, int, int]]:
    """(type, start, end) of each record's data from pos, as calamine's RecordIter reads them."""
    end = len(stream)
    while end - pos >= 4:
        typ, length = struct.unpack_from("<HH", stream, pos)
        if pos + 4 + length > end:
            return  # calamine stops with an error here
        yield typ, pos + 4, pos + 4 + length
        pos += 4 + length


def _check_biff(path: Path, stream: bytes) -> None:
    sheets = []
    for typ, a, b in _biff_records(stream, 0):
        if typ == 0x002F:  # FILEPASS: the cells are encrypted
            raise protected_error(path)
        if typ == 0x0085:  # BOUNDSHEET8: where a sheet's records start, and its name
            if b - a < 8:
                raise not_workbook_error(path, "a damaged sheet record")
            cch, flags = stream[a + 6], stream[a + 7]
            raw = stream[a + 8 : b]
            name = raw[: 2 * cch].decode("utf-16-le", "replace") if flags & 1 else raw[:cch].decode("latin-1")
            sheets.append((struct.unpack_from("<I", stream, a)[0], name))
        elif typ == 0x000A:
            break
    max_cells = limits.limit("MAX_CELLS")
    for start, name in sheets:
        if start > len(stream):
            raise not_workbook_error(path, f"sheet {name!r} starts past the end of the workbook stream")
        rows, cols = _biff_sheet_extent(path, name, stream, start, max_cells)
        check_sheet_size(path, name, rows, cols)


def _biff_sheet_extent(path: Path, name: str, stream: bytes, pos: int, max_cells: int) -> tuple[int, int]:
    """(rows, cols) over a sheet's cell records, read as calamine's RecordIter does (one tight
    loop: a record is 4 header bytes, then for a cell its row and column)."""
    head = struct.Struct("<HHHH").unpack_from
    cells, end = _BIFF_CELLS, len(stream)
    rows = cols = 0
    while end - pos >= 8:
        typ, length, row, col = head(stream, pos)
        nxt = pos + 4 + length
        if nxt > end:
            break  # calamine stops with an error here
        if typ in cells:
            if length < 4:
                pos = nxt
                continue
        elif typ == 0x00BD and length >= 6:  # MULRK: a run of columns on one row
            col = max(col, struct.unpack_from("<H", stream, nxt - 2)[0])
        elif typ == 0x0200:  # DIMENSIONS: calamine reserves rows x cols from it
            declared = _declared_cells(stream[pos + 4 : nxt])
            if declared is not None and declared > max_cells:
                raise InputError(f"{path}: " + both("read.sheet_declares", sheet=repr(name), cells=f"{declared:,}",
                                                    limit=f"{max_cells:,}"))
            pos = nxt
            continue
        elif typ == 0x000A:
            break
        else:
            pos = nxt
            continue
        if row >= rows:
            rows = row + 1
        if col >= cols:
            cols = col + 1
        pos = nxt
    return rows, cols


def _declared_cells(data: bytes) -> int | None:
    """rows x cols as calamine computes them from DIMENSIONS (u32, wrapping); None if it fails on it."""
    if len(data) == 10:
        rf, rl, cf, cl = struct.unpack_from("<HHHH", data)
    elif len(data) == 14:
        rf, rl, cf, cl = struct.unpack_from("<IIHH", data)
    else:
        return None
    end_r, end_c = (rl - 1, cl - 1) if rl >= 1 and cl >= 1 else (rf, cf)
    return ((end_r - rf + 1) % (1 << 32)) * ((end_c - cf + 1) % (1 << 32))
