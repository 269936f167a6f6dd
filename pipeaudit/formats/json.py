"""JSON output: the documented shape, streamed in chunks of findings and encoded with orjson.

Top level: source, sheet, as_of, lang, ladder, findings, summary, muted, skipped_rules, notes, and
changes / plan when the history and plan features filled them. NaN and <NA> become null.
"""

from __future__ import annotations

from typing import Any, TextIO

from pipeaudit.model import AuditResult

CHUNK = 20_000


def _default(value: Any) -> Any:
    """Types orjson does not know: numpy/pandas scalars, paths, sets, frames from extras."""
    item = getattr(value, "item", None)
    if callable(item):  # numpy scalar
        return item()
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()
    if hasattr(value, "to_dict"):  # DataFrame/Series placed in extras
        try:
            return value.to_dict(orient="records")
        except TypeError:
            return value.to_dict()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    return str(value)


def dumps(obj: Any) -> bytes:
    import orjson

    return orjson.dumps(obj, default=_default, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


def write(result: AuditResult, stream: TextIO, *, color: bool = False) -> None:
    from pipeaudit.findings import OUTPUT_COLUMNS, column_lists, notes, ordered, summarize

    summary = summarize(result)
    head = {
        "source": str(result.deals.source),
        "sheet": result.deals.sheet,
        "as_of": result.as_of.isoformat(),
        "lang": result.lang,
        "ladder": result.deals.ladder,
    }
    stream.write(dumps(head)[:-1].decode())
    stream.write(',"findings":[')
    columns = column_lists(ordered(result.findings))
    n = len(columns[OUTPUT_COLUMNS[0]])
    for start in range(0, n, CHUNK):
        stop = start + CHUNK
        rows = [
            dict(zip(OUTPUT_COLUMNS, values))
            for values in zip(*(columns[c][start:stop] for c in OUTPUT_COLUMNS))
        ]
        if start:
            stream.write(",")
        stream.write(dumps(rows)[1:-1].decode())
    tail: dict[str, Any] = {
        "summary": summary,
        "muted": summary["muted"],
        "skipped_rules": summary["skipped_rules"],
        "notes": notes(result),
    }
    for key in ("changes", "plan"):
        if result.extras.get(key) is not None:
            tail[key] = result.extras[key]
    stream.write("],")
    stream.write(dumps(tail)[1:].decode())
    stream.write("\n")
