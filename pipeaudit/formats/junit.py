"""JUnit XML: one <testsuite> per rep, one <testcase> per deal checked, one <failure> per finding.

A CI system then shows the audit as it shows tests: every deal in the export is a test, green when
no rule flagged it, and each finding is a failure of that deal (type = severity, message = rule
and message, body = the questions). A rep-level finding (e.g. funnel-short) is a testcase of its
own in the rep's suite; rules skipped for a missing column are <skipped> testcases of a last suite.
A deal per testcase keeps the file proportional to the export (rules x deals would not be).
Every finding is a failure whatever --fail-on says; the exit code carries the gate.
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
    "en": {"no_owner": "(no owner)", "row": "row", "rep": "rep-level", "team": "whole export", "q": "? ",
           "skipped_suite": "rules skipped"},
    "zh": {"no_owner": "（无负责人）", "row": "行", "rep": "负责人层面", "team": "整个导出文件", "q": "问：",
           "skipped_suite": "跳过的规则"},
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


def _text_column(frame, name: str):
    import pandas as pd

    if name in frame.columns:
        return frame[name].astype("str")
    return pd.Series(None, index=frame.index, dtype="str")


def _case_labels(deal, deal_id, row, words: dict[str, str]):
    """'Deal [ID] row N' for each deal, from whichever of name and id it has."""
    import pandas as pd

    deal, deal_id = deal.fillna(""), deal_id.fillna("")
    base = (deal + " [" + deal_id + "]").where((deal != "") & (deal_id != ""), deal.where(deal != "", deal_id))
    base = base.where(base != "", "?")
    rows = pd.to_numeric(row, errors="coerce").astype("Int64")
    return (base + f" {words['row']} " + rows.astype("str")).where(rows.notna(), base)


def _arrow(series):
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(series.array)
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return pc.cast(arr, pa.large_string())


def _join(parts):
    """Concatenate string columns and literals element-wise in one Arrow pass."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ls = pa.large_string()
    parts = [pa.scalar(p, ls) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*parts, pa.scalar("", ls))


def _failures(findings, words: dict[str, str]):
    """One `<failure …>…</failure>` string per finding, built column-wise."""
    import pandas as pd

    index = findings.index
    rule, severity = _text_column(findings, "rule").fillna(""), _text_column(findings, "severity").fillna("")
    message = _text_column(findings, "message").fillna("")
    question = _text_column(findings, "question").fillna("").str.replace("\r\n", "\n", regex=False)
    question = question.str.replace("\r", "\n", regex=False).str.strip()
    asked = (words["q"] + question.str.replace("\n", "\n" + words["q"], regex=False)).where(question != "", "")
    headline = rule + ": " + message
    body = message + pd.Series("\n", index=index, dtype="str").where(asked != "", "") + asked
    return _join([
        '<failure message="', _arrow(_escape_column(headline, attribute=True)),
        '" type="', _arrow(_escape_column(severity, attribute=True)),
        '">', _arrow(_escape_column(body, attribute=False)), "</failure>\n",
    ])


def _cases(result: AuditResult, findings, words: dict[str, str]):
    """The testcases: every deal of the export, plus one per rep with rep-level findings, plus one
    per deal a finding names that the table lacks. Returns (cases frame, case of each finding)."""
    import pandas as pd

    frame = result.deals.frame
    deal_cases = pd.DataFrame({
        "key": frame.index.to_numpy(),
        "owner": _text_column(frame, "owner").to_numpy(dtype=object),
        "label": _case_labels(_text_column(frame, "deal"), _text_column(frame, "deal_id"),
                              frame["row"] if "row" in frame.columns else pd.Series(None, index=frame.index),
                              words).to_numpy(dtype=object),
        "row": pd.to_numeric(frame["row"], errors="coerce").to_numpy(dtype="float64")
        if "row" in frame.columns else float("nan"),
    })
    deal_cases["key"] = deal_cases["key"].astype(object)
    at = pd.to_numeric(findings["deal_index"], errors="coerce") if "deal_index" in findings.columns \
        else pd.Series(float("nan"), index=findings.index)
    owner = _text_column(findings, "owner")
    key = pd.Series([("rep", o) for o in owner.fillna("").str.strip()], index=findings.index, dtype=object) \
        if len(findings) else pd.Series([], dtype=object)
    deal_level = at.notna().to_numpy()
    key[deal_level] = at[deal_level].astype("int64").to_numpy(dtype=object)
    known = pd.Index(deal_cases["key"])
    extra = findings.loc[~pd.Index(key).isin(known)].copy()
    extra["_key"] = key[extra.index]
    extra = extra.drop_duplicates("_key")
    if len(extra):
        is_rep = pd.to_numeric(extra["deal_index"], errors="coerce").isna() if "deal_index" in extra.columns \
            else pd.Series(True, index=extra.index)
        labels = _case_labels(_text_column(extra, "deal"), _text_column(extra, "deal_id"),
                              extra["row"] if "row" in extra.columns else pd.Series(None, index=extra.index), words)
        extra_cases = pd.DataFrame({
            "key": extra["_key"].to_numpy(dtype=object),
            "owner": _text_column(extra, "owner").to_numpy(dtype=object),
            "label": labels.where(~is_rep, words["rep"]).where(
                ~is_rep | (_text_column(extra, "owner").fillna("").str.strip() != ""), words["team"]
            ).to_numpy(dtype=object),
            "row": pd.to_numeric(extra["row"], errors="coerce").to_numpy(dtype="float64")
            if "row" in extra.columns else float("nan"),
            "rep_level": is_rep.to_numpy(),
        })
        deal_cases["rep_level"] = False
        cases = pd.concat([deal_cases, extra_cases], ignore_index=True)
    else:
        cases = deal_cases.assign(rep_level=False)
    owners = cases["owner"].astype("str").fillna("").str.strip()
    cases["owner"] = owners.to_numpy(dtype=object)
    # Reps in name order, a rep's own findings first, then deals in row order; no owner last.
    order = pd.DataFrame({"blank": owners == "", "owner": owners, "deal": ~cases["rep_level"], "row": cases["row"]})
    cases = cases.loc[order.sort_values(["blank", "owner", "deal", "row"], kind="stable").index].reset_index(drop=True)
    position = pd.Series(range(len(cases)), index=pd.Index(cases["key"], tupleize_cols=False))
    return cases, position.reindex(pd.Index(key, tupleize_cols=False)).to_numpy()


