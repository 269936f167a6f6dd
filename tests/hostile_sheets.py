"""Generators of sheets that cost the pre-load scans more than their size, if a scan lets them.

Each shape is a sheet that is cheap to write and harmless to calamine, but makes a row counter that
looks to the end of its block on every row take (rows x block) time: rows whose <row> carries
r="N" while the cells do not (found by a refactor: 8,000 rows took 30 s), the same with a
repeated attribute, something between the rows, cells after the last row, or a row tag holding
a '<'. The sheets are written in code, as the other hostile tests do (test_hostile_extent.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from test_hostile_extent import ODS_HEAD, ODS_TAIL, ods, sheet, table
from test_hostile_workbooks import package, write_xlsx

V = "<v>1</v>"
F = '<table:table-cell office:value-type="float" office:value="1"/>'


@dataclass(frozen=True)
class Shape:
    """A sheet of n rows: its body (inside <sheetData>, or inside an .ods table) and what the scan finds.

    expected(n) is the extent, or "refused" when the scan must refuse the sheet (in one line);
    explicit(n), for an .xlsx, the same cells each with its r (what the fast scan reads).
    """

    name: str
    kind: str  # "xlsx" or "ods"
    body: Callable[[int], str]
    expected: Callable[[int], tuple[int, int] | str]
    explicit: Callable[[int], str] | None = None


def _explicit_rows(n: int) -> str:
    return "".join(f'<row r="{i}"><c r="A{i}">{V}</c></row>' for i in range(1, n + 1))


XLSX_SHAPES = [
    Shape("row r, bare cells", "xlsx", lambda n: "".join(f'<row r="{i}"><c>{V}</c></row>' for i in range(1, n + 1)),
          lambda n: (n, 1), _explicit_rows),
    Shape("row r repeated", "xlsx", lambda n: "".join(f'<row r="{i}" r="{i}"><c>{V}</c></row>' for i in range(1, n + 1)),
          lambda n: (n, 1), _explicit_rows),
    Shape("cell attribute repeated", "xlsx",
          lambda n: "".join(f'<row r="{i}"><c t="n" t="n">{V}</c></row>' for i in range(1, n + 1)), lambda n: (n, 1),
          _explicit_rows),
    Shape("something between rows", "xlsx", lambda n: f"<x/><row><c>{V}</c></row>" * n, lambda n: (n, 1),
          lambda n: "".join(f'<x/><row><c r="A{i}">{V}</c></row>' for i in range(1, n + 1))),
    Shape("cells after the last row", "xlsx",
          lambda n: '<row r="1"><c r="A1"/></row>' + f'<c r="A1">{V}</c>' * n + "<c/>", lambda n: (2, 2),
          lambda n: '<row r="1"><c r="A1"/></row>' + f'<c r="A1">{V}</c>' * n + '<c r="B2"/>'),
    Shape("row tags holding a '<'", "xlsx", lambda n: "<row><c/></row>" + "<row " * n + "</row>", lambda n: "refused"),
    # calamine may build this one wrongly or not at all; the scan counts each inner <row .../> as a
    # row end, which can only make the rectangle larger: 2n - 1 rows
    Shape("empty row tag holding a '<' inside a cell", "xlsx",
          lambda n: '<row><c><is><row "<x/>"/></is></c></row>' * n, lambda n: (2 * n - 1, 1)),
]

ODS_SHAPES = [
    Shape("every row repeated once", "ods",
          lambda n: f'<table:table-row table:number-rows-repeated="1">{F}</table:table-row>' * n, lambda n: (n, 1)),
    Shape("something between rows", "ods", lambda n: f"<foo/><table:table-row>{F}</table:table-row>" * n,
          lambda n: (n, 1)),
    Shape("cells after the last row", "ods", lambda n: f"<table:table-row>{F}</table:table-row>" + F * n,
          lambda n: (1, 1)),
    Shape("row tags holding a '<'", "ods",
          lambda n: f"<table:table-row>{F}</table:table-row>" + "<table:table-row " * n + "</table:table-row>",
          lambda n: "refused"),
    Shape("empty row tag holding a '<' inside a cell", "ods",
          lambda n: ('<table:table-row><table:table-cell office:value-type="string"><text:p>'
                     '<table:table-row "<x/>"/></text:p></table:table-cell></table:table-row>') * n, lambda n: (n, 1)),
]

SHEET = "商机"


def write(shape: Shape, n: int, folder: Path) -> Path:
    """The workbook of `shape` with n rows, as a real .xlsx (sheet 商机) or .ods (table 商机)."""
    name = f"{re.sub(r'[^a-z]+', '-', shape.name)}-{n}.{shape.kind}"
    if shape.kind == "xlsx":
        return write_xlsx(folder / name, package(sheet(shape.body(n))))
    return ods(folder, table(shape.body(n), SHEET), name=name)


def part_xml(shape: Shape, n: int, explicit: bool = False) -> bytes:
    """The part the scan reads (the .xlsx sheet, or the .ods content.xml) of `shape` with n rows."""
    if shape.kind == "xlsx":
        return sheet((shape.explicit if explicit and shape.explicit else shape.body)(n)).encode()
    return (ODS_HEAD + table(shape.body(n), SHEET) + ODS_TAIL).encode()
