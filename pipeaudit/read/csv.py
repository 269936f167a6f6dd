"""Delimited text exports (.csv/.tsv/.txt): encoding detection, delimiter sniffing, pandas' C parser.

The header is found on a small decoded head with the csv module; pandas then parses only what lies
below it, starting at the exact byte offset, so title lines with fewer fields never upset it and
every record keeps the physical line it starts on.
"""

from __future__ import annotations

import codecs
import csv as _csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeaudit.errors import InputError
from pipeaudit.read import limits
from pipeaudit.read.header import (
    HeaderScore,
    find_header,
    header_names,
    hint_note,
    no_header_error,
    shape_data,
    skip_hint_rows,
)

if TYPE_CHECKING:
    import pandas as pd

    from pipeaudit.model import RawTable

HEAD_BYTES = 256 * 1024
CHUNK = 8 * 1024 * 1024
#: Strict decoding is checked on this much of the file; beyond it a stray byte becomes U+FFFD
#: rather than costing a second full decode of a gigabyte export.
VALIDATE_BYTES = 16 * 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
ARROW_BLOCK_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Encoding:
    codec: str  # for decoding the body (no BOM handling: the BOM is skipped by offset)
    bom: int  # bytes of byte-order mark at the start
    label: str  # shown to users


def _scan(path: Path, codec: str | None, bom: int, count_breaks: bool = True) -> tuple[bool, int | None]:
    """One streaming pass: does the file decode strictly with `codec`, and how many line breaks does it hold.

    Line breaks count \\r\\n, lone \\r and lone \\n once each, as pandas' C tokenizer does. Without
    `count_breaks` only the validated head is read and the count is None.
    """
    decoder = codecs.getincrementaldecoder(codec)("strict") if codec else None
    breaks = 0
    prev_cr = False
    ok = True
    checked = 0
    stopped = False  # left the rest unread: the decoder's final check would see a cut-off text
    with path.open("rb") as fh:
        fh.seek(bom)
        while chunk := fh.read(CHUNK):
            if not count_breaks and checked >= VALIDATE_BYTES:
                stopped = True
                break
            checked += len(chunk)
            if decoder is not None and ok and checked - len(chunk) < VALIDATE_BYTES:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    ok = False
            if count_breaks:
                breaks += _line_breaks(chunk, prev_cr)
                prev_cr = chunk[-1:] == b"\r"
        if decoder is not None and ok and checked <= VALIDATE_BYTES and not stopped:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                ok = False
    return ok, (breaks if count_breaks else None)


def _line_breaks(chunk: bytes, prev_cr: bool) -> int:
    """Line breaks in `chunk` (\r\n, lone \r, lone \n once each); `prev_cr`: the previous chunk
    ended in \r, so a leading \n completes that break. numpy compares bytes several times faster
    than bytes.count on large chunks."""
    import numpy as np

    raw = np.frombuffer(chunk, dtype=np.uint8)
    lf = raw == 0x0A
    cr = raw == 0x0D
    lfs, crs = int(np.count_nonzero(lf)), int(np.count_nonzero(cr))
    crlf = int(np.count_nonzero(cr[:-1] & lf[1:])) if crs and lfs else 0
    if prev_cr and chunk[:1] == b"\n":
        crlf += 1
    return lfs + crs - crlf


def detect_encoding(path: Path, head: bytes, count_breaks: bool = True) -> tuple[Encoding, int | None]:
    """(encoding, line breaks counted in the body or None when they must be counted after decoding,
    or were not asked for)."""
    if head.startswith(codecs.BOM_UTF8):
        return Encoding("utf-8", 3, "utf-8-sig"), _scan(path, None, 3)[1] if count_breaks else None
    if head.startswith(codecs.BOM_UTF16_LE):
        return Encoding("utf-16-le", 2, "utf-16"), None
    if head.startswith(codecs.BOM_UTF16_BE):
        return Encoding("utf-16-be", 2, "utf-16"), None
    if len(head) >= 4 and head.count(0) > len(head) // 4:
        # UTF-16 without a BOM: NULs fill every other byte of ASCII text.
        even_nuls = head[0::2].count(0)
        odd_nuls = head[1::2].count(0)
        return (Encoding("utf-16-le", 0, "utf-16-le") if odd_nuls > even_nuls else Encoding("utf-16-be", 0, "utf-16-be")), None
    ok, breaks = _scan(path, "utf-8", 0, count_breaks)
    if ok:
        return Encoding("utf-8", 0, "utf-8"), breaks
    ok, breaks = _scan(path, "gb18030", 0, count_breaks)
    if ok:
        return Encoding("gb18030", 0, "gb18030"), breaks
    from charset_normalizer import from_bytes

    guess = from_bytes(head).best()
    if guess is None or not guess.encoding:
        raise InputError(f"{path}: 无法识别文本编码 / cannot tell the text encoding (save it as UTF-8 and try again)")
    codec = codecs.lookup(guess.encoding).name
    return Encoding(codec, 0, codec), _scan(path, None, 0)[1] if count_breaks else None


