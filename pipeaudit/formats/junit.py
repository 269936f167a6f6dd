"""JUnit XML: one <testsuite> per rule, so CI systems list failures by rule natively.

Design choice (size matters at 100k deals): a rule's suite holds one failing <testcase> per finding
(name = deal, id and row; classname = owner); a rule that flagged nothing holds one passing testcase
("no deal flagged"), and a rule skipped for a missing column holds one <skipped> testcase. We do not
emit a passing testcase per unflagged deal: rules × deals would be millions of elements. Every
finding is a <failure type="<severity>"> whatever --fail-on says; the exit code carries the gate.
Text from the data is escaped by ElementTree, and characters illegal in XML 1.0 are removed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TextIO

from pipeaudit.model import AuditResult

_ILLEGAL_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_WORDS = {
    "en": {"no_owner": "(no owner)", "row": "row", "rep": "rep-level", "pass": "no deal flagged", "q": "? ",
           "skipped": "the export has no {} column"},
    "zh": {"no_owner": "（无负责人）", "row": "行", "rep": "负责人层面", "pass": "没有商机被标记", "q": "问：",
           "skipped": "导出文件没有 {} 列"},
}


def clean(value: object) -> str:
    """Text safe for an XML 1.0 document: illegal control characters and lone surrogates removed."""
    return _ILLEGAL_XML.sub("", "" if value is None else str(value))


def _rule_name(rule: object) -> str:
    return str(getattr(rule, "name", rule))


def write(result: AuditResult, stream: TextIO, *, color: bool = False) -> None:
    from pipeaudit.findings import column_lists, ordered

    words = _WORDS.get(result.lang, _WORDS["en"])
    findings = ordered(result.findings)
    cols = column_lists(findings)
    positions: dict[str, list[int]] = {}
    for i, rule in enumerate(cols["rule"]):
        positions.setdefault(rule or "", []).append(i)
    ran = [_rule_name(r) for r in result.rules]
    skipped = {s.rule: s for s in result.skipped}
    names = list(dict.fromkeys([*ran, *sorted(positions), *skipped]))

    total_tests = sum(max(1, len(positions.get(n, ()))) for n in names)
    total_failures = len(findings)
    total_skipped = sum(1 for n in names if n in skipped and n not in positions)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(
        f'<testsuites name="pipeaudit" tests="{total_tests}" failures="{total_failures}" '
        f'errors="0" skipped="{total_skipped}">\n'
    )
    for name in names:
        hits = positions.get(name, [])
        suite = ET.Element("testsuite", name=clean(name))
        if hits:
            for i in hits:
                _failure_case(suite, cols, i, words)
            suite_skipped = 0
        elif name in skipped:
            case = ET.SubElement(suite, "testcase", name=clean(name), classname="pipeaudit")
            missing = ", ".join(skipped[name].missing)
            ET.SubElement(case, "skipped", message=clean(words["skipped"].format(missing)))
            suite_skipped = 1
        else:
            ET.SubElement(suite, "testcase", name=words["pass"], classname="pipeaudit")
            suite_skipped = 0
        suite.set("tests", str(max(1, len(hits))))
        suite.set("failures", str(len(hits)))
        suite.set("errors", "0")
        suite.set("skipped", str(suite_skipped))
        stream.write(ET.tostring(suite, encoding="unicode"))
        stream.write("\n")
    stream.write("</testsuites>\n")


def _failure_case(suite: ET.Element, cols: dict[str, list], i: int, words: dict[str, str]) -> None:
    owner = cols["owner"][i] or words["no_owner"]
    row = cols["row"][i]
    if row is None:
        label = f"{owner}: {words['rep']}"
    else:
        deal, deal_id = cols["deal"][i], cols["deal_id"][i]
        label = deal or deal_id or "?"
        if deal and deal_id:
            label = f"{deal} [{deal_id}]"
        label = f"{label} {words['row']} {row}"
    case = ET.SubElement(suite, "testcase", name=clean(label), classname=clean(owner))
    message = cols["message"][i] or ""
    questions = [q for q in str(cols["question"][i] or "").splitlines() if q.strip()]
    body = "\n".join([message, *(words["q"] + q for q in questions)])
    failure = ET.SubElement(case, "failure", message=clean(message), type=clean(cols["severity"][i]))
    failure.text = clean(body)
