"""Delimited text: encodings, delimiters, title lines, exact line numbers, blank and total rows."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from pipeaudit.errors import InputError
from pipeaudit.read import list_sheets, read_table
from tests.test_read_helpers import toy_score

ZH = "华东区商机明细\n导出时间：2026-11-20 09:00\n\n商机编号,商机名称,负责人,金额\n1,甲项目,张三,15万\n2,乙项目,李四,8万\n"


def write(path: Path, text: str, encoding: str = "utf-8", bom: bytes = b"") -> Path:
    path.write_bytes(bom + text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("gb18030", b""),
        ("gbk", b""),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
    ],
)
def test_encodings(tmp_path: Path, encoding: str, bom: bytes) -> None:
    t = read_table(write(tmp_path / "a.csv", ZH, encoding, bom), header_score=toy_score)
    assert t.headers == ["商机编号", "商机名称", "负责人", "金额"]
    assert t.cells[1].tolist() == ["甲项目", "乙项目"]
    assert t.cells[3].tolist() == ["15万", "8万"]
    assert t.header_row == 4
    assert t.row_numbers.tolist() == [5, 6]
    assert t.sheet is None


def test_windows_line_endings_keep_line_numbers(tmp_path: Path) -> None:
    t = read_table(write(tmp_path / "w.csv", ZH.replace("\n", "\r\n"), "gb18030"), header_score=toy_score)
    assert t.row_numbers.tolist() == [5, 6]
    assert t.cells[2].tolist() == ["张三", "李四"]


@pytest.mark.parametrize(("name", "sep"), [("a.tsv", "\t"), ("b.csv", ";"), ("c.txt", "|"), ("d.txt", "\t")])
def test_delimiters(tmp_path: Path, name: str, sep: str) -> None:
    text = f"Deal ID{sep}Deal{sep}Owner{sep}Amount\nD1{sep}Big, Inc. deal{sep}Ann{sep}1,5\nD2{sep}Small{sep}Bo{sep}2,0\n"
    t = read_table(write(tmp_path / name, text), header_score=toy_score)
    assert t.headers == ["Deal ID", "Deal", "Owner", "Amount"]
    assert t.cells[1].tolist() == ["Big, Inc. deal", "Small"]
    assert t.cells[3].tolist() == ["1,5", "2,0"]


def test_title_lines_outnumbering_the_rows_do_not_hide_the_delimiter(tmp_path: Path) -> None:
    # three one-field title lines and a single deal: the ";" split still wins over "no split at all"
    text = "商机列表\n商机列表\n商机列表\nDeal ID;Deal;Owner;Amount\nD1;ERP;Ann;15\n"
    t = read_table(write(tmp_path / "t.csv", text), header_score=toy_score)
    assert t.headers == ["Deal ID", "Deal", "Owner", "Amount"]
    assert t.header_row == 4 and t.row_numbers.tolist() == [5]


def test_multiline_quoted_cell_keeps_physical_lines(tmp_path: Path) -> None:
    text = (
        "Report generated 2026-11-20\n"
        "Deal ID,Deal,Owner,Next Step\n"
        'D1,Alpha,Ann,"call CFO\nthen send quote\nby Friday"\n'
        "D2,Beta,Bo,demo\n"
        "\n"
        'D3,"Gamma\r\nCorp",Cy,x\n'
        "D4,Delta,Di,y\n"
    )
    t = read_table(write(tmp_path / "m.csv", text), header_score=toy_score)
    assert t.header_row == 2
    assert t.cells[0].tolist() == ["D1", "D2", "D3", "D4"]
    assert t.row_numbers.tolist() == [3, 6, 8, 10]
    assert t.dropped_blank_rows == 1
    assert t.cells.iloc[0, 3] == "call CFO\nthen send quote\nby Friday"


def test_text_stays_text(tmp_path: Path) -> None:
    text = "Deal ID,Deal,Owner,Amount\nNA,null,=cmd|' /C calc'!A0,00123\n"
    t = read_table(write(tmp_path / "t.csv", text), header_score=toy_score)
    assert t.cells.iloc[0].tolist() == ["NA", "null", "=cmd|' /C calc'!A0", "00123"]


def test_totals_and_grand_totals(tmp_path: Path) -> None:
    text = (
        "Opportunity Name,Opportunity Owner,Stage,Amount\n"
        "Total Solutions Ltd,Ann,Prospecting,\"$1,000.00\"\n"
        "Total,Bo,Negotiation/Review,$5.00\n"
        "Subtotal,,,\"$1,005.00\"\n"
        "Other,Cy,Qualification,$1.00\n"
        "\"Grand Totals (3 records)\",,,\"$1,006.00\"\n"
    )
    t = read_table(write(tmp_path / "sf.csv", text), header_score=toy_score)
    assert t.cells[0].tolist() == ["Total Solutions Ltd", "Total", "Other"]
    assert t.skipped_total_rows == [4, 6]
    assert t.row_numbers.tolist() == [2, 3, 5]


def test_short_and_ragged_rows_are_padded(tmp_path: Path) -> None:
    text = "Deal ID,Deal,Owner,Stage,Amount\nD1,A,Ann\nD2,B,Bo,Won,3\n"
    t = read_table(write(tmp_path / "r.csv", text), header_score=toy_score)
    assert len(t.cells) == 2
    assert t.cells.iloc[0, 3] != t.cells.iloc[0, 3] or t.cells.iloc[0, 3] is None  # empty -> NaN/None
    assert t.cells.iloc[1, 4] == "3"


def test_list_sheets_csv_is_empty(tmp_path: Path) -> None:
    assert list_sheets(write(tmp_path / "x.csv", ZH)) == []


def test_no_header_in_csv(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"x\.csv: no header row recognised.*found / 现有内容: a, b, c"):
        read_table(write(tmp_path / "x.csv", "a,b,c\n1,2,3\n"), header_score=toy_score)


def test_only_blank_lines_is_empty(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"blank\.csv: .*empty \(only blank lines\)"):
        read_table(write(tmp_path / "blank.csv", "\n\n  \n\r\n"))


def test_header_only_gives_no_deals(tmp_path: Path) -> None:
    t = read_table(write(tmp_path / "h.csv", "Deal ID,Deal,Owner\n"), header_score=toy_score)
    assert t.headers == ["Deal ID", "Deal", "Owner"] and len(t.cells) == 0


def test_unclosed_quote_is_an_input_error(tmp_path: Path) -> None:
    text = 'Deal ID,Deal,Owner\nD1,"never closed,Ann\nD2,B,Bo\n'
    try:
        t = read_table(write(tmp_path / "q.csv", text), header_score=toy_score)
    except InputError as exc:
        assert "q.csv" in str(exc)
    else:  # pandas may swallow the rest into one cell: then nothing is lost silently
        assert "never closed" in t.cells.iloc[0, 1]


def test_arrow_and_pandas_paths_agree(tmp_path: Path) -> None:
    from pipeaudit.read import csv as rcsv
    from pipeaudit.read import csv_arrow

    text = (
        "Deal ID,Deal,Owner,Next Step\r\n"
        'D1,"Big, Inc.",Ann,"call CFO\r\nthen quote"\r\n'
        "D2,NA,,null\r\n"
        'D3,"say ""hi""",Cy,\r\n'
    )
    path = write(tmp_path / "p.csv", text)
    offset = len("Deal ID,Deal,Owner,Next Step\r\n")
    arrow = csv_arrow.read_arrow(path, offset, 4, ",")
    assert arrow is not None
    enc = rcsv.Encoding("utf-8", 0, "utf-8")
    pandas_frame = rcsv._read_pandas(path, offset, 4, ",", enc, 1)
    assert arrow.astype(object).where(arrow.notna(), None).values.tolist() == (
        pandas_frame.astype(object).where(pandas_frame.notna(), None).values.tolist()
    )
    t = read_table(path, header_score=toy_score)
    assert t.row_numbers.tolist() == [2, 4, 5]
    assert t.cells.iloc[1].tolist()[1] == "NA" and t.cells.iloc[0, 3] == "call CFO\r\nthen quote"


