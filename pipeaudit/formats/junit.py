"""JUnit XML: one <testsuite> per rule, so CI systems list failures by rule natively.

Design choice (size matters at 100k deals): a rule's suite holds one failing <testcase> per finding
(name = deal, id and row; classname = owner); a rule that flagged nothing holds one passing testcase
("no deal flagged"), and a rule skipped for a missing column holds one <skipped> testcase. We do not
emit a passing testcase per unflagged deal: rules × deals would be millions of elements. Every
finding is a <failure type="<severity>"> whatever --fail-on says; the exit code carries the gate.
Data is untrusted: characters illegal in XML 1.0 are removed and markup characters escaped (in
attributes also tab/CR/LF, so they survive attribute-value normalisation).
"""

from __future__ import annotations

import re
from typing import TextIO

import numpy as np

from pipeaudit.model import AuditResult

_ILLEGAL_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTR = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)
_FLUSH_EVERY = 5000

_WORDS = {
    "en": {"no_owner": "(no owner)", "row": "row", "rep": "rep-level", "pass": "no deal flagged", "q": "? ",
           "skipped": "the export has no {} column"},
    "zh": {"no_owner": "（无负责人）", "row": "行", "rep": "负责人层面", "pass": "没有商机被标记", "q": "问：",
           "skipped": "导出文件没有 {} 列"},
}


def clean(value: object) -> str:
    """Text safe for an XML 1.0 document: illegal control characters and lone surrogates removed."""
    return _ILLEGAL_XML.sub("", "" if value is None else str(value))


def attr(value: object) -> str:
    return clean(value).translate(_ATTR)


def text(value: object) -> str:
    return clean(value).translate(_TEXT)


def _rule_name(rule: object) -> str:
    return str(getattr(rule, "name", rule))


_ILLEGAL_RE2 = "[^\\x09\\x0a\\x0d\\x{20}-\\x{D7FF}\\x{E000}-\\x{FFFD}\\x{10000}-\\x{10FFFF}]"


def _escape_column(series, *, attribute: bool):
    """clean() + attr()/text() over a whole column with string kernels, not per finding; a scan of
    the column's bytes decides which passes are needed at all (usually none)."""
    out = series.astype("str").fillna("")
    raw = _utf8_bytes(out)
    if raw is None:
        return out
    low = raw < 0x20
    if (low.any() and (low & (raw != 0x09) & (raw != 0x0A) & (raw != 0x0D)).any()) or _has_nonchars(raw):
        out = out.str.replace(_ILLEGAL_RE2, "", regex=True)
    for char, entity in _ATTR_PAIRS if attribute else _TEXT_PAIRS:  # "&" first
        if (raw == ord(char)).any():
            out = out.str.replace(char, entity, regex=False)
    return out


