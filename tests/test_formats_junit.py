"""JUnit output: valid XML, a suite per rep and a case per deal, counts that add up, untrusted text made safe."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from pipeaudit.formats import render
from pipeaudit.formats.junit import clean
from test_formats_fixtures import make_deals, make_findings, make_result


def _tree(result=None) -> ET.Element:
    buf = io.StringIO()
    render(result or make_result(), "junit", buf)
    return ET.fromstring(buf.getvalue().encode("utf-8"))


def test_one_suite_per_rep_one_case_per_deal_one_failure_per_finding():
    root = _tree()
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    # reps in name order, no owner after them, the skipped rules last
    assert list(suites) == ["张三", "李四", "王五", "(no owner)", "pipeaudit: rules skipped"]
    for suite in suites.values():
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure"))
        assert int(suite.get("skipped")) == len(suite.findall("testcase/skipped"))
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites.values())
    # six deals checked, one rep-level case for 李四, one skipped rule
    assert int(root.get("tests")) == 6 + 1 + 1
    assert int(root.get("failures")) == 6 and int(root.get("skipped")) == 1
    zhang = suites["张三"].findall("testcase")
    assert [c.get("name") for c in zhang] == ["Acme ERP [D-001] row 5", '=HYPERLINK("http://x","y") [D-002] row 6']
    assert {c.get("classname") for c in zhang} == {"张三"}
    first = zhang[0].findall("failure")
    assert [f.get("message") for f in first] == [
        "missing-decision-maker: No decision-maker named", "no-insider: No insider, 100% exposed: here"]
    assert first[0].get("type") == "error"
    assert first[0].text == "No decision-maker named\n? Can this person sign?\n? Who else decides?"


def test_a_deal_no_rule_flagged_is_a_passing_case_closed_deals_included():
    suites = {s.get("name"): s for s in _tree().findall("testsuite")}
    li = suites["李四"].findall("testcase")
    assert [c.get("name") for c in li] == ["rep-level", "Beta CRM [D-003] row 7", "Gamma [D-004] row 8"]
    assert li[1].find("failure") is None  # a won deal, checked and clean
    wang = suites["王五"].findall("testcase")
    assert [c.get("name") for c in wang] == ["Epsilon [D-006] row 10"] and wang[0].find("failure") is None


def test_skipped_rule_says_why_and_which_option_would_feed_it():
    suites = {s.get("name"): s for s in _tree().findall("testsuite")}
    case = suites["pipeaudit: rules skipped"].find("testcase")
    assert case.get("name") == "a-deal-overdue"
    assert case.find("skipped").get("message") == "the export has no class_since column (--history can derive it)"


def test_findings_for_deals_the_table_lacks_still_get_a_case():
    from test_formats_fixtures import big_findings

    root = _tree(make_result(findings=big_findings(50)))
    cases = root.findall("testsuite/testcase")
    assert int(root.get("failures")) == 50 == len(root.findall(".//failure"))
    named = {c.get("name") for c in cases}
    assert "项目 49 [D0000049] row 51" in named and "Acme ERP [D-001] row 5" in named


def test_hostile_text_is_escaped_and_illegal_characters_removed():
    findings = make_findings()
    deals = make_deals()
    deals.frame.loc[0, "deal"] = 'Bad <deal> & "co"\x00\x1b]0;x\x07'
    findings.loc[0, "message"] = "]]></failure><injected/>\ufffe"
    root = _tree(make_result(findings=findings, deals=deals))
    case = root.find("testsuite/testcase")
    assert case.get("name").startswith('Bad <deal> & "co"]0;x')
    assert case.find("failure").get("message") == "missing-decision-maker: ]]></failure><injected/>"
    assert root.find(".//injected") is None
    assert clean("a\x00b\x0bc\td") == "abc\td"


def test_rep_level_case_is_named_after_the_level_in_chinese_runs():
    suites = {s.get("name"): s for s in _tree(make_result("zh")).findall("testsuite")}
    case = suites["李四"].find("testcase")
    assert case.get("name") == "负责人层面" and case.get("classname") == "李四"
    assert case.find("failure").text.endswith("问：Where will the next demos come from?")
    assert "pipeaudit: 跳过的规则" in suites


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


@settings(max_examples=50, deadline=None)
@given(any_text, any_text, any_text)
def test_any_text_gives_valid_xml_that_round_trips(deal, owner, message):
    deals = make_deals()
    deals.frame.loc[0, "deal"] = deal
    deals.frame.loc[0, "owner"] = owner
    findings = make_findings().iloc[:1].copy()
    findings["message"] = [message]
    root = _tree(make_result(findings=findings, deals=deals))
    flagged = [c for c in root.findall("testsuite/testcase") if c.find("failure") is not None]
    assert len(flagged) == 1
    if clean(owner).strip():
        assert flagged[0].get("classname").strip() == clean(owner).strip()
    assert flagged[0].find("failure").get("message") == "missing-decision-maker: " + clean(message)


def test_batches_that_cut_across_suites_give_the_same_file(monkeypatch):
    import pipeaudit.formats.junit as junit

    def render_with(batch: int) -> str:
        monkeypatch.setattr(junit, "_CASES_PER_BATCH", batch)
        buf = io.StringIO()
        render(make_result(), "junit", buf)
        return buf.getvalue()

    whole = render_with(10_000)
    for batch in (1, 2, 3):
        assert render_with(batch) == whole
    ET.fromstring(whole.encode("utf-8"))
