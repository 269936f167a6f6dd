"""A small streaming .xlsx (SpreadsheetML) writer: typed cells, styles, frozen header, autofilter.

openpyxl builds an object per cell and serialises it through ElementTree, which made report.xlsx
of a 100,000-deal export take a minute. This writer streams each sheet's XML straight into the zip.

Safety is built in rather than left to the caller: there is no way to write a formula, so text is
always a shared string (t="s"), whatever it starts with; text that a spreadsheet would take for a
formula after an edit (= + - @ tab CR) is also given the quote-prefix style; characters XML 1.0
forbids are dropped; everything is escaped, including Excel's own _xHHHH_ escapes.
"""

from __future__ import annotations

import contextlib
import math
import re
import zipfile
from datetime import date
from typing import IO, Any, Sequence

# Number formats by the cell kinds the report uses; "text" (or None) stores any value as text.
NUMBER_FORMATS = {"int": "0", "amount": "#,##0", "float": "0.0", "date": "yyyy-mm-dd"}
_BUILTIN_FORMATS = {"0": 1, "#,##0": 3}  # ECMA-376 18.8.30; other formats get ids from 164
MAX_TEXT = 32000  # Excel allows 32,767 characters in a cell
SHEET_TITLE_MAX = 31
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_OOXML_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")  # Excel would read "_x0041_" as "A"
_TITLE_BAD = re.compile(r"[\\/:*?\[\]]")
_EPOCH_ORDINAL = date(1899, 12, 30).toordinal()
_MARCH_1900 = date(1900, 3, 1)
_CHUNK_ROWS = 2000

_NS = "http://schemas.openxmlformats.org"
_MAIN = f"{_NS}/spreadsheetml/2006/main"
_REL = f"{_NS}/officeDocument/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def clean_text(value: str) -> str:
    """Drop what XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF)."""
    return value if value.isprintable() else _ILLEGAL_XML.sub("", value)


def _escape(value: str) -> str:
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")  # a bare CR would be read back as LF
    return value


def _attr(value: str) -> str:
    return _escape(clean_text(value)).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    s = ""
    index += 1
    while index:
        index, r = divmod(index - 1, 26)
        s = chr(65 + r) + s
    return s


def excel_serial(value: date) -> float | int:
    """A date or datetime as Excel's 1900-system serial number."""
    if type(value) is date and value >= _MARCH_1900:
        return value.toordinal() - _EPOCH_ORDINAL
    from openpyxl.utils.datetime import to_excel  # rare: datetimes, and the 1900 leap-year bug

    return to_excel(value)


def _typed(value: Any, kind: str) -> str | None:
    """The rest of a <c> element (after its style) for a value that fits its kind, else None."""
    if kind == "date":
        if isinstance(value, date) and value == value:  # NaT compares unequal to itself
            return f"><v>{excel_serial(value)}</v>"
        return None
    if isinstance(value, bool):
        return f' t="b"><v>{int(value)}</v>'
    if isinstance(value, (int, float)):
        return _number(value)
    return None


def _number(value: int | float) -> str | None:
    if isinstance(value, int):
        return f"><v>{int(value)}</v>"
    if not math.isfinite(value):
        return None
    if value.is_integer() and abs(value) < 1e16:
        return f"><v>{int(value)}</v>"  # 1234567.0 reads back as 1234567, as openpyxl wrote it
    return f"><v>{float(value)!r}</v>"  # repr: the shortest text that reads back as the same float


def _is_blank(value: Any, kind: str) -> bool:
    """NaN, NaT and infinities in a typed column: no value Excel can hold, so an empty cell."""
    if kind == "date":
        return value != value
    return isinstance(value, float) and not math.isfinite(value)


