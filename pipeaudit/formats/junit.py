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

from pipeaudit.arrowtext import arrow_of
from pipeaudit.i18n import t
from pipeaudit.result import AuditResult

_ILLEGAL_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTR = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)

def clean(value: object) -> str:
    """Text safe for an XML 1.0 document: illegal control characters and lone surrogates removed."""
    return _ILLEGAL_XML.sub("", "" if value is None else str(value))


def attr(value: object) -> str:
    return clean(value).translate(_ATTR)


_ILLEGAL_RE2 = "[^\\x09\\x0a\\x0d\\x{20}-\\x{D7FF}\\x{E000}-\\x{FFFD}\\x{10000}-\\x{10FFFF}]"


def _escape_column(series, *, attribute: bool):
    """clean() + attr() (or text-node escaping) over a whole column with string kernels; a scan of
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
    data = arrow_of(series.array).buffers()[2]
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


def _case_labels(table, words: dict[str, str]):
    """('Deal [ID] row N' for each row of a deals or findings table, from whichever of name and id
    it has; the row numbers as floats, NaN where there is none)."""
    import pandas as pd

    deal, deal_id = _text_column(table, "deal").fillna(""), _text_column(table, "deal_id").fillna("")
    base = (deal + " [" + deal_id + "]").where((deal != "") & (deal_id != ""), deal.where(deal != "", deal_id))
    base = base.where(base != "", "?")
    rows = pd.to_numeric(table["row"], errors="coerce").astype("Int64") if "row" in table.columns \
        else pd.Series(pd.NA, index=table.index, dtype="Int64")
    labels = (base + f" {words['row']} " + rows.astype("str")).where(rows.notna(), base)
    return labels, rows.to_numpy(dtype="float64", na_value=np.nan)


def _arrow(series):
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.cast(arrow_of(series.array), pa.large_string())


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
    per deal a finding names that the table lacks. Returns (cases frame in file order, the case
    of each finding). Cases are keyed by integers: a deal by its index (>= 0), a rep-level case
    by -1 - the code of its owner."""
    import pandas as pd

    from pipeaudit.findings import owner_codes

    frame = result.deals.frame
    n = len(findings)
    # text stays in Arrow-backed columns: a million deals as Python strings would cost ~0.5 GB
    labels, rows = _case_labels(frame, words)
    deal_cases = pd.DataFrame({
        "key": frame.index.to_numpy(dtype=np.int64),
        "owner": _text_column(frame, "owner").fillna("").str.strip().array,
        "label": labels.array,
        "row": rows,
        "rep_level": False,
    })
    at = pd.to_numeric(findings["deal_index"], errors="coerce").to_numpy(dtype="float64") \
        if "deal_index" in findings.columns else np.full(n, np.nan)
    if "owner" in findings.columns:  # trimmed, each distinct owner once (missing is "")
        owner_code, owner_of = owner_codes(findings["owner"])
    else:
        owner_code, owner_of = np.zeros(n, dtype=np.int64), np.array([""], dtype=object)
    deal_level = ~np.isnan(at)
    key = np.where(deal_level, np.nan_to_num(at, nan=0.0).astype(np.int64), -1 - owner_code.astype(np.int64))
    extra = np.flatnonzero(~pd.Index(key).isin(deal_cases["key"]))
    if len(extra):
        _, first = np.unique(key[extra], return_index=True)
        picked = extra[first]
        is_rep = ~deal_level[picked]
        owners = owner_of[owner_code[picked]]
        labels, rows = _case_labels(findings.iloc[picked], words)
        level = np.where(owners == "", words["team"], words["rep"])
        extra_cases = pd.DataFrame({
            "key": key[picked],
            "owner": pd.array(owners, dtype="str"),
            "label": pd.array(np.where(is_rep, level, labels.to_numpy(dtype=object)), dtype="str"),
            "row": rows,
            "rep_level": is_rep,
        })
        cases = pd.concat([deal_cases, extra_cases], ignore_index=True)
    else:
        cases = deal_cases
    # Reps in name order, a rep's own findings first, then deals in row order; no owner last.
    blank = cases["owner"] == ""
    order = pd.DataFrame({"blank": blank, "owner": cases["owner"], "deal": ~cases["rep_level"], "row": cases["row"]})
    cases = cases.loc[order.sort_values(["blank", "owner", "deal", "row"], kind="stable").index].reset_index(drop=True)
    case_of = pd.Index(cases["key"]).get_indexer(key)
    return cases, case_of


