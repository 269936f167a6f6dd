"""Reading XML tags straight from inflated bytes: the pieces the .xlsx and .ods scans share.

Both scans run regular expressions over a part's bytes, block by block, rather than an XML
parser: they must follow where calamine places cells, and keep up with multi-million-cell sheets.
Here: a tag's attributes one after another, entity unescaping, the longest element carried from
one block to the next, and a finder that passes over blocks holding nothing of interest in C++.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipeaudit.read.guard.paths import not_workbook_error

MAX_CARRY = 8 * 1024 * 1024  # an unfinished element longer than this is refused (none is, honestly)

_ATTR = re.compile(rb"[ \t\r\n]+([^ \t\r\n=/>]+)[ \t\r\n]*=[ \t\r\n]*(?:\"([^\"]*)\"|'([^']*)')")
_TAG_END = re.compile(rb"[ \t\r\n]*/?>")


def read_attributes(data: bytes, pos: int) -> tuple[list[tuple[bytes, bytes]], int]:
    """The (name, value) attributes from pos on, one after another, and where they stop."""
    attrs = []
    while m := _ATTR.match(data, pos):
        attrs.append((m.group(1), m.group(2) if m.group(2) is not None else m.group(3)))
        pos = m.end()
    return attrs, pos


def tag_attributes(data: bytes, pos: int) -> tuple[list[tuple[bytes, bytes]], int] | None:
    """The attributes of the tag whose name ends at pos, and where the tag ends; None if it does not end."""
    attrs, pos = read_attributes(data, pos)
    end = _TAG_END.match(data, pos)
    return (attrs, end.end()) if end else None


def attr_list(path: Path, text: bytes, malformed: str) -> list[tuple[bytes, bytes]]:
    """The attributes of a tag's text after its name (a value may hold text that looks like one);
    a workbook error saying `malformed` if anything but attributes and a closing '/' is there."""
    attrs, pos = read_attributes(text, 0)
    if text[pos:].strip(b" \t\r\n") not in (b"", b"/"):
        raise not_workbook_error(path, malformed)
    return attrs


def has_repeated_name(attrs: list[tuple[bytes, bytes]]) -> bool:
    """Whether a tag repeats an attribute name (calamine may then stop reading its attributes)."""
    names = [name for name, _v in attrs]
    return len(set(names)) < len(names)


def xml_unescape(value: bytes) -> str:
    return html.unescape(value.decode("utf-8", "replace"))


class Finder:
    """Report where any of a few patterns match a block, cheaply when nothing does.

    The patterns are plain enough for RE2, which pyarrow (already loaded with pandas) runs over
    a block in C++ far faster than `re` tries every '<'; `re` then locates the rare matches. Without
    pyarrow, or if RE2 rejects a pattern, `re` alone does the work.
    """

    _re2: Any = None

    def __init__(self) -> None:
        self.patterns: list[bytes] = []
        self.compiled: list[re.Pattern[bytes]] = []
        if Finder._re2 is None:
            try:
                import pyarrow as pa
                import pyarrow.compute as pc

                pc.match_substring_regex(pa.array([b"ab"], pa.binary()), pattern=b"a[^x]")
                Finder._re2 = (pa, pc)
            except Exception:  # noqa: BLE001 - any failure means: use re
                Finder._re2 = False

    def set_all(self, patterns: Iterable[bytes]) -> None:
        for i, pattern in enumerate(patterns):
            self.set(i, pattern)

    def set(self, index: int, pattern: bytes) -> None:
        while len(self.patterns) <= index:
            self.patterns.append(b"")
            self.compiled.append(re.compile(b"(?!)"))
        self.patterns[index], self.compiled[index] = pattern, re.compile(pattern)

    def _maybe(self, index: int, block: bytes) -> bool:
        if not Finder._re2:
            return True
        pa, pc = Finder._re2
        try:  # one binary value over the block's own memory: no copy
            arr = pa.Array.from_buffers(pa.binary(), 1, [None, pa.py_buffer(_offsets(len(block))), pa.py_buffer(block)])
            return bool(pc.match_substring_regex(arr, pattern=self.patterns[index])[0].as_py())
        except Exception:  # noqa: BLE001 - RE2 refused the pattern: let re decide
            return True

    def first(self, index: int, block: bytes, pos: int, end: int) -> int | None:
        """Where the pattern first matches block[pos:end], or None."""
        if not self._maybe(index, block):
            return None
        m = self.compiled[index].search(block, pos, end)
        return m.start() if m else None

    def hits(self, index: int, block: bytes) -> list[int]:
        if not self._maybe(index, block):
            return []
        return [m.start() for m in self.compiled[index].finditer(block)]


def _offsets(n: int) -> bytes:
    return (0).to_bytes(4, "little") + n.to_bytes(4, "little")
