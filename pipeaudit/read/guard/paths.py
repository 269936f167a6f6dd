"""Checks on the file itself, made before anything reads it as a workbook.

The export must exist and be a non-empty file; its first bytes say which container it really is
(zip or OLE2), whatever its extension claims; a password-protected workbook (OOXML wrapped in an
encrypted OLE2 file) is named as such instead of failing later as "corrupt". The one-line errors
for a protected file or a file that is no workbook live here too: every guard module raises them.
"""

from __future__ import annotations

import mmap
from pathlib import Path

from pipeaudit.errors import InputError, PipeauditError
from pipeaudit.i18n import both

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# Stream names of an encrypted OOXML package, as stored (UTF-16LE) in the OLE2 directory.
_ENCRYPTED_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))


def ensure_defusedxml() -> None:
    """Refuse to parse workbooks with openpyxl unless it uses defusedxml (OPENPYXL_DEFUSEDXML can turn it off).

    Called before openpyxl opens one: `pipeaudit send` cutting a rep's sheet out of report.xlsx
    (send/sheet.py). Exports, quota sheets and every other workbook are read by python-calamine.
    """
    import openpyxl.xml  # heavy: only when asked

    if not getattr(openpyxl.xml, "DEFUSEDXML", False):
        raise PipeauditError(both("read.defusedxml"))


def check_path(path: Path) -> int:
    """The file's size; InputError if it is missing, a folder, or empty."""
    if not path.exists():
        raise InputError(f"{path}: " + both("read.no_file"))
    if path.is_dir():
        raise InputError(f"{path}: " + both("read.is_folder"))
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path}: " + both("read.unreadable", error=str(exc.strerror or exc))) from None
    if size == 0:
        raise InputError(f"{path}: " + both("read.empty"))
    return size


def read_magic(path: Path, n: int = 8) -> bytes:
    """The first n bytes of the file."""
    try:
        with path.open("rb") as fh:
            return fh.read(n)
    except OSError as exc:
        raise InputError(f"{path}: " + both("read.unreadable", error=str(exc.strerror or exc))) from None


def is_encrypted_ole(path: Path) -> bool:
    """An OLE2 container holding EncryptionInfo/EncryptedPackage streams is a password-protected OOXML file."""
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        if mm[:8] != OLE2_MAGIC:
            return False
        return any(mm.find(name) != -1 for name in _ENCRYPTED_STREAMS)


def protected_error(path: Path) -> InputError:
    return InputError(f"{path}: " + both("read.protected"))


def not_workbook_error(path: Path, detail: str = "") -> InputError:
    more = f" ({detail})" if detail else ""
    return InputError(f"{path}: " + both("read.not_workbook", more=more))
