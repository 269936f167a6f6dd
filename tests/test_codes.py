"""The text-grouping fast path (object identity) agrees with the plain one (grouping by value)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from pipeaudit.codes import factorized_text, factorized_text_reference, value_codes

WORDS = ["张三", "李四", "Ann", "", " ", "ann", "a\x00b"]


def decoded(found):
    codes, distinct = found
    return [None if c < 0 else distinct[c] for c in codes]


def column(draw_cells):
    """An object column where equal texts are sometimes one shared object, sometimes copies."""
    cells = np.empty(len(draw_cells), dtype=object)
    shared = {w: w for w in WORDS}
    for i, (word, how) in enumerate(draw_cells):
        if how == "missing":
            cells[i] = None if i % 2 else np.nan
        elif how == "shared":
            cells[i] = shared[word]
        else:
            cells[i] = "".join(list(word))  # an equal str in a separate object (for non-empty words)
    return pd.Series(cells, dtype=object)


cells_strategy = st.lists(
    st.tuples(st.sampled_from(WORDS), st.sampled_from(["shared", "copy", "missing"])), max_size=200
)


@given(cells_strategy)
def test_fast_and_plain_grouping_decode_to_the_same_column(cells):
    values = column(cells)
    fast, plain = factorized_text(values), factorized_text_reference(values)
    assert fast is not None and plain is not None
    assert decoded(fast) == decoded(plain)


@given(cells_strategy)
def test_value_codes_merge_equal_texts_held_in_separate_objects(cells):
    values = column(cells)
    codes, distinct = value_codes(values)
    ref_codes, ref_distinct = factorized_text_reference(values)
    assert len(distinct) == len(ref_distinct) == len(set(ref_distinct))
    assert decoded((codes, distinct)) == decoded((ref_codes, ref_distinct))


def test_long_runs_of_mostly_distinct_objects_take_the_run_path():
    # more than 2 x 4096 runs of distinct objects: codes by run, still decoding to the same column
    values = pd.Series([f"id-{i // 2}" for i in range(20_000)], dtype=object)
    assert decoded(factorized_text(values)) == decoded(factorized_text_reference(values))


def test_non_text_columns_are_left_to_the_caller():
    assert factorized_text(pd.Series([1, 2, 2])) is None
    assert factorized_text(pd.Series(["a", 3], dtype=object)) is None
    assert factorized_text_reference(pd.Series(["a", 3], dtype=object)) is None


def test_column_codes_are_kept_narrow_and_decode_the_same():
    """A render holds every column's codes at once: int32, decoding to the same column."""
    from pipeaudit.codes import ColumnCodes

    owners = np.array(["张三", "李四", None, "张三"] * 1000, dtype=object)
    frame = pd.DataFrame({"owner": owners, "row": np.arange(len(owners))})
    codes, distinct = ColumnCodes(frame)("owner")
    assert codes.dtype == np.int32
    assert list(np.append(distinct, None)[codes]) == list(owners)
    assert ColumnCodes(frame)("row") is None  # not text: left to the caller, as before
