"""What a rule author reads from the code: operator docs and examples, meta-column labels, rule codes."""

import pytest

from pipeaudit.engine.conditions import META_KINDS, META_LABELS, OPERATORS, ParseContext, parse_condition
from pipeaudit.errors import RuleError
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
    assert set(META_LABELS) == set(META_KINDS)
    for name, (zh, en) in META_LABELS.items():
        assert zh.strip() and en.strip(), name
