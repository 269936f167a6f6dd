"""RawTable → Deals: dtypes, units, problems table, meta columns, language, deals_from_records."""

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeaudit.config import Config
from pipeaudit.deals.build import build_deals, deals_from_records
from pipeaudit.errors import ConfigError
from pipeaudit.model import FIELDS, META_COLUMNS, RawTable


def raw_table(headers, rows, start=4):
    cells = pd.DataFrame({i: pd.Series([r[i] for r in rows], dtype=object) for i in range(len(headers))})
    return RawTable(Path("export.xlsx"), "商机", start - 1, list(headers), cells, np.arange(start, start + len(rows)))


ZH_HEADERS = ["商机编号", "商机名称", "客户名称", "负责人", "销售阶段", "预计成交金额（万元）", "预计成交日期",
              "需求确认", "商机分级", "赢率", "备注"]
ZH_ROWS = [
    [1001.0, "ERP升级", "甲公司", "张三", "B阶段-商务谈判", 15, dt.datetime(2026, 8, 4), "是", "A类", "75%", "x"],
    ["1002", "CRM", "乙公司", "李四", "C阶段", "待定", "2026年9月1日", "maybe", "Z", 0.5, None],
    ["1003", "OA", "丙公司", "张三", "赢单", "1.2亿", 46238, None, None, None, None],
    ["1004", "BI", "丁公司", "王五", "奇怪阶段", None, "soon", "否", "b级", 150, None],
]


def test_build_types_every_field_kind():
    deals = build_deals(raw_table(ZH_HEADERS, ZH_ROWS))
    f = deals.frame
    assert f["row"].tolist() == [4, 5, 6, 7] and f["row"].dtype == np.int64
    assert f["deal_id"].tolist() == ["1001", "1002", "1003", "1004"]
    assert f["amount"].tolist()[0] == 150000.0 and np.isnan(f["amount"].iloc[1]) and f["amount"].iloc[2] == 1.2e8
    assert str(f["close_date"].dtype) == "datetime64[ns]"
    assert f["close_date"].iloc[2] == pd.Timestamp("2026-08-04")
    assert str(f["confirmed"].dtype) == "boolean" and f["confirmed"].iloc[0] == True  # noqa: E712
    assert f["deal_class"].tolist() == ["A", None, None, "B"]
    assert f["probability"].iloc[0] == 0.75
    assert f["status"].tolist() == ["open", "open", "won", "open"]
    assert f["stage_known"].tolist() == [True, True, True, False]
    assert f["phase"].tolist()[:2] == [4, 3]
    for name in set(f.columns) - set(META_COLUMNS):
        assert name in FIELDS
    assert set(META_COLUMNS) <= set(f.columns)
    assert "next_step" not in f.columns  # absent from the export → absent, not all-NA
    assert deals.units == {"amount": 1e4}
    assert deals.mapping["amount"] == "预计成交金额（万元）"
    assert deals.unmapped == ["备注"]
    assert deals.ladder == "edcba" and deals.language == "zh"
    assert deals.sheet == "商机" and deals.header_row == 3


def test_problems_table_names_every_unreadable_value():
    deals = build_deals(raw_table(ZH_HEADERS, ZH_ROWS))
    p = deals.problems
    assert list(p.columns) == ["index", "row", "field", "column", "raw"]
    got = set(zip(p["row"], p["field"], p["column"], p["raw"]))
    assert got == {
        (5, "amount", "预计成交金额（万元）", "待定"),
        (5, "confirmed", "需求确认", "maybe"),
        (5, "deal_class", "商机分级", "Z"),
        (7, "close_date", "预计成交日期", "soon"),
        (7, "probability", "赢率", "150"),
    }
    assert deals.frame.loc[p["index"], "row"].tolist() == p["row"].tolist()
    assert len(deals.frame) == 4  # nothing dropped


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=8), st.integers(-10**6, 10**6), st.floats(allow_nan=True)), min_size=1, max_size=30))
def test_problems_never_lose_a_value(cells):
    headers = ["预计成交日期", "金额", "需求确认", "赢率", "商机分级"]
    rows = [[c] * len(headers) for c in cells]
    deals = build_deals(raw_table(headers, rows, start=2))
    assert len(deals.frame) == len(cells)
    for field in ("close_date", "amount", "confirmed", "probability", "deal_class"):
        parsed = deals.frame[field].notna()
        flagged = set(deals.problems.loc[deals.problems["field"] == field, "index"])
        for i, value in enumerate(cells):
            blank = value is None or (isinstance(value, float) and np.isnan(value)) or (isinstance(value, str) and not value.strip())
            # every non-blank cell is either read or reported, never both, never neither
            assert (parsed.iloc[i] or i in flagged) == (not blank)
            assert not (parsed.iloc[i] and i in flagged)


