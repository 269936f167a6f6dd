"""The shipped samples read as a person would read them, and the generator is deterministic."""

from __future__ import annotations

import hashlib
from pathlib import Path


from pipeaudit.read import list_sheets, read_table


def scorer():
    from pipeaudit.deals import columns
    return columns.make_header_scorer({})


def test_chinese_workbook(samples_dir: Path) -> None:
    path = samples_dir / "crm_export_zh.xlsx"
    assert list_sheets(path) == ["说明", "商机明细"]
    for score in (None, scorer()):
        t = read_table(path, header_score=score)
        assert t.sheet == "商机明细"
        assert t.header_row == 4
        assert t.headers[:6] == ["商机编号", "商机名称", "客户名称", "负责人", "销售阶段", "预计成交金额(万元)"]
        assert len(t.cells) == 60
        assert t.dropped_blank_rows == 1
        assert t.skipped_total_rows == [66]
        assert t.row_numbers[0] == 5 and t.row_numbers[30] == 36  # the blank row 35 shifts later deals
        names = t.cells[1].tolist()
        assert any(str(n).startswith("=HYPERLINK") for n in names)
        assert any("<script>" in str(n) for n in names)
        assert "王/五" in t.cells[3].tolist()


def test_gb18030_csv(samples_dir: Path) -> None:
    t = read_table(samples_dir / "crm_export_gb18030.csv", header_score=scorer())
    assert t.header_row == 2
    assert t.headers[:5] == ["项目编号", "项目名称", "客户", "销售人员", "阶段"]
    assert len(t.cells) == 50
    assert t.row_numbers[:2].tolist() == [3, 4]
    assert "gb18030" in t.notes[0]
    assert set(t.cells[4]) <= {"信息", "初访", "演示", "商务", "签约", "丢单"}
    assert "1.2亿" in t.cells[5].tolist()


def test_salesforce_csv(samples_dir: Path) -> None:
    t = read_table(samples_dir / "salesforce_export.csv", header_score=scorer())
    assert t.header_row == 1 and len(t.cells) == 55
    assert t.skipped_total_rows == [57]
    assert "Total" in t.cells[1].tolist()  # a deal named Total is a deal
    assert t.cells[5].iloc[0].startswith("$")


def test_hubspot_csv(samples_dir: Path) -> None:
    t = read_table(samples_dir / "hubspot_export.csv", header_score=scorer())
    assert len(t.cells) == 14 and t.headers[0] == "Record ID"


def test_generator_is_deterministic(samples_dir: Path, tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_samples", samples_dir / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    for written in module.main(tmp_path):
        shipped = samples_dir / written.name
        assert hashlib.sha256(written.read_bytes()).hexdigest() == hashlib.sha256(shipped.read_bytes()).hexdigest(), written.name
