"""The pre-load extent scans (read/guard/xlsx_extent.py, ods_extent.py) against calamine itself.

calamine builds a dense rectangle over a sheet's cells; the scan must find a rectangle at least as
large (never smaller: that is the bypass) and, for ordinary sheets, exactly as large (or honest
files get refused). Sheets here are tiny, so calamine can be run in-process to compare.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeaudit.errors import InputError
from pipeaudit.read.guard import xlsx_extent, xlsx_fast_scan, xml_scan, zip_parts
from pipeaudit.read.guard.ods_extent import ods_extents
from test_hostile_workbooks import NS, package, write_xlsx

V = "<v>1</v>"


def col_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def sheet(rows: str, root_attrs: str = "", prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    ns = f' xmlns:{prefix}="{NS}/spreadsheetml/2006/main"' if prefix else f' xmlns="{NS}/spreadsheetml/2006/main"'
    return f'<?xml version="1.0"?><{p}worksheet{ns}{root_attrs}><{p}sheetData>{rows}</{p}sheetData></{p}worksheet>'


def book(tmp: Path, rows: str, name: str = "s.xlsx", **kw: str) -> Path:
    return write_xlsx(tmp / name, package(sheet(rows, **kw)))


def calamine_extent(path: Path) -> tuple[int, int] | None:
    """(rows, cols) calamine really allocates, or None when it fails (and so allocates nothing)."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        s = wb.get_sheet_by_name(wb.sheet_names[0])
    except (CalamineError, ValueError, RuntimeError):
        return None
    return (0, 0) if s.end is None else (s.end[0] + 1, s.end[1] + 1)


