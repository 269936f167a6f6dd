"""Report helpers rewritten for speed (context records, questions, md cells): same results as the plain way."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from pipeaudit.report.context import _records


def _records_via_to_dict(df):
    df = df.copy()
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            df[col] = s.dt.date.astype(object).where(s.notna(), None)
        else:
            df[col] = s.astype(object).where(s.notna(), None)
    return df.to_dict("records")


def test_records_match_to_dict_value_for_value_and_type_for_type():
    df = pd.DataFrame({
        "f": [1.5, np.nan, 3.0],
        "i": [1, 2, 3],
        "I": pd.array([1, None, 3], dtype="Int64"),
        "b": [True, False, True],
        "s": pd.array(["a", None, "c"], dtype="str"),
        "o": pd.Series([np.float64(2.5), "x", np.int64(7)], dtype=object),
        "d": pd.to_datetime(["2026-12-01", None, "2026-01-02"]),
        "n": pd.Series([None, pd.NA, "y"], dtype=object),
    })
    df.index = [10, 5, 7]
    got, want = _records(df), _records_via_to_dict(df)
    assert got == want
    for g, w in zip(got, want):
        assert [type(v) for v in g.values()] == [type(v) for v in w.values()]
    assert got[0]["d"] == date(2026, 12, 1) and got[1]["d"] is None and type(got[0]["o"]) is float


def _md_cell_reference(value):
    """md_cell as it was before its fast path: every pass, always."""
    import re

    from pipeaudit.report.environment import _MD_LEAD, text

    s = text(value)
    s = s.replace("\\", "\\\\").replace("|", "\\|")
    s = re.sub(r"[\r\n]+", " ", s)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = s.replace("`", "\\`").replace("*", "\\*").replace("_", "\\_").replace("[", "\\[").replace("]", "\\]")
    if _MD_LEAD.match(s):
        s = "\\" + s
    return s.strip() or "—"


@given(st.one_of(st.text(), st.text(alphabet="\\|\r\n&<>`*_[]#=+-~ 1.)a中"), st.none(), st.floats(), st.integers()))
def test_md_cell_fast_path_changes_nothing(value):
    from pipeaudit.report.environment import md_cell

    assert md_cell(value) == _md_cell_reference(value)
