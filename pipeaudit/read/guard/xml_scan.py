"""Reading XML tags straight from inflated bytes: the pieces the .xlsx and .ods scans share.

Both scans run regular expressions over a part's bytes, block by block, rather than an XML
parser: they must follow where calamine places cells, and keep up with multi-million-cell sheets.
Here: a tag's attributes one after another, entity unescaping, the longest element carried from
one block to the next, a finder that passes over blocks holding nothing of interest in C++, and
the searches the row counters repeat on every row, made to cost one pass over a block in all.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
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

    def _maybe(self, index: int, block: bytes, pos: int = 0, end: int | None = None) -> bool:
        """False only if the pattern surely matches nowhere in block[pos:end]."""
        if not Finder._re2:
            return True
        pa, pc = Finder._re2
        end = len(block) if end is None else end
        try:  # one binary value over the block's own memory: no copy
            window = memoryview(block)[pos:end]
            arr = pa.Array.from_buffers(pa.binary(), 1, [None, pa.py_buffer(_offsets(len(window))), pa.py_buffer(window)])
            return bool(pc.match_substring_regex(arr, pattern=self.patterns[index])[0].as_py())
        except Exception:  # noqa: BLE001 - RE2 refused the pattern: let re decide
            return True

    def maybe(self, index: int, block: bytes, pos: int, end: int) -> bool:
        """Whether the pattern may match in block[pos:end] (RE2 looks at that window only)."""
        return self._maybe(index, block, pos, end)

    def hits(self, index: int, block: bytes) -> list[int]:
        if not self._maybe(index, block):
            return []
        return [m.start() for m in self.compiled[index].finditer(block)]


def _offsets(n: int) -> bytes:
    return (0).to_bytes(4, "little") + n.to_bytes(4, "little")


@dataclass
class BlockSearch:
    """Searches in one block that remember what they found.

    The row counters ask, row after row, where the next comment, odd attribute or row end is. A
    search that runs to the end of the block on every row makes a block of short rows cost its
    size times its rows; remembered, a hit answers every later question until the position passes
    it, so each pattern is searched once over the block. `searched` counts the bytes the searches
    passed over (tests hold it in proportion to the block's size).
    """

    data: bytes = field(repr=False)
    searched: int = 0
    _memo: dict[Any, tuple[int, int]] = field(default_factory=dict, repr=False)

    def find(self, what: bytes | re.Pattern[bytes], pos: int, end: int | None = None) -> int:
        """data.find(what, pos, end), or where a pattern's first match in data[pos:end] starts; -1 if none.

        Patterns must be free of look-behind and anchors (a match must not depend on where the search began).
        """
        end = len(self.data) if end is None else end
        key = (what, end)
        got = self._memo.get(key)
        if got is not None and got[0] <= pos and (got[1] == -1 or got[1] >= pos):
            return got[1]
        if isinstance(what, bytes):
            hit = self.data.find(what, pos, end)
        else:
            m = what.search(self.data, pos, end)
            hit = m.start() if m else -1
        self.searched += (end if hit == -1 else hit) - pos
        self._memo[key] = (pos, hit)
        return hit

    def rfind(self, what: bytes, pos: int, stop: int) -> int:
        """data.rfind(what, pos, stop), remembered for each stop (the last one before stop stays the last)."""
        key = (b"rfind", what, stop)
        got = self._memo.get(key)
        if got is not None and got[0] <= pos:
            return got[1] if got[1] >= pos else -1
        hit = self.data.rfind(what, pos, stop)
        self.searched += stop - (pos if hit == -1 else hit)
        self._memo[key] = (pos, hit)
        return hit


_UNQUOTED = re.compile(rb"(?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+")
_MARK = 256  # parses from different starts meet at these marks (or at a quote) and share the rest


@dataclass
class TagEnds:
    """Where a tag ends, for any number of starting points in one block, in one pass over it.

    A tag's end is its first '>' outside quotes. Asking from each of N starts inside one long run
    (a regex tried at every '<row' of `<row <row <row ...`) would read the run N times; here a parse
    that reaches a mark or an opening quote already passed in the same state takes the answer found
    then. `searched` counts the bytes parsed.
    """

    data: bytes = field(repr=False)
    searched: int = 0
    _memo: dict[int, int] = field(default_factory=dict, repr=False)

    def end(self, x: int) -> int:
        """The first '>' at or after x outside quotes, reading x as outside quotes; -1 if none."""
        data, memo, n = self.data, self._memo, len(self.data)
        path: list[int] = []
        while True:
            if x in memo:
                found = memo[x]
                break
            path.append(x)
            stop = min(n, (x // _MARK + 1) * _MARK)
            y = _UNQUOTED.match(data, x, stop).end()
            self.searched += y - x
            if y == stop:  # outside quotes at the mark (or at the block's end)
                if stop == n:
                    found = -1
                    break
                x = stop
                continue
            if data[y] == 0x3E:  # '>'
                found = y
                break
            if y != x:  # an opening quote reached outside quotes: a meeting point too
                if y in memo:
                    found = memo[y]
                    break
                path.append(y)
            close = data.find(data[y : y + 1], y + 1)  # a quoted value running past the mark
            if close == -1:
                found = -1
                break
            self.searched += close - y
            x = close + 1
        for p in path:
            memo[p] = found
        return found
