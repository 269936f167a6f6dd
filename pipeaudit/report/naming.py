"""Safe file and sheet names from owner names, which come from the data and cannot be trusted.

An owner called "../../etc", "CON" or 300 characters long must still get its own page, inside the
output folder, with a name every filesystem and Excel accepts.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from pipeaudit.errors import PipeauditError

FILE_STEM_MAX = 80
SHEET_MAX = 31

_WINDOWS_RESERVED = {
    "CON", "PRN", "AUX", "NUL", "CLOCK$",
    *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10)),
}
# path separators, characters Windows refuses in file names, and '%' (keeps links simple)
_FILE_BAD = re.compile(r'[\\/:*?"<>|%\x00-\x1f\x7f]')
# U+FFFE/U+FFFF: not characters at all, and XML 1.0 (the workbook) cannot hold them
_SHEET_BAD = re.compile(r"[\\/:*?\[\]\x00-\x1f\x7f\ufffe\uffff]")


def _clean(name: str, bad: re.Pattern[str]) -> str:
    name = unicodedata.normalize("NFC", name)
    # Unicode format/control characters (bidi overrides, zero-width) are dropped too
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
    name = bad.sub("_", name)
    name = re.sub(r"\.{2,}", "_", name)  # no ".." anywhere
    name = re.sub(r"\s+", " ", name).strip(" ._")
    return name


def safe_file_stem(name: str | None, blank: str = "no-owner") -> str:
    """A file name stem (no extension) that cannot escape a folder or hit a reserved device name."""
    stem = _clean(str(name or ""), _FILE_BAD) or blank
    stem = stem[:FILE_STEM_MAX].rstrip(" .")
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    return stem or blank


def safe_sheet_title(name: str | None, blank: str = "no owner", max_len: int = SHEET_MAX) -> str:
    """An Excel sheet title: at most 31 characters, none of : \\ / ? * [ ], not 'History', no leading '."""
    title = _clean(str(name or ""), _SHEET_BAD).strip("'") or blank
    title = title[:max_len].rstrip(" '")
    if title.casefold() == "history":
        title = title + "_"
    return title or blank


def assign_unique(owners: list[str], make, max_len: int, reserved: set[str] | None = None) -> dict[str, str]:
    """Give every owner a distinct name; clashes get -2, -3... in sorted-owner order (deterministic).

    Names are compared case-insensitively, because Windows, macOS and Excel do.
    """
    taken = {r.casefold() for r in (reserved or set())}
    result: dict[str, str] = {}
    for owner in sorted(set(owners)):
        base = make(owner)
        candidate, n = base, 1
        while candidate.casefold() in taken:
            n += 1
            suffix = f"-{n}"
            candidate = base[: max_len - len(suffix)] + suffix
        taken.add(candidate.casefold())
        result[owner] = candidate
    return result


def file_names(owners: list[str], blank: str = "no-owner") -> dict[str, str]:
    """owner -> unique safe file stem."""
    return assign_unique(owners, lambda o: safe_file_stem(o, blank), FILE_STEM_MAX)


def sheet_names(owners: list[str], reserved: set[str], blank: str = "no owner") -> dict[str, str]:
    """owner -> unique Excel sheet title, avoiding the `reserved` titles (e.g. the summary sheet)."""
    return assign_unique(owners, lambda o: safe_sheet_title(o, blank), SHEET_MAX, reserved)


def inside(folder: Path, *parts: str) -> Path:
    """folder/parts, refusing any result that resolves outside `folder`."""
    root = Path(folder).resolve()
    target = root.joinpath(*parts).resolve()
    if target == root or root not in target.parents:
        raise PipeauditError(f"refusing to write {target}: outside the output folder {root}")
    return target
