"""`pipeaudit check FILE`: audit, render in one format, and turn the findings into an exit code.

Exit codes: 0 nothing at or above --fail-on, 1 at least one finding at or above it; bad input,
config, rules or options raise a PipeauditError, which the CLI turns into one line and exit 2.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from pathlib import Path
from typing import TextIO

from pipeaudit.i18n import both
from pipeaudit.options import AuditOptions
from pipeaudit.terminal import echo


def csv_bom(fmt: str, bom: bool | None, to_terminal: bool) -> bool:
    """Does this output start with a UTF-8 byte-order mark? csv: yes, unless --no-bom, or shown on
    a terminal (nobody opens a terminal in Excel): Excel and WPS on a Chinese Windows read a csv
    without one as GBK and garble every Chinese cell, and `check --format csv > week.csv` is how
    a cron job or a person writes one as often as -o. Other formats never (--bom is for csv)."""
    if fmt != "csv":
        return False
    return bom if bom is not None else not to_terminal


def run(opts: AuditOptions, *, fmt: str = "text", fail_on: str | None = None, output: Path | None = None,
        bom: bool | None = None) -> int:
    from pipeaudit.findings import check_fail_on, severity_at_least
    from pipeaudit.formats import HUMAN_FORMATS, check_format, render
    from pipeaudit.runtime import cyclic_gc_paused

    # Validate our own options before the (possibly slow) read, so a typo fails at once.
    check_format(fmt)
    fd = stream_fd(output) if output is not None else None
    if fd == 1:
        output = None  # `-o -`, `-o /dev/stdout`: stdout itself, as if no -o was given
    elif fd is None and output is not None:
        from pipeaudit.outputs import resolve_output

        output = resolve_output(Path(output), "--output", follow_symlinks=opts.follow_symlinks)
        if output.is_dir():
            from pipeaudit.errors import ConfigError

            raise ConfigError(f"--output {output}: " + both("check.output_folder"))
    if fail_on is not None:
        check_fail_on(fail_on)
    from pipeaudit import pipeline

    cfg = pipeline.load_settings(opts)
    if fail_on is None:
        fail_on = check_fail_on(cfg.fail_on or "error")

    to_terminal = output is None and _isatty(sys.stdout)
    with cyclic_gc_paused(), Progress(enabled=fmt in HUMAN_FORMATS and progress_allowed()) as progress:
        progress.stage(both("check.auditing"))
        result = pipeline.run_audit(opts, cfg)
        for line in result.warnings:  # seen in a CI log whatever the format writes to stdout
            echo(f"pipeaudit: warning: {line}", err=True)
        if fd is not None and fd != 1:
            progress.stage(both("check.writing"))
            with open_stream(fd, output) as fh:
                if csv_bom(fmt, bom, fd == 2 and _isatty(sys.stderr)):
                    fh.write("\ufeff")
                render(result, fmt, fh, color=False)
        elif output is not None:
            progress.stage(both("check.writing"))
            # CSV files get a BOM so Excel detects UTF-8 (Chinese names), unless --no-bom
            encoding = "utf-8-sig" if csv_bom(fmt, bom, False) else "utf-8"
            with open_output(Path(output), encoding) as fh:
                render(result, fmt, fh, color=False)
        else:
            progress.stop()  # never draw a spinner over the lines we are printing
            _render_stdout(result, fmt, color=fmt in HUMAN_FORMATS and to_terminal and color_allowed(),
                           bom=csv_bom(fmt, bom, to_terminal))
    return 1 if severity_at_least(result.findings, fail_on) else 0


_FD_PATH = re.compile(r"/(?:dev/fd|proc/self/fd)/([0-9]{1,9})")


def stream_fd(output: Path | str) -> int | None:
    """The open descriptor `-o` names, or None for a file: `-` and /dev/stdout are 1, /dev/stderr 2,
    /dev/fd/N and /proc/self/fd/N are N. Opening those paths instead would start a new file
    description: truncating a log that `>> app.log` appends to, or failing on a pipe."""
    text = str(output)
    if text in ("-", "/dev/stdout"):
        return 1
    if text == "/dev/stderr":
        return 2
    m = _FD_PATH.fullmatch(text)
    return int(m.group(1)) if m else None


@contextlib.contextmanager
def open_stream(fd: int, output: Path):
    """An already-open descriptor other than stdout, written where it stands (appending stays appending)."""
    from pipeaudit.errors import PipeauditError

    if fd == 2:
        from pipeaudit.terminal import tolerant

        stream = tolerant(sys.stderr)
        yield stream
        stream.flush()
        return
    try:
        dup = os.dup(fd)
    except OSError:
        raise PipeauditError(f"--output {output}: " + both("check.no_descriptor", fd=fd)) from None
    try:
        with os.fdopen(dup, "w", encoding="utf-8", errors="replace", newline="", closefd=True) as fh:
            yield fh
    except OSError as exc:
        raise PipeauditError(f"--output {output}: cannot write ({exc.strerror or exc})") from None


@contextlib.contextmanager
def open_output(path: Path, encoding: str):
    """--output: atomic for regular files; a device or FIFO (`-o /dev/null` in cron) is written in
    place, since renaming over it would replace it. Symbolic links were settled before (run)."""
    from pipeaudit.outputs import atomic_writer

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


def _render_stdout(result, fmt: str, *, color: bool, bom: bool = False) -> None:
    from pipeaudit.formats import render
    from pipeaudit.terminal import tolerant

    try:
        stream = tolerant(sys.stdout)
        if bom and str(getattr(stream, "encoding", "") or "").lower().replace("-", "").replace("_", "") == "utf8":
            stream.write("\ufeff")  # only in UTF-8: in any other encoding it would be a wrong character
        render(result, fmt, stream, color=color)
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
