"""Report helpers rewritten for speed (context records, questions, md cells): same results as the plain way."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from pipeaudit.engine.schema import Template
from pipeaudit.report.context import _fill, _QuestionFiller, _records


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


def test_question_filler_reuses_deal_free_questions_and_fills_the_rest_per_deal():
    rule = SimpleNamespace(
        name="r", params={"weeks": 4}, age_field="class_since",
        questions=[
            {"zh": "第一？", "en": "First?"},
            {"en": Template("Over {weeks} weeks?", ((False, "Over "), (True, "weeks"), (False, " weeks?")))},
            {"en": Template("Deal {deal}?", ((False, "Deal "), (True, "deal"), (False, "?")))},
            {"en": Template("{age_weeks} wk", ((True, "age_weeks"), (False, " wk")))},
        ],
    )
    as_of = date(2026, 11, 23)
    fill = _QuestionFiller("en", as_of)
    a = {"deal": "Alpha", "class_since": date(2026, 11, 2)}
    b = {"deal": "Beta", "class_since": None}
    assert fill(rule, "Engine's first", a) == ["Engine's first", "Over 4 weeks?", "Deal Alpha?", "3 wk"]
    assert fill(rule, None, b) == ["First?", "Over 4 weeks?", "Deal Beta?", "— wk"]
    assert fill(rule, "one\ntwo\n", a) == ["one", "two"]
    assert fill(None, "only", a) == ["only"] and fill(None, "", a) == []
    for q in rule.questions:  # the same text _fill gives, deal by deal
        assert _fill(q, "en", rule, a, as_of) in fill(rule, "", a)


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
