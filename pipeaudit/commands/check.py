"""`pipeaudit check FILE`: audit, render in one format, and turn the findings into an exit code.

Exit codes: 0 nothing at or above --fail-on, 1 at least one finding at or above it; bad input,
config, rules or options raise a PipeauditError, which the CLI turns into one line and exit 2.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path
from typing import TextIO

from pipeaudit.options import AuditOptions


def run(opts: AuditOptions, *, fmt: str = "text", fail_on: str | None = None, output: Path | None = None) -> int:
    from pipeaudit.findings import check_fail_on, severity_at_least
    from pipeaudit.formats import HUMAN_FORMATS, check_format, render

    # Validate our own options before the (possibly slow) read, so a typo fails at once.
    check_format(fmt)
    if output is not None and Path(output).is_dir():
        from pipeaudit.errors import ConfigError

        raise ConfigError(f"--output {output}: is a folder; name a file / --output 需要文件名，不是文件夹")
    if fail_on is not None:
        check_fail_on(fail_on)
    from pipeaudit import pipeline

    cfg = pipeline.load_settings(opts)
    if fail_on is None:
        fail_on = check_fail_on(cfg.fail_on or "error")

    to_terminal = output is None and _isatty(sys.stdout)
    with Progress(enabled=fmt in HUMAN_FORMATS and progress_allowed()) as progress:
        progress.stage("auditing / 检查中")
        result = pipeline.run_audit(opts, cfg)
        if output is not None:
            progress.stage("writing / 写入中")
            # CSV files get a BOM so Excel detects UTF-8 (Chinese names); stdout never does.
            encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
            with open_output(Path(output), encoding) as fh:
                render(result, fmt, fh, color=False)
        else:
            progress.stop()  # never draw a spinner over the lines we are printing
            _render_stdout(result, fmt, color=fmt in HUMAN_FORMATS and to_terminal and color_allowed())
    return 1 if severity_at_least(result.findings, fail_on) else 0


@contextlib.contextmanager
def open_output(path: Path, encoding: str):
    """--output: atomic for regular files; a symlink is followed so the link survives; a device or
    FIFO (`-o /dev/null` in cron) is written in place, since renaming over it would replace it."""
    from pipeaudit.outputs import atomic_writer

    if path.is_symlink():
        path = Path(os.path.realpath(path))
    if path.exists() and not path.is_file():
        try:
            with open(path, "w", encoding=encoding, newline="") as fh:
                yield fh
        except OSError as exc:
            from pipeaudit.errors import PipeauditError

            raise PipeauditError(f"{path}: cannot write ({exc.strerror})") from None
        return
    with atomic_writer(path, "w", encoding=encoding) as fh:
        yield fh


def _render_stdout(result, fmt: str, *, color: bool) -> None:
    from pipeaudit.formats import render

    try:
        render(result, fmt, sys.stdout, color=color)
        sys.stdout.flush()
    except BrokenPipeError:  # `pipeaudit check x | head`: the reader left; that is not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def color_allowed() -> bool:
    """NO_COLOR (any value, even empty) and TERM=dumb turn colour off."""
    return "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def progress_allowed() -> bool:
    """Progress only for a person at a terminal: never in pipes, CI logs, NO_COLOR or dumb terminals."""
    return _isatty(sys.stderr) and "CI" not in os.environ and color_allowed()


class Progress:
    """A rich spinner on stderr that appears only once a run has taken more than `delay` seconds."""

    def __init__(self, enabled: bool, delay: float = 1.0):
        self.enabled = enabled
        self.delay = delay
        self.label = ""
        self._status = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def __enter__(self) -> Progress:
        if self.enabled:
            self._timer = threading.Timer(self.delay, self._start)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _start(self) -> None:
        with self._lock:
            if self._stopped:
                return
            from rich.console import Console

            # its own copy of the terminal's descriptor: the workbook reader holds fd 2 for a while
            # (read.excel._calamine_panics), and the spinner must keep drawing meanwhile
            self._stream = os.fdopen(os.dup(sys.stderr.fileno()), "w", encoding=sys.stderr.encoding, errors="replace")
            self._status = Console(file=self._stream, force_terminal=True).status(self.label)
            self._status.start()

    def stage(self, label: str) -> None:
        with self._lock:
            self.label = label
            if self._status is not None:
                self._status.update(label)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._timer is not None:
                self._timer.cancel()
            if self._status is not None:
                self._status.stop()
                self._status = None
                self._stream.close()
