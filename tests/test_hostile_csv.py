"""Hostile and broken CSV exports: each is read correctly or refused with one line, in bounded time and memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_hostile_support import assert_bounded, assert_read, assert_refused, cli, needs_check, read_file

HEADER = "商机编号,商机名称,客户名称,负责人,销售阶段,预计成交金额(万元)"


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_nul_byte_is_read_not_crashed(tmp_path: Path) -> None:
    f = write(tmp_path / "nul.csv", f"{HEADER}\nOPP-1,Deal\x00A,客户,王伟,E确认商机,15\nOPP-2,DealB,客户,李芳,D进程确定,20\n")
    got = assert_read(read_file(f))
    assert got["rows"] == 2
    assert got["first_rows"] == [2, 3]
    assert got["cells"][1] == ["OPP-2", "DealB", "客户", "李芳", "D进程确定", "20"]
    assert got["cells"][0][1] in ("Deal\x00A", "DealA", "Deal A")  # kept, dropped or blanked: never a crash


def test_mixed_line_endings_read_correctly(tmp_path: Path) -> None:
    body = (HEADER + "\r\n" + "OPP-1,A,客户,王伟,E确认商机,15\r\n" + "OPP-2,B,客户,李芳,D进程确定,20\n"
            + "OPP-3,C,客户,张娜,C方案论证,30\r" + "OPP-4,D,客户,刘敏,B商务谈判,40\n")
    got = assert_read(read_file(write(tmp_path / "mixed.csv", body)))
    assert got["rows"] == 4
    assert got["first_rows"] == [2, 3, 4] and got["last_rows"] == [3, 4, 5]
    assert [r[0] for r in got["cells"]] == ["OPP-1", "OPP-2", "OPP-3", "OPP-4"]
    assert got["cells"][3] == ["OPP-4", "D", "客户", "刘敏", "B商务谈判", "40"]


def test_unclosed_quote_is_refused_with_reason(tmp_path: Path) -> None:
    f = write(tmp_path / "unclosed.csv", f'{HEADER}\nOPP-1,"A,客户,王伟,E确认商机,15\nOPP-2,B,客户,李芳,D进程确定,20\n')
    assert_refused(read_file(f), "unclosed.csv")


def test_50_mb_single_cell_is_read_in_bounded_memory(tmp_path: Path) -> None:
    f = tmp_path / "bigcell.csv"
    with f.open("w", encoding="utf-8") as fh:
        fh.write(HEADER + "\n")
        fh.write("OPP-1," + "x" * 50_000_000 + ",客户,王伟,E确认商机,15\nOPP-2,B,客户,李芳,D进程确定,20\n")
    out = read_file(f)
    if out.code == 2:  # refusing it with a reason is fine too
        assert_refused(out, "bigcell.csv")
        return
    got = assert_read(out)
    assert got["rows"] == 2
    assert got["max_len"] == 50_000_000
    assert got["cells"][1][1] == "B"
    assert_bounded(out, 1024)  # about 20x the cell; measured ~620 MiB


def test_10000_columns_are_refused_with_the_limit(tmp_path: Path) -> None:
    f = tmp_path / "wide.csv"
    extra = ",".join(f"c{i}" for i in range(10_000))
    write(f, f"{HEADER},{extra}\nOPP-1,A,客户,王伟,E确认商机,15{',1' * 10_000}\n")
    assert_refused(read_file(f), "wide.csv", "2,000")


def test_1048576_lines_are_read_with_their_line_numbers(tmp_path: Path) -> None:
    f = tmp_path / "tall.csv"
    lines = 1_048_576  # header + 1,048,575 deals: Excel's row count
    with f.open("w", encoding="utf-8") as fh:
        fh.write(HEADER + "\n")
        fh.writelines(f"O{i},d,a,王伟,E确认商机,1\n" for i in range(lines - 1))
    got = assert_read(read_file(f))
    assert got["rows"] == lines - 1
    assert got["first_rows"] == [2, 3, 4]
    assert got["last_rows"] == [lines - 2, lines - 1, lines]
    assert got["last_cells"][-1][0] == f"O{lines - 2}"


def test_random_bytes_named_csv_never_crash(tmp_path: Path) -> None:
    import random

    rnd = random.Random(6)
    f = write(tmp_path / "noise.csv", bytes(rnd.getrandbits(8) for _ in range(20_000)))
    out = read_file(f)
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    assert out.code in (0, 2), out.stderr
    if out.code == 2:
        assert_refused(out, "noise.csv")


def test_empty_and_header_only_csv(tmp_path: Path) -> None:
    assert_refused(read_file(write(tmp_path / "empty.csv", b"")), "empty.csv")
    out = read_file(write(tmp_path / "only.csv", HEADER + "\n"))
    assert "Traceback" not in out.stderr
    if out.code == 0:
        assert out.json()["rows"] == 0
    else:
        assert_refused(out, "only.csv")


@needs_check
@pytest.mark.parametrize(
    "name, body",
    [
        ("unclosed.csv", f'{HEADER}\nOPP-1,"A,客户,王伟,E确认商机,15\n'),
        ("wide.csv", HEADER + "," + ",".join(f"c{i}" for i in range(10_000)) + "\n" + "1," * 10_005 + "1\n"),
    ],
)
def test_check_refuses_broken_csv_in_one_line(tmp_path: Path, name: str, body: str) -> None:
    f = write(tmp_path / name, body)
    assert_refused(cli("check", str(f), "--format", "json", "--fail-on", "never", "--as-of", "2026-11-23"), name)


@needs_check
def test_check_survives_nul_and_mixed_endings(tmp_path: Path) -> None:
    body = (HEADER + ",决策人,内线\r\n" + "OPP-1,De\x00al,客户,王伟,D进程确定,15,,\n" + "OPP-2,B,客户,李芳,D进程确定,20,张总,李工\r")
    f = write(tmp_path / "odd.csv", body)
    out = cli("check", str(f), "--format", "json", "--fail-on", "never", "--as-of", "2026-11-23")
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    assert out.code == 0, out.stderr
    assert out.json()["summary"]["deals"] == 2


@pytest.mark.parametrize(
    "name, data",
    [
        ("mixed_enc.csv", (HEADER + "\n").encode("utf-8") + "OPP-1,A,客户,王伟,E确认商机,15\n".encode("gb18030")),
        ("utf16_nobom.csv", (HEADER + "\nOPP-1,A,客户,王伟,E确认商机,15\n").encode("utf-16-le")),
        ("lone_surrogates.csv", (HEADER + "\n").encode() + b"OPP-1,\xed\xa0\x80,x,\xff\xfe,E,1\n"),
        ("only_breaks.csv", b"\r\n" * 200_000),
        ("bom_only.csv", b"\xef\xbb\xbf"),
        ("binary.csv", bytes(range(256)) * 64),
    ],
)
def test_encoding_chaos_reads_or_refuses(tmp_path: Path, name: str, data: bytes) -> None:
    out = read_file(write(tmp_path / name, data))
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    assert out.code in (0, 2), out.stderr
    if out.code == 2:
        assert_refused(out, name)
    else:
        got = out.json()
        assert got["rows"] >= 1 and got["first_rows"][0] == 2
        assert got["cells"][0][0] == "OPP-1"