#: Cases written per batch: bounds the strings held at once on a million-deal export.
_CASES_PER_BATCH = 20_000


def _batch(name, classname, findings, positions, counts, words: dict[str, str]) -> tuple[list[str], np.ndarray]:
    """The XML pieces of consecutive cases, and where each case's pieces start: a flagged case is
    opening + its failures + closing, a clean case one empty element. `positions` are the rows of
    `findings` for these cases, in order; `name` and `classname` their escaped attributes."""
    import pyarrow as pa

    opening = _join(['<testcase name="', name, '" classname="', classname, '">\n'])
    empty = _join(['<testcase name="', name, '" classname="', classname, '"/>\n'])
    failures = _failures(findings.iloc[positions], words) if len(positions) else pa.array([], pa.large_string())
    pieces = pa.concat_arrays([opening, empty, failures, pa.array(["</testcase>\n"], pa.large_string())])
    n_cases, n_failures = len(name), len(positions)
    closing = 2 * n_cases + n_failures
    flagged = counts > 0
    size = np.where(flagged, counts + 2, 1)
    start = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
    take = np.full(int(size.sum()), closing, dtype=np.int64)
    take[start] = np.where(flagged, np.arange(n_cases), n_cases + np.arange(n_cases))
    if n_failures:
        first = np.repeat(start + 1, counts)
        nth = np.arange(n_failures) - np.repeat(np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        take[first + nth] = 2 * n_cases + np.arange(n_failures)
    return pieces.take(pa.array(take)).to_pylist(), np.append(start, len(take))


def write(result: AuditResult, stream: TextIO, *, color: bool = False) -> None:
    import pandas as pd

    from pipeaudit.findings import ordered, skipped_reason

    lang = result.lang
    words = {"no_owner": t("words.no_owner", lang), "row": t("junit.row", lang), "rep": t("junit.rep_level", lang),
             "team": t("junit.whole_export", lang), "q": t("words.ask", lang),
             "skipped_suite": t("junit.skipped_suite", lang)}
    findings = ordered(result.findings)
    cases, case_of = _cases(result, findings, words)
    n_cases, n_findings = len(cases), len(findings)
    # findings grouped by case; within a case they keep the display order (most severe first)
    by_case = np.argsort(case_of, kind="stable")
    per_case = np.bincount(case_of, minlength=n_cases) if n_findings else np.zeros(n_cases, dtype=np.int64)
    first_finding = np.concatenate([[0], np.cumsum(per_case)]).astype(np.int64)

    skipped = list(result.skipped)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(f'<testsuites name="pipeaudit" tests="{n_cases + len(skipped)}" failures="{n_findings}" '
                 f'errors="0" skipped="{len(skipped)}">\n')
    owner_codes = pd.factorize(cases["owner"])[0]
    # escaped once for all cases (a slice of a pandas column would rescan its whole buffer)
    display = cases["owner"].astype("str").where(cases["owner"] != "", words["no_owner"])
    names = _arrow(_escape_column(cases["label"].astype("str"), attribute=True))
    classnames = _arrow(_escape_column(display, attribute=True))
    # a suite's cases are contiguous (sorted by owner): its bounds are where the owner changes
    changes = np.flatnonzero(owner_codes[1:] != owner_codes[:-1]) + 1 if n_cases else np.zeros(0, dtype=np.int64)
    bounds = np.concatenate([[0], changes, [n_cases]]).astype(np.int64) if n_cases else np.zeros(1, dtype=np.int64)
    for a in range(0, n_cases, _CASES_PER_BATCH):
        b = min(n_cases, a + _CASES_PER_BATCH)
        positions = by_case[first_finding[a]:first_finding[b]]
        parts, starts = _batch(names.slice(a, b - a), classnames.slice(a, b - a), findings, positions,
                               per_case[a:b], words)
        # the suites this batch touches: open the ones that begin here, close the ones that end here
        for k in range(int(np.searchsorted(bounds, a, side="right")) - 1, len(bounds) - 1):
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            if lo >= b:
                break
            if lo >= a:
                suite = cases["owner"].iat[lo] or words["no_owner"]
                stream.write(f'<testsuite name="{attr(suite)}" tests="{hi - lo}" '
                             f'failures="{int(per_case[lo:hi].sum())}" errors="0" skipped="0">\n')
            stream.write("".join(parts[starts[max(lo, a) - a]:starts[min(hi, b) - a]]))
            if hi <= b:
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
