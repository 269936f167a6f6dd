"""What a rule author reads from the code: operator docs and examples, meta-column labels, and the
built-in rule codes (present, unique, stable, one family per pack)."""

import os

import pytest

from pipeaudit.engine import load_rules
from pipeaudit.engine.columns import META_KINDS
from pipeaudit.engine.conditions import OPERATORS, parse_condition
from pipeaudit.engine.parsing import ParseContext
from pipeaudit.errors import RuleError
from pipeaudit.i18n import t
from pipeaudit.yamlsafe import parse_yaml


def test_every_operator_has_a_doc_and_an_example_that_parses():
    assert len(OPERATORS) >= 20
    for name, op in OPERATORS.items():
        assert op.doc.strip(), f"operator {name!r} has no doc"
        assert op.example.strip(), f"operator {name!r} has no example"
        spec = parse_yaml(op.example, f"example of {name}", RuleError)
        node = parse_condition(spec, ParseContext(f"example of {name}", name, {}, RuleError))
        assert node.op == name, f"the example of {name!r} shows {node.op!r}"


def test_a_broken_example_would_fail_the_parse():
    # the check above is a real parse: an example naming an unknown field is refused
    spec = parse_yaml(OPERATORS["blank"].example.replace("decision_maker", "decision_makr"), "x", RuleError)
    with pytest.raises(RuleError, match="did you mean 'decision_maker'"):
        parse_condition(spec, ParseContext("x", "blank", {}, RuleError))


def test_every_meta_column_has_both_labels():
    for name in META_KINDS:
        assert t("meta_column." + name, "zh").strip() and t("meta_column." + name, "en").strip(), name


#: Codes users write in --select/--ignore, configs and ignore columns: once given, a code never
#: changes meaning. New rules may be added; these may not be renumbered.
PINNED_CODES = {
    "invalid-value": "PA001", "unknown-stage": "PA002", "missing-amount": "PA003",
    "missing-decision-maker": "PA101", "no-insider": "PA102", "price-before-confirmation": "PA103",
    "a-deal-overdue": "PA104", "b-deal-overdue": "PA105", "first-visit-facts-missing": "PA106",
    "no-next-step": "PA107", "close-date-passed": "PA108", "no-recent-activity": "PA109",
    "competitors-unknown": "PA110", "a-deal-close-far": "PA111",
    "stale-by-stage": "PA201", "vague-next-step": "PA202", "close-date-far-out": "PA203",
    "commit-on-early-stage": "PA204", "probability-stage-mismatch": "PA205", "stuck-in-stage": "PA206",
    "close-date-slipped": "PA501", "stage-regressed": "PA502", "amount-dropped": "PA503",
    "close-date-slipped-repeatedly": "PA504", "history-too-short": "PA505",
    "funnel-short": "PA510",
    # issue 13
    "amount-not-positive": "PA004", "next-step-overdue": "PA207", "commit-without-next-step": "PA208",
    "single-threaded-big-deal": "PA209", "next-step-undated": "PA210", "slipped-not-recovered": "PA506", "pushed-out-of-quarter": "PA507",
    "pulled-into-quarter": "PA508", "review-due": "PA511",
}


def test_builtin_rule_codes_are_present_unique_stable_and_shared_per_pack():
    rules = load_rules([], default_rules=True)
    missing = [r.name for r in rules if not r.code]
    assert not missing, f"built-in rules without a code: {missing}"
    codes = [r.code for r in rules]
    assert len(codes) == len(set(codes)), sorted(c for c in codes if codes.count(c) > 1)
    assert {r.name: r.code for r in rules if r.name in PINNED_CODES} == PINNED_CODES
    by_pack: dict[str, list[str]] = {}
    for r in rules:
        by_pack.setdefault(r.pack, []).append(r.code)
    assert set(by_pack) == {"data", "method", "hygiene", "changes", "plan"}
    for pack, pack_codes in by_pack.items():
        # one hundred per pack: PA0xx data, PA1xx method, PA2xx hygiene, PA5xx changes and plan
        assert len({c[:-2] for c in pack_codes}) == 1, (pack, pack_codes)
        # the pack's common prefix names exactly the pack: --select PA1 is --select method
        prefix = os.path.commonprefix(pack_codes)
        assert rules.resolve([prefix], "--select") == {r.name for r in rules if r.pack == pack}, (pack, prefix)


def test_a_code_used_twice_across_packs_is_refused(tmp_path):
    from pipeaudit.engine.loader import collect_rules

    rule = ("pack: {pack}\nrules:\n  - name: {name}\n    code: TM1\n    severity: info\n    where: {{blank: owner}}\n"
            "    message: {{zh: 无, en: none}}\n    questions: [{{zh: 谁？, en: Who?}}]\n"
            "    why: {{zh: 因为。, en: Because.}}\n    ref: x\n")
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(rule.format(pack="one", name="first"), encoding="utf-8")
    b.write_text(rule.format(pack="two", name="second"), encoding="utf-8")
    with pytest.raises(RuleError, match=f"{b}:3: rule 'second': code TM1 is already used by 'first' \\({a}:3\\)"):
        load_rules([a, b], default_rules=False)
    rules, problems, files = collect_rules([a, b])
    assert rules.names == ["first"] and files == [a, b]
    assert [str(p) for p in problems] == [f"{b}:3: rule 'second': code TM1 is already used by 'first' ({a}:3)"]
