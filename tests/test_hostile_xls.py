"""Hostile .xls (BIFF8 in OLE2): calamine builds every sheet when opening the file, so each way to
make it abort (SIGABRT) or panic must be refused in one line first. Files come from
tests/xls_writer.py (no .xls writer is installed); children are bounded as in the other
hostile tests.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from pipeaudit.errors import InputError
from pipeaudit.read import read_table
from pipeaudit.read.guard.xls_records import check_xls
from test_hostile_support import assert_refused, read_file
from test_read_helpers import toy_score
from xls_writer import dimensions, label, number, record, workbook_stream, write_xls

HEADER = ["商机编号", "负责人", "销售阶段"]
HEAD = [label(0, i, h) for i, h in enumerate(HEADER)]
DEAL = [label(1, 0, "OPP-1"), label(1, 1, "王伟"), number(1, 2, 15.0)]


@pytest.mark.parametrize("pad", [4200, 0], ids=["stream", "mini-stream"])
def test_plain_xls_reads(tmp_path: Path, pad: int) -> None:
    f = write_xls(tmp_path / "ok.xls", workbook_stream([("商机", HEAD + DEAL)], pad_to=pad))
    t = read_table(f, header_score=toy_score)
    assert t.headers == HEADER and t.cells.iloc[0].tolist()[:2] == ["OPP-1", "王伟"]


def test_xls_far_cell_is_refused_before_calamine_aborts(tmp_path: Path) -> None:
    # (65535, 65535) next to A1: 4.3 billion cells; calamine aborts the process (SIGABRT)
    f = write_xls(tmp_path / "far.xls", workbook_stream([("商机", HEAD + [number(65535, 65535, 1.0)])]))
    out = read_file(f)
    assert_refused(out, "far.xls", "'商机'", "column 65,536", "PIPEAUDIT_MAX_COLUMNS")


@pytest.mark.parametrize(
    "dims, declared",
    [((0, 10**9, 0, 200), "200,000,000,000"), ((5, 2, 0, 3), "12,884,901,879")],  # huge; last row before first (wraps)
    ids=["a billion rows", "wrapping"],
)
def test_xls_dimensions_asking_for_too_much_are_refused(tmp_path: Path, dims: tuple[int, int, int, int], declared: str) -> None:
    """calamine reserves rows x cols from DIMENSIONS before reading a cell: both abort it."""
    f = write_xls(tmp_path / "dims.xls", workbook_stream([("商机", [dimensions(*dims)] + HEAD + DEAL)]))
    assert_refused(read_file(f), "dims.xls", "'商机'", f"declares {declared} cells", "PIPEAUDIT_MAX_CELLS")


def test_xls_sheet_offset_past_the_stream_is_refused_not_a_panic(tmp_path: Path) -> None:
    stream = bytearray(workbook_stream([("商机", HEAD + DEAL)]))
    at = stream.find(b"\x85\x00")  # BOUNDSHEET8
    struct.pack_into("<I", stream, at + 4, 10**6)
    out = read_file(write_xls(tmp_path / "pos.xls", bytes(stream)))
    assert "PanicException" not in out.stderr
    assert_refused(out, "pos.xls", "past the end of the workbook stream")


def test_xls_with_filepass_is_called_protected(tmp_path: Path) -> None:
    filepass = record(0x002F, struct.pack("<HHH", 0, 0, 0))
    f = write_xls(tmp_path / "pw.xls", workbook_stream([("商机", HEAD + DEAL)], globals_extra=[filepass]))
    assert_refused(read_file(f), "pw.xls", "password")


@pytest.mark.parametrize(
    "patch, words",
    [
        (lambda d: struct.pack_into("<I", d, 512 + 4 * 3, 2), "broken sector chain"),  # a loop in the FAT
        (lambda d: struct.pack_into("<I", d, 512 + 4 * 2, 0x7FFFFFF0), "broken sector chain"),
        (lambda d: struct.pack_into("<I", d, 76 + 4, 0xFFFFFFF0), "past the end of the file"),  # a FAT sector id
        (lambda d: struct.pack_into("<HH", d, 30, 7, 6), "sector sizes"),
    ],
    ids=["fat-loop", "fat-far-id", "difat-far-id", "sector-shift"],
)
def test_xls_damaged_container_is_one_line(tmp_path: Path, patch, words: str) -> None:
    f = write_xls(tmp_path / "bad.xls", workbook_stream([("商机", HEAD + DEAL)]), patch)
    with pytest.raises(InputError) as exc:
        check_xls(f)
    assert "\n" not in str(exc.value) and "bad.xls" in str(exc.value) and words in str(exc.value)


def test_xls_cells_limit_follows_its_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = write_xls(tmp_path / "mid.xls", workbook_stream([("商机", HEAD + [number(999, 9, 1.0)])]))
    check_xls(f)  # 1,000 x 10
    monkeypatch.setenv("PIPEAUDIT_MAX_CELLS", "9999")
    with pytest.raises(InputError, match="10,000 cells"):
        check_xls(f)


def test_xls_mulrk_run_is_bounded_by_its_last_column(tmp_path: Path) -> None:
    cells = 2500 - 100 + 1
    mulrk = record(0x00BD, struct.pack("<HH", 1, 100) + b"\0" * (6 * cells) + struct.pack("<H", 2500))
    f = write_xls(tmp_path / "rk.xls", workbook_stream([("商机", HEAD + [mulrk])]))
    with pytest.raises(InputError, match="column 2,501"):
        check_xls(f)


def test_xls_sheet_without_eof_hides_nothing(tmp_path: Path) -> None:
    """A sheet missing its EOF record: calamine stops at the next sheet's BOF; the check reads on
    (a harmless over-count), and the far cell is refused either way."""
    stream = bytearray(workbook_stream([("一", HEAD), ("二", [number(3, 5000, 1.0)])]))
    sheet_bof = stream.find(b"\x09\x08\x10\x00\x00\x06\x10\x00")  # the first worksheet's BOF
    eof = stream.find(b"\x0a\x00\x00\x00", sheet_bof)
    stream[eof : eof + 4] = record(0x00E1, b"")  # an ignored record instead of its EOF
    with pytest.raises(InputError, match="column 5,001"):
        check_xls(write_xls(tmp_path / "run.xls", bytes(stream)))


def test_xls_malformed_formula_is_one_line_not_a_panic(tmp_path: Path) -> None:
    # FORMULA: row, col, ixfe, value, flags, chn, then cce claims 200 bytes of formula that are not there
    formula = record(0x0006, struct.pack("<HHH", 1, 0, 0) + b"\0" * 14 + struct.pack("<H", 200) + b"\x3a")
    out = read_file(write_xls(tmp_path / "f.xls", workbook_stream([("商机", HEAD + [formula])])))
    assert_refused(out, "f.xls")
