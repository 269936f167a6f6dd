"""Python strings into Arrow strings: the one way pipeaudit hands a column of str to Arrow's kernels.

`pa.array(values, type=pa.large_string(), from_pandas=True)` asks each str for its UTF-8 bytes
through CPython's cached accessor, which keeps a UTF-8 copy inside every non-ASCII str for as
long as the str lives. The Deals frame keeps its strings for the whole run, so every Arrow pass
over a column of Chinese names, accounts or next steps left that column about 47 bytes a cell
heavier: 16 MiB on 100,000 deals, ~160 MiB on a million. It is also slow: 0.6-1.0 s for a
million Chinese strings.

This is a fast path. Encoding each str to a temporary bytes object and casting Arrow's binary to
string leaves the strs as they were and takes 0.2-0.3 s for the same million. Anything but str
and None (NaN, pd.NA, numbers, a str that cannot be UTF-8) goes the plain way,
`arrow_text_reference`, which is pyarrow's own call: same values, same errors.
tests/test_arrowtext.py holds the two to the same arrays on fixed examples.
"""

from __future__ import annotations

from typing import Any


def arrow_text(values: Any, type: Any = None, mask: Any = None) -> Any:
    """An Arrow array of `type` (large_string unless given; string or large_string) from str/None
    values, as arrow_text_reference gives, without touching the str objects' memory."""
    import pyarrow as pa

    type = pa.large_string() if type is None else type
    try:
        encoded = [None if v is None else v.encode("utf-8") for v in values]
    except (AttributeError, UnicodeEncodeError):  # not all str/None: pyarrow decides, as before
        return arrow_text_reference(values, type, mask)
    binary = pa.large_binary() if type == pa.large_string() else pa.binary()
    return pa.array(encoded, type=binary, mask=mask).cast(type)


def arrow_text_reference(values: Any, type: Any = None, mask: Any = None) -> Any:
    """The plain way: pyarrow's own conversion (NaN and None are null)."""
    import pyarrow as pa

    type = pa.large_string() if type is None else type
    if mask is not None:
        return pa.array(values, type=type, mask=mask)
    return pa.array(values, type=type, from_pandas=True)


def arrow_of(values: Any) -> Any:
    """The one Arrow array behind an Arrow-backed pandas array (a str Series' `.array`): no copy of
    the text, its chunks joined into one array where there are several."""
    import pyarrow as pa

    arr = pa.array(values)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
