"""JSON output: the documented shape, streamed in chunks of findings and encoded with orjson.

Top level: source, sheet, as_of, lang, ladder, findings, summary, muted, skipped_rules, notes, and
changes / trends / plan / forecast / norms / review when the history, plan and forecast features filled them
(see README). NaN and <NA> become null.

Besides what JSON itself escapes (quote, backslash, U+0000-U+001F), the C1 controls, bidi
controls and line/paragraph separators are written as \\uXXXX escapes: the same text once parsed,
but `cat findings.json` on a terminal shows them instead of obeying them.
"""

from __future__ import annotations

import itertools
import re
from typing import Any, TextIO

from pipeaudit.arrowtext import arrow_of, arrow_text
from pipeaudit.result import AuditResult

#: written as \uXXXX (errors.UNSAFE_PATTERN above U+001F)
_UNSAFE_CHARS = tuple(
    chr(c) for c in (*range(0x7F, 0xA0), 0x061C, *range(0x200B, 0x2010), 0x2028, 0x2029, *range(0x202A, 0x202F),
                     *range(0x2066, 0x206A))
)
_UNSAFE_BYTES = re.compile(b"|".join(re.escape(ch.encode("utf-8")) for ch in _UNSAFE_CHARS))


def _escape_bytes(data: bytes) -> bytes:
    """UTF-8 JSON text with the unsafe characters (only ever inside strings) as \\uXXXX escapes."""
    return _UNSAFE_BYTES.sub(lambda m: f"\\u{ord(m.group().decode('utf-8')):04x}".encode("ascii"), data)


CHUNK = 20_000
#: The most bytes handed to one write(). The kernel takes a write of megabytes much more slowly
#: than the same bytes in pieces of a few hundred kilobytes: writing 1 GB cost 0.9..1.9 s of system
#: time in 5 MB writes and 0.4 s in 256 KB ones (the ~1 GB JSON of csv-worst in `make bench`).
WRITE_BYTES = 256 * 1024


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


def dumps(obj: Any, *, indent: bool = False) -> bytes:
    """`obj` as UTF-8 JSON (unsafe characters escaped, see the module doc); `indent` for people."""
    import orjson

    option = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
    try:
        data = orjson.dumps(obj, default=_default, option=option)
    except orjson.JSONEncodeError:  # an int past 64 bits (orjson's range) somewhere in the values
        data = orjson.dumps(_in_range(obj), default=_default, option=option)
    return _escape_bytes(data)


_INT64 = 2**63


