"""Property: any plausible export (alias spellings, units, title rows, blank rows, mixed date styles,
CSV encodings and delimiters, or xlsx) reads back as exactly the table that was written.

The reader is called in-process: a PipeauditError (exit 2 at the CLI) on one of these valid
exports would itself be a bug, and any other exception is a traceback at the CLI.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipeaudit.errors import PipeauditError

from pipeaudit.deals import columns  # noqa: E402
from pipeaudit.read import read_table  # noqa: E402

ALIASES = columns.ALIASES
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow])

CORE = ["deal_id", "deal", "owner", "stage", "amount", "close_date", "account", "decision_maker", "insider"]
STAGES = ["E确认商机", "D进程确定", "C方案论证", "B商务谈判", "A销售成交", "赢单", "输单", "Prospecting",
          "Closed Won", "初访", "演示"]
OWNERS = ["王伟", "李芳", "Zhang Wei", "O'Brien", "陈 静", "刘敏"]
TITLES = ["商机列表", "导出时间：2026-11-23 09:00", "销售管理系统 商机报表（2026年第47周）", "Exported 2026-11-23 by admin"]
UNITS = ["", "(万元)", "（万元）", "(元)", "(k)", "(USD)", "(¥)"]
DATE_STYLES = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%m/%d/%Y", "%Y.%m.%d"]


@st.composite
def header_spelling(draw, fld: str) -> str:
    alias = draw(st.sampled_from(ALIASES[fld]))
    if alias.isascii():
        alias = draw(st.sampled_from([alias, alias.upper(), alias.lower(), alias.title()]))
    if fld in ("amount",):
        alias += draw(st.sampled_from(UNITS))
    pad = draw(st.sampled_from(["", " ", "  "]))
    return pad + alias + draw(st.sampled_from(["", " "]))


def value_for(draw, fld: str, i: int) -> str:
    if fld == "deal_id":
        return f"OPP-{i:05d}"
    if fld == "deal":
        return draw(st.sampled_from(["ERP升级", "MES二期", "Cloud move, phase 2", '"Big" deal', "数据中台"])) + f" {i}"
    if fld == "account":
        return draw(st.sampled_from(["北京某某科技有限公司", "ACME, Inc.", "上海智造", "Globex"]))
    if fld == "owner":
        return draw(st.sampled_from(OWNERS))
    if fld == "stage":
        return draw(st.sampled_from(STAGES))
    if fld == "amount":
        return draw(st.sampled_from(["15", "1.5万", "¥12,000", "3,200.50", "", "约十万", "(1,000)", "2M"]))
    if fld == "close_date":
        day = dt.date(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 700)))
        return day.strftime(draw(st.sampled_from(DATE_STYLES)))
    return draw(st.sampled_from(["", "张总", "李工", "Ms. Smith", "—"]))


@st.composite
def export(draw):
    """(headers, data rows with None for blank separator rows, title rows, has_total)."""
    fields = draw(st.lists(st.sampled_from(CORE), min_size=3, max_size=len(CORE), unique=True))
    headers = [draw(header_spelling(f)) for f in fields]
    assume(len({h.strip().casefold() for h in headers}) == len(headers))
    n = draw(st.integers(1, 12))
    rows: list[list[str] | None] = []
    for i in range(n):
        row = [value_for(draw, f, i) for f in fields]
        assume(any(v.strip() for v in row))
        rows.append(row)
        if draw(st.integers(0, 5)) == 0:
            rows.append(None)  # a blank row inside the data
    titles = draw(st.lists(st.sampled_from(TITLES), max_size=3))
    blank_above = draw(st.booleans())
    return fields, headers, rows, titles, blank_above


def _csv_bytes(headers, rows, titles, blank_above, delim, encoding, empty_style) -> tuple[bytes, list[int]]:
    """The file, and the line on which each data row starts (header line counts from 1)."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim, lineterminator="\r\n")
    line = 0
    for t in titles:
        w.writerow([t]); line += 1
    if blank_above:
        buf.write("\r\n"); line += 1
    w.writerow(headers); line += 1
    starts = []
    for row in rows:
        if row is None:
            buf.write("\r\n" if empty_style == "empty" else delim * (len(headers) - 1) + "\r\n")
            line += 1
            continue
        line += 1
        starts.append(line)
        w.writerow(row)
    return buf.getvalue().encode(encoding), starts


