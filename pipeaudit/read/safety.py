"""Checks made before any parser touches a file: existence, size, container sanity, encryption, zip bombs.

Run first so that a hostile file is refused with a clear reason instead of a parser's traceback
or an exhausted machine.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from pipeaudit.errors import InputError, PipeauditError
from pipeaudit.read import limits

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# Stream names of an encrypted OOXML package, as stored (UTF-16LE) in the OLE2 directory.
_ENCRYPTED_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))


def ensure_defusedxml() -> None:
    """Refuse to parse workbooks with openpyxl unless it uses defusedxml (OPENPYXL_DEFUSEDXML can turn it off)."""
    import openpyxl.xml

    if not getattr(openpyxl.xml, "DEFUSEDXML", False):
        raise PipeauditError(
            "openpyxl 未启用 defusedxml，拒绝打开工作簿（检查环境变量 OPENPYXL_DEFUSEDXML 并安装 defusedxml） / "
            "openpyxl is not using defusedxml, so workbooks will not be opened "
            "(install defusedxml and unset OPENPYXL_DEFUSEDXML=False)"
        )


def check_path(path: Path) -> int:
    """The file's size; InputError if it is missing, a folder, or empty."""
    if not path.exists():
        raise InputError(f"{path}: 文件不存在 / no such file")
    if path.is_dir():
        raise InputError(f"{path}: 这是文件夹，不是导出文件 / is a folder, not an export file")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path}: 无法读取 / cannot be read ({exc.strerror or exc})") from None
    if size == 0:
        raise InputError(f"{path}: 文件为空 / the file is empty (0 bytes)")
    return size


def read_magic(path: Path, n: int = 8) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(n)
    except OSError as exc:
        raise InputError(f"{path}: 无法读取 / cannot be read ({exc.strerror or exc})") from None


def is_encrypted_ole(path: Path) -> bool:
    """An OLE2 container holding EncryptionInfo/EncryptedPackage streams is a password-protected OOXML file."""
    import mmap

    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        if mm[:8] != OLE2_MAGIC:
            return False
        return any(mm.find(name) != -1 for name in _ENCRYPTED_STREAMS)


def protected_error(path: Path) -> InputError:
    return InputError(
        f"{path}: 工作簿有密码保护，请在 Excel 中取消密码后另存再试 / "
        "the workbook is password-protected; remove the password in Excel, save, and try again"
    )


def not_workbook_error(path: Path, detail: str = "") -> InputError:
    more = f" ({detail})" if detail else ""
    return InputError(f"{path}: 不是有效的 Excel 工作簿 / not a valid Excel workbook{more}")


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
