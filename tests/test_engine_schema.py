"""Rule files are validated in one place: every error names file:line, the rule and the key."""

import textwrap

import pytest

from pipeaudit.config import Config
from pipeaudit.engine import load_rules
from pipeaudit.errors import ConfigError, RuleError

GOOD = """\
pack: team
rules:
  - name: big-deal-no-dm
    code: TM1
    severity: warning
    params: {min_amount: 100000}
    where:
      all:
        - gt: {field: amount, value: "{min_amount}"}
        - blank: decision_maker
    message: {zh: "大单 {amount} 没有决策人", en: "Big deal {amount} without decision-maker"}
    questions:
      - {zh: "谁拍板？", en: "Who decides?"}
    why: {zh: "大单更要知道谁拍板。", en: "Big deals need a known decider."}
    ref: "EDCBA Q8"
    examples:
      flagged: [{stage: C方案论证, amount: 20万, decision_maker: ""}]
      clean: [{stage: C方案论证, amount: 5万, decision_maker: ""}]
"""


def write(tmp_path, text, name="team.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_a_good_pack_loads(tmp_path):
    rs = load_rules([write(tmp_path, GOOD)], default_rules=False)
    assert rs.names == ["big-deal-no-dm"]
    rule = rs.get("TM1")
    assert rule.params == {"min_amount": 100000}
    assert rule.fields() == {"amount", "decision_maker"}


@pytest.mark.parametrize(
    "old, new, fragments",
    [
        ("blank: decision_maker", "blank: decision_makr", [":10:", "rule 'big-deal-no-dm'", "unknown field 'decision_makr'", "did you mean 'decision_maker'?"]),
        ("- blank: decision_maker", "- blankk: decision_maker", [":10:", "unknown operator 'blankk'", "did you mean 'blank'?"]),
        ("severity: warning", "severity: warn", [":5:", "severity must be one of", "did you mean 'warning'?"]),
        ("message: {zh: \"大单 {amount} 没有决策人\", en: ", "message: {en: ", [":11:", "'message' is missing the 'zh' text"]),
        ("    ref: \"EDCBA Q8\"\n", "    ref: \"EDCBA Q8\"\n    severty: info\n", [":16:", "unknown key 'severty'", "did you mean 'severity'?"]),
        ("name: big-deal-no-dm", "name: Big_Deal", [":3:", "kebab-case"]),
        ("code: TM1", "code: tm-1", [":4:", "must look like PA101"]),
        ("value: \"{min_amount}\"", "value: \"{min_amt}\"", [":9:", "unknown param 'min_amt'", "did you mean 'min_amount'?"]),
        ("{amount} 没有决策人", "{amout} 没有决策人", [":11:", "unknown placeholder '{amout}'", "did you mean 'amount'?"]),
        ("      - {zh: \"谁拍板？\", en: \"Who decides?\"}\n", "      []\n", ["'questions' must list at least one question"]),
        ("flagged: [{stage: C方案论证,", "flagged: [{stag: C方案论证,", [":17:", "unknown field 'stag'", "did you mean 'stage'?"]),
    ],
)
def test_schema_errors(tmp_path, old, new, fragments):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(RuleError) as err:
        load_rules([path], default_rules=False)
    msg = str(err.value)
    assert msg.startswith(str(path)), msg
    assert "\n" not in msg
    for f in fragments:
        assert f in msg, msg


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, GOOD.replace("    severity: warning\n", "    severity: [warning\n"))
    with pytest.raises(RuleError) as err:
        load_rules([path], default_rules=False)
    assert str(err.value).startswith(f"{path}:") and "YAML syntax error" in str(err.value)


def test_duplicate_rule_name_across_files(tmp_path):
    a = write(tmp_path, GOOD, "a.yaml")
    b = write(tmp_path, GOOD.replace("code: TM1", "code: TM2"), "b.yaml")
    with pytest.raises(RuleError, match="duplicate rule name"):
        load_rules([a, b], default_rules=False)


