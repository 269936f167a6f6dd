"""The scans agree: the fast and the running .xlsx scans on the same cells, and each shortcut that
keeps the row counters linear with the plain search it stands for.

The row counters remember what they searched (BlockSearch), split a block's rows once (_RowEnds,
_OdsTables._segments), and read tags that hold a '<' in one pass (TagEnds) - each must give
exactly what the one-regex search it replaces gives, from any position, so that the extents found
stay the same as before; these are the references.
"""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeaudit.read.guard import ods_extent, xlsx_extent, xml_scan
from pipeaudit.read.guard.xlsx_fast_scan import xlsx_exact_extremes, xlsx_fast_extent
from pipeaudit.read.guard.xlsx_running_scan import _ROW_END, _plain, _RowEnds, xlsx_running_extent
from hostile_sheets import XLSX_SHAPES, part_xml
from test_hostile_extent import V, calamine_extent, col_letters, sheet
from test_hostile_workbooks import package, write_xlsx

EXAMPLES = int(__import__("os").environ.get("EXTENT_EXAMPLES", "150"))
PATH = Path("agree.xlsx")


# ---- the fast and the running scans: one sheet, spelt with and without r ------------------------


@st.composite
def cells_by_row(draw: st.DrawFn) -> list[tuple[int, list[int]]]:
    """Rows in order (1-based numbers, with gaps) and the columns of their cells, in order."""
    rows, r = [], 0
    for _ in range(draw(st.integers(0, 12))):
        r += draw(st.integers(1, 3))
        cols, c = [], 0
        for _ in range(draw(st.integers(0, 5))):
            c += draw(st.integers(1, 2))
            cols.append(c)
        rows.append((r, cols))
    return rows


NOISE = ["", "", " ", "\n", "<x/>", "<!-- c -->", "<?pi x?>", '<x a="b>"/>']


def spell(rows: list[tuple[int, list[int]]], rng: random.Random, explicit: bool) -> str:
    """The rows as <sheetData> content: every cell with its r (explicit), or leaving to the running
    position whatever it gets right (no r on a cell that follows the previous one, nor on a row
    that follows the previous row)."""
    out, prev = [], 0
    for r, cols in rows:
        out.append(rng.choice(NOISE))
        row_r = "" if not explicit and r == prev + 1 and rng.random() < 0.7 else f' r="{r}"'
        if not cols and rng.random() < 0.5:
            out.append(f"<row{row_r}/>")
        else:
            cells, nxt = [], 1
            for c in cols:
                bare = not explicit and c == nxt and rng.random() < 0.8
                cells.append(f"<c>{V}</c>" if bare else f'<c r="{col_letters(c)}{r}">{V}</c>')
                cells.append(rng.choice(["", "", " "]))
                nxt = c + 1
            out.append(f"<row{row_r}>{''.join(cells)}</row>")
        prev = r
    return "".join(out)


def blocks(xml: bytes, rng: random.Random) -> list[bytes]:
    cuts = sorted(rng.sample(range(1, len(xml)), k=min(len(xml) - 1, rng.randint(0, 5))))
    return [xml[a:b] for a, b in zip([0, *cuts], [*cuts, len(xml)])]


def fast_extent(xml: bytes, rng: random.Random) -> tuple[int, int]:
    """The fast scan's exact measure of a sheet whose cells all carry r: its rectangle (grown from
    1 x 1, the way sheet_extent starts it) must hold them; from 0 x 0 every reference is looked at,
    and xlsx_exact_extremes (what sheet_extent does near the cell limit) measures the largest."""
    box_rows, box_cols, _r, _c = xlsx_fast_extent(PATH, "s", blocks(xml, rng), (1, 1))
    _box_rows, _box_cols, seen_rows, seen_cols = xlsx_fast_extent(PATH, "s", blocks(xml, rng), (0, 0))
    rows, cols = xlsx_exact_extremes(blocks(xml, rng), seen_rows, seen_cols)
    assert rows <= box_rows and cols <= box_cols
    return rows, cols


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=cells_by_row(), seed=st.integers(0, 2**32 - 1))
def test_fast_and_running_scans_find_the_same_extent(tmp_path_factory: pytest.TempPathFactory, rows: list, seed: int) -> None:
    rng = random.Random(seed)
    want = (max((r for r, cols in rows if cols), default=0), max((max(cols) for _r, cols in rows if cols), default=0))
    explicit, running = (sheet(spell(rows, rng, e)).encode() for e in (True, False))
    assert fast_extent(explicit, rng) == want
    assert xlsx_running_extent(PATH, "s", blocks(explicit, rng)) == want
    assert xlsx_running_extent(PATH, "s", blocks(running, rng)) == want
    assert xlsx_running_extent(PATH, "s", [running]) == want
    f = write_xlsx(tmp_path_factory.mktemp("agree") / "r.xlsx", package(running.decode()))
    assert calamine_extent(f) == want  # and that is what calamine builds


