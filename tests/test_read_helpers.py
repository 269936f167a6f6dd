"""Small builders for reader tests: a toy header scorer and workbook writers."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

KNOWN = {
    "商机编号", "商机名称", "客户名称", "负责人", "销售阶段", "金额", "预计成交日期", "决策人", "内线",
    "deal id", "deal", "account", "owner", "stage", "amount", "close date", "opportunity name", "opportunity owner",
}


def toy_score(cells: Sequence[object]) -> int:
    """How many cells name a known field: a stand-in for deals.columns.make_header_scorer."""
    return sum(1 for c in cells if isinstance(c, str) and c.strip().casefold() in KNOWN)


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]], start_row: int = 1, start_col: int = 1) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if value is not None and value != "":
                    cell = ws.cell(row=start_row + i, column=start_col + j, value=value)
                    if isinstance(value, str) and value.startswith("="):
                        cell.data_type = "s"
    wb.save(path)
    return path


def write_ods(path: Path, rows: list[list[object]], sheet: str = "Sheet1") -> Path:
    """A minimal OpenDocument spreadsheet (no ODS writer is installed; the format is small enough)."""
    body = []
    for row in rows:
        cells = []
        for v in row:
            if v is None or v == "":
                cells.append("<table:table-cell/>")
            elif isinstance(v, (int, float)):
                cells.append(f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>')
            else:
                cells.append(f'<table:table-cell office:value-type="string"><text:p>{escape(str(v))}</text:p></table:table-cell>')
        body.append("<table:table-row>" + "".join(cells) + "</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{escape(sheet)}">'
        + "".join(body)
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path
