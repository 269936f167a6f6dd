"""Safe file and sheet names from owner names, which come from the data and cannot be trusted.

An owner called "../../etc", "CON" or 300 characters long must still get its own page, inside the
output folder, with a name every filesystem and Excel accepts.

File names are bounded in UTF-8 bytes, not characters: most filesystems allow 255 bytes per name
(eCryptfs 143), and a 80-character CJK or emoji name is 240-320 bytes. The bound leaves room for
what is added to a stem: a clash's "-N", the extension and, while the page is written, the
temporary name around it.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from pipeaudit.errors import PipeauditError

FILE_STEM_MAX = 80  # characters
FILE_STEM_MAX_BYTES = 120  # UTF-8 bytes: 40 CJK characters, 30 emoji
#: the longest name made from a stem: "." + stem + "-999999" + ".html" + ".<12 hex>.tmp"
LONGEST_NAME_BYTES = 1 + FILE_STEM_MAX_BYTES + 7 + 5 + 17
SHEET_MAX = 31

# Windows device names, in every form Windows itself treats as the device: any case, any extension,
# trailing dots or spaces before the extension ("con .txt"), and the superscript digits ¹ ² ³ that
# Windows counts as digits in COM/LPT names; CONIN$ and CONOUT$ are the console.
_WINDOWS_RESERVED = re.compile(r"(?:CON|PRN|AUX|NUL|CLOCK\$|CONIN\$|CONOUT\$|COM[0-9\u00b9\u00b2\u00b3]|LPT[0-9\u00b9\u00b2\u00b3])",
                               re.IGNORECASE)
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


def cut_bytes(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes, never inside a character."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", errors="ignore")


def windows_reserved(stem: str) -> bool:
    """Would Windows open a device for this name ("CON", "nul.txt", "Com¹ .md", "conout$")?"""
    return _WINDOWS_RESERVED.fullmatch(stem.split(".")[0].rstrip(" .")) is not None


def safe_file_stem(name: str | None, blank: str = "no-owner") -> str:
    """A file name stem (no extension) that cannot escape a folder or hit a reserved device name."""
    stem = _clean(str(name or ""), _FILE_BAD) or blank
    stem = cut_bytes(stem[:FILE_STEM_MAX], FILE_STEM_MAX_BYTES - 1).rstrip(" .")  # -1: room for "_"
    if windows_reserved(stem):
        stem = "_" + stem
    return stem or blank


def safe_sheet_title(name: str | None, blank: str = "no owner", max_len: int = SHEET_MAX) -> str:
    """An Excel sheet title: at most 31 characters, none of : \\ / ? * [ ], not 'History', no leading '."""
    title = _clean(str(name or ""), _SHEET_BAD).strip("'") or blank
    title = title[:max_len].rstrip(" '")
    if title.casefold() == "history":
        title = title + "_"
    return title or blank


def assign_unique(owners: list[str], make, max_len: int, reserved: set[str] | None = None,
                  max_bytes: int | None = None) -> dict[str, str]:
    """Give every owner a distinct name; clashes get -2, -3... in sorted-owner order (deterministic).

    Names are compared case-insensitively, because Windows, macOS and Excel do. With `max_bytes`,
    a name with its suffix also stays within that many UTF-8 bytes.
    """
    taken = {r.casefold() for r in (reserved or set())}
    result: dict[str, str] = {}
    for owner in sorted(set(owners)):
        base = make(owner)
        candidate, n = base, 1
        while candidate.casefold() in taken:
            n += 1
            suffix = f"-{n}"
            candidate = base[: max_len - len(suffix)]
            if max_bytes is not None:
                candidate = cut_bytes(candidate, max_bytes - len(suffix))
            candidate += suffix
        taken.add(candidate.casefold())
        result[owner] = candidate
    return result


def file_names(owners: list[str], blank: str = "no-owner") -> dict[str, str]:
    """owner -> unique safe file stem."""
    return assign_unique(owners, lambda o: safe_file_stem(o, blank), FILE_STEM_MAX, max_bytes=FILE_STEM_MAX_BYTES)


def sheet_names(owners: list[str], reserved: set[str], blank: str = "no owner") -> dict[str, str]:
    """owner -> unique Excel sheet title, avoiding the `reserved` titles (e.g. the summary sheet)."""
    return assign_unique(owners, lambda o: safe_sheet_title(o, blank), SHEET_MAX, reserved)


def inside(folder: Path, *parts: str) -> Path:
    """folder/parts, refusing any result that resolves outside `folder` (through "..", or a symbolic
    link on the way such as a `reps` folder that links elsewhere)."""
    root = Path(folder).resolve()
    target = root.joinpath(*parts).resolve()
    if target == root or root not in target.parents:
        raise PipeauditError(f"refusing to write {target}: outside the output folder {root} / 拒绝写到输出文件夹之外")
    return target
