"""CSV: mixed encodings and resource ceilings.

A file whose lines mix UTF-8 and GB18030 is decided by its majority, each odd line is read with its
own encoding (or shown with replacement characters), and a note names the rows, in `columns` and in
the output notes. Blank lines, short lines and sparse wide files are bounded before pandas or Arrow
builds a row of empty cells for each: a refusal is one line, fast, in little memory.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app
from pipeaudit.errors import InputError
from pipeaudit.read import read_table
from pipeaudit.read.csv import HEAD_BYTES
from test_hostile_support import assert_bounded, assert_refused, cli

HEADER = "商机编号,商机名称,负责人,销售阶段,预计成交金额(万元),决策人\n"
AS_OF = ["--as-of", "2026-11-23"]


def _rows(n: int, start: int = 1) -> list[str]:
    return [f"OPP-{i},华光集团数字化项目{i},王伟,C方案论证,12,\n" for i in range(start, start + n)]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _mixed_utf8(tmp_path: Path, newline: str = "\n", bom: bool = False) -> Path:
    odd = f"OPP-900,海天科技采购,李芳,B商务谈判,30,张总{newline}".encode("gb18030")
    head = (HEADER.replace("\n", newline) + "".join(_rows(40)).replace("\n", newline)).encode()
    tail = "".join(_rows(40, 41)).replace("\n", newline).encode()
    return _write(tmp_path / "mixed.csv", (b"\xef\xbb\xbf" if bom else b"") + head + odd + tail)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("bom", [False, True])
def test_a_utf8_file_with_one_gb18030_row(tmp_path: Path, newline: str, bom: bool) -> None:
    t = read_table(_mixed_utf8(tmp_path, newline, bom))
    names = t.cells[1].tolist()
    assert names[40] == "海天科技采购" and t.cells[2].tolist()[40] == "李芳"
    assert all(n.startswith("华光集团数字化项目") for i, n in enumerate(names) if i != 40)  # nothing garbled
    assert int(t.row_numbers[40]) == 42 and int(t.row_numbers[41]) == 43  # rows keep their numbers
    mixed = [n for n in t.notes if "mixed encodings" in n]
    assert len(mixed) == 1 and "rows 42" in mixed[0] and "gb18030" in mixed[0]
    assert any(n.startswith("encoding utf-8") for n in t.notes)


def test_a_gb18030_file_with_one_utf8_row(tmp_path: Path) -> None:
    odd = "OPP-900,长城软件服务合同,赵敏,D进程确定,8,刘总\n".encode()
    data = (HEADER + "".join(_rows(30))).encode("gb18030") + odd + "".join(_rows(30, 31)).encode("gb18030")
    t = read_table(_write(tmp_path / "gb.csv", data))
    names = t.cells[1].tolist()
    assert names[30] == "长城软件服务合同" and names[0] == "华光集团数字化项目1" and names[-1] == "华光集团数字化项目60"
    assert any("mixed encodings" in n and "rows 32" in n and "utf-8" in n for n in t.notes)
    assert any(n.startswith("encoding gb18030") for n in t.notes)


def test_a_row_in_neither_encoding_is_replaced_visibly(tmp_path: Path) -> None:
    odd = b"OPP-900,\xff\xfe\xfd bad,\xc0\xc1,B\xe5\x95,30,\n"
    data = (HEADER + "".join(_rows(20))).encode() + odd + "".join(_rows(5, 21)).encode()
    t = read_table(_write(tmp_path / "bad.csv", data))
    assert "\ufffd" in t.cells[1].tolist()[20]
    assert t.cells[1].tolist()[21] == "华光集团数字化项目21"
    assert any("rows 22" in n and "\ufffd" in n for n in t.notes)


def test_pure_files_get_no_mixed_note(samples_dir: Path, tmp_path: Path) -> None:
    for path in (samples_dir / "crm_export_gb18030.csv", _write(tmp_path / "u.csv", (HEADER + "".join(_rows(5))).encode())):
        assert not [n for n in read_table(path).notes if "mixed" in n]


def test_the_note_reaches_columns_and_the_outputs(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = _mixed_utf8(tmp_path)
    res = CliRunner().invoke(app, ["columns", str(path)])
    assert res.exit_code == 0, res.output
    assert "mixed encodings" in res.output and "rows 42" in res.output
    res = CliRunner().invoke(app, ["check", str(path), *AS_OF, "--format", "json"])
    data = json.loads(res.stdout)
    assert any("mixed encodings" in n and "rows 42" in n for n in data["notes"])
    assert set(data["summary"]["by_owner"]) == {"王伟", "李芳"}  # the odd row's owner read right
    res = CliRunner().invoke(app, ["check", str(path), *AS_OF])
    assert "mixed encodings" in res.stdout


# ---- size ------------------------------------------------------------------------------------------


def test_fifty_megabytes_of_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    with open(path, "wb") as fh:
        fh.write((HEADER + "".join(_rows(3))).encode())
        fh.write(b"\n" * 50_000_000)
    out = cli("columns", str(path), timeout=60)
    assert_refused(out, "blank lines", "PIPEAUDIT_MAX_BLANK_LINES")
    assert_bounded(out, 600)  # (it took 4 GB)


def test_blank_lines_under_the_limit_are_dropped(tmp_path: Path) -> None:
    data = HEADER + "".join(_rows(3)) + "\n" * 1000 + "".join(_rows(2, 4)) + "\r\n\r\n"
    t = read_table(_write(tmp_path / "b.csv", data.encode()))
    assert len(t.cells) == 5 and t.row_numbers.tolist() == [2, 3, 4, 1005, 1006]


def test_short_lines_cannot_pad_into_billions_of_cells(tmp_path: Path) -> None:
    """2,000 columns, then a million lines of one value each: two megabytes, two billion cells."""
    path = tmp_path / "short.csv"
    header = ",".join(f"备注{i}" for i in range(1995)) + ",商机编号,商机名称,负责人,销售阶段,预计成交金额(万元)\n"
    with open(path, "wb") as fh:
        fh.write(header.encode())
        fh.write(b"x\n" * 1_000_000)
    out = cli("columns", str(path), timeout=60)
    assert_refused(out, "2,000 columns", "PIPEAUDIT_MAX_CSV_CELLS")
    assert_bounded(out, 600)


@pytest.mark.parametrize("shape", ["full rows", "short rows"])
def test_a_sparse_wide_csv_is_bounded_by_cells(tmp_path: Path, monkeypatch, shape: str) -> None:
    """Both readers (Arrow for full rows, pandas for short ones) stop at the cell limit."""
    monkeypatch.setenv("PIPEAUDIT_MAX_CSV_CELLS", "1000000")
    cols = 2000
    header = ",".join(f"c{i}" for i in range(cols - 5)) + ",商机编号,商机名称,负责人,销售阶段,预计成交金额(万元)\n"
    row = ("x" + "," * (cols - 1) + "\n") if shape == "full rows" else "x,\n"
    path = _write(tmp_path / "wide.csv", (header + row * 600).encode())
    with pytest.raises(InputError, match=r"2,000 columns.*over the limit of 1,000,000 cells"):
        read_table(path)
    monkeypatch.setenv("PIPEAUDIT_MAX_CSV_CELLS", "2000000")
    assert len(read_table(path).cells) == 600


def test_the_column_count_is_right_when_the_header_is_long(tmp_path: Path) -> None:
    cols = 2500
    names = [f"自定义字段_{i:05d}_" + "x" * 200 for i in range(cols - 5)]
    header = ",".join(names) + ",商机编号,商机名称,负责人,销售阶段,预计成交金额(万元)\n"
    assert len(header.encode()) > 2 * HEAD_BYTES  # longer than the head read first, twice over
    path = _write(tmp_path / "long.csv", (header + ",".join(["1"] * cols) + "\n").encode())
    with pytest.raises(InputError, match=r"has 2,500 columns, over the limit of 2,000"):
        read_table(path)


def test_a_long_header_under_the_limit_is_read_whole(tmp_path: Path) -> None:
    cols = 1900
    names = [f"自定义字段_{i:05d}_" + "x" * 150 for i in range(cols - 5)]
    header = ",".join(names) + ",商机编号,商机名称,负责人,销售阶段,预计成交金额(万元)\n"
    assert len(header.encode()) > HEAD_BYTES
    row = ",".join(["v"] * (cols - 5)) + ",OPP-1,甲,王伟,C方案论证,12\n"
    t = read_table(_write(tmp_path / "long.csv", (header + row).encode()))
    assert len(t.headers) == cols and t.headers[-1] == "预计成交金额(万元)"
    assert t.cells.iloc[0, cols - 3] == "王伟"



def test_csv_limits_are_documented() -> None:
    from pipeaudit.read import limits

    assert limits.MAX_CSV_CELLS == 50_000_000 and limits.MAX_BLANK_LINES == 1_048_576
    security = (Path(__file__).resolve().parent.parent / "SECURITY.md").read_text(encoding="utf-8")
    for env in ("PIPEAUDIT_MAX_CSV_CELLS", "PIPEAUDIT_MAX_BLANK_LINES", "PIPEAUDIT_MAX_REPS"):
        assert env in security
