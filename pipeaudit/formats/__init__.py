"""Output formats for `pipeaudit check`: one small module each, registered here by stable name.

Every writer has the signature `write(result, stream, *, color=False) -> None` and streams to
`stream` in pieces, so 300k findings never become one giant string. A new format is one module plus
one line in FORMATS; no rule or engine code changes.
"""

from __future__ import annotations

from typing import Callable, TextIO

from pipeaudit.errors import ConfigError
from pipeaudit.formats import csv as _csv
from pipeaudit.formats import github as _github
from pipeaudit.formats import json as _json
from pipeaudit.formats import junit as _junit
from pipeaudit.formats import text as _text
from pipeaudit.result import AuditResult

Writer = Callable[..., None]

FORMATS: dict[str, Writer] = {
    "text": _text.write,
    "json": _json.write,
    "csv": _csv.write,
    "junit": _junit.write,
    "github": _github.write,
}

#: Formats meant for people; the others are for machines (no colour, no progress display).
HUMAN_FORMATS = frozenset({"text"})


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        from pipeaudit.i18n import in_both, t
        from pipeaudit.yamlsafe import did_you_mean

        raise ConfigError(f"--format {fmt!r}: " + in_both(lambda lang: t(
            "check.format", lang, formats=", ".join(FORMATS), hint=did_you_mean(fmt, FORMATS, lang))))
    return fmt


def render(result: AuditResult, fmt: str, stream: TextIO, *, color: bool = False) -> None:
    """Write `result` to `stream` in format `fmt`; colour only matters to text."""
    fmt = check_format(fmt)
    # JSON factorizes and encodes each distinct value itself, and JUnit converts batch by batch;
    # the others read Arrow strings.
    FORMATS[fmt](result if fmt in ("json", "junit") else _arrow_text(result), stream, color=color)


_TEXT_COLUMNS = ("rule", "severity", "deal_id", "deal", "owner", "stage", "message", "question")


def _arrow_text(result: AuditResult) -> AuditResult:
    """Convert object-dtype text columns of the findings to Arrow strings once, up front.

    Every writer reads them as `str` dtype; converting here saves each helper from converting the
    same Python objects again (the engine hands over object columns). The distinct values are
    converted, then gathered by code in C.
    """
    import dataclasses

    findings = result.findings
    if findings is None or not len(findings):
        return result
    todo = [c for c in _TEXT_COLUMNS if c in findings.columns and findings[c].dtype == object]
    if not todo:
        return result
    return dataclasses.replace(result, findings=findings.assign(**{c: _as_str(findings[c]) for c in todo}))


def _as_str(values):
    """`values.astype("str")`, converting each distinct value once."""
    import pandas as pd

    from pipeaudit.codes import factorized_text

    found = factorized_text(values)
    if found is None:
        return values.astype("str")
    codes, distinct = found
    return pd.Series(pd.array(distinct, dtype="str").take(codes, allow_fill=True), index=values.index, name=values.name)