def _utf8_bytes(series):
    """The column's UTF-8 bytes as a numpy view of Arrow's buffer (may include bytes of a parent
    array outside a slice: that only makes a pass run that was not needed)."""
    import pyarrow as pa

    arr = pa.array(series.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    data = arr.buffers()[2]
    return None if data is None else np.frombuffer(data, dtype=np.uint8)


def _has_nonchars(raw) -> bool:
    lead = np.flatnonzero(raw[:-2] == 0xEF)  # U+FFFE / U+FFFF are EF BF BE / EF BF BF
    return bool(((raw[lead + 1] == 0xBF) & (raw[lead + 2] >= 0xBE)).any())


_TEXT_PAIRS = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_ATTR_PAIRS = (*_TEXT_PAIRS, ('"', "&quot;"), ("\t", "&#9;"), ("\n", "&#10;"), ("\r", "&#13;"))


def _testcases(findings, words: dict[str, str]):
    """One `<testcase>…<failure/>…</testcase>` line per finding, built column-wise."""
    import pandas as pd

    index = findings.index

    def column(name: str):
        if name in findings.columns:
            return findings[name].astype("str")
        return pd.Series(None, index=index, dtype="str")

    owner = column("owner").fillna("")
    owner = owner.where(owner.str.strip() != "", words["no_owner"])
    deal, deal_id = column("deal").fillna(""), column("deal_id").fillna("")
    rows = pd.to_numeric(column("row"), errors="coerce").astype("Int64")
    base = (deal + " [" + deal_id + "]").where((deal != "") & (deal_id != ""), deal.where(deal != "", deal_id))
    base = base.where(base != "", "?")
    label = (base + f" {words['row']} " + rows.astype("str")).where(rows.notna(), owner + f": {words['rep']}")
    message = column("message").fillna("")
    question = column("question").fillna("").str.replace("\r\n", "\n", regex=False).str.replace("\r", "\n", regex=False)
    question = question.str.strip()
    asked = (words["q"] + question.str.replace("\n", "\n" + words["q"], regex=False)).where(question != "", "")
    body = message + pd.Series("\n", index=index, dtype="str").where(asked != "", "") + asked
    import pyarrow as pa
    import pyarrow.compute as pc

    ls = pa.large_string()

    def arrow(series):
        arr = pa.array(series.array)
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        return pc.cast(arr, ls)

    parts = [
        '<testcase name="', arrow(_escape_column(label, attribute=True)),
        '" classname="', arrow(_escape_column(owner, attribute=True)),
        '"><failure message="', arrow(_escape_column(message, attribute=True)),
        '" type="', arrow(_escape_column(column("severity"), attribute=True)),
        '">', arrow(_escape_column(body, attribute=False)), "</failure></testcase>\n",
    ]
    parts = [pa.scalar(p, ls) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*parts, pa.scalar("", ls))  # one pass instead of ten `+`


def write(result: AuditResult, stream: TextIO, *, color: bool = False) -> None:
    import numpy as np
    import pandas as pd

    from pipeaudit.findings import ordered

    words = _WORDS.get(result.lang, _WORDS["en"])
    findings = ordered(result.findings)
    cases = _testcases(findings, words).to_pylist() if len(findings) else []
    rule_codes, rule_names = pd.factorize(findings["rule"].astype("str").fillna("")) if len(findings) else ([], [])
    by_rule = np.argsort(np.asarray(rule_codes), kind="stable")
    counts = np.bincount(np.asarray(rule_codes, dtype=np.int64), minlength=len(rule_names)) if len(findings) else []
    starts = np.concatenate([[0], np.cumsum(counts)]) if len(findings) else [0]
    positions = {str(name): (int(starts[k]), int(starts[k + 1])) for k, name in enumerate(rule_names)}

    ran = [_rule_name(r) for r in result.rules]
    skipped = {s.rule: s for s in result.skipped}
    names = list(dict.fromkeys([*ran, *sorted(positions), *skipped]))

    def hits(name: str) -> int:
        lo, hi = positions.get(name, (0, 0))
        return hi - lo

    total_tests = sum(max(1, hits(n)) for n in names)
    total_skipped = sum(1 for n in names if n in skipped and not hits(n))
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(
        f'<testsuites name="pipeaudit" tests="{total_tests}" failures="{len(findings)}" '
        f'errors="0" skipped="{total_skipped}">\n'
    )
    for name in names:
        n_hits = hits(name)
        n_skipped = 1 if (not n_hits and name in skipped) else 0
        stream.write(
            f'<testsuite name="{attr(name)}" tests="{max(1, n_hits)}" failures="{n_hits}" '
            f'errors="0" skipped="{n_skipped}">\n'
        )
        if n_hits:
            lo, hi = positions[name]
            for start in range(lo, hi, _FLUSH_EVERY):
                stream.write("".join(cases[i] for i in by_rule[start : min(hi, start + _FLUSH_EVERY)]))
        elif n_skipped:
            message = words["skipped"].format(", ".join(skipped[name].missing))
            stream.write(
                f'<testcase name="{attr(name)}" classname="pipeaudit"><skipped message="{attr(message)}"/></testcase>\n'
            )
        else:
            stream.write(f'<testcase name="{attr(words["pass"])}" classname="pipeaudit"/>\n')
        stream.write("</testsuite>\n")
    stream.write("</testsuites>\n")
