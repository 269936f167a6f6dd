"""Hostile workbooks: noise, zip bombs, XML entity bombs, far-away cells, too many rows or columns.

Each must be refused with one line (exit 2) or read correctly, within TIMEOUT and MAX_PEAK_MIB.
Workbooks are built by hand (a few XML parts in a zip) so that each hostile feature is exact.
"""

from __future__ import annotations

import os
import struct
import zipfile
from pathlib import Path

import pytest

from test_hostile_support import assert_read, assert_refused, cli, needs_check, read_file

NS = "http://schemas.openxmlformats.org"
HEADERS = ["商机编号", "商机名称", "负责人", "销售阶段", "预计成交金额(万元)"]


def inline(text: str, ref: str = "") -> str:
    r = f' r="{ref}"' if ref else ""
    return f'<c{r} t="inlineStr"><is><t>{text}</t></is></c>'


HEADER_ROW = '<row r="1">' + "".join(inline(h) for h in HEADERS) + "</row>"
DEAL_ROW = '<row r="2">' + "".join(inline(v) for v in ["OPP-1", "A项目", "王伟", "E确认商机"]) + "<c><v>15</v></c></row>"


def sheet_xml(rows: str, doctype: str = "") -> str:
    return (f'<?xml version="1.0"?>{doctype}<worksheet xmlns="{NS}/spreadsheetml/2006/main">'
            f"<sheetData>{rows}</sheetData></worksheet>")


def package(sheet: str, shared: str | None = None) -> dict[str, str]:
    sst_type = '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    sst_rel = f'<Relationship Id="rId2" Type="{NS}/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    parts = {
        "[Content_Types].xml": (
            f'<?xml version="1.0"?><Types xmlns="{NS}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            + (sst_type if shared else "") + "</Types>"),
        "_rels/.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{NS}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{NS}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0"?><workbook xmlns="{NS}/spreadsheetml/2006/main" xmlns:r="{NS}/officeDocument/2006/relationships">'
            '<sheets><sheet name="商机" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{NS}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{NS}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            + (sst_rel if shared else "") + "</Relationships>"),
        "xl/worksheets/sheet1.xml": sheet,
    }
    if shared:
        parts["xl/sharedStrings.xml"] = shared
    return parts


def write_xlsx(path: Path, parts: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path


def write_streamed(path: Path, head: str, unit: bytes, total_bytes: int, tail: str) -> Path:
    """A workbook whose sheet1.xml repeats `unit` up to total_bytes, deflated as it is written."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, text in package("X").items():
            if name != "xl/worksheets/sheet1.xml":
                z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=total_bytes > 2**31) as fh:
            fh.write(head.encode())
            chunk = unit * max(1, (8 << 20) // len(unit))
            written = 0
            while written < total_bytes:
                fh.write(chunk)
                written += len(chunk)
            fh.write(tail.encode())
    return path


def set_declared_size(path: Path, member: str, size: int) -> None:
    """Rewrite a member's uncompressed size in its local header and the central directory."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        offset = z.getinfo(member).header_offset
    struct.pack_into("<I", data, offset + 22, size)
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46: pos + 46 + name_len] == member.encode():
            struct.pack_into("<I", data, pos + 24, size)
        pos = data.find(b"PK\x01\x02", pos + 4)
    path.write_bytes(bytes(data))


# ---- the control: a tiny valid workbook reads -------------------------------------------


def test_hand_built_workbook_reads(tmp_path: Path) -> None:
    got = assert_read(read_file(write_xlsx(tmp_path / "ok.xlsx", package(sheet_xml(HEADER_ROW + DEAL_ROW)))))
    assert got["headers"] == HEADERS and got["rows"] == 1 and got["first_rows"] == [2]
    assert got["cells"][0][:4] == ["OPP-1", "A项目", "王伟", "E确认商机"]


# ---- noise ------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm", ".xls", ".ods"])
def test_random_bytes_with_workbook_extension(tmp_path: Path, suffix: str) -> None:
    f = tmp_path / f"noise{suffix}"
    f.write_bytes(os.urandom(8192))
    assert_refused(read_file(f), f.name)


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_zip_and_ole_magic_followed_by_noise(tmp_path: Path, suffix: str) -> None:
    magic = b"PK\x03\x04" if suffix == ".xlsx" else b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    f = tmp_path / f"half{suffix}"
    f.write_bytes(magic + os.urandom(8192))
    assert_refused(read_file(f), f.name)