@settings(max_examples=EXAMPLES, deadline=None)
@given(n=st.integers(1, 400), seed=st.integers(0, 2**32 - 1))
def test_hostile_shapes_spelt_with_r_agree(n: int, seed: int) -> None:
    """The hostile shapes (hostile_sheets.py) whose cells can all be given an r: the fast scan on
    that spelling and the running scan on the hostile one find the same extent, in any blocks."""
    rng = random.Random(seed)
    for shape in XLSX_SHAPES:
        if shape.explicit is None:
            continue
        assert fast_extent(part_xml(shape, n, explicit=True), rng) == shape.expected(n)
        assert xlsx_running_extent(PATH, "s", blocks(part_xml(shape, n), rng)) == shape.expected(n)


# ---- the shortcuts and the searches they stand for ------------------------------------------------

XLSX_BITS = [b"<row>", b"<row ", b"</row>", b"</row >", b"<row/>", b"<row />", b"<c>", b"<c/>", b"</c>", b"<v>1</v>", b" ", b"\n",
             b'"', b"'", b"/>", b">", b"<", b"x", b"<x/>", b"<row><c/></row>", b'<row "<x/>"/>', b"<row <x/>", b"<row a='>'/>",
             b'<row "</row>"/>', b"<row '</row>", b"'/>"]


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(bits=st.lists(st.sampled_from(XLSX_BITS), max_size=60), seed=st.integers(0, 2**32 - 1))
def test_row_ends_split_like_the_regex_from_any_position(bits: list[bytes], seed: int) -> None:
    """_RowEnds.rows(pos, end) is _ROW_END.split(data[pos:end]) cut after the first row that is not
    plain, for every pos and every row end the caller may pass as end."""
    data = b"".join(bits)
    row_ends = _RowEnds(data, xml_scan.BlockSearch(data))
    ends = [(i, m.end()) for i in (m.start() for m in re.finditer(rb"</row", data)) if (m := _ROW_END.match(data, i))]
    rng = random.Random(seed)
    for _ in range(20):
        if not ends:
            break
        start, end = rng.choice(ends)  # the counter passes the end of a </row> starting at or after pos
        pos = rng.randint(0, start)
        texts = _ROW_END.split(data[pos:end])[:-1]
        seps = [m.end() for m in _ROW_END.finditer(data, pos, end)]
        k = next((i for i, t in enumerate(texts) if not _plain(t)), len(texts))
        want = (texts[:k], seps[:k], [t.count(b"<c") for t in texts[:k]], seps[k] if k < len(texts) else None)
        assert row_ends.rows(pos, end) == want, (data, pos, end)


ODS_BITS = [b"<table:table-row>", b"</table:table-row>", b"<table:table-row/>", b"<table:table-row ", b'"', b"'", b"<", b">", b"/>",
            b" ", b"x", b"<!-- -->", b"<?p?>", b'table:number-rows-repeated="2"', b'a="<"', b"=", b"<table:table ", b"</table:table-row\n>",
            b"<table:table-cell/>", b'<table:table-cell office:value="1"/>', b'<table:table-row "<x/>"/>', b"<table:table-row <x/>",
            b'<table:table-row "</table:table-row>"/>', b"<table:table-row '</table:table-row>", b"'/>"]


