"""One owner matcher behind every --rep, quota lookup and previous-week filter."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeaudit.deals.build import deals_from_records
from pipeaudit.owners import owner_key, owner_mask, select_rep


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Emma Schulz", "emma schulz"),
        ("Emma Schulz", "  EMMA   SCHULZ "),
        ("Ｅｍｍａ Schulz", "emma schulz"),  # full-width letters (NFKC)
        ("张伟", " 张伟\u3000"),  # ideographic space
        ("Straße", "STRASSE"),  # case-folding, not lower()
    ],
)
def test_the_same_owner(a, b):
    assert owner_key(a) == owner_key(b)


@pytest.mark.parametrize(("a", "b"), [("张伟", "张玮"), ("Emma Schulz", "Emma Schultz"), ("Ann", "Anna")])
def test_different_owners(a, b):
    assert owner_key(a) != owner_key(b)


def test_blank_and_missing_owners_match_nobody():
    assert owner_key(None) == owner_key(float("nan")) == owner_key("  ") == ""
    mask = owner_mask(pd.Series(["Ann", None, "ann ", float("nan")], dtype=object), "ANN")
    assert mask.tolist() == [True, False, True, False]


def test_select_rep_keeps_that_reps_deals_and_their_problems():
    deals = deals_from_records(
        [
            {"deal": "a", "owner": "Emma Schulz", "amount": "lots"},
            {"deal": "b", "owner": "Ken Ito", "amount": "also lots"},
        ]
    )
    assert len(deals.problems) == 2
    mine = select_rep(deals, "emma schulz")
    assert mine.frame["deal"].tolist() == ["a"]
    assert mine.problems["raw"].tolist() == ["lots"]