def sniff_delimiter(text: str, suffix: str) -> str:
    """The delimiter that splits the head's lines into the most consistent number of fields."""
    import itertools
    preferred = "\t" if suffix == ".tsv" else ","
    best, best_score = preferred, (0.0, 0)
    for delim in sorted(DELIMITERS, key=lambda d: d != preferred):
        try:
            records = itertools.islice(_csv.reader(io.StringIO(text, newline=""), delimiter=delim), 60)
            counts = [len(r) for r in records if any(f.strip() for f in r)]
        except _csv.Error:
            continue
        # Records of one field (title lines, export-time lines) say nothing about the delimiter.
        split = [c for c in counts if c >= 2]
        if not split:
            continue
        # The split most records agree on wins (a stray ";;;" or "|" inside one cell does not), then
        # the one giving more fields.
        mode = max(set(split), key=lambda c: (split.count(c), c))
        score = (split.count(mode) / len(counts), mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def _records_with_lines(text: str, delim: str) -> list[tuple[int, int, list[str]]]:
    """(first line, last line, fields) of each record in `text`, lines counted from 1."""
    reader = _csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    out: list[tuple[int, int, list[str]]] = []
    last = 0
    try:
        for fields in reader:
            out.append((last + 1, reader.line_num, fields))
            last = reader.line_num
    except _csv.Error:
        pass  # an unclosed quote in the head: pandas will say where
    return out


def read_delimited(path: Path, size: int, score: HeaderScore | None) -> RawTable:
    import numpy as np

    from pipeaudit.model import RawTable

    max_bytes = limits.limit("MAX_CSV_BYTES")
    if size > max_bytes:
        raise InputError(
            f"{path}: 文件过大 / the file is {size:,} bytes, over the limit of {max_bytes:,} (PIPEAUDIT_MAX_CSV_BYTES)"
        )
    with path.open("rb") as fh:
        head_bytes = fh.read(HEAD_BYTES)
    # Line breaks are counted (a pass over the whole file) only if the pandas parser is needed.
    enc, _ = detect_encoding(path, head_bytes, count_breaks=False)
    whole = size <= HEAD_BYTES
    decoder = codecs.getincrementaldecoder(enc.codec)("replace")
    head_text = decoder.decode(head_bytes[enc.bom :], final=whole)
    if not head_text.strip():
        raise InputError(f"{path}: 文件为空（只有空行） / the file is empty (only blank lines)")
    delim = sniff_delimiter(head_text, path.suffix.lower())
    records = _records_with_lines(head_text, delim)
    if not whole and len(records) > 1:
        records = records[:-1]  # the head may cut the last record short
    rows = [r[2] for r in records]
    h, _s, shown = find_header(rows, score, scan=limits.HEADER_SCAN_ROWS)
    if h < 0:
        raise no_header_error(path, None, rows[shown] if shown is not None else None)
    _first, header_last_line, header_fields = records[h]
    ncols = max(len(r) for r in rows[h:])
    max_cols = limits.limit("MAX_COLUMNS")
    if ncols > max_cols:
        raise InputError(
            f"{path}: 有 {ncols:,} 列，超过上限 {max_cols:,} / has {ncols:,} columns, over the limit of {max_cols:,} (PIPEAUDIT_MAX_COLUMNS)"
        )

    # Byte offset just past the header record (and its line break).
    prefix_lines = io.StringIO(head_text, newline="").readlines()[:header_last_line]
    offset = enc.bom + len("".join(prefix_lines).encode(enc.codec))
    frame = _read_arrow(path, offset, ncols, delim) if enc.codec == "utf-8" else None
    by_arrow = frame is not None
    if frame is None:
        frame = _read_pandas(path, offset, ncols, delim, enc, header_last_line)
    n = len(frame)
    first_line = header_last_line + 1
    row_numbers = np.arange(first_line, first_line + n, dtype=np.int64)
    if n:
        if by_arrow:
            # Arrow left no blank or short line (else pandas reads the file), so every record takes
            # one line plus the breaks inside its cells: whether any cell holds a break decides.
            spans_lines = _cells_hold_line_breaks(frame)
        else:
            breaks = None if enc.codec.startswith("utf-16") else _scan(path, None, enc.bom)[1]
            spans_lines = _body_lines(path, enc, offset, breaks, header_last_line) != n
        if spans_lines:
            # Quoted cells span lines: shift each record by the breaks inside the records before it.
            inner = np.zeros(n, dtype=np.int64)
            for c in frame.columns:
                col = frame[c]
                counts = col.str.count(r"\r\n|\r|\n")
                inner += counts.fillna(0).to_numpy(dtype=np.int64)
            row_numbers = row_numbers + np.concatenate(([0], np.cumsum(inner)[:-1]))
    cells = frame
    headers = header_names(header_fields + [""] * (ncols - len(header_fields)))
    cells, row_numbers, totals, blanks = shape_data(cells, row_numbers)
    cells, row_numbers, hints = skip_hint_rows(cells, row_numbers)
    notes = [f"encoding {enc.label}, delimiter {delim!r}"] + ([hint_note(hints)] if hints else [])
    return RawTable(
        source=path,
        sheet=None,
        header_row=records[h][0],
        headers=headers,
        cells=cells,
        row_numbers=row_numbers,
        skipped_total_rows=totals,
        dropped_blank_rows=blanks,
        notes=notes,
        skipped_hint_rows=hints,
    )


def _cells_hold_line_breaks(frame: pd.DataFrame) -> bool:
    """Does any cell of the (Arrow-backed) frame hold a \\r or \\n? A scan of the raw string bytes."""
    import numpy as np
    import pyarrow as pa

    for c in frame.columns:
        arr = pa.array(frame[c].array)
        for chunk in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
            buffers = chunk.buffers()
            data = buffers[2] if len(buffers) > 2 else None
            if data is None:
                continue
            raw = np.frombuffer(data, dtype=np.uint8)  # may cover bytes outside a sliced chunk: only
            if (raw == 0x0A).any() or (raw == 0x0D).any():  # a needless exact count would follow
                return True
    return False


def _body_lines(path: Path, enc: Encoding, offset: int, breaks: int | None, header_last_line: int) -> int:
    """Physical lines below the header, as pandas counts records when no cell spans lines."""
    if breaks is None:  # UTF-16: count in decoded text
        text = path.read_bytes()[offset:].decode(enc.codec, errors="replace")
        body_breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
        ends_open = bool(text) and text[-1] not in "\r\n"
        return body_breaks + (1 if ends_open else 0)
    with path.open("rb") as fh:
        end = fh.seek(0, io.SEEK_END)
        fh.seek(end - 1)
        last = fh.read(1)
    body_breaks = breaks - header_last_line
    return body_breaks + (1 if end > offset and last not in (b"\n", b"\r") else 0)


def _read_pandas(path: Path, offset: int, ncols: int, delim: str, enc: Encoding, header_last_line: int) -> pd.DataFrame:
    """pandas' C parser: pads short rows, keeps blank lines as rows, so line numbers stay exact."""
    import pandas as pd

    with path.open("rb") as fh:
        fh.seek(offset)
        try:
            frame = pd.read_csv(
                fh,
                sep=delim,
                header=None,
                names=list(range(ncols)),
                dtype=str,
                # Only a truly empty field is missing: "NA", "null", "N/A" stay the text they are.
                na_filter=True,
                na_values=[""],
                keep_default_na=False,
                skip_blank_lines=False,
                encoding=enc.codec,
                encoding_errors="replace",
                engine="c",
                quotechar='"',
                doublequote=True,
                index_col=False,
            )
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame({j: pd.Series([], dtype="str") for j in range(ncols)})
        except (pd.errors.ParserError, ValueError, UnicodeError) as exc:
            text = " ".join(str(exc).split())[:200]
            raise InputError(f"{path}: CSV 格式错误 / malformed CSV below the header line {header_last_line}: {text}") from None
    return frame


def _read_arrow(path: Path, offset: int, ncols: int, delim: str) -> pd.DataFrame | None:
    """Arrow's multithreaded reader for the common clean UTF-8 case; None means "use pandas instead".

    Arrow drops blank lines and rejects short rows, which would shift line numbers or lose cells,
    so any such row sends the file back to the pandas path rather than being skipped.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [str(j) for j in range(ncols)]
    irregular: list[int] = []

    def on_invalid(row: object) -> str:
        irregular.append(1)
        return "skip"

    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            table = pacsv.read_csv(
                fh,
                # 16 MB blocks instead of 1 MB: a few chunks per column, which later factorizing
                # (one dictionary per chunk, unified after) handles much faster than hundreds.
                # One thread: Arrow's parallel parse spends ~40% more CPU for the same work, which
                # a shared box or CI runner pays for, and the rest of the audit is serial anyway.
                read_options=pacsv.ReadOptions(column_names=names, block_size=ARROW_BLOCK_BYTES, use_threads=False),
                parse_options=pacsv.ParseOptions(
                    delimiter=delim,
                    quote_char='"',
                    double_quote=True,
                    newlines_in_values=True,
                    ignore_empty_lines=False,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pacsv.ConvertOptions(
                    # large_string is what pandas' str dtype holds: to_pandas below is then zero-copy.
                    column_types={name: pa.large_string() for name in names},
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                    null_values=[""],
                ),
            )
    except (pa.ArrowException, ValueError, OSError):
        return None
    if irregular:
        return None
    frame = table.to_pandas(types_mapper={pa.large_string(): pd.StringDtype("pyarrow", na_value=float("nan"))}.get)
    frame.columns = list(range(ncols))
    return frame
