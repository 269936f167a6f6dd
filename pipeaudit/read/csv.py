"""Delimited text exports (.csv/.tsv/.txt): encoding detection, delimiter sniffing, pandas' C parser.

The header is found on a small decoded head with the csv module; pandas then parses only what lies
below it, starting at the exact byte offset, so title lines with fewer fields never upset it and
every record keeps the physical line it starts on.

Mixed encodings: a file whose lines are UTF-8 and GB18030 both (rows pasted from another export)
is decided by the majority of its lines, not its first bytes; each odd line is decoded with its
own encoding (or with replacement characters when it fits neither), through a UTF-8 copy of the
file, and a note names the rows. Resource ceilings like the workbooks': columns, cells (rows x
columns, counted before a blank or short line can be padded into a row of empty cells) and blank
lines (see read/limits.py).
"""

from __future__ import annotations

import codecs
import contextlib
import csv as _csv
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from pipeaudit.errors import InputError
from pipeaudit.i18n import both
from pipeaudit.read import limits
from pipeaudit.read.csv_arrow import read_arrow
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
STATS_CHUNK = 1024 * 1024
#: Strict decoding is checked on this much of the file; beyond it a stray byte becomes U+FFFD
#: rather than costing a second full decode of a gigabyte export.
VALIDATE_BYTES = 16 * 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
#: a header record longer than this (the head is read again, bigger, until the header is whole)
MAX_HEADER_BYTES = 64 * 1024 * 1024
#: a line with at least this many non-ASCII characters that decodes as UTF-8 is UTF-8, whatever the
#: majority: GB18030 text is valid UTF-8 only by chance, and not for long
STRONG_UTF8_CHARS = 3
MIXED_ROWS_SHOWN = 10


@dataclass(frozen=True)
class Encoding:
    codec: str  # for decoding the body (no BOM handling: the BOM is skipped by offset)
    bom: int  # bytes of byte-order mark at the start
    label: str  # shown to users
    mixed: str | None = None  # "utf-8" or "gb18030": the majority of a file whose lines mix both


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
        ok, breaks = _scan(path, "utf-8", 3, count_breaks)
        if not ok and _mixed_majority(path, 3) is not None:  # a UTF-8 file (it says so) with odd lines
            return Encoding("utf-8", 3, "utf-8-sig", mixed="utf-8"), None
        return Encoding("utf-8", 3, "utf-8-sig"), breaks
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
    majority = _mixed_majority(path, 0)
    if majority is not None:
        return Encoding("utf-8", 0, majority, mixed=majority), None
    ok, breaks = _scan(path, "gb18030", 0, count_breaks)
    if ok:
        return Encoding("gb18030", 0, "gb18030"), breaks
    from charset_normalizer import from_bytes

    guess = from_bytes(head).best()
    if guess is None or not guess.encoding:
        raise InputError(f"{path}: " + both("read.encoding"))
    codec = codecs.lookup(guess.encoding).name
    return Encoding(codec, 0, codec), _scan(path, None, 0)[1] if count_breaks else None


def _line_kind(line: bytes) -> str:
    """'ascii', 'utf-8' (strongly: enough non-ASCII characters), 'both' (valid UTF-8 and GB18030,
    too short to tell), 'gb18030', or 'neither'."""
    if line.isascii():
        return "ascii"
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and sum(not ch.isascii() for ch in text) >= STRONG_UTF8_CHARS:
        return "utf-8"
    try:
        line.decode("gb18030")
    except UnicodeDecodeError:
        return "utf-8" if text is not None else "neither"
    return "both" if text is not None else "gb18030"


_LINES = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n|$)")


def _physical_lines(fh) -> Iterator[bytes]:
    """Each physical line of a binary file with its break (\\r\\n, \\r or \\n), as pandas counts them."""
    rest = b""
    while True:
        chunk = fh.read(CHUNK)
        data = rest + chunk
        if not chunk:
            yield from (line for line in _LINES.findall(data) if line)
            return
        end = len(data) - 1 if data.endswith(b"\r") else len(data)  # a final \r may be half of \r\n
        cut = max(data.rfind(b"\n", 0, end), data.rfind(b"\r", 0, end))
        if cut < 0:
            rest = data
            continue
        rest = data[cut + 1 :]
        yield from (line for line in _LINES.findall(data[: cut + 1]) if line)


