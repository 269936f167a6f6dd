"""report.xlsx, reopened with openpyxl: typed cells, no formulas, a sheet per rep, print setup,
row heights, links both ways, charts."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

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


def _header_row(ws, first_word):
    for row in ws.iter_rows(max_row=5):
        if row[0].value == first_word:
            return row[0].row, [c.value for c in row]
    raise AssertionError(f"no header starting {first_word!r} in {ws.title}")


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
                    if c.value.startswith(("=", "+", "-", "@")):
                        assert c.quotePrefix, (ws.title, c.coordinate, c.value)
    assert FORMULA_DEAL in seen and "+1" in seen and "@x" in seen and "-2" in seen and "=D0" in seen
    assert any("=1+1" in v for v in seen) and "-call" in seen
    assert len(wb.sheetnames) == 1 + len(owners)
    with zipfile.ZipFile(tmp_path / "o" / "report.xlsx") as z:
        for name in z.namelist():
            data = z.read(name)
            if name.endswith(".xml"):
                ElementTree.fromstring(data)
                assert b"<f>" not in data and b"<f " not in data, name
            if name.endswith(".rels"):  # links are internal only: no external target anywhere
                assert b'TargetMode="External"' not in data, name


def test_summary_first_then_a_sheet_per_rep_with_only_its_deals(tmp_path):
    wb = _workbook(tmp_path, RECORDS, FINDINGS)
    assert wb.sheetnames[0] == "汇总"
    assert len(wb.sheetnames) == 4
    by_sheet = {ws.title: {c.value for row in ws.iter_rows(min_row=3) for c in row} for ws in wb.worksheets[1:]}
    zs = by_sheet["张三"]
    assert "Alpha" in zs and "Gamma" not in zs
    li = by_sheet["李四"]
    assert "Gamma" in li and "Alpha" not in li and any("funnel-short" in str(v) for v in li)
    summary = wb["汇总"]
    at, header = _header_row(summary, "销售")
    assert header[:5] == ["销售", "风险加权（万）", "风险金额（万）", "在途商机", "在途金额（万）"]
    rows = {}
    for r in summary.iter_rows(min_row=at + 1, values_only=True):
        if r[0] == "合计":
            break
        rows[r[0]] = r
    assert rows["张三"][3] == 1 and rows["张三"][4] == 15 and rows["张三"][5] == 7.5  # in 万
    order = [r[0] for r in summary.iter_rows(min_row=at + 1, max_row=at + 3, values_only=True)]
    assert order == ["张三", "<script>o</script>&Co", "李四"]  # riskiest first


def test_types_formats_fills_and_multi_line_rows_are_tall_enough(tmp_path):
    wb = _workbook(tmp_path, RECORDS, FINDINGS)
    ws = wb["张三"]
    at, header = _header_row(ws, "商机")
    assert ws.freeze_panes == "B3" and ws.auto_filter.ref.startswith(f"A{at}:")
    row = {h: c for h, c in zip(header, ws[at + 1])}
    assert row["金额（万）"].value == 15 and row["金额（万）"].number_format == "#,##0.0"
    assert isinstance(row["预计成交"].value, dt.datetime) and row["预计成交"].number_format == "yyyy-mm-dd"
    assert row["级别"].value == "错误" and row["级别"].fill.fgColor.rgb.endswith("F8C9C4")
    assert row["分级"].value == "分级 A"
    assert row["定级天数"].value == 53 and row["定级天数"].fill.fgColor.rgb.endswith("F8C9C4")  # A for 53 days: overdue
    lines = row["发现的问题"].value.split("\n")
    assert len(lines) == 2 and lines[0].startswith("no-insider")  # worst first
    asked = row["要问"].value.split("\n")
    assert len(asked) == 3 and asked[0] == "1. 内线是谁？"
    assert row["发现的问题"].alignment.wrap_text
    height = ws.row_dimensions[at + 1].height
    assert height is not None and height >= 3 * 15  # three lines of questions show
    widths = [ws.column_dimensions[k].width for k in "ABCDEFGHIJ"]
    assert all(6 <= w <= 60 for w in widths)


def test_print_setup_links_both_ways_and_charts(tmp_path):
    from pipeaudit.weekly.baseline import compare
    from pipeaudit.deals.build import deals_from_records

    result = make_result(RECORDS, FINDINGS)
    before = [dict(RECORDS[0], amount="10万"), dict(RECORDS[2]), {"deal_id": "D9", "deal": "Gone", "owner": "李四",
                                                                  "stage": "C方案论证", "amount": 500}]
    result.deals, result.extras["changes"] = compare(result.deals, deals_from_records(before), source="last.xlsx",
                                                     as_of=dt.date(2026, 11, 16))
    out = tmp_path / "o"
    write_report(result, out, ["xlsx"])
    wb = load_workbook(out / "report.xlsx")
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape" and str(setup.paperSize) == "9", ws.title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth in (None, 1) and setup.fitToHeight == 0
        assert ws.print_title_rows == "$2:$2", ws.title
    summary = wb["汇总"]
    links = {c.value: c.hyperlink.location for row in summary.iter_rows() for c in row if c.hyperlink}
    assert links["张三"] == "'张三'!A1" and links["李四"] == "'李四'!A1"
    for title in wb.sheetnames[1:]:
        back = [c for row in wb[title].iter_rows(max_row=1) for c in row if c.hyperlink]
        assert back and back[0].hyperlink.location == "'汇总'!A1"
    assert len(summary._charts) >= 2  # the waterfall and the funnel
    texts = {c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str)}
    assert "需要经理出手的商机（A/B类且有错误）" in texts and "周环比变化" in texts and "Gone" in texts
    assert any(str(v).startswith("下周工作计划") for row in wb["张三"].iter_rows(values_only=True) for v in row if v)


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


def test_hostile_text_is_kept_as_text_and_the_parts_are_well_formed(tmp_path):
    hostile = ["\t=1+1", "\r=2", "a\x00b", "x\ufffey", "<b>&</b>", "_x0041_"]
    recs = [{"deal_id": f"D{i}", "deal": h, "owner": f"o{h}", "stage": "C方案论证", "amount": 10, "deal_class": "A",
             "next_step": h} for i, h in enumerate(hostile)]
    fs = [finding("no-insider", "error", i, r, message=h, question=h) for i, (h, r) in enumerate(zip(hostile, recs))]
    wb = _workbook(tmp_path, recs, fs)
    with zipfile.ZipFile(tmp_path / "o" / "report.xlsx") as z:
        for name in z.namelist():
            if name.endswith(".xml"):
                data = z.read(name)
                ElementTree.fromstring(data)  # well-formed: no control character got through
                assert b"<f>" not in data and b"<f " not in data, name
                assert b"\x00" not in data and "\ufffe".encode() not in data
    values = {c.value: c for ws in wb.worksheets[1:] for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    # the deal's name arrives trimmed ("=1+1"); the message keeps its tab
    assert values["=1+1"].quotePrefix and values["=1+1"].data_type == "s"
    assert any(v.endswith("\t=1+1") for v in values)
    assert values["ab"].data_type == "s" and values["xy"].data_type == "s"  # dropped, the rest kept
    assert "<b>&</b>" in values
    # Excel's own escape is itself escaped, so Excel shows "_x0041_" and not "A"
    assert "_x005F_x0041_" in values or "_x0041_" in values
