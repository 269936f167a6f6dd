"""`pipeaudit columns FILE` end to end, through the real reader."""

import re

import pytest
from wcwidth import wcswidth
from typer.testing import CliRunner

from pipeaudit.cli import app

runner = CliRunner()

ZH_CSV = (
    "2026年销售机会导出\n"
    "商机名称,客户名称,负责人,销售阶段,预计成交金额（万元）,预计成交日期,需求确认,备注\n"
    "ERP,甲,张三,B阶段-商务谈判,15,2026/8/4,是,x\n"
    "CRM,乙,李四,C阶段,待定,soon,maybe,\x1b[31mred\n"
    "OA,丙,张三,奇怪阶段,3,2026-09-01,否,\n"
    "合计,,,,18,,,\n"
)


@pytest.fixture
def zh_csv(tmp_path):
    path = tmp_path / "商机.csv"
    path.write_text(ZH_CSV, encoding="utf-8")
    return path


def test_columns_report(zh_csv):
    result = runner.invoke(app, ["columns", str(zh_csv)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "表头行 Header row: 2" in out
    assert "预计成交金额（万元）" in out and "×10,000" in out
    assert "Unmapped headers: 备注" in out
    assert "Fields not supplied: deal_id" in out and "decision_maker" in out
    assert "Stage ladder: edcba" in out and "E确认商机 → D进程确定" in out
    assert "Unknown stage values (1): 奇怪阶段" in out
    assert "Total rows skipped  1 (行 rows 6)" in out
    assert "Unreadable values   3" in out and "待定" in out and "soon" in out and "maybe" in out
    assert "\x1b" not in out  # nothing from the data can drive the terminal


def test_columns_with_map_and_config(tmp_path, zh_csv, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pipeaudit.yaml").write_text("columns:\n  next_step: 备注\n", encoding="utf-8")
    result = runner.invoke(app, ["columns", str(zh_csv), "--map", "deal_id=客户名称"])
    assert result.exit_code == 0, result.output
    assert "next_step" in result.output.split("Unmapped")[0]
    assert "Unmapped headers: -" in result.output
    # --map wins over the config for the same field
    result = runner.invoke(app, ["columns", str(zh_csv), "--map", "next_step=负责人"])
    assert result.exit_code == 0
    table = result.output.split("Unmapped")[0]
    assert "负责人" in table and "next_step" in table
    assert "Unmapped headers: 备注" in result.output


def test_columns_bad_map_exits_2_with_one_line(zh_csv):
    result = runner.invoke(app, ["columns", str(zh_csv), "--map", "owner=销售"])
    assert result.exit_code == 2
    assert "销售" in result.output and "did you mean '销售阶段'" in result.output
    assert "Traceback" not in result.output


def test_columns_english_export(tmp_path):
    path = tmp_path / "sf.csv"
    path.write_text(
        "Opportunity Name,Account Name,Opportunity Owner,Stage,Amount,Close Date,Created By\n"
        'Alpha,Acme,Ann,Prospecting,"$1,200",8/4/2026,Bob\n'
        "Beta,Beta Co,Bo,Closed Won,5k,9/1/2026,Bob\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["columns", str(path)])
    assert result.exit_code == 0, result.output
    assert "Stage ladder: salesforce" in result.output
    assert "Unmapped headers: Created By" in result.output
    assert "Open/won/lost: 1/1/0" in result.output
    assert "Unreadable values   0" in result.output


def test_columns_missing_file_exits_2(tmp_path):
    result = runner.invoke(app, ["columns", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2


def test_render_without_the_reader():
    from pathlib import Path

    import numpy as np
    import pandas as pd

    from pipeaudit.commands.columns import render
    from pipeaudit.deals.build import build_deals
    from pipeaudit.model import RawTable

    cells = pd.DataFrame({0: pd.Series(["A", "B"], dtype=object), 1: pd.Series(["信息", "签约"], dtype=object),
                          2: pd.Series(["1.5", "x"], dtype=object), 3: pd.Series(["\x1b]0;evil\x07", None], dtype=object)})
    raw = RawTable(Path("w.xlsx"), "商机", 3, ["项目名称", "阶段", "金额(百万)", "\x1b[2J"], cells, np.array([4, 5]),
                   skipped_total_rows=[6], dropped_blank_rows=2)
    text = render(build_deals(raw))
    assert "工作表 Sheet: 商机" in text and "表头行 Header row: 3" in text
    assert "×1,000,000 (百万 million)" in text
    assert "Stage ladder: t6" in text and "信息 → 初访 → 演示 → 商务" in text
    assert "Open/won/lost: 1/1/0" in text
    counts = {m["label"]: m for m in re.finditer(r"^(?P<label>\S+ [A-Za-z ]+?)(?P<gap> {2,})(?P<value>\S.*)$", text, re.M)}
    assert counts["跳过的合计行 Total rows skipped"]["value"] == "1 (行 rows 6)"
    assert counts["删除的空行 Blank rows dropped"]["value"] == "2"
    # the counts line up on a terminal, where each Chinese character takes two columns
    starts = {wcswidth(m["label"] + m["gap"]) for label, m in counts.items() if label.split()[0] in
              ("商机行", "跳过的合计行", "删除的空行", "无法读取的值")}
    assert len(starts) == 1, starts
    assert counts["无法读取的值 Unreadable values"]["value"] == "1" and "row 5, 金额(百万): x" in text
    assert "\x1b" not in text and "\\x1b[2J" in text


def test_columns_names_the_rules_the_export_cannot_feed(zh_csv, tmp_path):
    # issue 3: a rule needing a field the export lacks is skipped with a note "shown by check and by columns"
    result = runner.invoke(app, ["columns", str(zh_csv)])
    assert result.exit_code == 0, result.output
    skipped = result.output.split("Rules skipped", 1)[1]
    assert re.search(r"missing-decision-maker\s+缺少 no column: decision_maker", skipped)
    assert re.search(r"a-deal-overdue\s+缺少 no column: class_since, deal_class", skipped)
    # fields only a baseline or the history supply are said to come from there
    assert re.search(r"close-date-slipped\s+需要 needs --baseline/--history: prev_close_date", skipped)
    assert re.search(r"close-date-slipped-repeatedly\s+需要 needs --history: close_slips", skipped)
    # the same list as check's notes, rule for rule
    check = runner.invoke(app, ["check", str(zh_csv), "--format", "json", "--fail-on", "never", "--as-of", "2026-11-23"])
    import json

    names = {s["rule"] for s in json.loads(check.stdout)["skipped_rules"]}
    shown = set(re.findall(r"^  ([a-z0-9-]+)  ", skipped, re.M))
    assert shown == names


def test_columns_follows_rule_selection(zh_csv, tmp_path):
    rules = tmp_path / "mine.yaml"
    rules.write_text(
        "pack: mine\nrules:\n  - name: needs-budget\n    severity: info\n    where: {blank: budget}\n"
        "    message: {zh: 没有预算, en: no budget}\n    questions: [{zh: 预算多少？, en: 'What budget?'}]\n"
        "    why: {zh: 预算, en: budget}\n    ref: EDCBA Q3\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["columns", str(zh_csv), "--no-default-rules", "--rules", str(rules)])
    assert result.exit_code == 0, result.output
    assert re.search(r"needs-budget\s+缺少 no column: budget", result.output)
    assert "missing-decision-maker" not in result.output
    clean = runner.invoke(app, ["columns", str(zh_csv), "--no-default-rules"])
    assert "Rules skipped: -" in clean.output
