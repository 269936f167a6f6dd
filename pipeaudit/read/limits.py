"""Documented ceilings that keep a hostile or broken export from exhausting the machine.

Each limit has an environment override, for the rare honest file that is bigger:

=============================  =====================================  ============
constant                       meaning                                env override
=============================  =====================================  ============
MAX_UNCOMPRESSED_BYTES         total inflated size of a workbook's    PIPEAUDIT_MAX_UNCOMPRESSED
                               zip parts (xlsx/xlsm/ods): 1 GiB
MAX_COMPRESSION_RATIO          a part inflating more than 200:1 ...   -
RATIO_MIN_BYTES                ... is refused once it exceeds 100 MB  -
MAX_ZIP_MEMBERS                parts in one workbook: 10,000          -
MAX_COLUMNS                    columns in the table: 2,000 (real CRM  PIPEAUDIT_MAX_COLUMNS
                               exports stay in the low hundreds)
MAX_ROWS                       last row a cell may sit on: Excel's    -
                               1,048,576 (the format's own ceiling)
MAX_CELLS                      rows x columns of a sheet's rectangle  PIPEAUDIT_MAX_CELLS
                               (declared, and the real extent of its
                               cells found by a scan before loading):
                               20 million; the reader holds the
                               rectangle densely, ~65 bytes a cell
MAX_CSV_BYTES                  size of a CSV/TSV/TXT file: 2 GiB      PIPEAUDIT_MAX_CSV_BYTES
MAX_CSV_CELLS                  rows x columns of a CSV, rows counted  PIPEAUDIT_MAX_CSV_CELLS
                               as lines before a blank or short line
                               becomes a row of empty cells: 50
                               million (a CSV cell costs ~10 bytes,
                               a 1M-row export of 23 columns fits)
MAX_BLANK_LINES                empty lines in a CSV: 1,048,576        PIPEAUDIT_MAX_BLANK_LINES
MAX_WORKBOOK_BYTES             size of a workbook file on disk: 1 GiB PIPEAUDIT_MAX_WORKBOOK_BYTES
HEADER_SCAN_ROWS               non-empty rows searched for a header   -
MAX_REPS                       reps (one page each per format) in a   PIPEAUDIT_MAX_REPS
                               report: 2,000
=============================  =====================================  ============
"""

from __future__ import annotations

import os

from pipeaudit.errors import InputError
from pipeaudit.i18n import both

GiB = 1024**3
MB = 1000**2

MAX_UNCOMPRESSED_BYTES = 1 * GiB
MAX_COMPRESSION_RATIO = 200
RATIO_MIN_BYTES = 100 * MB
MAX_ZIP_MEMBERS = 10_000
MAX_COLUMNS = 2_000
MAX_ROWS = 1_048_576
MAX_CELLS = 20_000_000
MAX_CSV_BYTES = 2 * GiB
MAX_CSV_CELLS = 50_000_000
MAX_BLANK_LINES = 1_048_576
MAX_WORKBOOK_BYTES = 1 * GiB
HEADER_SCAN_ROWS = 30
MAX_REPS = 2_000


def limit(name: str) -> int:
    """The limit `name` (a constant above), or its environment override when set."""
    env = {
        "MAX_UNCOMPRESSED_BYTES": "PIPEAUDIT_MAX_UNCOMPRESSED",
        "MAX_COLUMNS": "PIPEAUDIT_MAX_COLUMNS",
        "MAX_CELLS": "PIPEAUDIT_MAX_CELLS",
        "MAX_CSV_BYTES": "PIPEAUDIT_MAX_CSV_BYTES",
        "MAX_CSV_CELLS": "PIPEAUDIT_MAX_CSV_CELLS",
        "MAX_BLANK_LINES": "PIPEAUDIT_MAX_BLANK_LINES",
        "MAX_WORKBOOK_BYTES": "PIPEAUDIT_MAX_WORKBOOK_BYTES",
        "MAX_REPS": "PIPEAUDIT_MAX_REPS",
    }.get(name)
    default = globals()[name]
    raw = os.environ.get(env) if env else None
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise InputError(f"{env}={raw!r} " + both("read.limit_not_whole")) from None
    if value <= 0:
        raise InputError(f"{env}={raw!r} " + both("read.limit_not_positive"))
    return value
