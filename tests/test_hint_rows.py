"""An import template's instruction row (必填 / 选填 / format hints) under the header is no deal."""

import re

import openpyxl
import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app
from pipeaudit.read import read_table
from pipeaudit.read.header import is_hint_row

runner = CliRunner()


@pytest.mark.parametrize(
    "cells, hint",
    [
        (["必填", "必填", "选填", "日期(YYYY-MM-DD)", "请选择"], True),
        (["*必填", None, "选填"], True),
        (["required", "optional", "format: YYYY-MM-DD"], True),
        (["(必填)", "文本", "数字", "日期", "从下拉选择"], True),
        (["示例：某某项目", "示例：某公司", "张三"], True),
        (["Required", "Text", "Picklist", "Date", "Currency"], True),
        (["ERP升级", "甲公司", "张三", "B阶段"], False),
        (["Acme renewal", "Required docs pending", "Dana", "Proposal", "Closed"], False),  # one hint-like word of five
        (["Quote", "2026-01-01", 5], False),
        ([None, None], False),
    ],
)
def test_is_hint_row(cells, hint):
    assert is_hint_row(cells) is hint


CSV = (
    "商机名称,客户名称,负责人,商机阶段,商机金额,预计签单日期\n"
    "必填,必填,必填,请从下拉选择,选填,格式：YYYY-MM-DD\n"
    "ERP,甲公司,张伟,方案,50万,2026-12-01\n"
    "CRM,乙公司,李娜,谈判,80万,2026-12-15\n"
)


def test_csv_hint_row_skipped_and_reported(tmp_path):
    path = tmp_path / "商机导入模板.csv"
    path.write_text(CSV, encoding="utf-8")
    raw = read_table(path)
    assert raw.skipped_hint_rows == [2] and len(raw.cells) == 2
    assert raw.row_numbers.tolist() == [3, 4]
    assert any("row 2" in n and "必填" in n for n in raw.notes)
    result = runner.invoke(app, ["columns", str(path)])
    assert result.exit_code == 0, result.output
    assert re.search(r"Hint rows skipped\s+1 \(行 rows 2\)", result.output)
    assert re.search(r"Deal rows\s+2\n", result.output)


def test_xlsx_hint_rows_under_title_and_header(tmp_path):
    path = tmp_path / "template.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["商机导入模板"])
    ws.append(["商机名称", "客户名称", "负责人", "商机阶段", "预计签单日期"])
    ws.append(["必填", "必填", "必填", "必填", "选填"])
    ws.append(["文本", "文本", "人员", "单选", "日期"])
    ws.append(["ERP", "甲公司", "张伟", "方案", "2026-12-01"])
    wb.save(path)
    raw = read_table(path)
    assert raw.header_row == 2 and raw.skipped_hint_rows == [3, 4]
    assert raw.row_numbers.tolist() == [5]
    result = runner.invoke(app, ["check", str(path), "--format", "json", "--fail-on", "never", "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert '"必填"' not in result.output  # never a deal, never a rep
