"""Text output: grouped by rep then deal, questions indented, notes and the closing summary line."""

from __future__ import annotations

import io

from pipeaudit.formats import render
from test_formats_fixtures import make_findings, make_result


def _text(lang="en", color=False, result=None) -> str:
    buf = io.StringIO()
    render(result or make_result(lang), "text", buf, color=color)
    return buf.getvalue()


def test_grouped_by_rep_then_deal_with_questions():
    lines = _text().splitlines()
    assert lines[0] == "张三 — 2 deals (2 open), 2 errors, 1 warning, 0 info"
    assert lines[1] == "  Acme ERP [D-001] · row 5 · B商务谈判"
    assert lines[2] == "    row 5  error  missing-decision-maker  No decision-maker named"
    assert lines[3] == "        ? Can this person sign?"
    assert lines[4] == "        ? Who else decides?"
    li = lines.index("李四 — 2 deals (1 open), 0 errors, 1 warning, 1 info")
    # the rep-level finding sits directly under the rep heading, before any deal
    assert lines[li + 1] == "  rep  warning  funnel-short  Funnel short: 2 demos of 6"
    assert lines[li + 2] == "      ? Where will the next demos come from?"
    assert lines[li + 3] == "  Gamma [D-004] · row 8 · D进程确定"
    assert "(no owner) — 1 deal (1 open), 1 error, 0 warnings, 0 info" in lines
    assert lines.index("(no owner) — 1 deal (1 open), 1 error, 0 warnings, 0 info") > li


def test_notes_and_summary_line():
    text = _text()
    assert "Notes:\n  - skipped a-deal-overdue: the export has no class_since column (--history can derive it)\n" in text
    assert "  - suppression for D-009/no-insider expired on 2026-11-01\n" in text
    assert text.endswith("\n3 errors, 2 warnings, 1 info in 6 deals (4 open) — 1 muted\n")


def test_chinese_run_uses_chinese_fixed_words():
    text = _text("zh")
    assert "    第 5 行  错误  missing-decision-maker  No decision-maker named\n        问：Can this person sign?" in text
    assert "（无负责人） — 1 个商机（1 个进行中），1 个错误，0 个警告，0 条提示" in text
    assert "已跳过 a-deal-overdue：导出文件没有 分级日期（class_since） 列" in text
    assert text.endswith("3 个错误，2 个警告，1 条提示，共 6 个商机（4 个进行中） — 1 条已屏蔽\n")


def test_colour_only_when_asked():
    assert "\x1b[" not in _text(color=False)
    coloured = _text(color=True)
    assert "\x1b[1;31merror\x1b[0m" in coloured


def test_control_characters_from_data_cannot_reach_the_terminal():
    findings = make_findings()
    findings.loc[0, "deal"] = "Evil\x1b[2J\x07 deal"
    findings.loc[0, "message"] = "line one\nline two\x1b]0;title"
    text = _text(result=make_result(findings=findings))
    assert "\x1b" not in text and "\x07" not in text
    assert "  Evil\\x1b[2J\\x07 deal [D-001] · row 5" in text  # shown, not obeyed
    assert "missing-decision-maker  line one line two\\x1b]0;title\n" in text


def test_no_findings_still_prints_the_summary():
    import pandas as pd

    from pipeaudit.model import FINDING_COLUMNS

    text = _text(result=make_result(findings=pd.DataFrame(columns=list(FINDING_COLUMNS))))
    assert text.startswith("No findings.\n")
    assert text.endswith("0 errors, 0 warnings, 0 info in 6 deals (4 open) — 1 muted\n")


def test_rep_blocks_stay_separated_across_flushes(monkeypatch):
    import pipeaudit.formats.text as text_format

    monkeypatch.setattr(text_format, "_FLUSH_EVERY", 2)
    findings = make_findings()
    findings.loc[5, "message"] = None
    text = _text(result=make_result(findings=findings))
    assert "\n\n李四 — " in text and "\n\n(no owner) — " in text
    assert "missing-decision-maker  \n" in text and "None" not in text


def test_a_finding_about_the_whole_export_has_its_own_heading():
    import pandas as pd

    from test_formats_fixtures import finding

    findings = make_findings()
    whole = finding("history-too-short", "info", None, None, None, None, None, "One week stored", "Run weekly", None)
    findings = pd.concat([findings, pd.DataFrame([whole])], ignore_index=True)
    for lang, heading, label in (("en", "Whole export", "export"), ("zh", "整个导出文件", "全局")):
        lines = _text(lang, result=make_result(lang, findings=findings)).splitlines()
        at = lines.index(heading)
        assert lines[at + 1].split()[:3] == [label, "info" if lang == "en" else "提示", "history-too-short"]
