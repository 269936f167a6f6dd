"""A minimal .xls (BIFF8 in an OLE2 compound file) writer for tests: no such writer is installed.

Just enough for calamine to read: a globals substream (BOF, CODEPAGE, BOUNDSHEET8 per sheet,
optional extra records, EOF) and per sheet (BOF, optional DIMENSIONS, cell records, EOF), in
a version-3 compound file with 512-byte sectors. Hostile tests pass raw records or patch the
container afterwards (`fat`, `header` hooks).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def record(typ: int, data: bytes) -> bytes:
    return struct.pack("<HH", typ, len(data)) + data


def number(row: int, col: int, value: float) -> bytes:
    return record(0x0203, struct.pack("<HHHd", row, col, 0, value))


def label(row: int, col: int, text: str) -> bytes:
    raw = text.encode("utf-16-le")
    return record(0x0204, struct.pack("<HHHHB", row, col, 0, len(text), 1) + raw)


def dimensions(first_row: int, last_row_plus_1: int, first_col: int, last_col_plus_1: int) -> bytes:
    return record(0x0200, struct.pack("<IIHHH", first_row, last_row_plus_1, first_col, last_col_plus_1, 0))


def _bof(kind: int) -> bytes:
    return record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 0x06))


def workbook_stream(sheets: list[tuple[str, list[bytes]]], globals_extra: list[bytes] = (), pad_to: int = 4200) -> bytes:
    """The BIFF8 'Workbook' stream; padded (an ignored record) past the 4096-byte mini-stream cutoff."""
    def boundsheet(pos: int, name: str) -> bytes:
        raw = name.encode("utf-16-le")
        return record(0x0085, struct.pack("<IBBBB", pos, 0, 0, len(name), 1) + raw)

    head = _bof(0x0005) + record(0x0042, struct.pack("<H", 1200)) + b"".join(globals_extra)
    size = len(head) + sum(len(boundsheet(0, n)) for n, _ in sheets) + 4
    pad = max(0, pad_to - size - sum(len(_bof(0x10)) + sum(map(len, r)) + 4 for _, r in sheets) - 4)
    padding = record(0x00E1, b"\0" * min(pad, 8000)) if pad else b""  # INTERFACEHDR: ignored
    size += len(padding)
    bodies, positions = [], []
    for _name, records in sheets:
        positions.append(size + sum(map(len, bodies)))
        bodies.append(_bof(0x0010) + b"".join(records) + record(0x000A, b""))
    sheets_part = b"".join(boundsheet(p, n) for p, (n, _) in zip(positions, sheets))
    return head + sheets_part + padding + record(0x000A, b"") + b"".join(bodies)


def write_xls(path: Path, stream: bytes, patch: Callable[[bytearray], None] | None = None) -> Path:
    """`stream` as the 'Workbook' stream of a version-3 compound file (512-byte sectors); a stream
    under 4096 bytes goes in the mini stream (64-byte mini sectors), as the format requires."""
    ss = 512

    def chain(first: int, n: int) -> list[int]:
        return [first + i + 1 for i in range(n - 1)] + [ENDOFCHAIN]

    def entry(name: str, kind: int, start: int, size: int, child: int = NOSTREAM) -> bytes:
        raw = (name.encode("utf-16-le") + b"\0\0") if name else b""
        return (raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), kind, 1)
                + struct.pack("<III", NOSTREAM, NOSTREAM, child) + b"\0" * 36
                + struct.pack("<III", start, size, 0))

    if len(stream) >= 4096:
        n = -(-len(stream) // ss)
        fat = [FATSECT, ENDOFCHAIN] + chain(2, n)
        mini_start, mini_count, body = ENDOFCHAIN, 0, stream.ljust(n * ss, b"\0")
        directory = entry("Root Entry", 5, ENDOFCHAIN, 0, child=1) + entry("Workbook", 2, 2, len(stream))
    else:
        ministream = stream.ljust(-(-len(stream) // 64) * 64, b"\0")
        n_mini = len(ministream) // 64
        minifat = (chain(0, n_mini) + [FREESECT] * (ss // 4 - n_mini))[: ss // 4]
        n = -(-len(ministream) // ss)
        fat = [FATSECT, ENDOFCHAIN, ENDOFCHAIN] + chain(3, n)
        mini_start, mini_count = 2, 1
        body = struct.pack(f"<{ss // 4}I", *minifat) + ministream.ljust(n * ss, b"\0")
        directory = entry("Root Entry", 5, 3, len(ministream), child=1) + entry("Workbook", 2, 0, len(stream))
    fat += [FREESECT] * (ss // 4 - len(fat))
    assert len(fat) == ss // 4, "stream too large for one FAT sector"
    header = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16)
    header += struct.pack("<HHHHH", 0x003E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, mini_start, mini_count, ENDOFCHAIN, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", FREESECT) * 108
    data = bytearray(header) + struct.pack(f"<{ss // 4}I", *fat) + directory.ljust(ss, b"\0") + body
    if patch:
        patch(data)
    path.write_bytes(bytes(data))
    return path
