"""The pre-load scans cost time in proportion to a sheet's size, whatever its shape (issue 11: a
hostile input must never hang pipeaudit).

The row counters of the .xlsx running scan and the .ods scan used to search to the end of their
4 MB block on every row that could not be counted in bulk: 8,000 rows whose <row> carried r="N"
while the cells did not took 30 s, 30,000 with a repeated attribute 547 s. Two checks here: each
hostile shape (hostile_sheets.py) at a size that took minutes is scanned by a separate process
within a generous 30 s; and, not depending on the machine's speed, the bytes the bulk counting
searched (a counter the scans keep) grow like the sheet, at a few times its size.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hostile_sheets import ODS_SHAPES, SHEET, XLSX_SHAPES, Shape, part_xml, write
from pipeaudit.errors import InputError
from pipeaudit.read.guard import ods_extent, xlsx_extent, xlsx_running_scan
from test_hostile_extent import engine  # noqa: F401 - the fixture: RE2 (pyarrow) and `re` alone

# rows (or cells) at which each shape took minutes before the scans were made linear
SLOW_BEFORE = {
    "row r, bare cells": 50_000,  # 16,000 rows took 19 s; 50,000 about 3 minutes
    "row r repeated": 50_000,
    "cell attribute repeated": 50_000,
    "something between rows": 50_000,
    "cells after the last row": 200_000,
    "row tags holding a '<'": 50_000,
    "empty row tag holding a '<' inside a cell": 100_000,
}
ODS_SLOW_BEFORE = {
    "every row repeated once": 50_000,  # 20,000 rows took 28 s
    "something between rows": 50_000,
    "cells after the last row": 200_000,
    "row tags holding a '<'": 50_000,
    "empty row tag holding a '<' inside a cell": 100_000,
}
CASES = [(s, SLOW_BEFORE[s.name]) for s in XLSX_SHAPES] + [(s, ODS_SLOW_BEFORE[s.name]) for s in ODS_SHAPES]

SCAN = """
import sys
from pathlib import Path
from pipeaudit.errors import InputError
from pipeaudit.read.guard.ods_extent import ods_extents
from pipeaudit.read.guard.xlsx_extent import sheet_extent

path = Path(sys.argv[1])
try:
    found = sheet_extent(path, sys.argv[2]) if path.suffix == ".xlsx" else ods_extents(path)[0][1:]
except InputError as exc:
    found = "refused" if "\\n" not in str(exc) else "refused in more than one line"
print(tuple(found) if found != "refused" else found)
"""


@pytest.mark.parametrize("shape, n", CASES, ids=[f"{s.kind}: {s.name}" for s, _n in CASES])
def test_hostile_shapes_are_scanned_in_seconds(tmp_path: Path, shape: Shape, n: int) -> None:
    f = write(shape, n, tmp_path)
    try:
        done = subprocess.run([sys.executable, "-c", SCAN, str(f), SHEET], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{shape.kind} '{shape.name}' with {n:,} rows: the scan ran past 30 s")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(shape.expected(n))


# ---- the same, counted: bytes searched, not seconds ------------------------------------------


def _searched(shape: Shape, n: int, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, object]:
    """(bytes the bulk counting searched, what the scan found) for `shape` with n rows."""
    made: list = []

    class CountedRunning(xlsx_running_scan._Running):
        def __init__(self, *args: object) -> None:
            super().__init__(*args)
            made.append(self)

    class CountedTables(ods_extent._OdsTables):
        def __init__(self, *args: object) -> None:
            super().__init__(*args)
            made.append(self)

    monkeypatch.setattr(xlsx_running_scan, "_Running", CountedRunning)
    monkeypatch.setattr(ods_extent, "_OdsTables", CountedTables)
    f = write(shape, n, tmp)
    try:
        found: object = xlsx_extent.sheet_extent(f, SHEET) if shape.kind == "xlsx" else ods_extent.ods_extents(f)[0][1:]
    except InputError:
        found = "refused"
    assert len(made) == 1, "the shape must take the scan that counts rows in bulk"
    return made[0].searched, found


@pytest.mark.parametrize("shape", XLSX_SHAPES + ODS_SHAPES, ids=[f"{s.kind}: {s.name}" for s in XLSX_SHAPES + ODS_SHAPES])
def test_bytes_searched_grow_like_the_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str, shape: Shape) -> None:  # noqa: F811
    """Twice the rows, at most about twice the bytes searched; and a few times the part's size in all.

    Before, every row that could not be counted in bulk searched to the end of the block: 2,000
    rows of 25 bytes would have searched about 2,000 x 50 KB / 2 = 50 MB, 1,000 times the sheet.
    """
    small, found_small = _searched(shape, 2_000, tmp_path, monkeypatch)
    large, found_large = _searched(shape, 4_000, tmp_path, monkeypatch)
    assert (found_small, found_large) == (shape.expected(2_000), shape.expected(4_000))
    assert large <= 2.2 * small, (small, large)
    size = len(part_xml(shape, 4_000))
    assert large <= 64 * size, (large, size)
