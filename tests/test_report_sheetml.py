"""report.sheetml, the streaming .xlsx writer: read back by openpyxl (and calamine), never trusted blind."""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from pipeaudit.report.sheetml import MAX_TEXT, Workbook, clean_text, column_letter, excel_serial

HOSTILE = [
    "=1+1", "+SUM(A1)", "-2", "@x", "\tx", "\rx", '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0", "<script>&amp;\"'</script>", "_x0041_ stays _x0041_", "]]><f>1</f>",
    "a\x00b\x01c\x1fd", "e\ufffef\uffffg", "lone \ud800 surrogate", "line1\nline2", "cr\r\nlf", " padded ",
]


def _write(tmp_path, build, name="t.xlsx"):
    path = tmp_path / name
    with open(path, "wb") as fh, Workbook(fh) as book:
        build(book)
    return path


def _parts(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _hostile_column(header: str):
    """A builder for one sheet "S": `header`, then every HOSTILE text in a cell of its own."""
    def build(book):
        with book.sheet("S", [10]) as s:
            s.row([header])
            for text in HOSTILE:
                s.row([text])

    return build


def test_hostile_text_is_a_string_never_a_formula_and_the_xml_stays_valid(tmp_path):
    path = _write(tmp_path, _hostile_column("header"))
    for name, data in _parts(path).items():
        if name.endswith((".xml", ".rels")):
            ElementTree.fromstring(data)  # well-formed, or this raises
        assert b"<f>" not in data and b"<f " not in data, name
    ws = load_workbook(path)["S"]
    cells = [ws.cell(row=i + 2, column=1) for i in range(len(HOSTILE))]
    for text, c in zip(HOSTILE, cells):
        assert c.data_type == "s", (text, c.value)
        expected = clean_text(text)
        assert c.value == expected
        assert bool(c.quotePrefix) == expected.startswith(("=", "+", "-", "@", "\t", "\r")), text
        assert bool(c.alignment.wrap_text) == ("\n" in expected)
    assert cells[HOSTILE.index("a\x00b\x01c\x1fd")].value == "abcd"
    assert cells[HOSTILE.index("e\ufffef\uffffg")].value == "efg"
    assert cells[HOSTILE.index("cr\r\nlf")].value == "cr\r\nlf"  # a CR survives, escaped as &#13;
    assert cells[HOSTILE.index("_x0041_ stays _x0041_")].value == "_x0041_ stays _x0041_"


def test_another_reader_sees_the_same_text(tmp_path):
    import pandas as pd


    path = _write(tmp_path, _hostile_column("h"))
    got = pd.read_excel(path, engine="calamine", sheet_name="S", dtype=object)["h"].tolist()
    assert [clean_text(t).replace("\r\n", "\n").replace("\r", "\n") for t in HOSTILE] == \
        [str(g).replace("\r\n", "\n").replace("\r", "\n") for g in got]


def test_cells_are_typed_by_kind_with_number_formats(tmp_path):
    kinds = ["int", "amount", "float", "date", "date", "text", "amount", "date", "int", "amount", "int"]
    values = [7, 1234567.0, 2.25, dt.date(2026, 12, 1), dt.datetime(2026, 12, 1, 12, 0), 42, "约十五万", "下月底",
              float("nan"), float("inf"), True]

    def build(book):
        with book.sheet("S", [10] * len(kinds)) as s:
            s.row([f"c{i}" for i in range(len(kinds))])
            s.row(values, kinds)

    ws = load_workbook(_write(tmp_path, build))["S"]
    c = [ws.cell(row=2, column=i + 1) for i in range(len(kinds))]
    assert c[0].value == 7 and c[0].data_type == "n" and c[0].number_format == "0"
    assert c[1].value == 1234567 and c[1].number_format == "#,##0"
    assert c[2].value == 2.25 and c[2].number_format == "0.0"
    assert c[3].value == dt.datetime(2026, 12, 1) and c[3].number_format == "yyyy-mm-dd" and c[3].is_date
    assert c[4].value == dt.datetime(2026, 12, 1, 12, 0)
    assert c[5].value == "42" and c[5].data_type == "s"  # a text column stores text
    assert c[6].value == "约十五万" and c[6].data_type == "s" and c[6].number_format == "General"
    assert c[7].value == "下月底" and c[7].data_type == "s"
    assert c[8].value is None and c[9].value is None  # NaN and infinity: no number Excel can hold
    assert c[10].value is True


def test_numbers_read_back_exactly():
    from pipeaudit.report.sheetml import _typed

    for value in (0.1 + 0.2, 1e-300, 123456789.125, -0.0, 2.0**60, 10**20):
        xml = _typed(value, "float")
        assert float(xml.split("<v>")[1].split("</v>")[0]) == value


def test_excel_serials():
    assert excel_serial(dt.date(1900, 3, 1)) == 61
    assert excel_serial(dt.date(2026, 11, 23)) == 46349
    assert excel_serial(dt.date(1900, 1, 1)) == 1
    assert math.isclose(excel_serial(dt.datetime(2026, 11, 23, 6)), 46349.25)


def test_frozen_header_filter_widths_fills_and_bold(tmp_path):
    def build(book):
        head = book.styles.get(fill="E8ECF0", bold=True)
        red = book.styles.get(fill="f8c9c4")
        with book.sheet("Summary", [12, 30.5], autofilter="A1:B3") as s:
            s.row(["a", "b"], styles=[head, head])
            s.row(["x", 5], ["text", "int"], [None, red])
            s.row([None, None], styles=[red, None])
        with book.sheet("Second", [8], freeze_header=False) as s:
            s.row(["only"])

    wb = load_workbook(_write(tmp_path, build))
    assert wb.sheetnames == ["Summary", "Second"]
    ws = wb["Summary"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:B3"
    assert ws.column_dimensions["A"].width == 12 and ws.column_dimensions["B"].width == 30.5
    assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith("E8ECF0")
    assert ws["B2"].value == 5 and ws["B2"].number_format == "0" and ws["B2"].fill.fgColor.rgb.endswith("F8C9C4")
    assert ws["A3"].value is None and ws["A3"].fill.fgColor.rgb.endswith("F8C9C4")
    assert not ws["A2"].font.b and ws["A2"].fill.fill_type is None
    assert wb["Second"].freeze_panes is None


def test_empty_rows_keep_their_place(tmp_path):
    def build(book):
        with book.sheet("S") as s:
            s.row(["a"])
            s.row([])
            s.row([None, None])
            s.row(["b"])

    ws = load_workbook(_write(tmp_path, build))["S"]
    assert ws["A4"].value == "b" and ws["A2"].value is None


def test_shared_strings_are_shared(tmp_path):
    def build(book):
        with book.sheet("S") as s:
            for _ in range(100):
                s.row(["same", "=same"])

    sst = _parts(_write(tmp_path, build))["xl/sharedStrings.xml"].decode()
    assert sst.count("<si>") == 2


@pytest.mark.parametrize("title", ["", "x" * 32, "a/b", "a[b]", "a:b", "a*b", "a?b", "a\\b", "'quoted'", "bad\x01"])
def test_bad_sheet_titles_are_refused(title):
    book = Workbook(io.BytesIO())
    with pytest.raises(ValueError):
        book.sheet(title)


def test_duplicate_titles_are_refused_case_insensitively():
    book = Workbook(io.BytesIO())
    with book.sheet("Rep"):
        pass
    with pytest.raises(ValueError):
        book.sheet("REP")


def test_titles_are_escaped_and_filters_named(tmp_path):
    def build(book):
        with book.sheet("O'Brien & <Co>", [8], autofilter="A1:A2") as s:
            s.row(["h"])
            s.row(["v"])

    path = _write(tmp_path, build)
    wb = load_workbook(path)
    assert wb.sheetnames == ["O'Brien & <Co>"]
    assert "'O''Brien &amp; &lt;Co&gt;'!$A$1:$A$2" in _parts(path)["xl/workbook.xml"].decode()


def test_long_text_is_cut_to_the_cell_limit(tmp_path):
    def build(book):
        with book.sheet("S") as s:
            s.row(["y" * (MAX_TEXT + 500)])

    assert len(load_workbook(_write(tmp_path, build))["S"]["A1"].value) == MAX_TEXT


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]


def test_unknown_kinds_are_refused():
    book = Workbook(io.BytesIO())
    with book.sheet("S") as s:
        with pytest.raises(ValueError, match="kind"):
            s.row([1], ["percent"])


def test_an_error_midway_propagates_and_releases_the_file(tmp_path):
    path = tmp_path / "t.xlsx"
    with pytest.raises(RuntimeError, match="boom"):
        with open(path, "wb") as fh, Workbook(fh) as book:
            with book.sheet("S") as s:
                s.row(["a"])
                raise RuntimeError("boom")
