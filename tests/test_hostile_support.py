"""Shared helpers for the hostile-input tests: run pipeaudit in a child, bounded in time and address
space, and measure it.

Every hostile file is handled in a separate process so that a hang is cut off by a timeout and
the child's own peak memory can be read (GNU time's %M when present; Linux keeps ru_maxrss across
fork+exec, so a child forked straight from pytest would start from pytest's own peak).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

TIMEOUT = 60  # seconds any single hostile input may take, end to end
MAX_PEAK_MIB = 1536  # no hostile input may push the child past this
# Hard ceiling on each child's address space, so that a regression (a reader that builds a vast
# rectangle again) fails its test instead of exhausting a shared machine. A normal read of the
# 100,000-deal workbook fits in 2 GiB of address space.
CHILD_ADDRESS_SPACE = 4 << 30

# Reads a file the way every command does and prints what it found; PipeauditError -> exit 2 like
# the CLI. Anything else escapes as a traceback (exit 1), which the tests treat as a bug.
READ_DRIVER = r"""
import json, sys
from pathlib import Path
from pipeaudit.errors import PipeauditError
from pipeaudit.read import read_table
try:
    t = read_table(Path(sys.argv[1]))
except PipeauditError as exc:
    print(f"pipeaudit: {exc}", file=sys.stderr)
    sys.exit(2)
cells = t.cells
print(json.dumps({
    "rows": int(len(cells)),
    "headers": [str(h) for h in t.headers],
    "header_row": int(t.header_row),
    "first_rows": [int(r) for r in list(t.row_numbers[:3])],
    "last_rows": [int(r) for r in list(t.row_numbers[-3:])],
    "cells": [[None if v is None or v != v else str(v) for v in cells.iloc[i].tolist()] for i in range(min(len(cells), 5))],
    "last_cells": [[None if v is None or v != v else str(v) for v in cells.iloc[i].tolist()] for i in range(max(len(cells) - 2, 0), len(cells))],
    "max_len": max((int(cells[c].astype(object).map(lambda v: len(v) if isinstance(v, str) else 0).max()) for c in cells.columns), default=0) if 0 < len(cells) <= 1000 else None,
}, ensure_ascii=False))
"""


def _gnu_time() -> str | None:
    path = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if not path:
        return None
    probe = subprocess.run([path, "-f", "%M", "true"], capture_output=True, text=True)
    return path if probe.returncode == 0 and probe.stderr.strip().isdigit() else None


GNU_TIME = _gnu_time()


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    peak_mib: float | None

    def json(self) -> dict:
        return json.loads(self.stdout)


def run_child(argv: list[str], timeout: float = TIMEOUT, env: dict | None = None) -> Outcome:
    """Run argv, fail the test on a timeout, return exit code, output and the child's peak RSS."""
    with tempfile.TemporaryDirectory(prefix="pipeaudit-hostile-") as tmp:
        rss = Path(tmp) / "rss"
        full = [GNU_TIME, "-q", "-f", "%M", "-o", str(rss)] + argv if GNU_TIME else argv
        child_env = {**os.environ, "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
        child_env.pop("PIPEAUDIT_DEBUG", None)
        try:
            proc = subprocess.run(full, capture_output=True, text=True, timeout=timeout, env=child_env,
                                  stdin=subprocess.DEVNULL, preexec_fn=_bound_child)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{' '.join(argv[-3:])} took more than {timeout} s (hang?)")
        peak = None
        if GNU_TIME and rss.exists():
            figures = [w for w in rss.read_text().split() if w.isdigit()]
            peak = int(figures[-1]) / 1024 if figures else None
    return Outcome(proc.returncode, proc.stdout, proc.stderr, peak)


def _bound_child() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (CHILD_ADDRESS_SPACE, CHILD_ADDRESS_SPACE))


def read_file(path: Path, **kw) -> Outcome:
    """The reader alone (read_table), as every command calls it."""
    return run_child([sys.executable, "-c", READ_DRIVER, str(path)], **kw)


def cli(*args: str, **kw) -> Outcome:
    return run_child([sys.executable, "-m", "pipeaudit", *args], **kw)


def check_ready() -> bool:
    """`check` runs end to end only once the engine's pipeline.run_audit exists."""
    import pipeaudit.pipeline

    return importlib.util.find_spec("pipeaudit.commands.check") is not None and hasattr(
        pipeaudit.pipeline, "run_audit"
    )


needs_check = pytest.mark.skipif(not check_ready(), reason="check not implemented yet (pipeline.run_audit)")


def assert_refused(out: Outcome, *words: str) -> None:
    """Exit 2, exactly one line on stderr starting 'pipeaudit:', no traceback, bounded memory."""
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    assert out.code == 2, f"exit {out.code}: {out.stderr[-1000:]}"
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("pipeaudit: ")
    for w in words:
        assert w.lower() in lines[0].lower(), lines[0]
    assert_bounded(out)


def assert_bounded(out: Outcome, limit_mib: float = MAX_PEAK_MIB) -> None:
    if out.peak_mib is not None:
        assert out.peak_mib < limit_mib, f"peak memory {out.peak_mib:.0f} MiB"


def assert_read(out: Outcome) -> dict:
    """The reader succeeded without noise; return what it found."""
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    assert out.code == 0, f"exit {out.code}: {out.stderr[-1000:]}"
    assert_bounded(out)
    return out.json()


def test_helpers_catch_a_traceback() -> None:
    """The driver must report a non-PipeauditError crash as a failure, not as a refusal."""
    out = run_child([sys.executable, "-c", "raise ValueError('boom')"])
    assert out.code == 1 and "Traceback" in out.stderr
    with pytest.raises(AssertionError):
        assert_refused(out)
