"""Value normalisers: dates, amounts, flags, probability, deal class, text. Property tests render a
value in a style an export would use and check it parses back."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeaudit.deals.values import (
    clean_text,
    parse_amounts,
    parse_bools,
    parse_dates,
    parse_deal_class,
    parse_probability,
)


def obj(values):
    return pd.Series(values, dtype=object)


# ---------------------------------------------------------------------------- dates

DATE_STYLES = {
    "iso": lambda d: d.isoformat(),
    "iso_time": lambda d: f"{d.isoformat()} 09:30",
    "iso_t": lambda d: f"{d.isoformat()}T09:30:00",
    "slash": lambda d: f"{d.year}/{d.month}/{d.day}",
    "dot": lambda d: f"{d.year}.{d.month}.{d.day}",
    "cjk": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "mdy": lambda d: f"{d.month}/{d.day}/{d.year}",
    "mdy_pad": lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}",
    "dmon": lambda d: d.strftime("%d-%b-%Y"),
    "mon_d": lambda d: d.strftime("%b ") + f"{d.day}, {d.year}",
    "month_d": lambda d: d.strftime("%B ") + f"{d.day}, {d.year}",
    "date_obj": lambda d: d,
    "datetime_obj": lambda d: dt.datetime(d.year, d.month, d.day, 14, 5),
    "serial": lambda d: (d - dt.date(1899, 12, 30)).days,
    "serial_float": lambda d: (d - dt.date(1899, 12, 30)).days + 0.25,
    "serial_text": lambda d: str((d - dt.date(1899, 12, 30)).days),
    "fullwidth": lambda d: f"{d.year}年{d.month}月{d.day}日".translate(str.maketrans("0123456789", "０１２３４５６７８９")),
}


@settings(max_examples=150, deadline=None)
@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2150, 12, 31)), st.sampled_from(sorted(DATE_STYLES)))
def test_dates_round_trip(day, style):
    values, bad = parse_dates(obj([DATE_STYLES[style](day), None]))
    assert values.iloc[0].date() == day
    assert not bad.any()
    assert pd.isna(values.iloc[1])


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2150, 12, 31)))
def test_dmy_order_flips_year_last_slash_dates(day):
    text = f"{day.day}/{day.month}/{day.year}"
    values, bad = parse_dates(obj([text]), date_order="dmy")
    assert values.iloc[0].date() == day and not bad.any()


def test_mdy_default_and_impossible_day():
    values, bad = parse_dates(obj(["8/4/2026", "13/25/2026", "4/13/2026"]))
    assert values.iloc[0] == pd.Timestamp("2026-08-04")
    assert bad.tolist() == [False, True, False]
    values, bad = parse_dates(obj(["4/13/2026"]), date_order="dmy")
    assert bad.tolist() == [True]


def test_dates_keep_time_and_dtype():
    values, _ = parse_dates(obj(["2026-08-04 10:30", 46238.5]))
    assert str(values.dtype) == "datetime64[ns]"
    assert values.iloc[0] == pd.Timestamp("2026-08-04 10:30")
    assert values.iloc[1] == pd.Timestamp("2026-08-04 12:00")


@pytest.mark.parametrize("text", ["TBD", "待定", "2026-13-01", "2026-02-30", "next week", "0", "2026", "9999999", "12:30", True])
def test_unreadable_dates_are_bad(text):
    values, bad = parse_dates(obj([text]))
    assert pd.isna(values.iloc[0]) and bad.iloc[0]


@pytest.mark.parametrize("blank", [None, "", "   ", float("nan"), "　"])
def test_blank_dates_are_not_bad(blank):
    values, bad = parse_dates(obj([blank]))
    assert pd.isna(values.iloc[0]) and not bad.iloc[0]


def test_date_dtype_columns_and_timezones():
    s = pd.Series(pd.to_datetime(["2026-08-04", None]))
    values, bad = parse_dates(s)
    assert values.iloc[0] == pd.Timestamp("2026-08-04") and not bad.any()
    aware = obj([dt.datetime(2026, 8, 4, 9, tzinfo=dt.timezone.utc), dt.date(2026, 8, 5)])
    values, bad = parse_dates(aware)
    assert values.tolist() == [pd.Timestamp("2026-08-04 09:00"), pd.Timestamp("2026-08-05")]


def test_date_order_is_validated():
    with pytest.raises(ValueError):
        parse_dates(obj(["1/2/2026"]), date_order="ymd")


# ---------------------------------------------------------------------------- amounts

AMOUNT_STYLES = {
    "plain": (lambda x: f"{x:.2f}", 1),
    "thousands": (lambda x: f"{x:,.2f}", 1),
    "yen_prefix": (lambda x: f"¥{x:,.2f}", 1),
    "fullwidth_yen": (lambda x: f"￥{x:,.2f}", 1),
    "dollar": (lambda x: f"${x:,.2f}", 1),
    "euro": (lambda x: f"€{x:.2f}", 1),
    "usd_suffix": (lambda x: f"{x:,.2f} USD", 1),
    "cny_prefix": (lambda x: f"CNY {x:.2f}", 1),
    "rmb": (lambda x: f"RMB{x:.2f}", 1),
    "yuan": (lambda x: f"{x:.2f}元", 1),
    "wan": (lambda x: f"{x:.2f}万", 1e4),
    "wan_yuan": (lambda x: f"{x:.2f}万元", 1e4),
    "yi": (lambda x: f"{x:.2f}亿", 1e8),
    "k": (lambda x: f"{x:.2f}k", 1e3),
    "K": (lambda x: f"{x:.2f}K", 1e3),
    "M": (lambda x: f"{x:.2f}M", 1e6),
    "m": (lambda x: f"{x:.2f}m", 1e6),
    "number": (lambda x: x, 1),
}


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False).map(float),
    st.sampled_from(sorted(AMOUNT_STYLES)),
    st.booleans(),
)
def test_amounts_round_trip(x, style, negative):
    render, scale = AMOUNT_STYLES[style]
    text = render(x)
    if negative and isinstance(text, str):
        text, x = (f"({text})" if style == "thousands" else f"-{text}"), -x
    elif negative:
        text, x = -text, -x
    values, bad = parse_amounts(obj([text]))
    assert not bad.iloc[0], text
    assert math.isclose(values.iloc[0], x * scale, rel_tol=1e-9, abs_tol=1e-6), text


@pytest.mark.parametrize(
    "text, mult, expected",
    [
        ("15", 1e4, 150000.0),
        (15, 1e4, 150000.0),
        ("15万", 1e4, 150000.0),  # the cell's own unit wins over the header's
        ("12元", 1e4, 12.0),
        ("¥15", 1e4, 150000.0),  # a currency mark alone is not a unit
        ("1.5", 1e3, 1500.0),
        ("(1,000)", 1.0, -1000.0),
        ("-5,000", 1.0, -5000.0),
        ("-¥5,000", 1.0, -5000.0),
        ("1,200,000.00", 1.0, 1_200_000.0),
        ("１５万", 1.0, 150000.0),
        ("1.2亿", 1.0, 1.2e8),
        ("2.5K", 1.0, 2500.0),
    ],
)
def test_amount_cases(text, mult, expected):
    values, bad = parse_amounts(obj([text]), mult)
    assert values.iloc[0] == pytest.approx(expected) and not bad.iloc[0]


@pytest.mark.parametrize("text", ["待定", "TBD", "1.2.3", "15万万", "abc", "¥", "--5", True, "inf"])
def test_unreadable_amounts_are_bad(text):
    values, bad = parse_amounts(obj([text]))
    assert np.isnan(values.iloc[0]) and bad.iloc[0]


def test_numeric_dtype_column_takes_header_multiplier():
    values, bad = parse_amounts(pd.Series([1.5, np.nan]), 1e4)
    assert values.iloc[0] == 15000.0 and np.isnan(values.iloc[1]) and not bad.any()


# ---------------------------------------------------------------------------- booleans

TRUE_WORDS = ["是", "有", "已确认", "确认", "Y", "y", "yes", "YES", "true", "True", "√", "✓", "1", 1, 1.0, True, "已"]
FALSE_WORDS = ["否", "无", "未确认", "N", "n", "no", "false", "FALSE", "×", "✗", "0", 0, False, "未"]


def test_bools():
    values, bad = parse_bools(obj(TRUE_WORDS + FALSE_WORDS + [None, ""]))
    assert values.tolist()[: len(TRUE_WORDS)] == [True] * len(TRUE_WORDS)
    assert values.tolist()[len(TRUE_WORDS) : -2] == [False] * len(FALSE_WORDS)
    assert values.isna().tolist()[-2:] == [True, True]
    assert not bad.any()
    assert str(values.dtype) == "boolean"


@pytest.mark.parametrize("text", ["maybe", "待定", 2, "yes please"])
def test_unreadable_bools_are_bad(text):
    values, bad = parse_bools(obj([text]))
    assert pd.isna(values.iloc[0]) and bad.iloc[0]


# ---------------------------------------------------------------------------- probability


@pytest.mark.parametrize(
    "raw, expected",
    [(75, 0.75), ("75", 0.75), ("75%", 0.75), ("７５％", 0.75), (0.75, 0.75), ("0.75", 0.75), (1, 1.0),
     ("1%", 0.01), (100, 1.0), ("100%", 1.0), (0, 0.0), ("0.5%", 0.005)],
)
def test_probability(raw, expected):
    values, bad = parse_probability(obj([raw]))
    assert values.iloc[0] == pytest.approx(expected) and not bad.iloc[0]


@pytest.mark.parametrize("raw", [150, "-3", "abc", "101%", "high"])
def test_probability_out_of_range_is_bad(raw):
    values, bad = parse_probability(obj([raw]))
    assert np.isnan(values.iloc[0]) and bad.iloc[0]


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=2, max_value=100), st.booleans())
def test_probability_percent_round_trip(pct, sign):
    values, bad = parse_probability(obj([f"{pct}%" if sign else pct]))
    assert values.iloc[0] == pytest.approx(pct / 100) and not bad.iloc[0]


# ---------------------------------------------------------------------------- classes and text


@pytest.mark.parametrize(
    "raw, expected",
    [("A", "A"), ("a", "A"), ("A类", "A"), ("a级", "A"), ("Class A", "A"), ("A-class", "A"), ("ｂ类", "B"),
     ("c", "C"), ("D", "D"), ("x", "X"), (" X级 ", "X")],
)
def test_deal_class(raw, expected):
    values, bad = parse_deal_class(obj([raw]))
    assert values.iloc[0] == expected and not bad.iloc[0]


@pytest.mark.parametrize("raw", ["E", "AB", "A阶段", "hot", 1])
def test_unknown_deal_class_is_bad(raw):
    values, bad = parse_deal_class(obj([raw]))
    assert values.iloc[0] is None and bad.iloc[0]


def test_clean_text():
    values = clean_text(obj([" a ", 1001.0, 12.5, None, "", "  ", dt.date(2026, 1, 2), dt.datetime(2026, 1, 2, 3, 4)]))
    assert values.tolist() == ["a", "1001", "12.5", None, None, None, "2026-01-02", "2026-01-02 03:04:00"]
    assert values.dtype == object
    arrow = clean_text(pd.Series([" x", None, ""], dtype="str"))
    assert arrow.tolist() == ["x", None, None]


def test_parsers_keep_the_index():
    s = pd.Series(["2026-01-01", "x"], index=[10, 20], dtype=object)
    for fn in (parse_dates, parse_amounts, parse_bools, parse_probability, parse_deal_class):
        values, bad = fn(s)
        assert list(values.index) == [10, 20] and list(bad.index) == [10, 20]


MIXED_TEXT = ["2026-08-04", "2026-02-30", "2026年8月4日", "8/4/2026", "15万", "1,200", "75%", "0.75", "是", "√", "A类",
              "", " ", "TBD", "１５万", "2026-08-04 10:30", "46238", "(1,000)", "-5", "Class B"]


@pytest.mark.parametrize("fn", [parse_dates, parse_amounts, parse_bools, parse_probability, parse_deal_class, clean_text])
def test_arrow_str_columns_parse_like_object_columns(fn):
    """The CSV reader hands over pandas' str dtype; results must not depend on the dtype."""
    obj_in = pd.Series(MIXED_TEXT + [None], dtype=object)
    str_in = pd.Series(MIXED_TEXT + [None], dtype="str")
    a, b = fn(obj_in), fn(str_in)
    if isinstance(a, tuple):
        pd.testing.assert_series_equal(a[0], b[0])
        pd.testing.assert_series_equal(a[1], b[1])
    else:
        pd.testing.assert_series_equal(a, b)


def test_clean_text_of_a_mostly_distinct_column_matches_the_distinct_value_way():
    from pipeaudit.deals.values import clean_text

    cells = [f" id-{i} " if i % 7 else None for i in range(10_000)]
    cells[3], cells[5], cells[8], cells[9] = "", "   ", float("nan"), "\u3000全角\u3000"
    mostly_distinct = clean_text(pd.Series(cells, dtype=object))
    small = pd.concat([clean_text(pd.Series(cells[i:i + 100], dtype=object)) for i in range(0, len(cells), 100)])
    assert mostly_distinct.tolist() == small.tolist()
    assert mostly_distinct[1] == "id-1" and mostly_distinct[3] is None and mostly_distinct[9] == "全角"
    mixed = cells + [1001.0]  # not all text: every value the way of the distinct values
    assert clean_text(pd.Series(mixed, dtype=object)).tolist()[-1] == "1001"
