"""CSV output: a header row, then one finding per row, safe to open in Excel.

Every text cell that a spreadsheet would run as a formula (= + - @ tab CR) gets a leading
apostrophe (outputs.neutralize_formula). Quoting is minimal; rows end in CRLF as RFC 4180 says.
The byte-order mark is the caller's job (commands.check.csv_bom): UTF-8 *with* a BOM, to a file
(-o) and to a redirected stdout alike, so Excel and WPS on a Chinese Windows read Chinese instead
of GBK mojibake; `--no-bom` for tools that choke on one; none when stdout is a terminal.
"""

from __future__ import annotations

import csv
from typing import TextIO

from pipeaudit.result import AuditResult
from pipeaudit.outputs import _FORMULA_LEADS, neutralize_formula

COLUMNS = ("rule", "severity", "row", "deal_id", "deal", "owner", "stage", "message", "question")
CHUNK = 20_000


def write(result: AuditResult, stream: TextIO, *, color: bool = False) -> None:
    from pipeaudit.findings import column_lists, ordered

    findings = ordered(result.findings)
    columns = column_lists(findings, COLUMNS)
    for name in COLUMNS:
        if name != "row" and name in findings.columns:
            columns[name] = _neutralized(findings[name], columns[name])
    writer = csv.writer(stream, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    n = len(columns["rule"])
    for start in range(0, n, CHUNK):
        writer.writerows(zip(*(columns[c][start : start + CHUNK] for c in COLUMNS)))


def _neutralized(series, values: list) -> list:
    """neutralize_formula on the cells that could need it; a vectorized first-character test finds them."""
    import numpy as np

    first = series.astype("str").str[:1]
    candidates = np.flatnonzero(first.isin({lead[0] for lead in _FORMULA_LEADS}).to_numpy(dtype=bool, na_value=False))
    if len(candidates):
        values = list(values)
        for i in candidates:  # only the suspicious cells, usually none
            values[i] = neutralize_formula(values[i])
    return values