class Styles:
    """Cell formats (the xf records of styles.xml), one per distinct combination, in first-use order."""

    def __init__(self) -> None:
        self._ids: dict[tuple, int] = {}
        self._keys: list[tuple] = []
        self._fills: dict[str, int] = {}
        self._formats: dict[str, int] = {}
        self.get()  # xf 0: the default

    def get(self, num_format: str | None = None, fill: str | None = None, bold: bool = False,
            wrap: bool = False, quote: bool = False) -> int:
        """The id of a cell format; `fill` is an RRGGBB colour."""
        key = (num_format, fill.upper() if fill else None, bool(bold), bool(wrap), bool(quote))
        xf = self._ids.get(key)
        if xf is None:
            if num_format and num_format not in _BUILTIN_FORMATS and num_format not in self._formats:
                self._formats[num_format] = 164 + len(self._formats)
            if key[1] and not re.fullmatch(r"[0-9A-F]{6}", key[1]):
                raise ValueError(f"fill colour must be RRGGBB, got {fill!r}")
            if key[1] and key[1] not in self._fills:
                self._fills[key[1]] = 2 + len(self._fills)  # fills 0 and 1 are reserved by Excel
            xf = self._ids[key] = len(self._keys)
            self._keys.append(key)
        return xf

    def with_kind(self, kind: str, xf: int | None) -> int:
        """The same format with the number format of a cell kind ("int", "amount", "float", "date")."""
        if kind not in NUMBER_FORMATS:
            raise ValueError(f"unknown cell kind {kind!r}; expected text or one of {', '.join(NUMBER_FORMATS)}")
        _, fill, bold, wrap, quote = self._keys[xf or 0]
        return self.get(NUMBER_FORMATS[kind], fill, bold, wrap, quote)

    def text_variant(self, xf: int | None, bits: int) -> int:
        """The same format with what a text cell needs: bits 1 = quote prefix, 2 = wrap (line breaks)."""
        num_format, fill, bold, wrap, quote = self._keys[xf or 0]
        return self.get(num_format, fill, bold, wrap or bool(bits & 2), quote or bool(bits & 1))

    def xml(self) -> str:
        fmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{_attr(f)}"/>' for f, i in self._formats.items())
        fills = "".join(f'<fill><patternFill patternType="solid"><fgColor rgb="00{c}"/><bgColor rgb="00000000"/>'
                        "</patternFill></fill>" for c in self._fills)
        xfs = []
        for num_format, fill, bold, wrap, quote in self._keys:
            fmt_id = _BUILTIN_FORMATS.get(num_format) or self._formats.get(num_format, 0)
            attrs = (f'numFmtId="{fmt_id}" fontId="{int(bold)}" fillId="{self._fills[fill] if fill else 0}" '
                     'borderId="0" xfId="0"')
            attrs += ' applyNumberFormat="1"' * bool(fmt_id) + ' applyFont="1"' * bold + ' applyFill="1"' * bool(fill)
            attrs += ' quotePrefix="1"' * quote
            if wrap:
                xfs.append(f'<xf {attrs} applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>')
            else:
                xfs.append(f"<xf {attrs}/>")
        font = '<sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/><scheme val="minor"/>'
        return (
            f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
            + (f'<numFmts count="{len(self._formats)}">{fmts}</numFmts>' if self._formats else "")
            + f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
            f'<fills count="{2 + len(self._fills)}"><fill><patternFill patternType="none"/></fill>'
            f'<fill><patternFill patternType="gray125"/></fill>{fills}</fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )


class Sheet:
    """One worksheet being streamed: rows go straight into the zip as they are added."""

    def __init__(self, book: Workbook, stream: IO[bytes], columns: int):
        self._book = book
        self._stream = stream
        self._letters = [column_letter(i) for i in range(max(columns, 1))]
        self._buffer: list[str] = []
        self.rows_written = 0

    def row(self, values: Sequence[Any], kinds: Sequence[str | None] = (),
            styles: Sequence[int | None] | None = None) -> None:
        """Append one row. values[i] is typed by kinds[i] (default text): a value that does not fit
        its kind (a word in a date column) is stored as text. styles[i] is an xf id from Styles.get."""
        book = self._book
        self.rows_written += 1
        r = str(self.rows_written)
        if len(values) > len(self._letters):
            self._letters += [column_letter(i) for i in range(len(self._letters), len(values))]
        letters, strings, n_kinds, n_styles = self._letters, book._strings, len(kinds), len(styles or ())
        cells = []
        append = cells.append
        for i, v in enumerate(values):  # the hot loop of a big report: common types first, few calls
            if v is None:
                if i < n_styles and styles[i]:
                    append(f'<c r="{letters[i]}{r}" s="{styles[i]}"/>')
                continue
            xf = styles[i] if i < n_styles else None
            t = type(v)
            if t is not str:  # a str is text whatever the column's kind
                kind = kinds[i] if i < n_kinds else None
                if kind is not None and kind != "text":
                    if kind == "date":
                        typed = f"><v>{v.toordinal() - _EPOCH_ORDINAL}</v>" if t is date and v >= _MARCH_1900 \
                            else _typed(v, kind)
                    else:
                        typed = _number(v) if t is float or t is int else _typed(v, kind)
                    if typed is not None:
                        append(f'<c r="{letters[i]}{r}" s="{book.kind_styles[kind, xf]}"{typed}</c>')
                        continue
                    if _is_blank(v, kind):
                        v = None
                if v is None or (isinstance(v, float) and v != v):
                    if xf:
                        append(f'<c r="{letters[i]}{r}" s="{xf}"/>')
                    continue
                v = str(v)
            index, bits = strings.get(v) or book.string(v)
            if bits:
                xf = book.text_styles[xf, bits]
            if xf:
                append(f'<c r="{letters[i]}{r}" s="{xf}" t="s"><v>{index}</v></c>')
            else:
                append(f'<c r="{letters[i]}{r}" t="s"><v>{index}</v></c>')
        self._buffer.append(f'<row r="{r}">{"".join(cells)}</row>' if cells else f'<row r="{r}"/>')
        if len(self._buffer) >= _CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            self._stream.write("".join(self._buffer).encode("utf-8"))
            self._buffer.clear()


class _Memo(dict):
    """key -> fn(*key), computed on first use, so the per-cell path is one dict lookup."""

    def __init__(self, fn):
        super().__init__()
        self._fn = fn

    def __missing__(self, key):
        self[key] = value = self._fn(*key)
        return value


class Workbook:
    """`with Workbook(fh) as book:` then `with book.sheet(...) as s: s.row(...)` for each sheet, in order.

    The target is a binary file object: the caller decides where it goes (an atomic temp file).
    The shared strings and styles are written last, when the workbook closes.
    """

    def __init__(self, fh: IO[bytes], compresslevel: int = 1):
        self._zip = zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self.styles = Styles()
        self.kind_styles = _Memo(self.styles.with_kind)  # (kind, xf) -> xf
        self.text_styles = _Memo(self.styles.text_variant)  # (xf, variant bits) -> xf
        self._strings: dict[str, tuple[str, int]] = {}  # raw text -> (shared string index, variant bits)
        self._sst: list[str] = []  # escaped <si> bodies
        self._sheets: list[tuple[str, str | None]] = []  # title, autofilter ref
        self._open = False

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:  # the caller discards the file: just release it, without masking the error
            with contextlib.suppress(Exception):
                self._zip.close()

    def string(self, raw: str) -> tuple[str, int]:
        """The shared-string index of a text, and the style variant it needs (1 quote, 2 wrap)."""
        found = self._strings.get(raw)
        if found is None:
            text = clean_text(raw)[:MAX_TEXT]
            bits = (1 if text.startswith(_FORMULA_LEADS) else 0) | (2 if "\n" in text else 0)
            body = _escape(text)
            if "_x" in body:
                body = _OOXML_ESCAPE.sub(r"_x005F_\1", body)
            found = self._strings[raw] = (str(len(self._sst)), bits)  # as text: it goes into XML as such
            self._sst.append(body)
        return found

    def sheet(self, title: str, widths: Sequence[float] = (), freeze_header: bool = True,
              autofilter: str | None = None):
        """Open the next sheet: `widths` in characters per column from A, `autofilter` a range like
        "A1:Q200". Use it as a context manager; rows go in with Sheet.row."""
        return _SheetContext(self, title, list(widths), freeze_header, autofilter)

    def _check_title(self, title: str) -> None:
        if (not title or len(title) > SHEET_TITLE_MAX or _TITLE_BAD.search(title) or clean_text(title) != title
                or title.startswith("'") or title.endswith("'")):
            raise ValueError(f"not a valid sheet title: {title!r}")
        if title.casefold() in {t.casefold() for t, _ in self._sheets}:
            raise ValueError(f"duplicate sheet title: {title!r}")

    def close(self) -> None:
        z = self._zip
        n = len(self._sheets)
        ct_sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
                            f'ContentType="{_CT}.worksheet+xml"/>' for i in range(n))
        z.writestr("[Content_Types].xml", (
            f'{_HEAD}<Types xmlns="{_NS}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>{ct_sheets}'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/></Types>'))
        z.writestr("_rels/.rels", (
            f'{_HEAD}<Relationships xmlns="{_NS}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        sheets = "".join(f'<sheet name="{_attr(t)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                         for i, (t, _) in enumerate(self._sheets))
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"{_attr(_quote_title(t))}!{_absolute(ref)}</definedName>"
            for i, (t, ref) in enumerate(self._sheets) if ref)
        z.writestr("xl/workbook.xml", (
            f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView activeTab="0"/>'
            f"</bookViews><sheets>{sheets}</sheets>"
            + (f"<definedNames>{names}</definedNames>" if names else "") + "</workbook>"))
        rels = "".join(f'<Relationship Id="rId{i + 1}" Type="{_REL}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                       for i in range(n))
        z.writestr("xl/_rels/workbook.xml.rels", (
            f'{_HEAD}<Relationships xmlns="{_NS}/package/2006/relationships">{rels}'
            f'<Relationship Id="rId{n + 1}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId{n + 2}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'))
        z.writestr("xl/styles.xml", self.styles.xml())
        with z.open("xl/sharedStrings.xml", "w") as out:
            out.write(f'{_HEAD}<sst xmlns="{_MAIN}" uniqueCount="{len(self._sst)}">'.encode())
            for start in range(0, len(self._sst), 10_000):
                part = self._sst[start:start + 10_000]
                out.write("".join(f'<si><t xml:space="preserve">{s}</t></si>' for s in part).encode("utf-8"))
            out.write(b"</sst>")
        z.close()


class _SheetContext:
    def __init__(self, book, title, widths, freeze_header, autofilter):
        book._check_title(title)
        if book._open:
            raise RuntimeError("close the previous sheet first")
        if autofilter is not None and not re.fullmatch(r"[A-Z]{1,3}[0-9]+:[A-Z]{1,3}[0-9]+", autofilter):
            raise ValueError(f"not a cell range: {autofilter!r}")
        self.book, self.title, self.widths = book, title, widths
        self.freeze_header, self.autofilter = freeze_header, autofilter

    def __enter__(self) -> Sheet:
        book = self.book
        book._open = True
        index = len(book._sheets)
        book._sheets.append((self.title, self.autofilter))
        # no force_zip64: plain zip headers open everywhere; a sheet would need 2 GiB of XML to need it
        self._stream = book._zip.open(f"xl/worksheets/sheet{index + 1}.xml", "w")
        head = [f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">']
        view = ' tabSelected="1"' if index == 0 else ""
        if self.freeze_header:
            head.append(f'<sheetViews><sheetView workbookViewId="0"{view}><pane ySplit="1" topLeftCell="A2" '
                        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" '
                        'sqref="A2"/></sheetView></sheetViews>')
        else:
            head.append(f'<sheetViews><sheetView workbookViewId="0"{view}/></sheetViews>')
        head.append('<sheetFormatPr defaultRowHeight="15"/>')
        if self.widths:
            head.append("<cols>" + "".join(f'<col min="{i + 1}" max="{i + 1}" width="{float(w):g}" customWidth="1"/>'
                                           for i, w in enumerate(self.widths)) + "</cols>")
        head.append("<sheetData>")
        self._stream.write("".join(head).encode("utf-8"))
        self.sheet = Sheet(book, self._stream, len(self.widths))
        return self.sheet

    def __exit__(self, exc_type, exc, tb) -> None:
        self.book._open = False
        if exc_type is not None:
            self._stream.close()
            return
        self.sheet.flush()
        tail = "</sheetData>"
        if self.autofilter:
            tail += f'<autoFilter ref="{self.autofilter}"/>'
        tail += '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/></worksheet>'
        self._stream.write(tail.encode("utf-8"))
        self._stream.close()


def _quote_title(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _absolute(ref: str) -> str:
    return ":".join(re.sub(r"([A-Z]+)([0-9]+)", r"$\1$\2", part) for part in ref.split(":"))

