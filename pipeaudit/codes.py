"""Codes for text columns: group the cells by value, so per-value work runs once per distinct value.

Findings repeat a few rules, owners, stages and messages millions of times, and Deals repeat a few
hundred owners and stages: trimming, comparing, escaping or encoding the distinct values and
gathering the results by code is a small fraction of doing it per cell.

This is pipeaudit's one fast path for grouping text. Object columns built by pipeaudit share one
str object among equal cells, so their codes come from object identity (pointer comparison, no
hashing of strings): on the 1,000,000-deal CSV of `make bench` that takes `check` from 8.5 to 5.7
CPU seconds. `factorized_text_reference` is the plain way (pd.factorize by value); a property
test (tests/test_codes.py) holds the two to the same decoded columns. Everything else in the code
calls `factorized_text` or `value_codes` and never relies on identity itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def factorized_text(values: pd.Series):
    """(codes, the str of each code as an object array) of a text column; code -1 = missing.

    Codes group equal values, but two codes may hold equal text (see _identity_codes); callers
    that group by value merge them with value_codes(). Returns None when the column holds
    something other than text (numbers, dates), whose conversion the caller does cell by cell.
    """
    import numpy as np
    import pandas as pd

    if values.dtype == object:
        cells = values.to_numpy()
        codes, first = _identity_codes(cells)
        distinct = cells[first]
        if pd.api.types.infer_dtype(distinct, skipna=False) == "string":
            return codes, distinct  # all str: nothing missing (a C-speed check)
        missing = pd.isna(distinct)
        if missing.any():  # None/NaN objects: code -1, as pd.factorize gives
            remap = np.cumsum(~missing) - 1
            remap[missing] = -1
            codes = remap[codes]
            distinct = distinct[~missing]
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        distinct = np.asarray(uniques, dtype=object)
    if pd.api.types.infer_dtype(distinct, skipna=False) not in ("string", "empty"):
        return None
    return codes, distinct


def factorized_text_reference(values: pd.Series):
    """factorized_text the plain way, by value: what the fast path must agree with (see tests)."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    distinct = np.asarray(uniques, dtype=object)
    if pd.api.types.infer_dtype(distinct, skipna=False) not in ("string", "empty"):
        return None
    return codes, distinct


def value_codes(values: pd.Series, found=None):
    """(codes, distinct values) grouping equal values, code -1 = missing; None for non-text columns.

    `found` is factorized_text(values) when the caller has it already.
    """
    import numpy as np
    import pandas as pd

    found = factorized_text(values) if found is None else found
    if found is None:
        return None
    codes, texts = found
    merged, distinct = pd.factorize(texts)
    return np.append(merged, -1)[codes], np.asarray(distinct, dtype=object)


class ColumnCodes:
    """factorized_text of a findings frame's columns, each computed once.

    A render reads some columns for the order, the summary and the output alike; passing one
    ColumnCodes to each saves factorizing millions of cells again.
    """

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._memo: dict[str, Any] = {}

    def __call__(self, name: str):
        if name not in self._memo:
            self._memo[name] = _narrow(factorized_text(self.frame[name]))
        return self._memo[name]

    def forget(self) -> None:
        """Drop the codes computed so far (a caller that took what it needs frees the memory);
        a later call computes a column again."""
        self._memo.clear()


def _narrow(found):
    """Codes kept for a whole render as int32 when they fit: a render of 2 million findings holds
    several columns' codes at once. Callers index with them (any integer type does); the one that
    combines two columns' codes (formats.json._merge_small_pairs) bounds the product first."""
    import numpy as np

    if found is None:
        return None
    codes, distinct = found
    if len(codes) and codes.dtype.itemsize > 4 and len(distinct) < 2**31 - 1:
        codes = codes.astype(np.int32)
    return codes, distinct


def known_codes(frame: pd.DataFrame, name: str, codes: ColumnCodes | None):
    """codes(name) when `codes` belongs to `frame`, else None (the callee factorizes itself)."""
    return codes(name) if codes is not None and codes.frame is frame else None


def _object_addresses(cells):
    """The PyObject pointers a C-contiguous object array holds, as integers of the same shape.

    A view, valid while `cells` lives. Equal pointers are the same object, so comparing them is an
    exact identity test, done by numpy without touching a single Python object.
    """
    import ctypes

    import numpy as np

    if cells.size == 0:
        return np.zeros(cells.shape, dtype=np.uintp)
    if not cells.flags.c_contiguous or cells.dtype != object:
        raise ValueError("_object_addresses needs a C-contiguous object array")
    pointer = cells.ctypes.data_as(ctypes.POINTER(ctypes.c_size_t))
    return np.ctypeslib.as_array(pointer, shape=cells.shape).view(np.uintp)


#: Runs sampled to tell a column of mostly distinct objects (IDs) from one of a few repeated ones.
_RUN_SAMPLE = 4096


def _identity_codes(cells):
    """(codes, first position of each code) of an object array, grouping cells by object identity.

    Our frames share one str object among equal cells (the engine and the Deals builder spread
    distinct values by code), so comparing pointers finds the groups without hashing or even
    reading a single string. Equal strings held in separate objects get separate codes, which
    every caller tolerates. Runs of one object (findings are sorted by owner and deal) are found
    by comparing neighbours, and only one pointer per run is hashed.
    """
    import numpy as np
    import pandas as pd

    n = len(cells)
    cells = np.ascontiguousarray(cells)
    addresses = _object_addresses(cells)
    if n == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    new_run = np.empty(n, dtype=bool)
    new_run[0] = True
    np.not_equal(addresses[1:], addresses[:-1], out=new_run[1:])
    starts = np.flatnonzero(new_run)
    heads = addresses[starts]
    sample = heads[:_RUN_SAMPLE]
    if len(heads) > 2 * _RUN_SAMPLE and len(np.unique(sample)) * 2 > len(sample):
        # Mostly one run per object (a deal's findings sit together): hashing would merge little.
        return np.cumsum(new_run) - 1, starts
    run_codes, _ = pd.factorize(heads)  # hash one pointer per run, not per cell
    codes = run_codes[np.cumsum(new_run) - 1]
    first = np.empty(run_codes.max() + 1, dtype=np.intp)
    first[run_codes[::-1]] = starts[::-1]  # the earliest run of each code
    return codes, first