def write(result: AuditResult, stream: TextIO, *, color: bool = False) -> None:
    import pyarrow as pa

    from pipeaudit.findings import ordered, skipped_reason

    words = _WORDS.get(result.lang, _WORDS["en"])
    findings = ordered(result.findings)
    cases, case_of = _cases(result, findings, words)
    n_cases, n_findings = len(cases), len(findings)
    # within a case, findings keep the display order (most severe first)
    by_case = np.argsort(case_of, kind="stable") if n_findings else np.zeros(0, dtype=np.intp)
    per_case = np.bincount(case_of, minlength=n_cases) if n_findings else np.zeros(n_cases, dtype=np.int64)

    owner = cases["owner"].astype("str")
    display = owner.where(owner != "", words["no_owner"])
    name, classname = _arrow(_escape_column(cases["label"].astype("str"), attribute=True)), \
        _arrow(_escape_column(display, attribute=True))
    opening = _join(['<testcase name="', name, '" classname="', classname, '">\n'])
    empty = _join(['<testcase name="', name, '" classname="', classname, '"/>\n'])
    failures = _failures(findings, words) if n_findings else pa.array([], pa.large_string())

    # One string per piece, in file order: a case with failures is opening + failures + closing,
    # a clean case is one empty element. Pieces are gathered from one Arrow array by position.
    pieces = pa.concat_arrays([opening, empty, failures, pa.array(["</testcase>\n"], pa.large_string())])
    closing = 2 * n_cases + n_findings
    flagged = per_case > 0
    size = np.where(flagged, per_case + 2, 1)
    start = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
    take = np.full(int(size.sum()), closing, dtype=np.int64)
    take[start] = np.where(flagged, np.arange(n_cases), n_cases + np.arange(n_cases))
    if n_findings:
        first = np.repeat(start + 1, per_case)
        nth = np.arange(n_findings) - np.repeat(np.concatenate([[0], np.cumsum(per_case)[:-1]]), per_case)
        take[first + nth] = 2 * n_cases + by_case

    suite_codes, suite_names = (np.zeros(0, dtype=np.intp), []) if not n_cases else \
        __import__("pandas").factorize(display, sort=False)
    skipped = list(result.skipped)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(f'<testsuites name="pipeaudit" tests="{n_cases + len(skipped)}" failures="{n_findings}" '
                 f'errors="0" skipped="{len(skipped)}">\n')
    bounds = np.concatenate([start, [len(take)]])
    for code, suite in enumerate(suite_names):
        members = np.flatnonzero(suite_codes == code)
        lo, hi = members[0], members[-1] + 1  # a suite's cases are contiguous (sorted by owner)
        stream.write(f'<testsuite name="{attr(suite)}" tests="{hi - lo}" failures="{int(per_case[lo:hi].sum())}" '
                     'errors="0" skipped="0">\n')
        for chunk in range(bounds[lo], bounds[hi], _FLUSH_EVERY):
            part = pieces.take(pa.array(take[chunk:min(bounds[hi], chunk + _FLUSH_EVERY)]))
            stream.write("".join(part.to_pylist()))
        stream.write("</testsuite>\n")
    if skipped:
        stream.write(f'<testsuite name="pipeaudit: {attr(words["skipped_suite"])}" tests="{len(skipped)}" '
                     f'failures="0" errors="0" skipped="{len(skipped)}">\n')
        for s in skipped:
            reason = skipped_reason(s.missing, result.lang)
            stream.write(f'<testcase name="{attr(s.rule)}" classname="pipeaudit"><skipped message="{attr(reason)}"/>'
                         "</testcase>\n")
        stream.write("</testsuite>\n")
    stream.write("</testsuites>\n")
