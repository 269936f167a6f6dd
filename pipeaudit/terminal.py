"""The terminal: the one way pipeaudit prints text that may carry data or rule-pack text.

Two things go wrong when such text reaches a terminal as it is: control characters drive the
terminal (an OSC 52 escape sets the clipboard, CSI sequences rewrite lines), and bidi overrides or
line/paragraph separators reorder or split what is shown. `echo` makes each of them visible as an
escape (errors.visible, the same escape the one-line errors use), keeping only the line breaks of
the text itself, and writes with the stream's encoding replacing what it cannot encode: a cp1252
or ASCII stdout (PYTHONIOENCODING, a Windows console redirected to a file) gets "?" for Chinese,
never an exit 3.
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

from pipeaudit.errors import UNSAFE_PATTERN, visible


def shown(text: object) -> str:
    """`text` for a terminal: every line's unsafe characters made visible, line breaks kept."""
    return "\n".join(visible(line) for line in str(text).split("\n"))


def shown_column(series, keep_lines: bool = False):
    """`shown` (or `visible`, when not `keep_lines`) over a pandas column of text: a vectorized
    search finds the values that need it (usually none), only those are rewritten."""
    values = series.astype("str")
    unsafe = values.str.contains(UNSAFE_PATTERN, regex=True).fillna(False).astype(bool)
    if not unsafe.any():
        return values
    values = values.astype(object)
    values[unsafe] = values[unsafe].map(_visible_keeping_breaks if keep_lines else visible)
    return values.astype("str")


_BREAK = re.compile(r"(\r\n|\r|\n)")


def _visible_keeping_breaks(text: str) -> str:
    """visible() for everything but CR/LF line breaks (for writers that escape those themselves)."""
    return "".join(part if i % 2 else visible(part) for i, part in enumerate(_BREAK.split(text)))


def tolerant(stream: TextIO) -> TextIO:
    """`stream`, set to replace characters its encoding cannot write instead of raising."""
    reconfigure = getattr(stream, "reconfigure", None)
    if callable(reconfigure) and getattr(stream, "errors", "strict") == "strict":
        try:
            reconfigure(errors="replace")
        except (ValueError, OSError, AttributeError):  # a detached or closed stream: leave it
            pass
    return stream


def echo(text: object = "", *, err: bool = False, nl: bool = True) -> None:
    """Print `text` (data, rule texts, tables of them) on stdout, or stderr with `err`."""
    stream = tolerant(sys.stderr if err else sys.stdout)
    stream.write(shown(text) + ("\n" if nl else ""))
    stream.flush()
