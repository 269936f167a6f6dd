"""GitHub Actions workflow commands: one ::error / ::warning / ::notice line per finding.

`::error file=<source>,line=<row>,title=<rule>::<message> — <question>`; rep-level findings carry
no line=. Escaping follows @actions/core: % CR LF in the message; also : and , in properties.
"""

from __future__ import annotations

from typing import TextIO

from pipeaudit.model import AuditResult

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}
_DATA = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A"})
_PROPERTY = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A", ":": "%3A", ",": "%2C"})


def escape_data(text: str) -> str:
    return text.translate(_DATA)


def escape_property(text: str) -> str:
    return text.translate(_PROPERTY)


def write(result: AuditResult, stream: TextIO, *, color: bool = False) -> None:
    from pipeaudit.findings import column_lists, ordered

    cols = column_lists(ordered(result.findings), ("severity", "row", "rule", "message", "question"))
    file_prop = escape_property(str(result.deals.source))
    buffer: list[str] = []
    for severity, row, rule, message, question in zip(
        cols["severity"], cols["row"], cols["rule"], cols["message"], cols["question"]
    ):
        props = f"file={file_prop}"
        if row is not None:
            props += f",line={row}"
        props += f",title={escape_property(rule or '')}"
        body = message or ""
        if question:
            body = f"{body} — {question}" if body else question
        buffer.append(f"::{COMMANDS.get(severity, 'notice')} {props}::{escape_data(body)}\n")
        if len(buffer) >= 5000:
            stream.write("".join(buffer))
            buffer.clear()
    stream.write("".join(buffer))