def _mixed_majority(path: Path, bom: int) -> str | None:
    """The majority encoding when the file's lines are UTF-8 and GB18030 both, else None.

    Decided on the lines of the validated head (VALIDATE_BYTES): UTF-8 lines (strongly UTF-8) against
    GB18030 lines (not valid UTF-8 at all); lines valid in both or plain ASCII say nothing."""
    counts = {"utf-8": 0, "gb18030": 0, "neither": 0}
    with path.open("rb") as fh:
        fh.seek(bom)
        head = io.BytesIO(fh.read(VALIDATE_BYTES))
    for line in _physical_lines(head):
        kind = _line_kind(line)
        if kind in counts:
            counts[kind] += 1
    if not counts["utf-8"] or not (counts["gb18030"] or counts["neither"]):
        return None  # one encoding (or not these two): detected as before
    return "utf-8" if counts["utf-8"] >= counts["gb18030"] else "gb18030"


@contextlib.contextmanager
def _utf8_copy(path: Path, enc: Encoding) -> Iterator[tuple[Path, list[str]]]:
    """A UTF-8 copy of a mixed file, each line decoded with its own encoding: (copy, notes).

    Lines keep their breaks, so rows keep their numbers. The copy lives in the temporary folder
    only while the file is parsed."""
    majority, other = enc.mixed, ("gb18030" if enc.mixed == "utf-8" else "utf-8")
    odd: list[int] = []
    replaced: list[int] = []
    fd, name = tempfile.mkstemp(prefix="pipeaudit-", suffix=".csv")
    copy = Path(name)
    try:
        with path.open("rb") as src, os.fdopen(fd, "wb") as dst:
            src.seek(enc.bom)
            for number, line in enumerate(_physical_lines(src), 1):
                kind = _line_kind(line)
                if kind == "ascii":
                    dst.write(line)
                    continue
                if kind in ("both", majority):  # valid in both: the majority decides
                    codec = majority
                elif kind == other:
                    codec = other
                    odd.append(number)
                else:
                    codec = None
                    replaced.append(number)
                if codec == "utf-8":
                    dst.write(line)
                else:
                    dst.write(line.decode(codec or majority, errors="replace").encode("utf-8"))
        notes = []
        if odd:
            notes.append(both("read.mixed", count=f"{len(odd):,}", majority=majority, other=other, rows=_rows(odd)))
        if replaced:
            notes.append(both("read.mixed_replaced", count=f"{len(replaced):,}", majority=majority, other=other,
                              rows=_rows(replaced)))
        yield copy, notes
    finally:
        with contextlib.suppress(OSError):
            copy.unlink()


def _rows(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:MIXED_ROWS_SHOWN])
    return shown + (", …" if len(numbers) > MIXED_ROWS_SHOWN else "")


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
    max_bytes = limits.limit("MAX_CSV_BYTES")
    if size > max_bytes:
        raise InputError(f"{path}: " + both("read.csv_too_big", size=f"{size:,}", limit=f"{max_bytes:,}"))
    with path.open("rb") as fh:
        head_bytes = fh.read(HEAD_BYTES)
    # Line breaks are counted (a pass over the whole file) only if the pandas parser is needed.
    enc, _ = detect_encoding(path, head_bytes, count_breaks=False)
    if enc.mixed is None:
        return _read_decoded(path, path, size, enc, score, [])
    with _utf8_copy(path, enc) as (copy, notes):  # each line decoded with its own encoding
        return _read_decoded(path, copy, copy.stat().st_size, Encoding("utf-8", 0, enc.label), score, notes)