def test_arrow_falls_back_on_short_rows_and_blank_lines(tmp_path: Path) -> None:
    from pipeaudit.read import csv_arrow

    path = write(tmp_path / "s.csv", "a,b,c\n1,2\n\n4,5,6\n")
    assert csv_arrow.read_arrow(path, len("a,b,c\n"), 3, ",") is None


def test_arrow_pool_is_chosen_once_and_an_explicit_choice_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa

    from pipeaudit import runtime as csv_read

    chosen: list[str] = []
    monkeypatch.setattr(pa, "set_memory_pool", lambda pool: chosen.append(pool.backend_name))
    monkeypatch.setattr(csv_read, "_POOL_CHOSEN", False)
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
    csv_read.use_jemalloc()
    assert chosen == []  # the user's pool stays
    monkeypatch.setattr(csv_read, "_POOL_CHOSEN", False)
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
    csv_read.use_jemalloc()
    csv_read.use_jemalloc()
    assert chosen in ([], ["jemalloc"])  # once, or never where this pyarrow has no jemalloc
    if "jemalloc" in pa.supported_memory_backends():
        assert chosen == ["jemalloc"]


def test_the_same_cells_whatever_the_arrow_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa

    from pipeaudit import runtime as csv_read

    monkeypatch.setattr(csv_read, "_POOL_CHOSEN", True)  # the read keeps the pool set here

    path = tmp_path / "deals.csv"
    path.write_text("商机列表\n商机编号,商机名称,负责人,金额\n" + "".join(f"D{k},客户{k % 7},张{k % 3},{k * 1.5}\n" for k in range(500)),
                    encoding="utf-8")
    before = pa.default_memory_pool()
    try:
        tables = []
        for pool in (pa.system_memory_pool(), before):
            pa.set_memory_pool(pool)
            tables.append(read_table(path, header_score=toy_score))
    finally:
        pa.set_memory_pool(before)
    a, b = tables
    assert a.headers == b.headers and a.row_numbers.tolist() == b.row_numbers.tolist()
    assert a.cells.astype(object).equals(b.cells.astype(object))


def test_every_read_chooses_the_arrow_pool_first_a_workbook_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """A workbook's check uses Arrow as much as a CSV's does (guards, conditions, the JSON)."""
    import pyarrow as pa

    from pipeaudit import runtime
    from pipeaudit.read import read_table

    chosen: list[str] = []
    monkeypatch.setattr(pa, "set_memory_pool", lambda pool: chosen.append(pool.backend_name))
    monkeypatch.setattr(runtime, "_POOL_CHOSEN", False)
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    read_table(Path(__file__).resolve().parents[1] / "samples" / "crm_export_zh.xlsx")
    assert runtime._POOL_CHOSEN
    if "jemalloc" in pa.supported_memory_backends():
        assert chosen == ["jemalloc"]
