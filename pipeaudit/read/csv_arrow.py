"""Arrow's CSV reader for the common clean UTF-8 case.

Kept apart from read/csv.py (which decides encodings, headers and limits, and falls back to
pandas) because this is the fast path of reading: what it returns must equal pandas' reading of
the same lines, which tests/test_read_csv.py checks on fixed examples.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING

from pipeaudit.errors import InputError
from pipeaudit.i18n import both

if TYPE_CHECKING:
    import pandas as pd

#: Arrow's block size for reading (see read_arrow)
ARROW_BLOCK_BYTES = 16 * 1024 * 1024




def read_arrow(path: Path, offset: int, ncols: int, delim: str, *, max_cells: int | None = None,
                source: Path | None = None) -> pd.DataFrame | None:
    """Arrow's reader for the common clean UTF-8 case; None means "use pandas instead".

    Arrow drops blank lines and rejects short rows, which would shift line numbers or lose cells,
    so the first such row sends the file back to the pandas path rather than being skipped. Read
    block by block, so a file of more than `max_cells` cells (rows x columns) is refused when the
    block that crosses the limit arrives, not after the whole file is held.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [str(j) for j in range(ncols)]
    batches = []
    rows = 0
    reader = None
    finished = False
    try:
        # Arrow's own file, not a Python one: its read-ahead then never calls back into Python.
        with pa.OSFile(str(path), "r") as fh:
            fh.seek(offset)
            reader = pacsv.open_csv(
                fh,
                # 16 MB blocks instead of 1 MB: a few chunks per column, which later factorizing
                # (one dictionary per chunk, unified after) handles much faster than hundreds.
                # One thread: Arrow's parallel parse spends ~40% more CPU for the same work, which
                # a shared box or CI runner pays for, and the rest of the audit is serial anyway.
                read_options=pacsv.ReadOptions(column_names=names, block_size=ARROW_BLOCK_BYTES, use_threads=False),
                parse_options=pacsv.ParseOptions(
                    delimiter=delim,
                    quote_char='"',
                    double_quote=True,
                    newlines_in_values=True,
                    ignore_empty_lines=False,
                    invalid_row_handler=lambda row: "error",  # a blank or short row: pandas reads the file
                ),
                convert_options=pacsv.ConvertOptions(
                    # large_string is what pandas' str dtype holds: to_pandas below is then zero-copy.
                    column_types={name: pa.large_string() for name in names},
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                    null_values=[""],
                ),
            )
            for batch in reader:
                batches.append(batch)
                rows += batch.num_rows
                if max_cells is not None and rows * ncols > max_cells:
                    raise InputError(f"{source or path}: " + both(
                        "read.csv_cells_more", rows=f"{rows:,}", cols=f"{ncols:,}", limit=f"{max_cells:,}"))
            schema = reader.schema
            finished = True
    except (pa.ArrowException, ValueError, OSError):
        return None
    finally:
        if not finished:
            # A reader left mid-file keeps a read-ahead task on Arrow's I/O threads. Left to
            # interpreter shutdown, that thread can outlive Arrow and abort the process ("terminate
            # called without an active exception", exit 134) about once in a hundred runs; dropping
            # the reader and collecting now joins it while Arrow is still whole (apache/arrow#34314).
            reader = None
            gc.collect()
    table = pa.Table.from_batches(batches, schema=schema)
    frame = table.to_pandas(types_mapper={pa.large_string(): pd.StringDtype("pyarrow", na_value=float("nan"))}.get)
    frame.columns = list(range(ncols))
    return frame
