"""Hostile values travel through check and report: nothing escapes the output folder, nothing becomes
markup or a formula, control characters do not break the writers, and --output never clobbers
a device or special file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from test_hostile_support import assert_bounded, cli, needs_check

pytestmark = needs_check

HEADER = ["商机编号", "商机名称", "客户名称", "负责人", "销售阶段", "预计成交金额(万元)", "决策人", "内线", "下一步计划"]
EVIL_OWNERS = [
    "../../../tmp/pwned", "CON", "王伟\x00", "<script>alert(1)</script>", "=HYPERLINK(\"http://x\",\"y\")",
    "a" * 400, "\u202eevil\u202c", "李芳/../../x", "..", "NUL.txt", " ", "\t\r", "@SUM(A1)",
]
EVIL_VALUES = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "<img src=x onerror=alert(1)>", "\x07bell",
               "{{ 7*7 }}", "{% raw %}", "${jndi:ldap://x}", "&amp;&lt;", "\u0000"]


def hostile_csv(path: Path) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")  # so that a lone \r inside a value gets quoted
    w.writerow(HEADER)
    for i, owner in enumerate(EVIL_OWNERS):
        value = EVIL_VALUES[i % len(EVIL_VALUES)]
        w.writerow([f"OPP-{i}", value, value, owner, "C方案论证", "12", "", "", value])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _ok(out) -> None:
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    assert out.code in (0, 1), f"exit {out.code}: {out.stderr[-800:]}"
    assert_bounded(out)


def test_report_with_hostile_owners_and_values(tmp_path: Path) -> None:
    src = hostile_csv(tmp_path / "evil.csv")
    out_dir = tmp_path / "sub" / "out"
    before = set(os.listdir("/tmp"))
    out = cli("report", str(src), "--format", "html,md,xlsx", "--out", str(out_dir), "--as-of", "2026-11-23")
    _ok(out)
    assert not (Path("/tmp") / "pwned").exists() and not (Path("/tmp") / "pwned.html").exists()
    assert {n for n in set(os.listdir("/tmp")) - before if "pwned" in n} == set()
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p != src]
    assert files, "no report written"
    for p in files:  # everything under --out, nothing beside or above it
        assert out_dir in p.parents, p
        assert len(p.name.encode()) <= 255
        assert "\u202e" not in p.name and "\x00" not in p.name
    pages = [p.read_text(encoding="utf-8") for p in out_dir.rglob("*.html")]
    assert pages
    for html in pages:
        assert "<script>alert(1)</script>" not in html
        assert "<img src=x" not in html
    assert any("{{ 7*7 }}" in html for html in pages)  # data is shown as text, never rendered as a template
    book = next(out_dir.rglob("*.xlsx"))
    with zipfile.ZipFile(book) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in z.read(name).decode("utf-8"), f"formula cell in {name}"


def test_check_csv_neutralises_formulas(tmp_path: Path) -> None:
    src = hostile_csv(tmp_path / "evil.csv")
    target = tmp_path / "findings.csv"
    out = cli("check", str(src), "--format", "csv", "--output", str(target), "--fail-on", "never", "--as-of", "2026-11-23")
    _ok(out)
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert len(rows) > 1
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), row


def test_check_json_carries_values_verbatim(tmp_path: Path) -> None:
    src = hostile_csv(tmp_path / "evil.csv")
    out = cli("check", str(src), "--format", "json", "--fail-on", "never", "--as-of", "2026-11-23")
    _ok(out)
    data = json.loads(out.stdout)
    assert data["summary"]["deals"] == len(EVIL_OWNERS)
    owners = {f["owner"] for f in data["findings"]}
    assert "<script>alert(1)</script>" in owners  # JSON is data: kept exactly, escaping is the viewer's job


def test_output_onto_a_character_device_does_not_replace_it(tmp_path: Path) -> None:
    """`--output /dev/null` (common in cron) must write into the device, not rename a file over it."""
    dev = tmp_path / "null"
    try:
        os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot create a device node here: {exc}")
    src = hostile_csv(tmp_path / "evil.csv")
    out = cli("check", str(src), "--format", "json", "--output", str(dev), "--fail-on", "never", "--as-of", "2026-11-23")
    assert "Traceback" not in out.stderr
    assert stat.S_ISCHR(os.lstat(dev).st_mode), "the device was replaced by a regular file"


def test_output_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    src = hostile_csv(tmp_path / "evil.csv")
    out = cli("check", str(src), "--format", "json", "--output", str(link), "--fail-on", "never", "--as-of", "2026-11-23",
              "--follow-symlinks")
    _ok(out)
    assert link.is_symlink(), "the symlink was replaced by a regular file"
    assert json.loads(real.read_text())["summary"]["deals"] == len(EVIL_OWNERS)


def test_outputs_honour_the_umask(tmp_path: Path) -> None:
    src = hostile_csv(tmp_path / "evil.csv")
    target = tmp_path / "findings.json"
    old = os.umask(0o022)
    try:
        out = cli("check", str(src), "--format", "json", "--output", str(target), "--fail-on", "never")
    finally:
        os.umask(old)
    _ok(out)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_replacing_an_output_keeps_its_mode(tmp_path: Path) -> None:
    src = hostile_csv(tmp_path / "evil.csv")
    target = tmp_path / "findings.json"
    target.write_text("{}")
    os.chmod(target, 0o640)
    out = cli("check", str(src), "--format", "json", "--output", str(target), "--fail-on", "never")
    _ok(out)
    assert json.loads(target.read_text())["summary"]["deals"] == len(EVIL_OWNERS)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_atomic_writer_and_history_follow_the_umask(tmp_path: Path, umask: int, expected: int) -> None:
    from datetime import date

    from pipeaudit.weekly.store import HistoryStore
    from pipeaudit.outputs import atomic_write

    old = os.umask(umask)
    try:
        atomic_write(tmp_path / "a.txt", "x")
        with HistoryStore(tmp_path / "h.sqlite") as store:
            store.store(__import__("pandas").DataFrame({"deal_id": ["D1"], "deal": ["A"]}), date(2026, 11, 23))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == expected
    for f in tmp_path.glob("h.sqlite*"):  # the database and its -wal/-shm files
        assert stat.S_IMODE(f.stat().st_mode) == expected, f.name
    assert not list(tmp_path.glob(".*.tmp"))


def test_xlsx_report_honours_the_umask(tmp_path: Path) -> None:
    src = hostile_csv(tmp_path / "evil.csv")
    out_dir = tmp_path / "out"
    old = os.umask(0o022)
    try:
        out = cli("report", str(src), "--format", "html,xlsx", "--out", str(out_dir), "--as-of", "2026-11-23")
    finally:
        os.umask(old)
    _ok(out)
    modes = {p.suffix: stat.S_IMODE(p.stat().st_mode) for p in out_dir.rglob("*") if p.is_file()}
    assert modes[".html"] == 0o644  # the shared writer
    assert modes[".xlsx"] == 0o644