def test_truncated_workbook(tmp_path: Path) -> None:
    f = write_xlsx(tmp_path / "cut.xlsx", package(sheet_xml(HEADER_ROW + DEAL_ROW)))
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    assert_refused(read_file(f), "cut.xlsx")


# ---- zip bombs --------------------------------------------------------------------------


def test_zip_bomb_by_compression_ratio_is_refused_before_inflating(tmp_path: Path) -> None:
    head = sheet_xml(HEADER_ROW + DEAL_ROW).split("</sheetData>")[0]
    f = write_streamed(tmp_path / "bomb.xlsx", head, b" ", 256 << 20, "</sheetData></worksheet>")
    out = read_file(f)
    assert_refused(out, "bomb.xlsx", "zip bomb")
    assert out.peak_mib is None or out.peak_mib < 200  # refused from the directory, nothing inflated


def test_zip_bomb_by_total_declared_size_is_refused(tmp_path: Path) -> None:
    parts = package(sheet_xml(HEADER_ROW + DEAL_ROW))
    for i in range(12):
        parts[f"xl/media/pad{i}.xml"] = "<a/>"
    f = write_xlsx(tmp_path / "many.xlsx", parts)
    for i in range(12):  # each under the ratio threshold's 100 MB floor, together over 1 GiB
        set_declared_size(f, f"xl/media/pad{i}.xml", 95_000_000)
    assert_refused(read_file(f), "many.xlsx")


def test_part_larger_than_declared_is_refused(tmp_path: Path) -> None:
    """A zip that lies about a part's size must not get past the bomb check by lying."""
    head = sheet_xml(HEADER_ROW).split("</sheetData>")[0]
    unit = ("<row>" + "".join(inline(v) for v in ["O", "d", "王伟", "E确认商机"]) + "<c><v>1</v></c></row>").encode()
    f = write_streamed(tmp_path / "liar.xlsx", head, unit, 64 << 20, "</sheetData></worksheet>")
    set_declared_size(f, "xl/worksheets/sheet1.xml", 100_000)
    assert_refused(read_file(f), "liar.xlsx")


def test_too_many_zip_members(tmp_path: Path) -> None:
    parts = package(sheet_xml(HEADER_ROW + DEAL_ROW))
    parts.update({f"xl/media/p{i}.xml": "" for i in range(10_050)})
    assert_refused(read_file(write_xlsx(tmp_path / "parts.xlsx", parts)), "parts.xlsx")


# ---- XML entities -----------------------------------------------------------------------

LOL = '<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "' + (f"&lol{i - 1};" if i > 1 else "&lol;") * 10 + '">' for i in range(1, 10)
)


def test_billion_laughs_in_shared_strings(tmp_path: Path) -> None:
    shared = (f'<?xml version="1.0"?><!DOCTYPE sst [{LOL}]><sst xmlns="{NS}/spreadsheetml/2006/main" '
              'count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>')
    rows = HEADER_ROW + '<row r="2">' + inline("OPP-1") + '<c t="s"><v>0</v></c>' + inline("王伟") + inline("E确认商机") + "</row>"
    out = read_file(write_xlsx(tmp_path / "lol.xlsx", package(sheet_xml(rows), shared)))
    if out.code == 0:  # an entity left unexpanded is acceptable; an expanded one is not
        assert "lollollol" not in out.stdout
        return
    assert_refused(out, "lol.xlsx")


def test_billion_laughs_in_sheet(tmp_path: Path) -> None:
    rows = HEADER_ROW + '<row r="2">' + inline("OPP-1") + inline("&lol9;") + inline("王伟") + inline("E确认商机") + "</row>"
    out = read_file(write_xlsx(tmp_path / "lol2.xlsx", package(sheet_xml(rows, f"<!DOCTYPE worksheet [{LOL}]>"))))
    if out.code == 0:
        assert "lollollol" not in out.stdout
        return
    assert_refused(out, "lol2.xlsx")


def test_external_entity_is_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    rows = HEADER_ROW + '<row r="2">' + inline("OPP-1") + inline("&xxe;") + inline("王伟") + inline("E确认商机") + "</row>"
    doctype = f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    out = read_file(write_xlsx(tmp_path / "xxe.xlsx", package(sheet_xml(rows, doctype))))
    assert "TOP-SECRET-42" not in out.stdout + out.stderr
    if out.code != 0:
        assert_refused(out, "xxe.xlsx")


# ---- size: rows, columns, far-away cells ------------------------------------------------