def _read_decoded(source: Path, path: Path, size: int, enc: Encoding, score: HeaderScore | None,
                  notes: list[str]) -> RawTable:
    """Read `path` (the file itself, or the UTF-8 copy of a mixed one), named `source` to the user."""
    import numpy as np

    from pipeaudit.model import RawTable

    want = HEAD_BYTES
    while True:
        with path.open("rb") as fh:
            head_bytes = fh.read(want)
        whole = len(head_bytes) >= size
        decoder = codecs.getincrementaldecoder(enc.codec)("replace")
        head_text = decoder.decode(head_bytes[enc.bom :], final=whole)
        if not head_text.strip() and (whole or want >= MAX_HEADER_BYTES):
            raise InputError(f"{source}: " + both("read.only_blank_lines"))
        delim = sniff_delimiter(head_text, source.suffix.lower())
        records = _records_with_lines(head_text, delim)
        if not whole and len(records) > 1:
            records = records[:-1]  # the head may cut the last record short
        rows = [r[2] for r in records]
        h, _s, shown = find_header(rows, score, scan=limits.HEADER_SCAN_ROWS)
        # A header longer than the head (thousands of columns) must be read whole, or a refusal
        # would name too few columns and a parse would use too few: read again, twice as much.
        if whole or want >= MAX_HEADER_BYTES or 0 <= h < len(records) - 1 or len(records) > limits.HEADER_SCAN_ROWS:
            break
        want *= 2
    if h < 0:
        raise no_header_error(source, None, rows[shown] if shown is not None else None)
    _first, header_last_line, header_fields = records[h]
    ncols = max(len(r) for r in rows[h:])
    max_cols = limits.limit("MAX_COLUMNS")
    if ncols > max_cols:
        raise InputError(f"{source}: " + both("read.too_many_columns", cols=f"{ncols:,}", limit=f"{max_cols:,}"))

    # Byte offset just past the header record (and its line break).
    prefix_lines = io.StringIO(head_text, newline="").readlines()[:header_last_line]
    offset = enc.bom + len("".join(prefix_lines).encode(enc.codec))
    # The ceilings, before parsing: a blank or short line becomes a whole row of empty cells.
    max_cells = limits.limit("MAX_CSV_CELLS")
    breaks, blank_lines = _line_stats(path, enc)
    _check_extent(source, max(0, breaks - header_last_line + 1), ncols, blank_lines, max_cells)
    frame = read_arrow(path, offset, ncols, delim, max_cells=max_cells, source=source) if enc.codec == "utf-8" else None
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
    notes = [f"encoding {enc.label}, delimiter {delim!r}", *notes] + ([hint_note(hints)] if hints else [])
    return RawTable(
        source=source,
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


def _line_stats(path: Path, enc: Encoding) -> tuple[int, int]:
    """(line breaks, empty lines) of the whole file, counted in its code units without decoding:
    about as fast as reading it (numpy compares, then work per line break only).

    Line breaks count \\r\\n, lone \\r and lone \\n once each, as pandas' C tokenizer does; an
    empty line is a break right after another. The count of empty lines is for a ceiling."""
    import numpy as np

    unit = np.dtype("<u2") if enc.codec == "utf-16-le" else np.dtype(">u2") if enc.codec == "utf-16-be" else np.dtype(np.uint8)
    chunk_size = STATS_CHUNK  # small: a chunk of line breaks only holds 8 bytes of index per break
    breaks = empties = 0
    prev = prev2 = -1  # the previous chunk's last two code units
    with path.open("rb") as fh:
        fh.seek(enc.bom)
        while chunk := fh.read(chunk_size):
            raw = np.frombuffer(chunk, dtype=unit, count=len(chunk) // unit.itemsize)
            if not len(raw):
                break
            lf = np.flatnonzero(raw == 0x0A)
            n_cr = int(np.count_nonzero(raw == 0x0D))
            before = lf[lf > 0] - 1
            crlf = int(np.count_nonzero(raw[before] == 0x0D)) + (1 if len(lf) and lf[0] == 0 and prev == 0x0D else 0)
            breaks += len(lf) + n_cr - crlf
            if len(lf) > 1:  # LF LF, and LF CR LF
                gaps = np.diff(lf)
                empties += int(np.count_nonzero(gaps == 1))
                empties += int(np.count_nonzero(raw[lf[:-1][gaps == 2] + 1] == 0x0D))
            first = int(raw[0])
            second = int(raw[1]) if len(raw) > 1 else -1
            if prev == 0x0A and (first == 0x0A or (first == 0x0D and second == 0x0A)):
                empties += 1
            elif prev == 0x0D and prev2 == 0x0A and first == 0x0A:
                empties += 1
            if n_cr > crlf:  # lone CRs (classic Mac line ends): a lone CR followed by a break
                cr = raw == 0x0D
                lone = cr[:-1] & (raw[1:] != 0x0A)
                empties += int(np.count_nonzero(lone & (cr[1:] | (raw[1:] == 0x0A))))
            prev2 = int(raw[-2]) if len(raw) > 1 else prev
            prev = int(raw[-1])
    return breaks, empties


def _check_extent(source: Path, rows: int, ncols: int, blank_lines: int, max_cells: int) -> None:
    """The CSV ceilings, before a row of empty cells is built for every blank or short line."""
    max_blank = limits.limit("MAX_BLANK_LINES")
    if blank_lines > max_blank:
        raise InputError(f"{source}: " + both("read.too_many_blank_lines", lines=f"{blank_lines:,}", limit=f"{max_blank:,}"))
    if rows * ncols > max_cells:
        raise InputError(f"{source}: " + both("read.csv_cells", rows=f"{rows:,}", cols=f"{ncols:,}", limit=f"{max_cells:,}"))


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
    if breaks is None:
        breaks = _line_stats(path, enc)[0]
    width = 2 if enc.codec.startswith("utf-16") else 1  # the last code unit
    with path.open("rb") as fh:
        end = fh.seek(0, io.SEEK_END)
        fh.seek(max(0, end - width))
        last = fh.read(width).decode(enc.codec, errors="replace")
    body_breaks = breaks - header_last_line
    return body_breaks + (1 if end > offset and last not in ("\n", "\r") else 0)


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
            raise InputError(f"{path}: " + both("read.malformed", line=header_last_line, detail=text)) from None
    return frame
