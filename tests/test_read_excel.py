"""Workbooks: sheet choice, header detection, true Excel row numbers, blank and total rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeaudit.errors import InputError
from pipeaudit.read import list_sheets, read_table
from tests.test_read_helpers import toy_score, write_ods, write_xlsx

HEADER = ["商机编号", "商机名称", "负责人", "销售阶段", "金额"]


def deal(i: int, name: str | None = None) -> list[object]:
    return [f"SJ-{i:03d}", name or f"项目{i}", "张三", "C方案论证", 10 + i]


def test_title_export_line_blank_and_header(tmp_path: Path) -> None:
    rows = [["华东区商机明细 2026-11"], ["导出时间：2026-11-20 09:00"], [], HEADER, deal(1), deal(2)]
    t = read_table(write_xlsx(tmp_path / "a.xlsx", {"商机明细": rows}), header_score=toy_score)
    assert t.sheet == "商机明细"
    assert t.header_row == 4
    assert t.headers == HEADER
    assert t.row_numbers.tolist() == [5, 6]
    assert t.cells.iloc[1, 0] == "SJ-002"
    assert t.cells.iloc[0, 4] == 11


def test_merged_title_cell_is_skipped(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws["A1"] = "2026年11月商机明细"
    ws.merge_cells("A1:E1")
    for j, h in enumerate(HEADER, start=1):
        ws.cell(row=2, column=j, value=h)
    for j, v in enumerate(deal(1), start=1):
        ws.cell(row=3, column=j, value=v)
    wb.save(tmp_path / "m.xlsx")
    t = read_table(tmp_path / "m.xlsx")  # default scorer: filled text cells
    assert t.header_row == 2
    assert t.row_numbers.tolist() == [3]


def test_row_numbers_count_from_the_true_first_row_and_column(tmp_path: Path) -> None:
    # Data starts at C7: calamine trims the empty area, the row numbers must not shift.
    path = write_xlsx(tmp_path / "off.xlsx", {"S": [HEADER, deal(1), [], deal(2)]}, start_row=7, start_col=3)
    t = read_table(path, header_score=toy_score)
    assert t.header_row == 7
    assert t.row_numbers.tolist() == [8, 10]
    assert t.dropped_blank_rows == 1
    assert t.headers == HEADER


def test_notes_sheet_first_is_passed_over(tmp_path: Path) -> None:
    notes = [["本文件由CRM导出"], ["金额单位：万元"], ["说明", "仅供内部使用"]]
    path = write_xlsx(tmp_path / "n.xlsx", {"说明": notes, "明细": [HEADER, deal(1)]})
    t = read_table(path, header_score=toy_score)
    assert t.sheet == "明细"
    assert list_sheets(path) == ["说明", "明细"]


def test_sheet_by_name_and_by_index(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "two.xlsx", {"一月": [HEADER, deal(1)], "二月": [HEADER, deal(2), deal(3)]})
    assert len(read_table(path, header_score=toy_score).cells) == 1  # tie on score: first sheet
    assert len(read_table(path, sheet="二月", header_score=toy_score).cells) == 2
    assert read_table(path, sheet="1", header_score=toy_score).sheet == "二月"
    with pytest.raises(InputError, match=r"no sheet '三月'.*0='一月', 1='二月'"):
        read_table(path, sheet="三月")
    with pytest.raises(InputError, match="no sheet '5'"):
        read_table(path, sheet="5")


def test_best_scoring_sheet_wins_over_first(tmp_path: Path) -> None:
    weak = [["商机编号", "备注"], ["x", "y"]]
    path = write_xlsx(tmp_path / "w.xlsx", {"汇总": weak, "明细": [HEADER, deal(1)]})
    assert read_table(path, header_score=toy_score).sheet == "明细"


def test_total_rows_dropped_but_total_solutions_kept(tmp_path: Path) -> None:
    rows = [
        HEADER,
        deal(1, "Total Solutions Ltd"),
        deal(2, "Total"),  # a deal named Total, fully filled: still a deal
        ["小计", None, None, None, 23],
        deal(3),
        ["合计：", None, None, None, 36],
        [None, "Grand Total", None, None, 36],
    ]
    t = read_table(write_xlsx(tmp_path / "t.xlsx", {"S": rows}), header_score=toy_score)
    assert t.cells[1].tolist() == ["Total Solutions Ltd", "Total", "项目3"]
    assert t.skipped_total_rows == [4, 6, 7]
    assert t.row_numbers.tolist() == [2, 3, 5]


def test_duplicate_and_empty_headers(tmp_path: Path) -> None:
    rows = [["商机编号", "负责人", None, "负责人", "金额"], ["1", "a", "x", "b", 3]]
    t = read_table(write_xlsx(tmp_path / "d.xlsx", {"S": rows}), header_score=toy_score)
    assert t.headers == ["商机编号", "负责人", "Column 3", "负责人 (2)", "金额"]


def test_values_kept_as_found_and_formulas_are_text(tmp_path: Path) -> None:
    rows = [HEADER, ["1", "=cmd|' /C calc'!A0", "张三", "B阶段", dt.date(2026, 8, 4)]]
    t = read_table(write_xlsx(tmp_path / "f.xlsx", {"S": rows}), header_score=toy_score)
    assert t.cells.iloc[0, 1] == "=cmd|' /C calc'!A0"
    assert t.cells.iloc[0, 4] in (dt.date(2026, 8, 4), dt.datetime(2026, 8, 4))


def test_no_header_names_sheet_and_what_was_found(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "h.xlsx", {"数据": [["foo", "bar", "baz"], ["1", "2", "3"]]})
    with pytest.raises(InputError) as err:
        read_table(path, header_score=toy_score)
    msg = str(err.value)
    assert "h.xlsx" in msg and "no header row recognised in sheet '数据'" in msg
    assert "found / 现有内容: foo, bar, baz" in msg and "--map field=Header" in msg
    assert "\n" not in msg


def test_ods(tmp_path: Path) -> None:
    path = write_ods(tmp_path / "a.ods", [["商机明细"], HEADER, deal(1), deal(2), ["合计", None, None, None, 23]])
    t = read_table(path, header_score=toy_score)
    assert t.header_row == 2
    assert t.row_numbers.tolist() == [3, 4]
    assert t.skipped_total_rows == [5]
    assert t.cells.iloc[1, 1] == "项目2"


def test_xls(tmp_path: Path) -> None:
    from xls_writer import label, number, workbook_stream, write_xls

    notes = [label(0, 0, "说明：本文件由 CRM 导出")]
    cells = [label(0, 0, "商机明细")]
    cells += [label(1, c, h) for c, h in enumerate(HEADER)]
    for r in (2, 3):
        cells += [label(r, 0, f"SJ-{r}"), label(r, 1, f"项目{r - 1}"), label(r, 2, "张三"), label(r, 3, "C方案论证"),
                  number(r, 4, 10.0 + r)]
    cells += [label(4, 0, "合计"), number(4, 4, 25.0)]
    path = write_xls(tmp_path / "old.xls", workbook_stream([("说明", notes), ("商机", cells)]))
    t = read_table(path, header_score=toy_score)
    assert t.sheet == "商机" and t.header_row == 2
    assert t.row_numbers.tolist() == [3, 4] and t.skipped_total_rows == [5]
    assert t.cells.iloc[1, 1] == "项目2" and t.cells.iloc[0, 4] == 12.0


def test_real_header_scorer_when_available(tmp_path: Path) -> None:
    from pipeaudit.deals import columns
    rows = [["华东区商机明细"], ["导出时间：2026-11-20"], ["商机编号", "商机名称", "负责人", "销售阶段", "预计成交金额(万元)"], deal(1)]
    t = read_table(write_xlsx(tmp_path / "r.xlsx", {"S": rows}), header_score=columns.make_header_scorer({}))
    assert t.header_row == 3
