"""The xlsx guard: how far a sheet's cells reach, measured before calamine builds the sheet.

python-calamine holds a sheet as one dense rectangle spanning its cells. A cell at XFD1048576
next to A1 asks for 17 billion cells: the allocation fails and Rust aborts the whole process
(SIGABRT, nothing to catch). <dimension> is only a claim (check_declared_dimensions refuses an
outrageous one early), so the cells themselves are scanned, the way calamine will place them,
before the sheet is loaded:
  * an explicit reference (<c r="B7">) places a cell; of several r attributes calamine keeps the
    last or, after some repeated attributes, the first: the scan bounds by the largest;
  * a cell without r takes the running position: the column after the previous cell of its row,
    on the row after the previous </row> (or the row a <row r=..> names);
  * prefixes are ignored (<x:c> is a cell) and '<' or '>' may sit inside attribute values.
The fast scan (xlsx_fast_scan) inflates the part in blocks and runs a few compiled patterns over
each block; a sheet with cells lacking r takes the exact, slower scan (xlsx_running_scan).
This module finds the parts that hold a sheet and picks the scan.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import IO

from pipeaudit.errors import InputError
from pipeaudit.i18n import both
from pipeaudit.read import limits
from pipeaudit.read.guard.a1_refs import col_number
from pipeaudit.read.guard.paths import ZIP_MAGIC, not_workbook_error, read_magic
from pipeaudit.read.guard.sheet_size import check_sheet_size
from pipeaudit.read.guard.xlsx_fast_scan import NeedsRunningScan, TooLongRef, xlsx_exact_extremes, xlsx_fast_extent
from pipeaudit.read.guard.xlsx_running_scan import xlsx_running_extent
from pipeaudit.read.guard.xml_scan import tag_attributes, xml_unescape
from pipeaudit.read.guard.zip_parts import part_blocks

_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?\"")


def check_declared_dimensions(path: Path, infos: list[zipfile.ZipInfo]) -> None:
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
            cols = col_number(m.group(3)) - col_number(m.group(1)) + 1
            if cols > max_cols or rows * cols > max_cells:
                raise InputError(f"{path}: " + both("read.sheet_extent", sheet=name, rows=f"{rows:,}", cols=f"{cols:,}",
                                                    max_cols=f"{max_cols:,}", max_cells=f"{max_cells:,}"))


# ---- which zip parts hold a sheet ----------------------------------------------------------

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


# ---- the scan ------------------------------------------------------------------------------

# <dimension ... ref="A1:C9">: a start tag, then its ref (before the tag's first '>'). A prefix holding
# a '<' is not read: the match then starts at the last '<', with the same ref.
_DIM_TAG = re.compile(rb"<(?:[^ \t\r\n/>:<]*:)?dimension[ \t\r\n]")
_DIM_REF = re.compile(rb"[^>]*?ref=\"[A-Z]{1,3}\d+:([A-Z]{1,3})(\d+)\"")


def _dimension_hint(head: bytes) -> re.Match[bytes] | None:
    """The ref of the first <dimension> tag in head that has one: (last column letters, last row).

    One pass: when a tag has no ref before its '>', no tag starting before that '>' has one either
    (each reads a tail of the same text), so the search goes on after it instead of trying each.
    """
    pos = 0
    while tag := _DIM_TAG.search(head, pos):
        ref = _DIM_REF.match(head, tag.end())
        if ref:
            return ref
        pos = head.find(b">", tag.end())
        if pos == -1:
            return None
    return None


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
    hint = _dimension_hint(first[:65536])
    if hint:  # only a starting guess for the rectangle; the scan corrects it either way
        rows, cols = int(hint.group(2)), col_number(hint.group(1))
        if 0 < rows <= limits.MAX_ROWS and 0 < cols <= limits.limit("MAX_COLUMNS"):
            start = (rows, cols)
    try:
        rows, cols, seen_rows, seen_cols = xlsx_fast_extent(path, sheet, chain((first,), blocks), start)
    except TooLongRef:
        raise not_workbook_error(path, f"sheet {sheet!r}: a cell reference over 40 characters") from None
    except NeedsRunningScan:
        rows, cols = xlsx_running_extent(path, sheet, part_blocks(path, fh, info, zf))
        check_sheet_size(path, sheet, rows, cols)
        return rows, cols
    if rows * cols > limits.limit("MAX_CELLS") and (rows, cols) != (seen_rows, seen_cols):
        # The rectangle was grown in steps and may be loose: measure the extremes exactly.
        rows, cols = xlsx_exact_extremes(part_blocks(path, fh, info, zf), seen_rows, seen_cols)
    check_sheet_size(path, sheet, rows, cols)
    return rows, cols
