"""Hand-built AuditResults for the check/format contract tests (shared by test_check_* and test_formats_*)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from pipeaudit.model import FINDING_COLUMNS, Deals, SkippedRule
from pipeaudit.result import AuditResult
from factories import rule_with_questions


RULES = ["missing-decision-maker", "no-insider", "price-before-confirmation", "no-next-step", "funnel-short"]


def make_deals(source: str = "exports/crm,Q4:zh.xlsx") -> Deals:
    frame = pd.DataFrame(
        {
            "deal_id": ["D-001", "D-002", "D-003", "D-004", "D-005", "D-006"],
            "deal": ["Acme ERP", '=HYPERLINK("http://x","y")', "Beta CRM", "Gamma", "Delta", "Epsilon"],
            "owner": ["张三", "张三", "李四", "李四", None, "王五"],
            "stage": ["B商务谈判", "C方案论证", "赢单", "D进程确定", "E确认商机", "输单"],
            # 万元 in the export header, already multiplied out by the Deals builder
            "amount": [150000.0, 80000.5, 500000.0, np.nan, 20000.0, 1000.0],
            "row": np.array([5, 6, 7, 8, 9, 10], dtype="int64"),
            "status": ["open", "open", "won", "open", "open", "lost"],
            "phase": pd.array([4, 3, None, 2, 1, None], dtype="Int64"),
        }
    )
    problems = pd.DataFrame(columns=["index", "row", "field", "column", "raw"])
    return Deals(frame=frame, problems=problems, source=Path(source), sheet="商机", ladder="edcba",
                 notes=["skipped total row 12"])


def finding(rule, severity, row, deal_id, deal, owner, stage, message, question, deal_index):
    return dict(zip(FINDING_COLUMNS, (rule, severity, row, deal_id, deal, owner, stage, message, question, deal_index)))


def make_findings() -> pd.DataFrame:
    rows = [
        finding("missing-decision-maker", "error", 5, "D-001", "Acme ERP", "张三", "B商务谈判",
                "No decision-maker named", "Can this person sign?\nWho else decides?", 0),
        finding("no-insider", "error", 5, "D-001", "Acme ERP", "张三", "B商务谈判",
                "No insider, 100% exposed: here", "Who helps you inside?", 0),
        finding("price-before-confirmation", "warning", 6, "D-002", '=HYPERLINK("http://x","y")', "张三",
                "C方案论证", "-quoted before confirmation\r\nsee %TEMP%", "+Who confirmed?", 1),
        finding("no-next-step", "info", 8, "D-004", "Gamma", "李四", "D进程确定",
                "@No next step", "What happens next week?", 3),
        finding("funnel-short", "warning", None, None, None, "李四", None,
                "Funnel short: 2 demos of 6", "Where will the next demos come from?", None),
        finding("missing-decision-maker", "error", 9, "D-005", "Delta", None, "E确认商机",
                "No decision-maker named", "Can this person sign?", 4),
    ]
    frame = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    frame["row"] = frame["row"].astype("Int64")
    frame["deal_index"] = frame["deal_index"].astype("Int64")
    return frame


def make_result(lang: str = "en", findings: pd.DataFrame | None = None, **kw) -> AuditResult:
    muted = pd.DataFrame(
        [{**finding("a-deal-overdue", "error", 5, "D-001", "Acme ERP", "张三", "B商务谈判", "m", "q", 0),
          "reason": "signed next week"}]
    )
    return AuditResult(
        deals=kw.pop("deals", None) or make_deals(),
        findings=make_findings() if findings is None else findings,
        muted=kw.pop("muted", muted),
        as_of=date(2026, 11, 23),
        lang=lang,
        rules=[rule_with_questions(n, "warning", [("问？", "Why?")]) for n in RULES],
        skipped=[SkippedRule("a-deal-overdue", ["class_since"])],
        notes=["suppression for D-009/no-insider expired on 2026-11-01"],
        **kw,
    )


def big_findings(n: int) -> pd.DataFrame:
    """n findings over 200 owners, for the speed checks."""
    i = np.arange(n)
    frame = pd.DataFrame(
        {
            "rule": np.array(RULES[:4])[i % 4],
            "severity": np.array(["error", "warning", "info"])[i % 3],
            "row": pd.array(i + 2, dtype="Int64"),
            "deal_id": pd.Series(i).map("D{:07d}".format),
            "deal": pd.Series(i).map("项目 {}".format),
            "owner": pd.Series(i % 200).map("销售{:03d}".format),
            "stage": np.array(["E确认商机", "D进程确定", "C方案论证"])[i % 3],
            "message": "没有决策人 / no decision-maker",
            "question": "这个人能签字吗？",
            "deal_index": pd.array(i, dtype="Int64"),
        }
    )
    return frame


def test_fixture_matches_the_finding_contract():
    result = make_result()
    assert tuple(result.findings.columns) == FINDING_COLUMNS
    assert result.deals.frame["amount"].dtype == "float64"
