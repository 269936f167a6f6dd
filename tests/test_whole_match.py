"""contains_any's `whole:` fast path (candidates found in Arrow) agrees with the plain regex on every value."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeaudit.engine.operators import _strip_punct, whole_match, whole_match_reference

WHOLE_LISTS = [
    ["跟进", "无", "tbd", "n/a", "follow-up", "-", "/", "?"],  # "-" and "/" leave "": punctuation alone matches
    ["跟进", "tbd", "a.b", "(x)", "\\E", "[", "a|b", "x" * 50],
    ["-"],
    [" "],  # only "": punctuation and spaces alone
    [],
]

VALUES = [
    "跟进", "跟进。", "——跟进——", "继续跟进", "tbd", "tbd!", "(tbd)", "tbd 2", "n/a", "n/a.", "-", "--", "/", "...",
    "? ", "_", "__x__", "_跟进_", "", " ", "\t", "…", "！！", "１２", "①", "ⅻ", "٣", "é", "-é-", "ß", "ǅ", "·",
    "\u3000跟进\u3000", "跟\u200b进", "无", "无。", "无无", "a.b", "a|b", "axb", "(x)", "[x]", "[", "\\e", "\\E", "x" * 50,
    "-x-", "follow-up", "follow up", "--follow-up--", "𠀀", "-𠀀-", "\U0001F600", "-\U0001F600-", "豈", "\x00",
]


@pytest.mark.parametrize("entries", WHOLE_LISTS)
@pytest.mark.parametrize("dtype", ["str", object])
def test_fast_and_plain_whole_match_agree_on_fixed_examples(entries, dtype):
    whole = {_strip_punct(w.strip().casefold()) for w in entries} | {w.strip().casefold() for w in entries}
    u = pd.Series(VALUES, dtype=dtype).str.strip().str.casefold()
    fast = whole_match(u, whole).to_numpy(dtype=bool)
    plain = whole_match_reference(u, whole).to_numpy(dtype=bool, na_value=False)
    assert fast.tolist() == plain.tolist()


def test_whole_match_on_no_values():
    u = pd.Series([], dtype="str")
    assert whole_match(u, {"", "tbd"}).tolist() == []


def test_whole_match_finds_an_entry_inside_stripped_edges_only():
    whole = {"跟进", "tbd", ""}
    u = pd.Series(["——跟进——", "继续跟进", "跟进客户", "(tbd)", "tbd2", "…", "a…", "_跟进_"], dtype="str")
    assert whole_match(u, whole).tolist() == [True, False, False, True, False, True, False, True]
    assert whole_match(u, set()).tolist() == [False] * len(u)
