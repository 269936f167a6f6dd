"""JUnit output: valid XML, one suite per rule, counts that add up, untrusted text made safe."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from pipeaudit.formats import render
from pipeaudit.formats.junit import clean
from test_formats_fixtures import _Rule, make_findings, make_result


def _tree(result=None) -> ET.Element:
    buf = io.StringIO()
    render(result or make_result(), "junit", buf)
    return ET.fromstring(buf.getvalue().encode("utf-8"))


def test_one_suite_per_rule_and_consistent_counts():
    root = _tree()
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {
        "missing-decision-maker", "no-insider", "price-before-confirmation", "no-next-step", "funnel-short",
        "a-deal-overdue",
    }
    for suite in suites.values():
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure"))
        assert int(suite.get("skipped")) == len(suite.findall("testcase/skipped"))
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites.values())
    assert int(root.get("failures")) == 6
    assert int(root.get("skipped")) == 1
    mdm = suites["missing-decision-maker"]
    assert [c.get("name") for c in mdm.findall("testcase")] == ["Acme ERP [D-001] row 5", "Delta [D-005] row 9"]
    assert [c.get("classname") for c in mdm.findall("testcase")] == ["张三", "(no owner)"]
    failure = mdm.find("testcase/failure")
    assert failure.get("type") == "error" and failure.get("message") == "No decision-maker named"
    assert failure.text == "No decision-maker named\n? Can this person sign?\n? Who else decides?"


def test_rule_without_findings_passes_and_skipped_rule_is_skipped():
    result = make_result()
    result.rules.append(_Rule("no-next-step-2"))
    suites = {s.get("name"): s for s in _tree(result).findall("testsuite")}
    clean_suite = suites["no-next-step-2"]
    assert clean_suite.get("tests") == "1" and clean_suite.get("failures") == "0"
    assert clean_suite.find("testcase/failure") is None
    skipped = suites["a-deal-overdue"].find("testcase/skipped")
    assert skipped.get("message") == "the export has no class_since column"


def test_hostile_text_is_escaped_and_illegal_characters_removed():
    findings = make_findings()
    findings.loc[0, "deal"] = 'Bad <deal> & "co"\x00\x1b]0;x\x07'
    findings.loc[0, "message"] = "]]></failure><injected/>\ufffe"
    root = _tree(make_result(findings=findings))
    case = root.find("testsuite/testcase")
    assert case.get("name").startswith('Bad <deal> & "co"]0;x')
    assert case.find("failure").get("message") == "]]></failure><injected/>"
    assert root.find(".//injected") is None
    assert clean("a\x00b\x0bc\td") == "abc\td"


def test_rep_level_case_is_named_after_the_rep_in_chinese_runs():
    suites = {s.get("name"): s for s in _tree(make_result("zh")).findall("testsuite")}
    case = suites["funnel-short"].find("testcase")
    assert case.get("name") == "李四: 负责人层面" and case.get("classname") == "李四"
    assert case.find("failure").text.endswith("问：Where will the next demos come from?")


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


@settings(max_examples=50, deadline=None)
@given(any_text, any_text, any_text)
def test_any_text_gives_valid_xml_that_round_trips(deal, owner, message):
    findings = make_findings().iloc[:1].copy()
    findings["deal"] = [deal]
    findings["owner"] = [owner]
    findings["message"] = [message]
    case = _tree(make_result(findings=findings)).find("testsuite/testcase")
    if clean(owner).strip():
        assert case.get("classname") == clean(owner)
    assert case.find("failure").get("message") == clean(message)
