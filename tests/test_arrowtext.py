"""arrow_text (the fast path) against pyarrow's own conversion, on fixed examples."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from pipeaudit.arrowtext import arrow_text, arrow_text_reference

EXAMPLES = [
    [],
    ["华光ERP", None, "", "  两个空格  ", "OPP-0001", "ｆｕｌｌ　width", "emoji 🚀", "\x00nul", "e\u0301"],
    [None, None],
    ["= HYPERLINK(\"x\")", "tab\there", "line\nbreak", "\u202eright-to-left"],
]


@pytest.mark.parametrize("values", EXAMPLES)
@pytest.mark.parametrize("kind", [pa.large_string(), pa.string()])
def test_same_array_as_pyarrow(values, kind):
    cells = np.array(values, dtype=object)
    fast, plain = arrow_text(cells, kind), arrow_text_reference(cells, kind)
    assert fast.type == plain.type == kind
    assert fast.equals(plain)


def test_a_mask_makes_nulls_as_pyarrow_does():
    cells = np.array(["甲", "乙", "丙"], dtype=object)
    mask = np.array([False, True, False])
    assert arrow_text(cells, mask=mask).equals(arrow_text_reference(cells, mask=mask))
    assert arrow_text(cells, mask=mask).to_pylist() == ["甲", None, "丙"]


@pytest.mark.parametrize("odd", [float("nan"), pd.NA, 3.5, "\ud800"])
def test_anything_but_str_and_none_goes_the_plain_way(odd):
    cells = np.array(["甲", odd, None], dtype=object)
    try:
        expected = arrow_text_reference(cells)
    except (pa.ArrowException, UnicodeError) as exc:  # pyarrow refuses it: so must we, alike
        with pytest.raises(type(exc)):
            arrow_text(cells)
        return
    assert arrow_text(cells).equals(expected)


def test_the_strings_are_left_as_they_were():
    """pyarrow's conversion leaves a UTF-8 copy inside every non-ASCII str; this one does not."""
    cells = np.array([("商机" * 10) + str(i) for i in range(200)], dtype=object)
    before = sum(map(sys.getsizeof, cells))
    arrow_text(cells)
    assert sum(map(sys.getsizeof, cells)) == before


def test_arrow_of_gives_one_array_over_the_chunks_without_copying_text():
    from pipeaudit.arrowtext import arrow_of

    chunked = pd.array(pa.chunked_array([["甲", None], ["乙"]], type=pa.large_string()), dtype="str")
    arr = arrow_of(chunked)
    assert isinstance(arr, pa.Array) and arr.to_pylist() == ["甲", None, "乙"]
    single = pd.array(pa.array(["丙"], type=pa.large_string()), dtype="str")
    assert arrow_of(single).to_pylist() == ["丙"]