def test_declared_huge_dimension_is_refused(tmp_path: Path) -> None:
    sheet = sheet_xml(HEADER_ROW + DEAL_ROW).replace("<sheetData>", '<dimension ref="A1:XFD1048576"/><sheetData>')
    assert_refused(read_file(write_xlsx(tmp_path / "dim.xlsx", package(sheet))), "dim.xlsx")


def test_10000_columns_workbook_is_refused(tmp_path: Path) -> None:
    row = '<row r="1">' + "".join(inline(h) for h in HEADERS) + "".join(inline(f"c{i}") for i in range(10_000)) + "</row>"
    assert_refused(read_file(write_xlsx(tmp_path / "wide.xlsx", package(sheet_xml(row + DEAL_ROW)))), "wide.xlsx")


def test_single_cell_at_a1048576_has_no_header(tmp_path: Path) -> None:
    rows = '<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    assert_refused(read_file(write_xlsx(tmp_path / "last.xlsx", package(sheet_xml(rows)))), "last.xlsx")


def test_deal_on_row_1048576_keeps_its_row_number(tmp_path: Path) -> None:
    rows = HEADER_ROW + '<row r="1048576">' + inline("OPP-9", "A1048576") + inline("王伟", "C1048576") + "</row>"
    out = read_file(write_xlsx(tmp_path / "far.xlsx", package(sheet_xml(rows))))
    got = assert_read(out)
    assert got["rows"] == 1 and got["first_rows"] == [1048576]
    assert got["cells"][0][0] == "OPP-9" and got["cells"][0][2] == "王伟"


@pytest.mark.parametrize("dimension", ["", '<dimension ref="A1:E2"/>'], ids=["no-dimension", "lying-dimension"])
def test_header_plus_one_cell_at_xfd1048576(tmp_path: Path, dimension: str) -> None:
    rows = HEADER_ROW + '<row r="1048576">' + inline("x", "XFD1048576") + "</row>"
    sheet = sheet_xml(rows).replace("<sheetData>", dimension + "<sheetData>")
    out = read_file(write_xlsx(tmp_path / "corner.xlsx", package(sheet)))
    # refused from the scanned cell references, before calamine allocates 512 GiB and aborts
    assert_refused(out, "corner.xlsx", "column 16,384", "PIPEAUDIT_MAX_COLUMNS")


def test_header_plus_one_cell_at_z1048576_stays_bounded(tmp_path: Path) -> None:
    # no <dimension> element: the reader's declared-extent check cannot see this one
    rows = HEADER_ROW + '<row r="1048576">' + inline("x", "Z1048576") + "</row>"
    out = read_file(write_xlsx(tmp_path / "mid.xlsx", package(sheet_xml(rows))))
    # 1,048,576 x 26 = 27M cells (~1.8 GiB dense) from a few hundred bytes: over MAX_CELLS
    assert_refused(out, "mid.xlsx", "27,262,976 cells", "PIPEAUDIT_MAX_CELLS")
    assert out.peak_mib is None or out.peak_mib < 400


def test_more_rows_than_excel_allows_is_refused(tmp_path: Path) -> None:
    head = sheet_xml(HEADER_ROW).split("</sheetData>")[0]
    unit = ("<row>" + inline("O") + inline("d") + inline("王伟") + "</row>").encode()
    f = write_streamed(tmp_path / "rows.xlsx", head, unit, len(unit) * 1_100_000, "</sheetData></worksheet>")
    # rows and cells without r: the scan follows calamine's running position to count them
    out = read_file(f)
    assert_refused(out, "rows.xlsx", "past Excel's last row 1,048,576")
    assert out.peak_mib is None or out.peak_mib < 400


def test_rows_without_references_under_the_limit_are_read(tmp_path: Path) -> None:
    head = sheet_xml(HEADER_ROW).split("</sheetData>")[0]
    unit = ("<row>" + inline("OPP-1") + inline("A项目") + inline("王伟") + inline("E确认商机") + "</row>").encode()
    f = write_streamed(tmp_path / "plain.xlsx", head, unit, len(unit) * 20_000, "</sheetData></worksheet>")
    got = assert_read(read_file(f))
    assert got["headers"] == HEADERS and got["rows"] > 20_000 and got["first_rows"] == [2, 3, 4]


