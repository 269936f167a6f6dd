"""Dates as a person reads them: order per column, dotted, two-digit years, zones, serials, epochs;
dates and amounts out of range are problems, not crashes."""

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeaudit.config import Config
from pipeaudit.deals.build import build_deals
from pipeaudit.deals.dates import read_dates
from pipeaudit.deals.values import parse_amounts, parse_count
from pipeaudit.model import RawTable

AS_OF = dt.date(2026, 11, 23)


def obj(values):
    return pd.Series(values, dtype=object)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-03 14:22:05.123 UTC", "2026-11-03 14:22:05.123"),  # warehouse timestamp
        ("2026-11-03T14:22:05Z", "2026-11-03 14:22:05"),
        ("2026-11-03T14:22:05.123456Z", "2026-11-03 14:22:05.123456"),
        ("2026-11-03T23:22:05+08:00", "2026-11-03 23:22:05"),  # the zone is dropped, the wall time kept
        ("2026-11-03 14:22:05-0500", "2026-11-03 14:22:05"),
        ("2026-11-03 14:22:05+00", "2026-11-03 14:22:05"),
        ("2026.11.03", "2026-11-03"),
        ("03.11.2026", "2026-11-03"),  # dotted: day first
        ("3-Nov-26", "2026-11-03"),
        ("Nov 3, 26", "2026-11-03"),
        (46329, "2026-11-03"),  # Excel serial
        (1793664000000, "2026-11-03"),  # epoch milliseconds (HubSpot API)
        (1793664000, "2026-11-03"),  # epoch seconds
        ("20261103", "2026-11-03"),
    ],
)
def test_date_formats(text, expected):
    values, bad, _ = read_dates(obj([text]), as_of=AS_OF)
    assert not bad.iloc[0] and values.iloc[0] == pd.Timestamp(expected)


@pytest.mark.parametrize(
    "values, order, evidence, settled",
    [
        (["13/04/2026", "4/8/2026"], "dmy", "13/04/2026", True),  # a first part over 12 settles it
        (["4/13/2026", "4/8/2026"], "mdy", "4/13/2026", True),
        (["04.08.2026", "05.09.2026"], "dmy", "04.08.2026", True),
        (["4/8/2026", "5/9/2026"], "mdy", "", False),  # nothing says: month first, and it says so
        (["13/4/2026", "4/13/2026"], "mdy", "13/4/2026 / 4/13/2026", False),  # values disagree
        (["2026-04-08"], "ymd", "", True),  # nothing to decide
        # one column, two habits: slashes day-first, dashes month-first; each read its own way
        (["27/01/2024", "04-26-2023", "4/5/2024"], "mixed", "27/01/2024 (dmy) · 04-26-2023 (mdy)", True),
    ],
)
def test_order_per_column(values, order, evidence, settled):
    _, _, reading = read_dates(obj(values), as_of=AS_OF)
    assert (reading.order, reading.evidence, reading.settled) == (order, evidence, settled)


def test_first_part_over_12_reads_the_whole_column_day_first():
    values, bad, _ = read_dates(obj(["13/04/2026", "4/8/2026", "1/2/26"]), as_of=AS_OF)
    assert values.tolist() == [pd.Timestamp("2026-04-13"), pd.Timestamp("2026-08-04"), pd.Timestamp("2026-02-01")]
    assert not bad.any()


def test_config_date_order_wins():
    values, _, reading = read_dates(obj(["4/8/2026"]), "dmy", as_of=AS_OF)
    assert values.iloc[0] == pd.Timestamp("2026-08-04") and reading.how == "config"


@pytest.mark.parametrize(
    "text, as_of, year",
    [("8/4/26", AS_OF, 2026), ("12/31/99", AS_OF, 1999), ("1/1/70", AS_OF, 2070), ("1/1/77", AS_OF, 1977),
     ("1/1/05", dt.date(2098, 1, 1), 2105), ("1/1/98", dt.date(2001, 1, 1), 1998)],
)
def test_two_digit_years_go_to_the_nearest_century(text, as_of, year):
    values, bad, _ = read_dates(obj([text]), as_of=as_of)
    assert not bad.iloc[0] and values.iloc[0].year == year


@pytest.mark.parametrize("value", ["9999-12-31", dt.datetime(9999, 12, 31), "12/31/9999", dt.date(9999, 1, 1)])
def test_year_9999_is_no_date(value):
    values, bad, reading = read_dates(obj([value, "2026-01-01"]), as_of=AS_OF)
    assert pd.isna(values.iloc[0]) and not bad.iloc[0] and reading.no_date == 1


@pytest.mark.parametrize("value", ["0001-01-01", dt.date(1, 1, 1), "2500-01-01", dt.datetime(2500, 6, 1), "1677-01-01",
                                   "2262-05-01 10:00", "1850-03-04"])
def test_dates_out_of_range_are_problems_not_crashes(value):
    values, bad, _ = read_dates(obj([value]), as_of=AS_OF)
    assert pd.isna(values.iloc[0]) and bad.iloc[0]


@pytest.mark.parametrize("value", ["99999999999999999999999", 10**30, -(10**25), "1e400", float("inf"), "9.3e18"])
def test_amounts_past_int64_are_problems(value):
    values, bad = parse_amounts(obj([value]))
    assert np.isnan(values.iloc[0]) and bad.iloc[0]
    values, bad = parse_amounts(pd.Series([1e30, 5.0]))  # a numeric column too
    assert bad.tolist() == [True, False] and values.iloc[1] == 5.0


@pytest.mark.parametrize("value, count, bad", [("3", 3, False), (2.0, 2, False), ("-1", None, True), ("1.5", None, True),
                                               (10**30, None, True), ("", None, False)])
def test_counts(value, count, bad):
    values, bads = parse_count(obj([value]))
    assert (None if pd.isna(values.iloc[0]) else int(values.iloc[0])) == count and bool(bads.iloc[0]) == bad


def raw(headers, rows):
    cells = pd.DataFrame({i: pd.Series([r[i] for r in rows], dtype=object) for i in range(len(headers))})
    return RawTable(Path("x.csv"), None, 1, list(headers), cells, np.arange(2, 2 + len(rows)))


def test_an_unsettled_column_follows_the_exports_settled_one_and_says_so():
    deals = build_deals(raw(["Deal", "Close Date", "Created"], [["a", "25/12/2026", "4/8/2026"], ["b", "1/2/2027", "5/9/2026"]]),
                        as_of=AS_OF)
    assert deals.dates["close_date"].order == "dmy" and deals.dates["close_date"].settled
    created = deals.dates["created"]
    assert (created.order, created.how, created.settled) == ("dmy", "export", False)
    assert deals.frame["created"].iloc[0] == pd.Timestamp("2026-08-04")
    assert any("'Created'" in n and "not settled" in n for n in deals.notes)


def test_build_reports_out_of_range_values_and_no_date_placeholders():
    rows = [["a", "9999-12-31", "1e30"], ["b", "0001-01-01", "5"], ["c", "2026-12-01", "7"]]
    deals = build_deals(raw(["Deal", "Close Date", "Amount"], rows), Config(), as_of=AS_OF)
    p = deals.problems
    assert p[["row", "field", "raw"]].values.tolist() == [[2, "amount", "1e30"], [3, "close_date", "0001-01-01"]]
    assert deals.dates["close_date"].no_date == 1
    assert any("9999" in n for n in deals.notes)
