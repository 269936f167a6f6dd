"""Baseline matching, prev_* enrichment, change masks and the reconciling waterfall."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeaudit.engine.checks.amount_dropped import dropped_mask
from pipeaudit.engine.checks.stage_regressed import regressed_mask
from pipeaudit.engine.columns import Env
from pipeaudit.weekly.baseline import TERMS, add_prev_columns, compare, waterfall
from pipeaudit.weekly.match import match
from pipeaudit.deals.build import deals_from_records


def deals(*records):
    return deals_from_records(list(records))


def test_match_by_id_case_and_width_insensitive():
    cur = deals({"deal_id": "ＡＢ-1", "deal": "x"}, {"deal_id": "c-3", "deal": "y"})
    prev = deals({"deal_id": "c-3", "deal": "other"}, {"deal_id": "ab-1 ", "deal": "renamed"})
    assert match(cur.frame, prev.frame).tolist() == [1, 0]


def test_match_by_name_and_account_when_no_id():
    cur = deals(
        {"deal": "ERP  升级", "account": "华为"},
        {"deal": "ERP 升级", "account": "中兴"},  # same name, other account: a different deal
        {"deal": "New", "account": "华为"},
    )
    prev = deals({"deal": "erp 升级", "account": "中兴"}, {"deal": "ERP 升级", "account": "华为 "})
    assert match(cur.frame, prev.frame).tolist() == [1, 0, -1]


def test_id_first_then_name_and_duplicates_pair_one_to_one():
    cur = deals(
        {"deal_id": "9", "deal": "Dup", "account": "A"},
        {"deal": "Dup", "account": "A"},
        {"deal": "Dup", "account": "A"},
    )
    prev = deals({"deal_id": "9", "deal": "Dup", "account": "A"}, {"deal": "Dup", "account": "A"})
    # the id match takes prev 0; the name key pairs the first free copy with prev 1; the third is new
    assert match(cur.frame, prev.frame).tolist() == [0, 1, -1]


def test_add_prev_columns_typed_and_na_when_unmatched():
    cur = deals(
        {"deal_id": "1", "stage": "方案论证", "amount": 100, "close_date": "2026-03-01", "deal_class": "A"},
        {"deal_id": "2", "stage": "确认商机", "amount": 5, "close_date": "2026-03-01", "deal_class": "B"},
    )
    prev = deals({"deal_id": "1", "stage": "商务谈判", "amount": "12万", "close_date": "2026-02-01", "deal_class": "B"})
    pos = match(cur.frame, prev.frame)
    out = add_prev_columns(cur, prev.frame, pos).frame
    assert out.loc[0, "prev_stage"] == "商务谈判" and out.loc[0, "prev_amount"] == 120000
    assert out.loc[0, "prev_close_date"] == pd.Timestamp("2026-02-01")
    assert out.loc[0, "prev_phase"] == 4 and out.loc[0, "prev_deal_class"] == "B"
    assert pd.isna(out.loc[1, "prev_phase"]) and pd.isna(out.loc[1, "prev_close_date"]) and out.loc[1, "prev_stage"] is None
    assert str(out["prev_close_date"].dtype) == "datetime64[ns]" and str(out["prev_phase"].dtype) == "Int64"
    assert "prev_stage_rank" not in add_prev_columns(cur, prev.frame, pos, same_ladder=False).frame


def test_regressed_and_dropped_masks():
    cur = deals(
        {"deal_id": "1", "stage": "方案论证", "amount": 79},  # C, was B, cut 21%
        {"deal_id": "2", "stage": "商务谈判", "amount": 81},  # B, was C, cut 19%
        {"deal_id": "3", "stage": "赢单", "amount": None},  # won: neither
    )
    prev = deals(
        {"deal_id": "1", "stage": "商务谈判", "amount": 100},
        {"deal_id": "2", "stage": "方案论证", "amount": 100},
        {"deal_id": "3", "stage": "商务谈判", "amount": 100},
    )
    f = add_prev_columns(cur, prev.frame, match(cur.frame, prev.frame)).frame
    env = Env(f, pd.Timestamp("2026-11-23"))
    assert regressed_mask(env).tolist() == [True, False, False]
    assert dropped_mask(env, 20).tolist() == [True, False, False]
    assert dropped_mask(env, 19).tolist() == [True, True, False]


def test_an_empty_previous_week_gives_typed_missing_columns():
    # a header-only baseline used to crash the run (float() of <NA>)
    cur = deals({"deal_id": "1", "stage": "方案论证", "amount": 100, "close_date": "2026-03-01", "deal_class": "A"})
    prev = deals({"deal_id": "9", "stage": "商务谈判", "amount": 1, "close_date": "2026-02-01", "deal_class": "B"})
    empty = prev.frame.iloc[0:0]
    out = add_prev_columns(cur, empty, match(cur.frame, empty)).frame
    assert pd.isna(out.loc[0, "prev_amount"]) and out.loc[0, "prev_stage"] is None
    assert str(out["prev_close_date"].dtype) == "datetime64[ns]" and str(out["prev_phase"].dtype) == "Int64"


def test_waterfall_worked_case():
    prev = deals(
        {"deal_id": "1", "owner": "ann", "stage": "方案论证", "amount": 100},
        {"deal_id": "2", "owner": "ann", "stage": "方案论证", "amount": 50},  # -> won
        {"deal_id": "3", "owner": "bob", "stage": "方案论证", "amount": 30},  # -> lost
        {"deal_id": "4", "owner": "bob", "stage": "方案论证", "amount": 20},  # gone
        {"deal_id": "5", "owner": "bob", "stage": "方案论证", "amount": 10},  # -> ann, 15
    )
    cur = deals(
        {"deal_id": "1", "owner": "ann", "stage": "商务谈判", "amount": 80, "close_date": "2026-01-01"},
        {"deal_id": "2", "owner": "ann", "stage": "赢单", "amount": 50},
        {"deal_id": "3", "owner": "bob", "stage": "输单", "amount": 30},
        {"deal_id": "5", "owner": "ann", "stage": "方案论证", "amount": 15},
        {"deal_id": "6", "owner": "bob", "stage": "确认商机", "amount": None},  # new, NaN counts 0
        {"deal_id": "7", "owner": "bob", "stage": "确认商机", "amount": 7},
    )
    w = waterfall(cur.frame, prev.frame)
    team = w["team"]
    assert {k: team[k] for k in TERMS} == {
        "start": 210, "new": 7, "increased": 5, "decreased": 20, "won": 50, "lost": 30, "removed": 20, "end": 102,
    }
    c = team["counts"]
    assert (c["new_deals"], c["won_deals"], c["lost_deals"], c["gone_deals"], c["moved_forward"]) == (2, 1, 1, 1, 1)
    ann, bob = w["by_owner"]["ann"], w["by_owner"]["bob"]
    assert ann["transfer_in"] == 10 and bob["transfer_out"] == 10
    assert ann["start"] == 150 and ann["end"] == 95 and bob["start"] == 60 and bob["end"] == 7


def _random_week(draw, n, ids):
    stages = st.sampled_from(["确认商机", "进程确定", "方案论证", "商务谈判", "赢单", "输单", None])
    amounts = st.one_of(st.none(), st.floats(0, 1e7, allow_nan=False), st.just(float("nan")))
    return [
        {
            "deal_id": draw(st.sampled_from(ids + [None])),
            "deal": draw(st.sampled_from(["a", "b", "c", "d"])),
            "account": draw(st.sampled_from(["x", "y", None])),
            "owner": draw(st.sampled_from(["ann", "bob", "cy", None])),
            "stage": draw(stages),
            "amount": draw(amounts),
        }
        for _ in range(n)
    ]


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_waterfall_identity_on_random_weeks(data):
    ids = ["1", "2", "3", "4", "5", "6"]
    prev = deals_from_records(_random_week(data.draw, data.draw(st.integers(0, 12)), ids) or [{"deal": "z", "amount": None}])
    cur = deals_from_records(_random_week(data.draw, data.draw(st.integers(0, 12)), ids) or [{"deal": "z", "amount": None}])
    w = waterfall(cur.frame, prev.frame)
    t = w["team"]
    cents = {k: round(t[k] * 100) for k in TERMS}
    assert cents["start"] + cents["new"] + cents["increased"] - cents["decreased"] - cents["won"] - cents["lost"] - cents["removed"] == cents["end"]
    open_now = np.nan_to_num(cur.frame.loc[cur.frame["status"].eq("open"), "amount"].to_numpy(dtype=float)).sum()
    open_then = np.nan_to_num(prev.frame.loc[prev.frame["status"].eq("open"), "amount"].to_numpy(dtype=float)).sum()
    assert t["end"] == pytest.approx(open_now, abs=0.01) and t["start"] == pytest.approx(open_then, abs=0.01)
    for entry in w["by_owner"].values():
        assert entry["start"] + entry["new"] + entry["increased"] - entry["decreased"] + entry["transfer_in"] - entry[
            "transfer_out"
        ] - entry["won"] - entry["lost"] - entry["removed"] == pytest.approx(entry["end"], abs=0.001)
    assert sum(e["transfer_in"] for e in w["by_owner"].values()) == pytest.approx(
        sum(e["transfer_out"] for e in w["by_owner"].values())
    )


def test_compare_returns_enriched_deals_and_changes_object():
    cur = deals({"deal_id": "1", "owner": "ann", "stage": "方案论证", "amount": 10})
    prev = deals({"deal_id": "1", "owner": "ann", "stage": "商务谈判", "amount": 10})
    enriched, changes = compare(cur, prev, source="last.xlsx", as_of=None)
    assert "prev_stage" in enriched.frame and changes["baseline"] == {
        "source": "last.xlsx", "as_of": None, "matched": 1,
        "key": "deal_id", "previous_open": 1, "matched_open": 1, "reliable": True,
    }
    assert changes["team"]["counts"]["moved_back"] == 1 and set(changes["by_owner"]) == {"ann"}


def test_hostile_amounts_do_not_break_the_identity():
    prev = deals({"deal_id": "1", "amount": 1e308}, {"deal_id": "2", "amount": float("inf")})
    cur = deals({"deal_id": "1", "amount": -1e308}, {"deal_id": "3", "amount": 5})
    t = waterfall(cur.frame, prev.frame)["team"]
    assert t["start"] + t["new"] + t["increased"] - t["decreased"] - t["won"] - t["lost"] - t["removed"] == t["end"]