def _in_range(value: Any) -> Any:
    """`value` with every int orjson cannot write (past int64) as a float, containers walked."""
    if isinstance(value, dict):
        return {k: _in_range(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_in_range(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -_INT64 <= value < _INT64 else float(value)
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, str):  # numpy scalar, e.g. a uint64 past int64
        return _in_range(item())
    if hasattr(value, "to_dict") and not hasattr(value, "isoformat"):
        return _in_range(_default(value))
    return value


def write(result: AuditResult, stream: TextIO, *, color: bool = False) -> None:
    from pipeaudit.codes import ColumnCodes
    from pipeaudit.findings import notes, summarize

    codes = ColumnCodes(result.findings) if result.findings is not None else None
    summary = summarize(result, codes)
    head = {
        "source": str(result.deals.source),
        "sheet": result.deals.sheet,
        "as_of": result.as_of.isoformat(),
        "lang": result.lang,
        "ladder": result.deals.ladder,
    }
    stream.write(dumps(head)[:-1].decode())
    stream.write(',"findings":[')
    try:
        chunks = _arrow_chunks(result.findings, codes)
        # a generator: its columns are encoded, and may fail, on its first step, before a byte is out
        ready = list(itertools.islice(chunks, 1))
    except (ImportError, ValueError, TypeError, UnicodeError, ArithmeticError) as exc:  # exotic dtypes
        if "pyarrow" not in type(exc).__module__ and not isinstance(exc, (ValueError, TypeError, UnicodeError)):
            raise
        chunks, ready = _orjson_chunks(result.findings), []
    put = _byte_writer(stream)
    first = True
    for chunk in itertools.chain(ready, chunks):
        if len(chunk):
            if not first:
                put(b",")
            put(chunk)
            first = False
    tail: dict[str, Any] = {
        "summary": summary,
        "muted": summary["muted"],
        "skipped_rules": summary["skipped_rules"],
        "notes": notes(result),
    }
    for key in ("changes", "trends", "plan", "forecast", "norms", "review"):
        if result.extras.get(key) is not None:
            tail[key] = result.extras[key]
    stream.write("],")
    stream.write(dumps(tail)[1:].decode())
    stream.write("\n")


def _orjson_chunks(findings):
    """Reference encoder: plain dicts through orjson. Used when a column will not go to Arrow."""
    from pipeaudit.findings import OUTPUT_COLUMNS, column_lists, ordered

    columns = column_lists(ordered(findings))
    n = len(columns[OUTPUT_COLUMNS[0]])
    for start in range(0, n, CHUNK):
        stop = start + CHUNK
        rows = [dict(zip(OUTPUT_COLUMNS, v)) for v in zip(*(columns[c][start:stop] for c in OUTPUT_COLUMNS))]
        yield dumps(rows)[1:-1]  # (dumps escapes the unsafe characters)


def _byte_writer(stream: TextIO):
    """Write UTF-8 bytes straight to the stream's binary buffer when it has one (files, stdout),
    skipping a decode and re-encode of tens of megabytes; otherwise decode (StringIO in tests)."""
    buffer = getattr(stream, "buffer", None)
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
    if buffer is not None and encoding in ("utf-8", "utf8"):
        stream.flush()

        def put(data) -> None:
            view = memoryview(data)
            for start in range(0, len(view), WRITE_BYTES):
                buffer.write(view[start : start + WRITE_BYTES])

        return put

    def put_text(data) -> None:
        stream.write(bytes(data).decode("utf-8"))

    return put_text


_ESCAPES = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _needs_escape(arr) -> tuple[bool, bool]:
    """(has quote or backslash, has a control character), read straight from Arrow's byte buffer.

    May say yes for bytes outside a sliced array; that only costs an unneeded (correct) replace.
    """
    import numpy as np

    data = arr.buffers()[2]
    if data is None:
        return False, False
    raw = np.frombuffer(data, dtype=np.uint8)
    return bool(((raw == 0x22) | (raw == 0x5C)).any()), bool((raw < 0x20).any())


def _has_unsafe(arr) -> bool:
    """Does any string hold DEL, a C1, bidi or separator character? A byte scan for DEL and the
    others' lead bytes (C2, D8, E2) first, the exact test only when one is there."""
    import numpy as np
    import pyarrow.compute as pc

    from pipeaudit.errors import UNSAFE_PATTERN

    data = arr.buffers()[2]
    if data is None:
        return False
    raw = np.frombuffer(data, dtype=np.uint8)
    if not ((raw == 0x7F) | (raw == 0xC2) | (raw == 0xD8) | (raw == 0xE2)).any():
        return False
    return bool(pc.any(pc.match_substring_regex(arr, UNSAFE_PATTERN)).as_py())


def _arrow_token(values, lead: str, *, integer: bool):
    """`"key":value` for one column, as Arrow strings built by C++ kernels, not a Python loop.

    Strings are quoted and escaped as JSON requires (backslash, quote, U+0000..U+001F); missing
    values become null; integers are written as digits. Escaping passes run only when the column's
    bytes contain something to escape.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    ls = pa.large_string()
    null = pa.scalar(lead + "null", ls)
    if integer:
        ints = pd.to_numeric(values, errors="coerce").astype("Int64")
        arr = pc.cast(pa.array(ints.array, type=pa.int64(), from_pandas=True), ls)
        return pc.fill_null(pc.binary_join_element_wise(pa.scalar(lead, ls), arr, pa.scalar("", ls)), null)
    arr = arrow_of(values.astype("str").array)
    return _quoted(pc.cast(arr, ls), lead)


def _quoted(arr, lead: str):
    """`"key":"text"` for each string of a large_string array (escaped for JSON), `"key":null` for nulls."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ls = pa.large_string()
    quotes, controls = _needs_escape(arr)
    if quotes:
        arr = pc.replace_substring(arr, "\\", "\\\\")
        arr = pc.replace_substring(arr, '"', '\\"')
    if controls:
        for code in range(0x20):
            char = chr(code)
            arr = pc.replace_substring(arr, char, _ESCAPES.get(char, f"\\u{code:04x}"))
    if _has_unsafe(arr):
        for char in _UNSAFE_CHARS:
            arr = pc.replace_substring(arr, char, f"\\u{ord(char):04x}")
    quoted = pc.binary_join_element_wise(pa.scalar(lead + '"', ls), arr, pa.scalar('"', ls), pa.scalar("", ls))
    return pc.fill_null(quoted, pa.scalar(lead + "null", ls))


def _arrow_chunks(findings, codes=None):
    """The findings as JSON objects, CHUNK at a time, each chunk one buffer of `{...},{...}`.

    Text columns are factorized first, so quoting and escaping run once per distinct value (a few
    rules, owners and messages repeated over millions of findings); each chunk then only gathers
    ready-made tokens by code and joins them, which keeps memory at one chunk's worth. A column
    with about a value per deal is encoded chunk by chunk instead (see _encode_per_chunk).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from pipeaudit.codes import ColumnCodes
    from pipeaudit.findings import OUTPUT_COLUMNS, order_positions

    if codes is None or codes.frame is not findings:
        codes = ColumnCodes(findings)
    n = len(findings)
    if n == 0:
        return
    ls = pa.large_string()
    order = order_positions(findings, codes)
    parts: list = []  # per column: a scalar, ("codes", codes, tokens), ("row", ints, lead) or a full array
    for i, name in enumerate(OUTPUT_COLUMNS):
        lead = ("{" if i == 0 else ",") + f'"{name}":'
        if name not in findings.columns:
            parts.append(pa.scalar(lead + "null", ls))
        elif name == "row":
            parts.append(("row", *_int_column(findings[name]), lead))
        else:
            found = codes(name)
            if found is None:  # not text: encode every cell
                parts.append(_arrow_token(findings[name], lead, integer=False))
                continue
            cell_codes, distinct = found
            if _encode_per_chunk(len(distinct), n):
                parts.append(("each", cell_codes, distinct, lead))
                continue
            tokens = _quoted(arrow_text(np.append(distinct, None), ls), lead)  # the last one: missing
            if (cell_codes < 0).any():
                cell_codes = np.where(cell_codes < 0, len(distinct), cell_codes)  # missing: the null token
            parts.append(("codes", cell_codes.astype(np.int32 if len(tokens) < 2**31 else np.int64, copy=False), tokens))
    parts = _merge_small_pairs(parts)
    parts.append(pa.scalar("},", ls))  # a comma after every object; the chunk's last one is cut off
    codes.forget()  # the parts hold what the chunks need: a column's codes a million findings long each
    empty = pa.scalar("", ls)
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        rows = order[start:stop] if order is not None else slice(start, stop)
        pieces = []
        for part in parts:
            if isinstance(part, tuple) and part[0] == "codes":
                pieces.append(part[2].take(pa.array(part[1][rows])))
            elif isinstance(part, tuple) and part[0] == "each":
                _, cell_codes, distinct, lead = part
                # A finding's deal repeats in its neighbours: encode each value of the chunk once.
                used, where = np.unique(cell_codes[rows], return_inverse=True)
                missing = used < 0
                values = distinct[np.where(missing, 0, used)] if len(distinct) else np.full(len(used), "", dtype=object)
                tokens = _quoted(arrow_text(values, ls, mask=missing), lead)
                pieces.append(tokens.take(pa.array(where.reshape(-1))))
            elif isinstance(part, tuple):  # row numbers
                _, ints, missing, lead = part
                digits = pc.cast(pa.array(ints[rows], type=pa.int64(), mask=missing[rows]), ls)
                joined = pc.binary_join_element_wise(pa.scalar(lead, ls), digits, empty)
                pieces.append(pc.fill_null(joined, pa.scalar(lead + "null", ls)))
            elif isinstance(part, pa.Array):
                pieces.append(part.take(pa.array(rows)) if order is not None else part.slice(start, stop - start))
            else:
                pieces.append(part)
        objects = pc.binary_join_element_wise(*pieces, empty)
        offsets = np.frombuffer(objects.buffers()[1], dtype=np.int64, count=len(objects) + 1, offset=objects.offset * 8)
        data = objects.buffers()[2]
        yield memoryview(data)[int(offsets[0]) : int(offsets[-1]) - 1]  # without the trailing comma


#: A text column with more distinct values than findings / NEARLY_UNIQUE (and than CHUNK) is
#: encoded chunk by chunk, see _encode_per_chunk.
NEARLY_UNIQUE = 4


def _encode_per_chunk(distinct: int, n: int) -> bool:
    """Encode a column of `n` findings with `distinct` values chunk by chunk (each chunk's values
    once) rather than all its values up front, which would hold a second, encoded copy of a column
    with a value per deal (deal, deal_id). On csv-worst of `make bench` at 1M deals (2.08 M findings,
    767k deals) the JSON write then adds ~30 MiB to what the audit holds instead of ~175 MiB,
    for 0.05..0.2 s more CPU (of 1.5..1.6 s). Both ways give the same bytes (tests)."""
    return distinct > max(CHUNK, n // NEARLY_UNIQUE)


#: Neighbouring coded columns with at most this many value pairs are joined into one token each.
MERGE_PAIRS = 65_536


def _merge_small_pairs(parts: list) -> list:
    """Join neighbouring coded columns with few values (rule + severity, owner + stage) into one
    token per pair of values: each chunk then gathers and joins one column fewer."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    merged: list = []
    for part in parts:
        prev = merged[-1] if merged else None
        if (
            isinstance(part, tuple) and part[0] == "codes"
            and isinstance(prev, tuple) and prev[0] == "codes"
            and len(prev[2]) * len(part[2]) <= MERGE_PAIRS
        ):
            width = len(part[2])
            first = pa.array(np.repeat(np.arange(len(prev[2])), width))
            second = pa.array(np.tile(np.arange(width), len(prev[2])))
            tokens = pc.binary_join_element_wise(prev[2].take(first), part[2].take(second), pa.scalar("", prev[2].type))
            codes = prev[1].astype(np.int32) * np.int32(width) + part[1].astype(np.int32)
            merged[-1] = ("codes", codes, tokens)
        else:
            merged.append(part)
    return merged


def _int_column(values):
    """(int64 values, missing mask) of a column of whole numbers such as row numbers."""
    import numpy as np
    import pandas as pd

    ints = pd.to_numeric(values, errors="coerce").astype("Int64")
    return ints.to_numpy(dtype=np.int64, na_value=0), ints.isna().to_numpy(dtype=bool)
