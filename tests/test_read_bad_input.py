"""Every bad input is one InputError line naming the file and the reason; never a traceback."""

from __future__ import annotations

import importlib
import os
import zipfile
from pathlib import Path

import pytest

from pipeaudit.errors import InputError, PipeauditError
from pipeaudit.read import limits, read_table
from pipeaudit.read.guard.paths import ensure_defusedxml
from tests.test_read_helpers import toy_score, write_xlsx

HEADER = ["商机编号", "商机名称", "负责人", "销售阶段", "金额"]


def one_line(exc: pytest.ExceptionInfo[InputError], *parts: str) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    for part in parts:
        assert part in msg, msg
    return msg


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        read_table(tmp_path / "nope.xlsx")
    one_line(exc, "nope.xlsx", "no such file")


def test_a_sheet_asked_of_a_csv_is_refused_not_ignored(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text("商机名称,负责人,销售阶段\nERP,张三,C方案论证\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_table(path, sheet="3")
    one_line(exc, "deals.csv", "--sheet 3", "has no sheets")


def test_folder(tmp_path: Path) -> None:
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(InputError) as exc:
        read_table(tmp_path / "dir.csv")
    one_line(exc, "dir.csv", "is a folder")


@pytest.mark.parametrize("name", ["e.csv", "e.xlsx"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(InputError) as exc:
        read_table(tmp_path / name)
    one_line(exc, name, "empty (0 bytes)")


def test_unsupported_extension(tmp_path: Path) -> None:
    (tmp_path / "deals.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(InputError) as exc:
        read_table(tmp_path / "deals.pdf")
    one_line(exc, "deals.pdf", "unsupported file type .pdf", ".xlsx", ".csv", ".tsv")


@pytest.mark.parametrize("name", ["junk.xlsx", "junk.xls", "junk.ods", "junk.xlsm"])
def test_random_bytes_named_as_workbook(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(os.urandom(4096))
    with pytest.raises(InputError) as exc:
        read_table(tmp_path / name)
    one_line(exc, name, "not a valid Excel workbook")


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "z.xlsx", "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    with pytest.raises(InputError) as exc:
        read_table(tmp_path / "z.xlsx")
    one_line(exc, "z.xlsx", "not a valid Excel workbook")


def test_truncated_workbook(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "g.xlsx", {"S": [HEADER, ["1", "a", "b", "c", 1]]})
    data = good.read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as exc:
        read_table(tmp_path / "cut.xlsx")
    one_line(exc, "cut.xlsx", "not a valid Excel workbook")


def fake_encrypted(path: Path) -> Path:
    """An OLE2 container whose directory names the encrypted-OOXML streams, as Excel writes them."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = ("EncryptionInfo".encode("utf-16-le") + b"\x00" * 50) + ("EncryptedPackage".encode("utf-16-le") + b"\x00" * 50)
    path.write_bytes(header + directory + b"\x00" * 1024)
    return path


@pytest.mark.parametrize("name", ["secret.xlsx", "secret.xls", "secret.xlsm"])
def test_password_protected(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError) as exc:
        read_table(fake_encrypted(tmp_path / name))
    one_line(exc, name, "password-protected")


def test_ole2_without_encryption_named_xlsx(tmp_path: Path) -> None:
    (tmp_path / "old.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048)
    with pytest.raises(InputError) as exc:
        read_table(tmp_path / "old.xlsx")
    one_line(exc, "old.xlsx", "not a valid Excel workbook")


def test_zip_bomb_by_ratio(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    chunk = b"\x00" * (1 << 20)
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(300):
                fh.write(chunk)
    assert bomb.stat().st_size < 2_000_000
    with pytest.raises(InputError) as exc:
        read_table(bomb)
    one_line(exc, "bomb.xlsx", "zip bomb", "sheet1.xml")


def test_zip_total_size_limit_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_xlsx(tmp_path / "ok.xlsx", {"S": [HEADER, ["1", "a", "b", "c", 1]]})
    assert len(read_table(path, header_score=toy_score).cells) == 1
    monkeypatch.setenv("PIPEAUDIT_MAX_UNCOMPRESSED", "1000")
    with pytest.raises(InputError) as exc:
        read_table(path, header_score=toy_score)
    one_line(exc, "ok.xlsx", "over the limit of 1,000", "PIPEAUDIT_MAX_UNCOMPRESSED")
    monkeypatch.setenv("PIPEAUDIT_MAX_UNCOMPRESSED", "lots")
    with pytest.raises(InputError, match="not a whole number"):
        read_table(path, header_score=toy_score)


def test_too_many_zip_members(tmp_path: Path) -> None:
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(limits.MAX_ZIP_MEMBERS + 1):
            zf.writestr(f"p{i}", b"")
    with pytest.raises(InputError) as exc:
        read_table(path)
    one_line(exc, "many.xlsx", "more than the limit of 10000")


def test_column_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPEAUDIT_MAX_COLUMNS", "3")
    path = write_xlsx(tmp_path / "wide.xlsx", {"S": [HEADER, ["1", "a", "b", "c", 1]]})
    with pytest.raises(InputError) as exc:
        read_table(path, header_score=toy_score)
    one_line(exc, "wide.xlsx", "x 5 columns, over the limits of 3 columns")  # from <dimension>, before calamine
    (tmp_path / "wide.csv").write_text("a,b,c,d\n1,2,3,4\n")
    with pytest.raises(InputError) as exc:
        read_table(tmp_path / "wide.csv")
    one_line(exc, "wide.csv", "4 columns, over the limit of 3")


def test_csv_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPEAUDIT_MAX_CSV_BYTES", "10")
    (tmp_path / "big.csv").write_text("Deal ID,Deal,Owner\nD1,A,Ann\n")
    with pytest.raises(InputError) as exc:
        read_table(tmp_path / "big.csv")
    one_line(exc, "big.csv", "over the limit of 10", "PIPEAUDIT_MAX_CSV_BYTES")


def test_no_header_anywhere_in_workbook(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "n.xlsx", {"说明": [["只有说明"]], "数据": [["x", "y"], [1, 2]]})
    with pytest.raises(InputError) as exc:
        read_table(path, header_score=toy_score)
    one_line(exc, "n.xlsx", "no header row recognised in sheet", "found / 现有内容:", "--map field=Header")


def test_binary_garbage_csv_never_tracebacks(tmp_path: Path) -> None:
    (tmp_path / "g.csv").write_bytes(bytes(range(256)) * 64)
    try:
        read_table(tmp_path / "g.csv")
    except InputError as exc:
        assert "g.csv" in str(exc)


def test_defusedxml_is_in_use() -> None:
    ensure_defusedxml()  # installed and enabled in this environment


def test_defusedxml_switched_off_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl.xml

    monkeypatch.setenv("OPENPYXL_DEFUSEDXML", "False")
    reloaded = importlib.reload(openpyxl.xml)
    try:
        assert reloaded.DEFUSEDXML is False
        with pytest.raises(PipeauditError, match="defusedxml"):
            ensure_defusedxml()
    finally:
        monkeypatch.delenv("OPENPYXL_DEFUSEDXML")
        importlib.reload(openpyxl.xml)
    assert openpyxl.xml.DEFUSEDXML is True


def test_sheet_declaring_a_vast_extent_is_refused_before_calamine(tmp_path: Path) -> None:
    # A1 plus XFD1048576 would make the dense reader allocate ~500 GB and abort the process.
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["B1"], ws["A2"] = "商机编号", "负责人", "x"
    ws["XFD1048576"] = "far"
    wb.save(tmp_path / "sparse.xlsx")
    with pytest.raises(InputError) as exc:
        read_table(tmp_path / "sparse.xlsx")
    one_line(exc, "sparse.xlsx", "1,048,576 rows x 16,384 columns", "PIPEAUDIT_MAX_CELLS")


@pytest.mark.parametrize(
    "data",
    [
        b"Deal ID,Deal,Owner\nD1,A\x00B,Ann\nD2,C,Bo\n",  # NUL byte
        b"Deal ID,Deal,Owner\r\nD1,A,Ann\nD2,C,Bo\rD3,E,Cy\r\n",  # mixed line endings
        b'Deal ID,Deal,Owner\nD1,"unclosed,Ann\nD2,C,Bo\n',  # unclosed quote
        b"Deal ID,Deal,Owner\nD1,A,Ann,extra,cells\n",  # more fields than the header
    ],
)
def test_hostile_csv_is_a_table_or_an_input_error(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "h.csv").write_bytes(data)
    try:
        t = read_table(tmp_path / "h.csv", header_score=toy_score)
    except InputError as exc:
        assert "h.csv" in str(exc) and "\n" not in str(exc)
    else:
        assert t.headers[:3] == ["Deal ID", "Deal", "Owner"]
        assert len(t.row_numbers) == len(t.cells)


def test_mixed_line_endings_keep_line_numbers(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_bytes(b"Deal ID,Deal,Owner\r\nD1,A,Ann\nD2,C,Bo\rD3,E,Cy\r\n")
    t = read_table(tmp_path / "m.csv", header_score=toy_score)
    assert t.cells[0].tolist() == ["D1", "D2", "D3"]
    assert t.row_numbers.tolist() == [2, 3, 4]
