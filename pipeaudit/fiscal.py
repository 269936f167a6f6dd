"""Fiscal quarters: which quarter a date falls in, when the fiscal year starts in any month.

Many companies do not close their books in December (a year from April, or July, is common), and
"pushed out of this quarter" only means something against the company's own quarters. The month
comes from the config (`fiscal_year_start: 4`); January, the calendar year, is the default.

A fiscal year is named after the calendar year in which it ends: with a start in April, FY2027
runs from 2026-04-01 to 2027-03-31. Pure date arithmetic, no pandas, so anything may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Quarter:
    fiscal_year: int  # named after the calendar year in which the fiscal year ends
    number: int  # 1..4
    start: date
    end: date  # the last day of the quarter (inclusive)

    def label(self) -> str:
        return f"FY{self.fiscal_year} Q{self.number}"

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def _month_start(year: int, month: int) -> date:
    """The first day of a month counted from January of `year` (month may exceed 12)."""
    year += (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def quarter_of(day: date, start_month: int = 1) -> Quarter:
    """The fiscal quarter holding `day` when the fiscal year starts in `start_month` (1..12)."""
    if not 1 <= start_month <= 12:
        raise ValueError(f"start_month must be 1..12, not {start_month}")
    offset = (day.month - start_month) % 12  # months since the fiscal year began
    number = offset // 3 + 1
    q_start = _month_start(day.year, day.month - offset % 3)
    q_end = _month_start(q_start.year, q_start.month + 3) - timedelta(days=1)
    fy_start = _month_start(day.year, day.month - offset)
    fiscal_year = fy_start.year if start_month == 1 else fy_start.year + 1
    return Quarter(fiscal_year, number, q_start, q_end)


def year_start(day: date, start_month: int = 1) -> date:
    """The first day of the fiscal year holding `day`."""
    offset = (day.month - start_month) % 12
    return _month_start(day.year, day.month - offset)