def _expected(rows):
    return [r for r in rows if r is not None]


def _as_text(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()[:10]
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _assert_table(t, headers, rows, starts) -> None:
    assert [h.strip() for h in t.headers[: len(headers)]] == [" ".join(h.split()) for h in headers]
    want = _expected(rows)
    assert len(t.cells) == len(want), (t.row_numbers, starts)
    assert [int(r) for r in t.row_numbers] == starts
    got = [[_as_text(v) for v in t.cells.iloc[i].tolist()[: len(headers)]] for i in range(len(want))]
    assert got == [[v.strip() for v in r] for r in want] or got == want


@SETTINGS
@given(
    ex=export(),
    delim=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]),
    empty_style=st.sampled_from(["empty", "separators"]),
)
def test_csv_exports_read_back_exactly(tmp_path_factory, ex, delim, encoding, empty_style) -> None:
    fields, headers, rows, titles, blank_above = ex
    data, starts = _csv_bytes(headers, rows, titles, blank_above, delim, encoding, empty_style)
    path = tmp_path_factory.mktemp("csv") / ("export.tsv" if delim == "\t" else "export.csv")
    path.write_bytes(data)
    try:
        t = read_table(path, header_score=columns.make_header_scorer({}))
    except PipeauditError as exc:
        pytest.fail(f"valid export refused: {exc}\n{data[:400]!r}")
    _assert_table(t, headers, rows, starts)


@SETTINGS
@given(ex=export(), real_dates=st.booleans())
def test_xlsx_exports_read_back_exactly(tmp_path_factory, ex, real_dates) -> None:
    from openpyxl import Workbook

    fields, headers, rows, titles, blank_above = ex
    wb = Workbook()
    ws = wb.active
    ws.title = "商机"
    r = 0
    for t in titles:
        r += 1
        ws.cell(r, 1, t)
    if blank_above:
        r += 1
    r += 1
    for j, h in enumerate(headers, 1):
        ws.cell(r, j, h)
    starts = []
    expect_rows = []
    for row in rows:
        r += 1
        if row is None:
            continue
        starts.append(r)
        out = []
        for j, (f, v) in enumerate(zip(fields, row), 1):
            if not v.strip():
                out.append("")
                continue  # a blank cell is simply absent
            cell_value: object = v
            if f == "close_date" and real_dates:
                # whatever style the text had, store the day as a real date cell
                for style in DATE_STYLES:
                    try:
                        cell_value = dt.datetime.strptime(v, style)
                        break
                    except ValueError:
                        continue
            ws.cell(r, j, cell_value).data_type = "d" if isinstance(cell_value, dt.datetime) else "s"
            out.append(cell_value.date().isoformat() if isinstance(cell_value, dt.datetime) else v)
        expect_rows.append(out)
    path = tmp_path_factory.mktemp("xlsx") / "export.xlsx"
    wb.save(path)
    try:
        t = read_table(path, header_score=columns.make_header_scorer({}))
    except PipeauditError as exc:
        pytest.fail(f"valid export refused: {exc}")
    _assert_table(t, headers, expect_rows, starts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(st.lists(st.text(max_size=8), max_size=6), max_size=8),
    delim=st.sampled_from([",", ";", "\t", "|"]),
    suffix=st.sampled_from([".csv", ".txt"]),
)
def test_arbitrary_text_files_never_raise_anything_but_pipeauditerror(tmp_path_factory, lines, delim, suffix) -> None:
    text = "\n".join(delim.join(cells) for cells in lines)
    path = tmp_path_factory.mktemp("junk") / f"junk{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass") if text else path.write_bytes(b"")
    try:
        read_table(path, header_score=columns.make_header_scorer({}))
    except PipeauditError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg and "junk" in msg
