"""Property test: any table written as CSV, with title lines, blank lines and awkward cells,
reads back cell for cell, each record on the line where it starts."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeaudit.read import read_table
from tests.test_read_helpers import toy_score

HEADER = ["Deal ID", "Deal", "Owner", "Stage"]
cell = st.lists(st.sampled_from(list("ab Z9,;\"\n|商机合计-=") + ["\r\n"]), max_size=8).map("".join)
row = st.lists(cell, min_size=4, max_size=4).filter(lambda r: any(c.strip() for c in r))
# A row whose first cells read as a total label would be dropped on purpose; keep those out.
row = row.filter(lambda r: not any(c.strip().casefold().startswith(("合计", "total", "sum")) for c in r))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    titles=st.integers(0, 2),
    rows=st.lists(st.tuples(row, st.booleans()), max_size=12),
    encoding=st.sampled_from(["utf-8", "gb18030", "utf-8-sig"]),
    crlf=st.booleans(),
)
def test_csv_round_trip(titles: int, rows: list[tuple[list[str], bool]], encoding: str, crlf: bool) -> None:
    eol = "\r\n" if crlf else "\n"
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator=eol, quoting=csv.QUOTE_MINIMAL)
    for i in range(titles):
        buf.write(f"Report title {i}{eol}")
    writer.writerow(HEADER)
    expected, lines = [], []
    for cells, blank_after in rows:
        line = buf.getvalue().count("\n") + buf.getvalue().count("\r") - buf.getvalue().count("\r\n") + 1
        writer.writerow(cells)
        expected.append(cells)
        lines.append(line)
        if blank_after:
            buf.write(eol)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.csv"
        path.write_bytes(buf.getvalue().encode(encoding))
        t = read_table(path, header_score=toy_score)
        assert t.header_row == titles + 1
        got = [[("" if v != v or v is None else v) for v in r] for r in t.cells.astype(object).values.tolist()]
        assert got == expected
        assert t.row_numbers.tolist() == lines
