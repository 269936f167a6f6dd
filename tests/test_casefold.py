"""Case-folding text columns: the Arrow fast path (engine/columns.py) agrees with str.casefold."""

from __future__ import annotations

import pandas as pd

from pipeaudit.engine.columns import casefolded, casefolded_reference

#: Every character of the ranges the fast path lower-cases in Arrow, and their neighbours.
RANGES = [(0x01, 0x7F), (0x80, 0xFF), (0x2FF0, 0x3050), (0x4DF0, 0x4E10), (0x9F90, 0x9FFF), (0xFEF0, 0xFFFF)]
EXAMPLES = [
    "Straße", "ǅ", "İstanbul", "ΣΊΣΥΦΟΣ", "ﬁ", "ＡＢＣ", "ａｂｃ", "ＣＲＭ跟进", "Follow UP", "等客户回复：刘明杰（副总裁）",
    "", " ", "\x00A", "Ⅻ", "ᏸ", "𐐀", "\U0001F600 OK", "MIXED 大小 Case ß", "tbd", "TBD",
]


def _both(values, dtype="str"):
    t = pd.Series(values, dtype=dtype)
    fast, plain = casefolded(t), casefolded_reference(t)
    assert fast.dtype == plain.dtype
    assert fast.tolist() == plain.tolist()


def test_every_character_of_the_fast_ranges_folds_as_casefold_does():
    chars = [chr(c) for lo, hi in RANGES for c in range(lo, hi + 1) if not 0xD800 <= c <= 0xDFFF]
    _both(chars)
    _both(["x" + c + "Y" for c in chars])


def test_fixed_examples_fold_as_casefold_does():
    _both(EXAMPLES)
    _both(EXAMPLES[::-1] * 3)
    _both([])
    _both(EXAMPLES, dtype=object)


def test_blank_texts_agree_with_a_str_series_strip():
    import numpy as np

    from pipeaudit.engine.columns import _blank_texts

    texts = np.array(["", " ", "\t\n", "\u3000", "\xa0", "\x1f", "\u200b", "a", " a ", "跟进", "\u2028"], dtype=object)
    plain = pd.Series(texts, dtype="str").str.strip().eq("").to_numpy(dtype=bool, na_value=True)
    assert _blank_texts(texts).tolist() == plain.tolist()
    assert _blank_texts(np.array([], dtype=object)).tolist() == []
