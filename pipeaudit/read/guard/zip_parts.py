"""One zip part inflated in bounded blocks, for the scans that read a part's bytes before calamine.

check_zip trusts the sizes a zip's central directory declares; the scans read what the parts
really hold, a few MB at a time, and refuse a part that inflates past its declared size, so a
lying directory cannot smuggle a bomb past the checks.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from pipeaudit.errors import InputError
from pipeaudit.i18n import both
from pipeaudit.read.guard.paths import ZIP_MAGIC, not_workbook_error

_BLOCK_IN = 256 * 1024  # compressed bytes inflated at a time (about 1.5 MB inflated)
_BLOCK_OUT = 4 * 1024 * 1024  # most inflated bytes in one block


def part_blocks(path: Path, fh: IO[bytes], info: zipfile.ZipInfo, zf: zipfile.ZipFile) -> Iterator[bytes]:
    """The inflated bytes of one zip part, in blocks of a few MB; no CRC work (calamine checks it).

    Refuses a part that inflates past its declared size (the bomb checks trusted that size).
    """
    declared, total = info.file_size, 0
    name = info.filename
    if info.flag_bits & 0x1:
        raise not_workbook_error(path, f"encrypted part {name}")
    if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        fh.seek(info.header_offset)
        head = fh.read(30)
        if len(head) < 30 or head[:4] != ZIP_MAGIC:
            raise not_workbook_error(path, f"damaged part {name}")
        fh.seek(info.header_offset + 30 + int.from_bytes(head[26:28], "little") + int.from_bytes(head[28:30], "little"))
        left = info.compress_size
        inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        while left > 0 and total <= declared:
            raw = fh.read(min(_BLOCK_IN, left))
            if not raw:
                break
            left -= len(raw)
            while total <= declared:
                try:  # bounded output: 256 KB of a bomb must not become one 256 MB block
                    out = inflater.decompress(raw, _BLOCK_OUT) if inflater else raw
                except zlib.error as exc:
                    raise not_workbook_error(path, f"damaged part {name}: {exc}") from None
                raw = inflater.unconsumed_tail if inflater else b""
                total += len(out)
                if out:
                    yield out
                if not raw and (inflater is None or len(out) < _BLOCK_OUT):
                    break  # input used up and no output held back
            if inflater is not None and inflater.eof:
                break
    else:  # bzip2 / lzma parts: rare; zipfile inflates and checks them
        try:
            with zf.open(info) as part:
                while block := part.read(_BLOCK_OUT):
                    total += len(block)
                    if total > declared:
                        break
                    yield block
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
            raise not_workbook_error(path, f"damaged part {name}: {exc}") from None
    if total > declared:
        raise InputError(f"{path}: " + both("read.part_inflates", part=name, size=f"{declared:,}"))