# ---- .ods: repeats declare rows and cells cheaply -------------------------------------------

ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def write_ods_rows(path: Path, rows: str) -> Path:
    """An .ods whose only table holds the header row and then `rows` (table:table-row elements)."""
    def cell(v: str) -> str:
        return f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'

    header = "<table:table-row>" + "".join(cell(h) for h in HEADERS) + "</table:table-row>"
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS} office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="商机">{header}{rows}'
               "</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", manifest)
        z.writestr("content.xml", content)
    return path


DEAL_ODS = ("<table:table-row{rep}>" + "".join(
    f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'
    for v in ["OPP-1", "A项目", "王伟", "E确认商机"]) + "</table:table-row>")


def test_ods_control_reads(tmp_path: Path) -> None:
    trailer = '<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    got = assert_read(read_file(write_ods_rows(tmp_path / "ok.ods", DEAL_ODS.format(rep="") + trailer)))
    assert got["headers"] == HEADERS and got["rows"] == 1  # LibreOffice's trailing filler rows cost nothing


def test_ods_filled_row_repeated_ten_million_times_is_refused(tmp_path: Path) -> None:
    f = write_ods_rows(tmp_path / "rows.ods", DEAL_ODS.format(rep=' table:number-rows-repeated="10000000"'))
    out = read_file(f)
    assert_refused(out, "rows.ods", "'商机'", "1,048,576")
    assert out.peak_mib is None or out.peak_mib < 400


def test_ods_filled_cell_repeated_a_billion_times_is_refused(tmp_path: Path) -> None:
    row = ('<table:table-row><table:table-cell table:number-columns-repeated="1000000000" '
           'office:value-type="float" office:value="1"/></table:table-row>')
    out = read_file(write_ods_rows(tmp_path / "cols.ods", row))
    assert_refused(out, "cols.ods", "PIPEAUDIT_MAX_COLUMNS")
    assert out.peak_mib is None or out.peak_mib < 400


def test_ods_empty_rows_between_filled_ones_are_counted(tmp_path: Path) -> None:
    rows = DEAL_ODS.format(rep="") + '<table:table-row table:number-rows-repeated="2000000"><table:table-cell/></table:table-row>' + DEAL_ODS.format(rep="")
    assert_refused(read_file(write_ods_rows(tmp_path / "gap.ods", rows)), "gap.ods", "past Excel's last row")


# ---- through the CLI --------------------------------------------------------------------


@needs_check
def test_check_refuses_a_zip_bomb_in_one_line(tmp_path: Path) -> None:
    head = sheet_xml(HEADER_ROW + DEAL_ROW).split("</sheetData>")[0]
    f = write_streamed(tmp_path / "bomb.xlsx", head, b" ", 256 << 20, "</sheetData></worksheet>")
    assert_refused(cli("check", str(f), "--format", "json", "--fail-on", "never"), "bomb.xlsx")


@needs_check
def test_check_refuses_noise_workbook_in_one_line(tmp_path: Path) -> None:
    f = tmp_path / "noise.xlsx"
    f.write_bytes(os.urandom(4096))
    assert_refused(cli("check", str(f), "--format", "github"), "noise.xlsx")


@pytest.mark.parametrize("count", ["4000000000", "18446744073709551615", "000000000000000000000000050000000"])
def test_shared_strings_declaring_billions_are_refused(tmp_path: Path, count: str) -> None:
    """calamine reserves room for uniqueCount strings on opening: 4e9 aborts it, 2^64-1 panics."""
    shared = (f'<?xml version="1.0"?><sst xmlns="{NS}/spreadsheetml/2006/main" count="1" '
              f'uniqueCount="{count}"><si><t>王伟</t></si></sst>')
    rows = HEADER_ROW + '<row r="2">' + inline("OPP-1") + inline("A项目") + '<c t="s"><v>0</v></c>' + "</row>"
    out = read_file(write_xlsx(tmp_path / "sst.xlsx", package(sheet_xml(rows), shared)))
    assert_refused(out, "sst.xlsx", "shared-string table declares")


def test_shared_strings_with_honest_counts_read(tmp_path: Path) -> None:
    shared = (f'<?xml version="1.0"?><sst xmlns="{NS}/spreadsheetml/2006/main" count="3" '
              'uniqueCount="1"><si><t>王伟</t></si></sst>')
    rows = HEADER_ROW + '<row r="2">' + inline("OPP-1") + inline("A项目") + '<c t="s"><v>0</v></c>' + "</row>"
    got = assert_read(read_file(write_xlsx(tmp_path / "ok.xlsx", package(sheet_xml(rows), shared))))
    assert got["cells"][0][2] == "王伟"