@pytest.fixture(params=["re2", "re"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run each test with RE2 (through pyarrow) flagging blocks, and with `re` alone."""
    if request.param == "re":
        monkeypatch.setattr(xml_scan.Finder, "_re2", False)
    else:
        xml_scan.Finder()  # probe pyarrow
        if not xml_scan.Finder._re2:
            pytest.skip("pyarrow's RE2 is not available")
    return request.param


def scan(path: Path) -> tuple[int, int]:
    return xlsx_extent.sheet_extent(path, "商机")


# ---- exact on ordinary sheets ---------------------------------------------------------------


@pytest.mark.parametrize(
    "rows, expected",
    [
        (f'<row r="1"><c r="A1">{V}</c><c r="C1">{V}</c></row><row r="7"><c r="B7">{V}</c></row>', (7, 3)),
        (f"<row><c>{V}</c><c>{V}</c></row><row/><row><c>{V}</c></row>", (3, 2)),  # no r at all
        (f'<row r="5"><c r="C5">{V}</c><c>{V}</c></row><row><c>{V}</c></row>', (6, 4)),  # mixed
        (f'<row r="1"><c r="A1">{V}</c></row><c r="E5">{V}</c>', (5, 5)),  # a cell outside any row
        (f'<row r="1"><c r="a1">{V}</c><c r="c4">{V}</c></row>', (4, 3)),  # lower case
        (f'<row r="1"><c r="A1">{V}</c><c r="A1" r="C3">{V}</c></row>', (3, 3)),  # the last r wins
        (f'<row r="1"><c t="n" q="&gt;" x=">" r="F2">{V}</c></row>', (2, 6)),  # '>' in a value
        (f'<row r="1"><c r="A1">{V}</c><c q="<" r="C3">{V}</c></row>', (3, 3)),  # '<' in a value
        (f'<row r="1"><c r="A1">{V}</c><c\n r\n=\n"B2"\n>{V}</c></row>', (2, 2)),
    ],
)
def test_extent_matches_calamine(tmp_path: Path, engine: str, rows: str, expected: tuple[int, int]) -> None:
    f = book(tmp_path, rows)
    assert calamine_extent(f) == expected
    assert scan(f) == expected


def test_prefixed_cells_are_cells(tmp_path: Path, engine: str) -> None:
    f = write_xlsx(tmp_path / "p.xlsx", package(sheet(f'<x:row r="1"><x:c r="A1">{V}</x:c><x:c r="D4">{V}</x:c></x:row>', prefix="x")))
    assert calamine_extent(f) == scan(f) == (4, 4)
    # a:b:c has the local name "b:c": not a cell for calamine, so not a reason to refuse
    f = book(tmp_path, f'<row r="1"><c r="A1">{V}</c><a:b:c r="XFD1048576">{V}</a:b:c></row>', name="ab.xlsx")
    assert calamine_extent(f) == scan(f) == (1, 1)


def test_fake_cells_in_comments_are_at_worst_counted(tmp_path: Path, engine: str) -> None:
    """A comment or CDATA holding tag-like text may only make the rectangle larger, never smaller."""
    rows = f'<row r="1"><c r="A1">{V}</c><!-- <c r="C3"><v>1</v></c> --><![CDATA[<c r="D9">]]></row>'
    f = book(tmp_path, rows)
    assert calamine_extent(f) == (1, 1)
    got = scan(f)
    assert got[0] >= 1 and got[1] >= 1


# ---- never smaller than calamine's ----------------------------------------------------------

ATTR_NOISE = st.sampled_from(["", ' t="n"', ' t="n" t="n"', ' s="0"', ' x="<c r=&quot;Z9&quot;/>"', " y='>'", ' x:r="Q20"'])
PREFIX = st.sampled_from(["", "", "", "x:", "a:b:"])


@st.composite
def cell(draw: st.DrawFn) -> str:
    prefix = draw(PREFIX)
    attrs = [draw(ATTR_NOISE)]
    for _ in range(draw(st.integers(0, 2))):  # none, one, or a duplicate r
        ref = col_letters(draw(st.integers(1, 30))) + str(draw(st.integers(1, 40)))
        ref = draw(st.sampled_from([ref, ref, ref, "7", "$A$1", ""]))
        ref = ref.lower() if draw(st.booleans()) else ref
        quote = draw(st.sampled_from(['"', "'"]))
        eq = draw(st.sampled_from(["=", " = ", "\n=\t"]))
        attrs.append(f" r{eq}{quote}{ref}{quote}")
    attrs.append(draw(ATTR_NOISE))
    order = draw(st.permutations(attrs))
    if draw(st.booleans()):
        return f"<{prefix}c{''.join(order)}/>"
    body = draw(st.sampled_from([V, "", '<is><t>x</t></is>', '<is><t>a</t><row/></is>']))
    return f"<{prefix}c{''.join(order)}>{body}</{prefix}c>"


@st.composite
def row(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["", "", "x:"]))
    r = "".join(f' r="{draw(st.sampled_from([str(draw(st.integers(1, 40))), "B7", "0", "$3"]))}"'
                for _ in range(draw(st.integers(0, 2))))
    cells = "".join(draw(st.lists(cell(), max_size=6)))
    noise = draw(st.sampled_from(["", "<!-- </row><c r='Z40'/> -->", '<?pi <c r="Z40"?>', '<u v="<row>"/>']))
    if not cells and draw(st.booleans()):
        return f"<{prefix}row{r}/>"
    return f"<{prefix}row{r}>{cells}{noise}</{prefix}row>"


@settings(max_examples=int(__import__("os").environ.get("EXTENT_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row(), max_size=8), stray=st.lists(cell(), max_size=2))
def test_scan_never_smaller_than_calamine(tmp_path_factory: pytest.TempPathFactory, engine: str, rows: list[str], stray: list[str]) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    f = write_xlsx(tmp / "p.xlsx", package(sheet("".join(rows) + "".join(stray), root_attrs=' xmlns:x="urn:x" xmlns:a="urn:a"')))
    real = calamine_extent(f)
    try:
        got = scan(f)
    except InputError:
        return  # refusing an odd sheet is always safe
    if real is not None:
        assert got[0] >= real[0] and got[1] >= real[1], (got, real)


# ---- refusals, in-process (bounded: calamine is never called on these) -----------------------


@pytest.mark.parametrize(
    "rows, words",
    [
        (f'<row r="1"><c r="A1">{V}</c><c r="XFD1">{V}</c></row>', ["column 16,384", "PIPEAUDIT_MAX_COLUMNS"]),
        (f'<row r="1"><c r="A1">{V}</c><c r="A1048577">{V}</c></row>', ["row 1,048,577", "1,048,576"]),
        (f'<row r="1"><c r="A1">{V}</c><c r="Z1048576">{V}</c></row>', ["27,262,976 cells", "PIPEAUDIT_MAX_CELLS"]),
        (f'<row r="1"><c r="A1">{V}</c><c r="A1" r = "XFD5">{V}</c></row>', ["column 16,384"]),
        (f'<row r="1"><c t="n" x="<" r="XFD5">{V}</c></row>', ["column 16,384"]),
        (f'<row r="1"><x:c r="XFD5">{V}</x:c></row>', ["column 16,384"]),
        (f'<row r="1">{"".join(f"<c>{V}</c>" for _ in range(2001))}</row>', ["column 2,001"]),
        (f'<row r="1"><c r="{"9" * 50}">{V}</c></row>', ["over 40 characters"]),
    ],
)
def test_far_cells_are_refused_in_one_line(tmp_path: Path, engine: str, rows: str, words: list[str]) -> None:
    f = book(tmp_path, rows)
    with pytest.raises(InputError) as exc:
        scan(f)
    msg = str(exc.value)
    assert "\n" not in msg and "s.xlsx" in msg
    for w in words:
        assert w in msg, msg


def test_cells_limit_follows_its_override(tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    f = book(tmp_path, f'<row r="1"><c r="A1">{V}</c><c r="J100">{V}</c></row>')
    assert scan(f) == (100, 10)
    monkeypatch.setenv("PIPEAUDIT_MAX_CELLS", "999")
    with pytest.raises(InputError, match="1,000 cells"):
        scan(f)


def test_rectangle_grown_in_steps_is_measured_exactly_near_the_limit(tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without <dimension>, rows grow by doubling: a loose rectangle over the limit is re-measured."""
    rows = "".join(f'<row r="{i}"><c r="A{i}">{V}</c><c r="C{i}">{V}</c></row>' for i in range(1, 601))
    f = book(tmp_path, rows)
    monkeypatch.setenv("PIPEAUDIT_MAX_CELLS", "1800")  # 600 x 3 fits; the doubled 1024 x 3 would not
    assert scan(f) == (600, 3)


def test_only_the_loaded_sheet_is_scanned(tmp_path: Path, engine: str) -> None:
    parts = package(sheet(f'<row r="1"><c r="A1">{V}</c></row>'))
    parts["xl/worksheets/sheet2.xml"] = sheet(f'<row r="1"><c r="XFD1048576">{V}</c></row>')  # not in workbook.xml
    f = write_xlsx(tmp_path / "two.xlsx", parts)
    assert scan(f) == (1, 1)


def test_unknown_sheet_name_scans_every_sheet_part(tmp_path: Path, engine: str) -> None:
    parts = package(sheet(f'<row r="1"><c r="A1">{V}</c></row>'))
    parts["xl/worksheets/sheet2.xml"] = sheet(f'<row r="1"><c r="XFD1">{V}</c></row>')
    f = write_xlsx(tmp_path / "two.xlsx", parts)
    with pytest.raises(InputError, match="column 16,384"):
        xlsx_extent.sheet_extent(f, "no such sheet")


def test_part_inflating_past_its_declared_size_is_refused(tmp_path: Path, engine: str) -> None:
    from test_hostile_workbooks import set_declared_size

    f = book(tmp_path, "".join(f'<row r="{i}"><c r="A{i}">{V}</c></row>' for i in range(1, 2000)))
    set_declared_size(f, "xl/worksheets/sheet1.xml", 1000)
    with pytest.raises(InputError, match="declared"):
        scan(f)


def test_bzip2_parts_are_scanned_too(tmp_path: Path, engine: str) -> None:
    f = tmp_path / "bz.xlsx"
    with zipfile.ZipFile(f, "w", zipfile.ZIP_BZIP2) as z:
        for name, text in package(sheet(f'<row r="1"><c r="A1">{V}</c><c r="XFD1">{V}</c></row>')).items():
            z.writestr(name, text)
    with pytest.raises(InputError, match="column 16,384"):
        scan(f)


def test_re2_and_re_agree_on_what_to_look_at() -> None:
    """The RE2 pre-check may only skip a block when `re` finds nothing in it either."""
    import random

    xml_scan.Finder()
    if not xml_scan.Finder._re2:
        pytest.skip("pyarrow's RE2 is not available")
    rng = random.Random(7)
    alphabet = [b"<c", b" r=", b'"', b"'", b"A", b"x", b"1", b"9", b"0", b" ", b"\n", b">", b"/", b":c", b"=", b"\xff", b"\xe4\xb8\xad"]
    for rows, cols in [(1, 1), (100003, 23), (999, 702), (1048576, 2000)]:
        finder = xml_scan.Finder()
        finder.set_all(xlsx_fast_scan._cell_patterns(rows, cols))
        for _ in range(300):
            block = b"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
            for i in (0, 1):
                if finder.compiled[i].search(block):
                    assert finder._maybe(i, block), (rows, cols, block)


def test_cells_cut_by_block_boundaries_are_all_seen(tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny blocks put every kind of flagged tag across a block boundary somewhere."""
    monkeypatch.setattr(zip_parts, "_BLOCK_IN", 64)
    monkeypatch.setattr(zip_parts, "_BLOCK_OUT", 97)
    cells = "".join(f'<x:c t="n" r="{col_letters(j)}{i}">{V}</x:c><c s="1" r="{col_letters(j + 1)}{i}">{V}</c>'
                    for i in range(1, 40) for j in (1, 3))
    f = write_xlsx(tmp_path / "cut.xlsx", package(sheet(f"<row>{cells}</row>", root_attrs=' xmlns:x="urn:x"')))
    with monkeypatch.context() as m:  # every cell has its r: the fast scan must cope alone
        m.setattr(xlsx_extent, "xlsx_running_extent", lambda *a: pytest.fail("fell back to the running scan"))
        rows, cols = scan(f)
    assert calamine_extent(f) == (39, 4)
    assert 39 <= rows < 2 * 39 and cols == 4  # no <dimension>: rows are bounded by doubling
    far = cells + f'<x:c t="n" r="XFD7">{V}</x:c>'
    f = write_xlsx(tmp_path / "far.xlsx", package(sheet(f"<row>{far}</row>", root_attrs=' xmlns:x="urn:x"')))
    with pytest.raises(InputError, match="column 16,384"):
        scan(f)


# ---- .ods: counted rows and cells, multiplied by repeats ---------------------------------------

ODS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    "<office:body><office:spreadsheet>"
)
ODS_TAIL = "</office:spreadsheet></office:body></office:document-content>"
F = '<table:table-cell office:value-type="float" office:value="1"/>'
E = "<table:table-cell/>"


def ods(tmp: Path, tables: str, name: str = "s.ods") -> Path:
    """An .ods whose content.xml body is `tables` (no ODS writer is installed)."""
    from test_read_helpers import write_ods

    path = write_ods(tmp / name, [["x"]])
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["content.xml"] = (ODS_HEAD + tables + ODS_TAIL).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", parts.pop("mimetype"), compress_type=zipfile.ZIP_STORED)
        for n, data in parts.items():
            z.writestr(n, data)
    return path


def table(rows: str, name: str = "S") -> str:
    return f'<table:table table:name="{name}">{rows}</table:table>'


def calamine_ods(path: Path) -> dict[str, tuple[int, int]] | None:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        out = {}
        for n in wb.sheet_names:
            s = wb.get_sheet_by_name(n)
            out[n] = (0, 0) if s.end is None else (s.end[0] - s.start[0] + 1, s.end[1] - s.start[1] + 1)
        return out
    except (CalamineError, ValueError, RuntimeError):
        return None


def row_(cells: str, repeat: int | str | None = None) -> str:
    r = f' table:number-rows-repeated="{repeat}"' if repeat is not None else ""
    return f"<table:table-row{r}>{cells}</table:table-row>"


def cells_(n: int | str, filled: bool = False) -> str:
    value = ' office:value-type="float" office:value="2"' if filled else ""
    return f'<table:table-cell table:number-columns-repeated="{n}"{value}/>'


@pytest.mark.parametrize(
    "rows, expected",
    [
        (row_(F + F) + row_(F), (2, 2)),
        (row_(F + F) + row_(E, 1_048_000), (1, 2)),  # LibreOffice's trailing filler rows cost nothing
        (row_(F + cells_(16_000)), (1, 1)),  # ... and its trailing filler cells
        (row_(F + F, 5), (5, 2)),  # a filled row repeated is copied
        (row_(F) + row_(E, 7) + row_(F), (9, 1)),  # empty rows between filled ones are kept
        (row_(F + cells_(6) + F), (1, 8)),  # empty cells before a filled one are written
        (row_(cells_(3, filled=True) + F), (1, 4)),
        (row_(F, "&#52;"), (4, 1)),  # a row's repeat is read after entity decoding
    ],
)
def test_ods_extent_matches_calamine(tmp_path: Path, rows: str, expected: tuple[int, int]) -> None:
    f = ods(tmp_path, table(rows))
    assert calamine_ods(f) == {"S": expected}
    assert ods_extents(f) == [("S", *expected)]


@st.composite
def ods_row(draw: st.DrawFn) -> str:
    cells = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["F", "E", "rep", "repF", "str", "formula", "covered", "trap"]))
        cells.append({
            "F": F, "E": E, "rep": cells_(draw(st.integers(1, 9))), "repF": cells_(draw(st.integers(1, 4)), filled=True),
            "str": '<table:table-cell office:value-type="string"><text:p>a<!-- </table:table-row> --></text:p></table:table-cell>',
            "formula": '<table:table-cell table:formula="of:=1"/>',
            "covered": '<table:covered-table-cell table:number-columns-repeated="2"/>',
            "trap": '<table:table-cell x="</table:table-row><table:table-row>" office:value="1" office:value-type="float"/>',
        }[kind])
    repeat = draw(st.sampled_from([None, None, 1, 3, "&#50;", "+2"]))
    return row_("".join(cells), repeat)


@settings(max_examples=int(__import__("os").environ.get("EXTENT_EXAMPLES", "150")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables=st.lists(st.lists(ods_row(), max_size=6), min_size=1, max_size=2))
def test_ods_scan_never_smaller_than_calamine(tmp_path_factory: pytest.TempPathFactory, tables: list[list[str]]) -> None:
    f = ods(tmp_path_factory.mktemp("ods"), "".join(table("".join(t), f"T{i}") for i, t in enumerate(tables)))
    real = calamine_ods(f)
    try:
        got = {name: (r, c) for name, r, c in ods_extents(f)}
    except InputError:
        return
    for name, (rows, cols) in (real or {}).items():
        if rows and cols:
            assert name in got and got[name][0] >= rows and got[name][1] >= cols, (got, real)


@pytest.mark.parametrize(
    "rows, words",
    [
        (row_(F) + row_(E, 2_000_000) + row_(F), ["row 2,000,002", "1,048,576"]),
        (row_(F + F + F, 10_000_000), ["row 10,000,000"]),
        (row_(F + cells_(5000) + F), ["column 5,002", "PIPEAUDIT_MAX_COLUMNS"]),
        (row_(cells_(1000, filled=True), 100_000), ["100,000 rows x 1,000 columns", "PIPEAUDIT_MAX_CELLS"]),
        (row_(cells_("000000000000000000000000099999999", filled=True)), ["column 99,999,999"]),  # zeros parse
    ],
)
def test_ods_repeat_bombs_are_refused_in_process(tmp_path: Path, rows: str, words: list[str]) -> None:
    f = ods(tmp_path, table(rows, "商机"))
    with pytest.raises(InputError) as exc:
        ods_extents(f)
    msg = str(exc.value)
    assert "\n" not in msg and "s.ods" in msg and "'商机'" in msg
    for w in words:
        assert w in msg, msg


def test_ods_nested_table_is_refused(tmp_path: Path) -> None:
    inner = table(row_(F), "inner")
    f = ods(tmp_path, table(row_(f'<table:table-cell office:value-type="string"><text:p>x</text:p>{inner}</table:table-cell>')))
    with pytest.raises(InputError, match="nested"):
        ods_extents(f)