def test_english_export_with_overrides_and_no_stage():
    headers = ["Deal Name", "Rep Name", "Amount (k)", "Closing"]
    rows = [["Alpha", "Ann", "12", "8/4/2026"]]
    deals = build_deals(raw_table(headers, rows), Config(date_order="dmy"), {"owner": "Rep Name", "close_date": "closing"})
    f = deals.frame
    assert f["owner"].tolist() == ["Ann"] and f["amount"].tolist() == [12000.0]
    assert f["close_date"].iloc[0] == pd.Timestamp("2026-04-08")
    assert deals.language == "en" and deals.ladder is None
    assert f["status"].tolist() == ["open"] and f["stage_known"].tolist() == [True]
    assert f["phase"].isna().all()


def test_maps_default_to_config_columns_and_bad_override_is_config_error():
    deals = build_deals(raw_table(["销售代表"], [["张三"]]), Config(columns={"owner": "销售代表"}))
    assert deals.frame["owner"].tolist() == ["张三"]
    with pytest.raises(ConfigError, match="销售"):
        build_deals(raw_table(["销售代表"], [["张三"]]), Config(columns={"owner": "销售"}))


def test_duplicate_field_columns_are_noted_and_unmapped():
    deals = build_deals(raw_table(["金额", "金额"], [[1, 2]]))
    assert deals.frame["amount"].tolist() == [1.0]
    assert deals.unmapped == ["金额"] and any("金额" in n for n in deals.notes)


def test_empty_table():
    deals = build_deals(raw_table(["商机名称", "阶段"], []))
    assert len(deals.frame) == 0 and list(deals.problems.columns) == ["index", "row", "field", "column", "raw"]
    assert "deal" in deals.frame.columns


def test_deals_from_records():
    deals = deals_from_records(
        [
            {"deal": "X", "amount": "15万", "close_date": "2026年8月4日", "confirmed": "是", "stage": "B阶段-商务谈判",
             "deal_class": "A类", "prev_stage": "C阶段", "close_slips": 2},
            {"商机名称": "ignored-dup", "deal": "Y", "amount": "TBD", "stage": "赢单"},
            {"deal": "Z", "stage": "weird", "prev_amount": "3万"},
        ]
    )
    f = deals.frame
    assert f["row"].tolist() == [2, 3, 4]
    assert f["deal"].tolist() == ["X", "Y", "Z"]  # the field-name key wins over its alias
    assert f["amount"].iloc[0] == 150000.0 and np.isnan(f["amount"].iloc[1])
    assert f["close_date"].iloc[0] == pd.Timestamp("2026-08-04")
    assert f["status"].tolist() == ["open", "won", "open"]
    # one EDCBA stage next to one unknown value is a single match: no ladder, no stage order
    assert deals.ladder is None and f["stage_known"].tolist() == [False, True, False]
    assert "phase" not in f.columns and deals.unknown_stages == {"B阶段-商务谈判": 1, "weird": 1}
    assert f["prev_stage"].tolist() == ["C阶段", None, None]
    assert str(f["close_slips"].dtype) == "Int64" and f["close_slips"].iloc[0] == 2
    assert f["prev_amount"].iloc[2] == 30000.0
    assert deals.problems[["row", "field", "raw"]].values.tolist() == [[3, "amount", "TBD"]]
    assert str(deals.source) == "<records>"


def test_deals_from_records_yaml_native_values():
    deals = deals_from_records([{"close_date": dt.date(2026, 8, 4), "confirmed": True, "amount": 15, "probability": 0.3}])
    f = deals.frame
    assert f["close_date"].iloc[0] == pd.Timestamp("2026-08-04") and f["confirmed"].iloc[0] == True  # noqa: E712
    assert f["amount"].iloc[0] == 15.0 and f["probability"].iloc[0] == 0.3
    assert deals.problems.empty


def test_build_speed_100k_rows():
    import time

    n = 100_000
    rng = np.random.default_rng(1)
    stages = np.array(["E确认商机", "C阶段", "B阶段-商务谈判", "赢单"], dtype=object)
    dates = np.array([f"2026-{m}-{d}" for m in range(1, 13) for d in range(1, 28)], dtype=object)
    cells = pd.DataFrame({
        0: pd.Series([f"P{i}" for i in range(n)], dtype=object),
        1: pd.Series(stages[rng.integers(0, 4, n)], dtype=object),
        2: pd.Series(rng.integers(1, 500, n).astype(str), dtype=object),
        3: pd.Series(dates[rng.integers(0, len(dates), n)], dtype=object),
        4: pd.Series(np.array(["是", "否", None], dtype=object)[rng.integers(0, 3, n)], dtype=object),
    })
    raw = RawTable(Path("big.csv"), None, 1, ["商机名称", "阶段", "金额(万元)", "预计成交日期", "需求确认"], cells, np.arange(2, n + 2))
    start = time.perf_counter()
    deals = build_deals(raw)
    assert time.perf_counter() - start < 2.0
    assert len(deals.frame) == n and deals.problems.empty