@pytest.mark.parametrize("re2", [True, False], ids=["RE2", "re"])
@settings(max_examples=EXAMPLES * 2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bits=st.lists(st.sampled_from(ODS_BITS), max_size=60), seed=st.integers(0, 2**32 - 1))
def test_ods_shortcuts_search_like_the_regex(monkeypatch: pytest.MonkeyPatch, re2: bool, bits: list[bytes], seed: int) -> None:
    """The .ods row counter's first irregular position and its row slices, from positions in order
    (as the counter asks), are what _ODS_IRREGULAR and bytes.split give."""
    if not re2:
        monkeypatch.setattr(xml_scan.Finder, "_re2", False)
    data = b"".join(bits)
    ends = [m.end() for m in re.finditer(re.escape(ods_extent._ROW_END), data)]
    if not ends:
        return
    tables = ods_extent._OdsTables(PATH)
    tables._start_block(data)
    irregular = re.compile(ods_extent._ODS_IRREGULAR)
    rng = random.Random(seed)
    end = rng.choice(ends)  # the counter passes the end of a row end at or after pos
    for pos in sorted(rng.randint(0, end - len(ods_extent._ROW_END)) for _ in range(10)):
        m = irregular.search(data, pos, end)
        assert tables._first_odd(data, pos, end) == (m.start() if m else None), (data, pos, end)
        segs = data[pos:end].split(ods_extent._ROW_END)[:-1]
        k = next((i for i, s in enumerate(segs) if not ods_extent._plain_row(s)), len(segs))
        bad = pos + sum(map(len, segs[: k + 1])) + 18 * (k + 1) if k < len(segs) else None
        assert tables._segments(data, pos, end) == (segs[:k], bad), (data, pos, end)


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(data=st.binary(max_size=300).map(lambda b: bytes(b"ab<>\"' /:r="[x % 11] for x in b)), seed=st.integers(0, 2**32 - 1))
def test_block_search_and_tag_ends_answer_like_a_fresh_search(data: bytes, seed: int) -> None:
    """Remembered answers, asked from positions in any order, are those of a search made afresh."""
    rng = random.Random(seed)
    search, tags = xml_scan.BlockSearch(data), xml_scan.TagEnds(data)
    pattern = re.compile(rb"r[ ]*=|<a")
    tag = re.compile(rb"(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")
    n = len(data)
    for _ in range(30):
        pos = rng.randint(0, n)
        end = rng.choice([n, rng.randint(pos, n)])
        assert search.find(b"<a", pos, end) == data.find(b"<a", pos, end)
        m = pattern.search(data, pos, end)
        assert search.find(pattern, pos, end) == (m.start() if m else -1)
        assert search.rfind(b"a>", pos, end) == data.rfind(b"a>", pos, end)
        m = tag.match(data, pos)
        assert tags.end(pos) == (m.end() - 1 if m else -1)


_DIM_HINT_BEFORE = re.compile(rb"<(?:[^ \t\r\n/>:]*:)?dimension[ \t\r\n][^>]*?ref=\"[A-Z]{1,3}\d+:([A-Z]{1,3})(\d+)\"")
DIM_BITS = [b"<", b">", b":", b"a", b"x:", b"dimension", b" ", b"\n", b'ref="', b'A1:C9"', b'B2:Z10"', b'"', b"/",
            b"<dimension ", b"<x:dimension ", b'ref="A1:B2"', b"1", b"a<b:"]


@settings(max_examples=EXAMPLES * 4, deadline=None)
@given(bits=st.lists(st.sampled_from(DIM_BITS), max_size=30))
def test_dimension_hint_reads_like_the_one_regex(bits: list[bytes]) -> None:
    data = b"".join(bits)
    before, now = _DIM_HINT_BEFORE.search(data), xlsx_extent._dimension_hint(data)
    assert (before and before.groups()) == (now and now.groups())


def test_dimension_hint_reads_its_64_kb_once() -> None:
    """The one regex took 4 s on 64 KB of '<' (each '<' read all the rest as a tag prefix), for
    each sheet part - and a sheet name that matches none has every sheet part read."""
    for head in (b"<" * 65536 + b">", (b"<dimension " * 6000)[:65536] + b">", b"<a" * 32768 + b">"):
        t = time.perf_counter()
        assert xlsx_extent._dimension_hint(head) is None
        assert time.perf_counter() - t < 1.0  # 2 ms here; 1.4 to 4.5 s before
