"""report.xlsx, reopened with openpyxl: typed cells, no formulas, one sheet per rep."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeaudit.report import write_report
from pipeaudit.report.naming import safe_file_stem, safe_sheet_title, sheet_names

sys.path.insert(0, str(Path(__file__).parent))
from test_report_render import RECORDS, FINDINGS, finding, make_result  # noqa: E402

FORMULA_DEAL = '=HYPERLINK("http://evil.example","click")'


def _workbook(tmp_path, records, findings, **kw):
    out = tmp_path / "o"
    written = write_report(make_result(records, findings, **kw), out, ["xlsx"])
    assert written == [(out / "report.xlsx").resolve(), (out / "index.json").resolve()]  # the index comes last
    return load_workbook(out / "report.xlsx")


def test_no_cell_from_data_becomes_a_formula(tmp_path):
    owners = ["+1", "@x", "-2", "=cmd|' /C calc'!A0"]
    recs = [{"deal_id": f"=D{i}", "deal": FORMULA_DEAL, "owner": o, "stage": "C方案论证", "amount": 10,
             "deal_class": "A", "next_step": "-call", "insider": "@boss"} for i, o in enumerate(owners)]
    fs = [finding("no-insider", "error", i, r, message="=1+1", question="+SUM(A1)") for i, r in enumerate(recs)]
    wb = _workbook(tmp_path, recs, fs)
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    seen.add(c.value)
    assert FORMULA_DEAL in seen and "=1+1" in seen and "+1" in seen and "@x" in seen and "-2" in seen
    assert len(wb.sheetnames) == 1 + len(owners)


def test_summary_first_then_a_sheet_per_rep_with_only_its_deals(tmp_path):
    wb = _workbook(tmp_path, RECORDS, FINDINGS)
    assert wb.sheetnames[0] == "汇总"
    assert len(wb.sheetnames) == 4
    by_sheet = {ws.title: {c.value for row in ws.iter_rows(min_row=2) for c in row} for ws in wb.worksheets[1:]}
    zs = by_sheet["张三"]
    assert "Alpha" in zs and "Gamma" not in zs
    li = by_sheet["李四"]
    assert "Gamma" in li and "Alpha" not in li and "funnel-short" in li
    summary = wb["汇总"]
    header = [c.value for c in summary[1]]
    assert header[0] == "销售"
    rows = {r[0]: r for r in summary.iter_rows(min_row=2, values_only=True) if r and r[0]}
    assert rows["张三"][2] == 1 and rows["张三"][3] == 150000 and rows["张三"][4] == 75000


def test_types_formats_frozen_header_filter_and_colours(tmp_path):
    wb = _workbook(tmp_path, RECORDS, FINDINGS)
    ws = wb["张三"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    header = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(header, ws[2])}
    assert row["金额"].value == 150000 and row["金额"].number_format == "#,##0"
    assert isinstance(row["预计成交"].value, dt.datetime) and row["预计成交"].number_format == "yyyy-mm-dd"
    assert row["预计成交"].value.date() == dt.date(2026, 12, 1)
    assert row["级别"].value == "错误" and row["级别"].fill.fgColor.rgb.endswith("F8C9C4")
    assert row["规则"].value.split("\n") == ["no-insider", "a-deal-overdue"]  # one row per deal, worst first
    assert "超过4周了，卡在哪？" in row["针对问题要问"].value
    li = wb["李四"]
    li_sev = {c.value: c.fill.fgColor.rgb for c in li["M"] if c.value}
    assert li_sev["提示"].endswith("CFE0F5")
    widths = [ws.column_dimensions[k].width for k in "ABCDEFGHIJKLMNOPQ"]
    assert all(8 <= w <= 60 for w in widths)
    assert wb["汇总"].freeze_panes == "A2" and wb["汇总"].auto_filter.ref


def test_sheet_titles_are_excel_safe_and_distinct(tmp_path):
    owners = ["a/b", "a:b", "x" * 300, "History", "[x]*?", "汇总", ""]
    recs = [{"deal": f"d{i}", "owner": o or None, "stage": "E确认商机", "amount": 1} for i, o in enumerate(owners)]
    wb = _workbook(tmp_path, recs, [])
    titles = wb.sheetnames
    assert len(titles) == 1 + len(owners) and len({t.casefold() for t in titles}) == len(titles)
    for t in titles:
        assert len(t) <= 31 and not set(t) & set(":\\/?*[]") and t.casefold() != "history"
    assert "未分配" in titles


def test_naming_helpers():
    assert safe_file_stem("../../etc") == "etc"
    assert safe_file_stem("CON") == "_CON" and safe_file_stem("lpt1.txt") == "_lpt1.txt"
    assert safe_file_stem("") == "no-owner" and safe_file_stem("...") == "no-owner"
    assert "/" not in safe_file_stem("a/b") and "\x00" not in safe_file_stem("a\x00b\u202e")
    assert len(safe_file_stem("x" * 300)) <= 80
    assert safe_sheet_title("History") != "History" and len(safe_sheet_title("y" * 99)) == 31
    assert safe_sheet_title("a\ufffeb\uffff") == "a_b"  # XML 1.0 cannot hold these
    names = sheet_names(["a/b", "a_b", "a:b"], reserved={"Summary"})
    assert sorted(names.values()) == ["a_b", "a_b-2", "a_b-3"]
    assert names == sheet_names(["a:b", "a_b", "a/b"], reserved={"Summary"})  # deterministic


def test_cli_report_on_the_sample_writes_all_formats(tmp_path):
    sample = Path(__file__).resolve().parents[1] / "samples" / "crm_export_zh.xlsx"
    if not sample.exists():
        pytest.skip("sample not generated yet")
    out = tmp_path / "rep"
    proc = subprocess.run(
        [sys.executable, "-m", "pipeaudit", "report", str(sample), "--out", str(out), "--as-of", "2026-11-23",
         "--format", "html,md", "--format", "xlsx", "--lang", "en"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "summary.html").is_file() and (out / "summary.md").is_file() and (out / "report.xlsx").is_file()
    assert len(list((out / "reps").glob("*.html"))) == len(list((out / "reps").glob("*.md"))) >= 2
    assert "Team pipeline review" in (out / "summary.html").read_text("utf-8")
    assert str(out) in proc.stdout

    bad = subprocess.run([sys.executable, "-m", "pipeaudit", "report", str(sample), "--out", str(out),
                          "--format", "pdf"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "pdf" in bad.stderr and "Traceback" not in bad.stderr


def test_workbook_parts_are_well_formed_and_hold_no_formula_element(tmp_path):
    import zipfile
    from xml.etree import ElementTree

    hostile = ["\t=1+1", "\r=2", "a\x00b", "x\ufffey", "<b>&</b>", "_x0041_"]
    recs = [{"deal_id": f"D{i}", "deal": h, "owner": f"o{h}", "stage": "C方案论证", "amount": 10, "deal_class": "A",
             "next_step": h} for i, h in enumerate(hostile)]
    fs = [finding("no-insider", "error", i, r, message=h, question=h) for i, (h, r) in enumerate(zip(hostile, recs))]
    wb = _workbook(tmp_path, recs, fs)
    with zipfile.ZipFile(tmp_path / "o" / "report.xlsx") as z:
        for name in z.namelist():
            data = z.read(name)
            ElementTree.fromstring(data)
            assert b"<f>" not in data and b"<f " not in data, name
    values = {c.value: c for ws in wb.worksheets[1:] for row in ws.iter_rows() for c in row if c.value}
    assert values["\t=1+1"].quotePrefix and values["\t=1+1"].data_type == "s"
    assert values["ab"].data_type == "s" and values["xy"].data_type == "s"
    assert "<b>&</b>" in values and "_x0041_" in values
