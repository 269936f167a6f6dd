"""The zip package guard for .xlsx/.xlsm/.ods: refuse a zip bomb before anything inflates it.

First the sizes the central directory declares: too many parts, a part that would inflate far
past its compressed size, or a total past the limit is refused without inflating a byte (the
scans later hold each part to its declared size, see zip_parts). Then the claims calamine acts
on when it opens the workbook: each worksheet's declared <dimension>, the shared-string count it
reserves room for, and, since an .ods is built whole on opening, the tables of its content.xml.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from pipeaudit.errors import InputError
from pipeaudit.i18n import both
from pipeaudit.read import limits
from pipeaudit.read.guard.ods_extent import check_ods
from pipeaudit.read.guard.paths import not_workbook_error
from pipeaudit.read.guard.xlsx_extent import check_declared_dimensions
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
        raise InputError(f"{path}: " + both("read.zip_parts", parts=len(infos), limit=limits.MAX_ZIP_MEMBERS))
    check_declared_dimensions(path, infos)
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.RATIO_MIN_BYTES and ratio > limits.MAX_COMPRESSION_RATIO:
            raise InputError(f"{path}: " + both(
                "read.zip_ratio", part=info.filename, ratio=f"{ratio:.0f}", size=f"{info.file_size:,}",
                limit=str(limits.MAX_COMPRESSION_RATIO), above=f"{limits.RATIO_MIN_BYTES:,}"))
    if total > max_total:
        raise InputError(f"{path}: " + both("read.zip_total", total=f"{total:,}", limit=f"{max_total:,}"))
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
                raise InputError(f"{path}: " + both("read.shared_strings", strings=f"{max(declared):,}",
                                                    size=f"{info.file_size:,}", limit=f"{max_cells:,}"))
