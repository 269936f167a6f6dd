"""A1 cell references (column letters, then the row) as calamine reads them.

Shared by the <dimension> check, the fast and the exact xlsx scans, and the pattern builder.
"""

from __future__ import annotations

import re


def col_number(letters: bytes) -> int:
    """The 1-based column number of upper-case letters: A is 1, Z 26, AA 27."""
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def col_letters(n: int) -> bytes:
    """The letters of the 1-based column n: the inverse of col_number."""
    out = bytearray()
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out.insert(0, 65 + rem)
    return bytes(out)


def calamine_ref(value: bytes) -> tuple[int, int | None] | None:
    """(row, column or None), 1-based, as calamine reads an r value; None where calamine fails.

    Letters then digits, either case; nothing else. Unlike calamine (u32 arithmetic) huge values
    are kept whole, so they are refused rather than wrapped.
    """
    m = re.fullmatch(rb"([A-Za-z]*)([0-9]+)", value)
    if not m:
        return None
    row = int(m.group(2))
    if row == 0:
        return None
    col = col_number(m.group(1).upper())
    return row, (col or None)
