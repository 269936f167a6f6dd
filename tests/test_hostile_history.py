"""Cron overlapping a manual run, and runs killed midway: the history database and earlier reports
survive intact.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_hostile_support import cli, needs_check

pytestmark = needs_check

HEADER = "商机编号,商机名称,客户名称,负责人,销售阶段,预计成交金额(万元),预计成交日期,分级日期,商机分级,决策人,内线\n"
STAGES = ["E确认商机", "D进程确定", "C方案论证", "B商务谈判", "A销售成交"]


def export(path: Path, deals: int, shift: int = 0) -> Path:
    """A plain export; `shift` moves stages and amounts so consecutive weeks differ."""
    lines = [HEADER]
    for i in range(deals):
        stage = STAGES[(i + shift) % 5]
        lines.append(f"OPP-{i},项目{i},客户{i % 97},销售{i % 40},{stage},{(i * 7 + shift) % 90 + 1},"
                     f"2026-{(i + shift) % 12 + 1:02d}-15,2026-10-{i % 28 + 1:02d},{'ABCD'[i % 4]},,\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as con:
        return con.execute("PRAGMA integrity_check").fetchone()[0]


def weeks(db: Path) -> str:
    out = cli("history", "list", "--history", str(db))
    assert out.code == 0, out.stderr
    return out.stdout


def test_two_runs_at_once_both_land(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    a = export(tmp_path / "a.csv", 4000, 0)
    b = export(tmp_path / "b.csv", 4000, 1)
    env = {**os.environ, "NO_COLOR": "1"}
    procs = [
        subprocess.Popen([sys.executable, "-m", "pipeaudit", "check", str(f), "--history", str(db), "--as-of", d,
                          "--format", "json", "--fail-on", "never"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        for f, d in ((a, "2026-11-16"), (b, "2026-11-23"), (a, "2026-11-16"))
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "Traceback" not in err
    assert integrity(db) == "ok"
    listing = weeks(db)
    assert "2026-11-16" in listing and "2026-11-23" in listing
    assert listing.count("2026-11-16") == 1  # the same week stored twice replaces, never duplicates


@pytest.mark.parametrize("delay", [0.4, 1.0, 1.8, 3.0])
def test_run_killed_midway_leaves_history_and_reports_intact(tmp_path: Path, delay: float) -> None:
    db = tmp_path / "history.sqlite"
    out_dir = tmp_path / "out"
    first = export(tmp_path / "w1.csv", 3000, 0)
    done = cli("report", str(first), "--history", str(db), "--as-of", "2026-11-16", "--out", str(out_dir),
               "--format", "html,xlsx")
    assert done.code == 0, done.stderr
    before = {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()}
    assert before
    second = export(tmp_path / "w2.csv", 30000, 2)
    proc = subprocess.Popen([sys.executable, "-m", "pipeaudit", "report", str(second), "--history", str(db),
                             "--as-of", "2026-11-23", "--out", str(out_dir), "--format", "html,xlsx"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert integrity(db) == "ok"
    listing = weeks(db)
    assert "2026-11-16" in listing
    # every file under a real name is whole: the old version or a complete new one, never half
    for p in out_dir.rglob("*"):
        if not p.is_file() or p.name.startswith("."):
            continue
        if p.suffix == ".xlsx":
            import zipfile

            assert zipfile.is_zipfile(p), f"{p} is not a valid workbook"
        elif p.suffix == ".html":
            assert p.read_bytes().rstrip().lower().endswith(b"</html>"), f"{p} is cut short"
    for p in before:
        assert p.exists(), f"{p} vanished"
    # the next run works on whatever the killed one left
    again = cli("check", str(second), "--history", str(db), "--as-of", "2026-11-23", "--format", "json",
                "--fail-on", "never")
    assert again.code == 0, again.stderr
    assert integrity(db) == "ok"


def _foreign_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        con.execute("INSERT INTO invoices (total) VALUES (42.0)")


@pytest.mark.parametrize("kind", ["random-bytes", "foreign-sqlite", "truncated-header", "empty"])
def test_a_database_that_is_not_ours_is_refused_and_left_alone(tmp_path: Path, kind: str) -> None:
    db = tmp_path / "history.sqlite"
    if kind == "random-bytes":
        db.write_bytes(os.urandom(8192))
    elif kind == "foreign-sqlite":
        _foreign_sqlite(db)
    elif kind == "truncated-header":
        db.write_bytes(b"SQLite format 3\x00" + os.urandom(50))
    else:
        db.write_bytes(b"")
    before = db.read_bytes()
    src = export(tmp_path / "w.csv", 50)
    out = cli("check", str(src), "--history", str(db), "--as-of", "2026-11-23", "--format", "json", "--fail-on", "never")
    assert "Traceback" not in out.stderr, out.stderr[-1500:]
    if kind == "empty" and out.code == 0:  # an empty file may be taken as a new database
        assert integrity(db) == "ok"
        return
    assert out.code == 2, (out.code, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pipeaudit: ") and "history.sqlite" in lines[0], out.stderr
    assert db.read_bytes() == before, "a database that is not ours was modified"
