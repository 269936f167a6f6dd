"""The deal-key fast path (Arrow, engine/keycodes.py) agrees with the plain one (dealkeys.normalise_text)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeaudit.engine.keycodes import normalised_codes, normalised_codes_reference

#: Simple values (ASCII and common CJK, normalised in Arrow) beside every kind the fast path hands
#: to Python: full-width forms, compatibility ideographs, other whitespace, case beyond ASCII.
EXAMPLES = [
    "OPP-001", "opp-001", " OPP-001 ", "OPP  001", "OPP 001", "Opp\t001", "OPP\u3000001", "ＯＰＰ-００１",
    "西安光永业食品有限公司-MES实施", "西安光永业食品有限公司-mes实施", "西安光永业食品有限公司－MES实施",
    "Straße", "STRASSE", "strasse", "ﬁnance", "finance", "Ⅻ", "xii", "\u2f00", "一", "\uf900", "豈",
    "a\x1fb", "a b", "a\xa0b", "", " ", "  \t ", None, np.nan, "é", "É", "e\u0301", "Σίσυφος", "ΣΊΣΥΦΟΣ",
    "㍿", "株式会社", "(1)", "⑴", "~`!@#$%^&*()_+", "a" * 300, "A" * 300, "𠀀", "\U0001F600 deal",
]


def test_fast_and_plain_key_codes_agree_on_fixed_examples():
    values = pd.Series(EXAMPLES * 2, dtype=object)
    assert normalised_codes(values).tolist() == normalised_codes_reference(values).tolist()


def test_fast_and_plain_key_codes_agree_in_every_order_and_on_parts():
    values = pd.Series(EXAMPLES, dtype=object)
    for shift in range(0, len(EXAMPLES), 7):
        rolled = pd.Series(np.roll(values.to_numpy(), shift), dtype=object)
        assert normalised_codes(rolled).tolist() == normalised_codes_reference(rolled).tolist()
    for part in (EXAMPLES[:1], EXAMPLES[:9], ["a", "A", None], [None, None], []):
        s = pd.Series(part, dtype=object)
        assert normalised_codes(s).tolist() == normalised_codes_reference(s).tolist()


def test_a_column_that_is_not_all_text_takes_the_plain_way():
    values = pd.Series(["A1", 1001, 1001.0, "a1", None], dtype=object)
    assert normalised_codes(values).tolist() == normalised_codes_reference(values).tolist()


def test_arrow_backed_text_columns_agree_too():
    values = pd.Series(["A b", "a  B", None, "ＡＢ"], dtype="str")
    assert normalised_codes(values).tolist() == normalised_codes_reference(values).tolist()
