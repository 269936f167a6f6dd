"""GitHub Actions workflow commands: one ::error / ::warning / ::notice line per finding.

`::error file=<source>,line=<row>,title=<rule>::<message> — <question>`; rep-level findings carry
no line=. Escaping follows @actions/core: % CR LF in the message; also : and , in properties.
Before that, control, bidi and separator characters are made visible (terminal.shown_column): a
workflow log renders ANSI escapes, and a line separator would split an annotation.
"""

from __future__ import annotations

from typing import TextIO

from pipeaudit.result import AuditResult

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}
_DATA = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A"})
_PROPERTY = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A", ":": "%3A", ",": "%2C"})


def escape_data(text: str) -> str:
    return text.translate(_DATA)


def escape_property(text: str) -> str:
    return text.translate(_PROPERTY)


def _escape_column(series, table: dict[str, str]):
    """Vectorized escape_data / escape_property over a whole column (Arrow string kernels)."""
    out = series.astype("str").fillna("")
    for char, code in table.items():  # "%" first, so the codes we add are not escaped again
        out = out.str.replace(char, code, regex=False)
    return out


_DATA_CODES = {"%": "%25", "\r": "%0D", "\n": "%0A"}
_PROPERTY_CODES = {**_DATA_CODES, ":": "%3A", ",": "%2C"}


def write(result: AuditResult, stream: TextIO, *, color: bool = False) -> None:
    import pandas as pd

    from pipeaudit.errors import visible
    from pipeaudit.findings import ordered
    from pipeaudit.terminal import shown_column

    findings = ordered(result.findings)
    if len(findings) == 0:
        return
    index = findings.index

    def column(name: str):
        return findings[name] if name in findings.columns else pd.Series(None, index=index, dtype="str")

    command = column("severity").map(COMMANDS).fillna("notice").astype("str")
    rows = pd.to_numeric(column("row"), errors="coerce").astype("Int64")
    line = (",line=" + rows.astype("str")).where(rows.notna(), "").astype("str")
    message = shown_column(column("message").astype("str").fillna(""), keep_lines=True)
    question = shown_column(column("question").astype("str").fillna(""), keep_lines=True)
    sep = pd.Series(" — ", index=index, dtype="str").where((message != "") & (question != ""), "")
    body = _escape_column(message + sep + question, _DATA_CODES)
    title = _escape_column(shown_column(column("rule").astype("str").fillna("")), _PROPERTY_CODES)
    source = escape_property(visible(result.deals.source))
    lines = "::" + command + f" file={source}" + line + ",title=" + title + "::" + body
    values = lines.tolist()
    for start in range(0, len(values), 20_000):
        stream.write("\n".join(values[start : start + 20_000]) + "\n")