def test_duplicate_rule_name_in_one_file(tmp_path):
    body = GOOD.split("rules:\n", 1)[1]
    path = write(tmp_path, GOOD + body.replace("code: TM1", "code: TM2"))
    with pytest.raises(RuleError, match=r":19: rule 'big-deal-no-dm': duplicate rule name"):
        load_rules([path], default_rules=False)


def test_builtin_rule_name_clash(tmp_path):
    path = write(tmp_path, GOOD.replace("big-deal-no-dm", "no-insider").replace("TM1", "TM9"))
    with pytest.raises(RuleError, match="no-insider': duplicate rule name"):
        load_rules([path])


def test_folder_and_missing_path(tmp_path):
    write(tmp_path, GOOD, "x.yml")
    (tmp_path / "notes.txt").write_text("not a pack")
    assert load_rules([tmp_path], default_rules=False).names == ["big-deal-no-dm"]
    with pytest.raises(RuleError, match="no such rule file"):
        load_rules([tmp_path / "nope.yaml"], default_rules=False)


def test_yaml_tags_are_refused(tmp_path):
    path = write(tmp_path, GOOD.replace('ref: "EDCBA Q8"', "ref: !!python/object/apply:os.system ['echo pwned']"))
    with pytest.raises(RuleError):
        load_rules([path], default_rules=False)


def test_config_overrides_params_severity_enabled(tmp_path):
    path = write(tmp_path, GOOD)
    cfg = Config(rules={"big-deal-no-dm": {"min_amount": 500000, "severity": "error"}, "no-insider": {"enabled": False}})
    rs = load_rules([path], cfg=cfg)
    rule = rs.get("big-deal-no-dm")
    assert rule.params["min_amount"] == 500000 and rule.severity == "error"
    assert rs.get("no-insider").enabled is False
    # the loaded defaults are not changed for the next load
    assert load_rules([path], default_rules=False).get("big-deal-no-dm").params["min_amount"] == 100000


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"a-deal-overdu": {"weeks": 2}}, "did you mean 'a-deal-overdue'?"),
        ({"a-deal-overdue": {"week": 2}}, "has no param 'week' — did you mean 'weeks'?"),
        ({"a-deal-overdue": {"weeks": "two"}}, "must be a number"),
        ({"a-deal-overdue": {"severity": "fatal"}}, "severity must be one of"),
    ],
)
def test_bad_config_overrides(overrides, fragment):
    with pytest.raises(ConfigError) as err:
        load_rules([], cfg=Config(rules=overrides))
    assert fragment in str(err.value)


# ---- mutated rule files: a RuleError with a reason, never a crash ---------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TOKENS = ["", "[]", "{}", "null", "1", "-1", "true", "x", "{weeks}", "\"{x}\"", "[1, 2]", "{a: 1}", ":", "- ", "'", "{{", "}"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_rule_files_fail_cleanly(tmp_path, data):
    lines = GOOD.splitlines()
    i = data.draw(st.integers(0, len(lines) - 1))
    line = lines[i]
    if ":" in line and data.draw(st.booleans()):
        key, _, _ = line.partition(":")
        lines[i] = f"{key}: {data.draw(st.sampled_from(_TOKENS))}"
    else:
        cut = data.draw(st.integers(0, len(line)))
        lines[i] = line[:cut] + data.draw(st.sampled_from(_TOKENS)) + line[cut:]
    path = tmp_path / "m.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        rs = load_rules([path], default_rules=False)
    except RuleError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    from pipeaudit.engine.examples import check_examples

    check_examples(rs)  # a pack that loads must also evaluate without crashing


def test_overrides_for_builtins_are_ignored_without_default_rules(tmp_path):
    path = write(tmp_path, GOOD)
    rs = load_rules([path], default_rules=False, cfg=Config(rules={"a-deal-overdue": {"weeks": 2}}))
    assert rs.names == ["big-deal-no-dm"]
    with pytest.raises(ConfigError, match="no such rule"):
        load_rules([path], default_rules=False, cfg=Config(rules={"not-a-rule": {"x": 1}}))
