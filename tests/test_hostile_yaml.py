"""YAML that explodes: every YAML file pipeaudit reads (config, rule packs, the report's labels and
questions) goes through one loader that bounds aliases, expanded size, depth and integer size, and
refuses in one short line; numbers and conditions a rule pack holds are checked when it is loaded,
so `rules validate` refuses what `check` could not run.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipeaudit import yamlsafe
from pipeaudit.errors import ConfigError, PipeauditError, RuleError
from test_hostile_support import assert_refused, cli, needs_check

AS_OF = "2026-11-23"
EXPORT = (
    "商机编号,商机名称,负责人,销售阶段,预计成交金额(万元),下一步计划\n"
    "OPP-1,甲,王伟,C方案论证,12,下周拜访张总\n"
    "OPP-2,乙,李芳,B商务谈判,30,发报价\n"
)
RULE_HEAD = """pack: mine
rules:
  - name: my-rule
    severity: warning
    message: {zh: 有问题, en: a problem}
    questions: [{zh: 为什么？, en: why?}]
    why: {zh: 因为, en: because}
    ref: X1
"""
MAX_ERROR_CHARS = 400  # a refusal is one short line, whatever the file holds


def laughs(key: str, levels: int = 9) -> str:
    """The classic: ten anchors, each a list of nine of the previous: 9**levels strings."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + f"\n{key}: *l{levels - 1}\n"


def merge_bomb(levels: int = 25) -> str:
    """Merge keys copy the merged mappings' pairs: merging the previous level twice doubles them."""
    lines = ["m0: &m0 {a: 1, b: 2}"]
    for i in range(1, levels):
        lines.append(f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: {i}}}")
    return "\n".join(lines) + "\n"


def _load(text: str, tmp_path: Path) -> object:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    return yamlsafe.load_yaml(path, ConfigError)


def _refused(text: str, tmp_path: Path, *words: str) -> str:
    start = time.monotonic()
    with pytest.raises(ConfigError) as exc:
        _load(text, tmp_path)
    assert time.monotonic() - start < 20, "took too long to refuse"
    msg = str(exc.value)
    assert len(msg) < MAX_ERROR_CHARS and "\n" not in msg, msg[:2000]
    for w in words:
        assert w in msg, msg
    return msg


@pytest.mark.parametrize("loader", [yamlsafe._Loader, yamlsafe._PureLoader], ids=["c", "pure"])
def test_billion_laughs_refused_by_both_loaders(loader: type) -> None:
    with pytest.raises(ConfigError, match="aliases are expanded"):
        yamlsafe.parse_yaml(laughs("lang"), "f.yaml", ConfigError, loader=loader)


def test_merge_key_bomb_refused(tmp_path: Path) -> None:
    _refused(merge_bomb(), tmp_path, "x.yaml:", "expanded")


def test_too_many_aliases_refused(tmp_path: Path) -> None:
    text = "a: &a x\nb: [" + ",".join(["*a"] * (yamlsafe.MAX_ALIASES + 1)) + "]\n"
    _refused(text, tmp_path, "aliases")


def test_a_few_aliases_still_load(tmp_path: Path) -> None:
    data = _load("words: &w [a, b]\nmore: *w\nm: &m {x: 1}\nn: {<<: *m, y: 2}\n", tmp_path)
    assert data["more"] == ["a", "b"] and data["n"] == {"x": 1, "y": 2}


def test_recursive_alias_refused(tmp_path: Path) -> None:
    _refused("a: &a [1, *a]\n", tmp_path, "contains it")


@pytest.mark.parametrize("depth", [yamlsafe.MAX_DEPTH + 1, 400, 5000])
def test_depth_bounded(tmp_path: Path, depth: int) -> None:
    _refused("a: " + "[" * depth + "]" * depth + "\n", tmp_path, "x.yaml")


@pytest.mark.parametrize("digits", [yamlsafe.MAX_INT_DIGITS + 1, 400, 5000, 100_000])
def test_integer_digits_bounded(tmp_path: Path, digits: int) -> None:
    msg = _refused(f"quotas:\n  王伟: {'9' * digits}\n", tmp_path, "x.yaml:2", "digits")
    assert "9" * 40 not in msg  # the value is shown cut


def test_integers_within_the_bound_load(tmp_path: Path) -> None:
    assert _load(f"n: {'9' * yamlsafe.MAX_INT_DIGITS}\n", tmp_path) == {"n": int("9" * yamlsafe.MAX_INT_DIGITS)}


def test_did_you_mean_skips_huge_text() -> None:
    start = time.monotonic()
    assert yamlsafe.did_you_mean("lang" * 1_000_000, ["lang", "ladder"]) == ""
    assert yamlsafe.did_you_mean(["lang"], ["lang"]) == ""
    assert time.monotonic() - start < 1
    assert yamlsafe.did_you_mean("lnag", ["lang", "ladder"]) == " — did you mean 'lang'?"


def test_shown_bounds_any_value() -> None:
    assert len(yamlsafe.clipped_repr("x" * 1_000_000)) <= yamlsafe.SHOWN_CHARS
    assert len(yamlsafe.clipped_repr([["y" * 1000] * 1000] * 1000)) <= yamlsafe.SHOWN_CHARS
    assert yamlsafe.clipped_repr(10**5000) == "<int>"  # past Python's digit limit for str()


def test_every_error_is_one_bounded_line() -> None:
    msg = str(PipeauditError("f.yaml:3: unknown key '" + "k" * 5_000_000 + "' / 未知键"))
    assert len(msg) <= 1000 and msg.startswith("f.yaml:3: unknown key") and msg.endswith("/ 未知键")


@pytest.mark.parametrize(
    "config",
    [
        "lang: " + "x" * 3_000_000 + "\n",  # a huge value: shown cut, no fuzzy match over it
        "x" * 3_000_000 + ": 1\n",  # a huge unknown key
        "select: [" + ",".join(["x" * 1000] * 3000) + "]\nfail_on: " + "y" * 100_000 + "\n",
        "ladders:\n  mine: {open: [a], phases: [" + "p" * 2_000_000 + "]}\n",
    ],
    ids=["value", "key", "list", "phase"],
)
def test_config_refusals_show_values_cut(tmp_path: Path, config: str) -> None:
    from pipeaudit.config import load_config

    path = tmp_path / "pipeaudit.yaml"
    path.write_text(config, encoding="utf-8")
    start = time.monotonic()
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert time.monotonic() - start < 10
    assert len(str(exc.value)) < MAX_ERROR_CHARS, str(exc.value)[:500]


def _pack(tmp_path: Path, where: str, extra: str = "") -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(RULE_HEAD + extra + f"    where: {where}\n", encoding="utf-8")
    return path


def _parse(path: Path):
    from pipeaudit.engine.schema import parse_pack

    return parse_pack(path)


@pytest.mark.parametrize(
    "where, extra, words",
    [
        ("{gt: {field: amount, value: 1.0e400}}", "", "must be a number within"),
        ("{gt: {field: amount, value: -.inf}}", "", "must be a number within"),
        ("{gt: {field: amount, value: .nan}}", "", "must be a number within"),
        ("{gt: {field: amount, value: '{big}'}}", "    params: {big: 1.0e999}\n", "must be a number within"),
        ("{age_days: {field: close_date, gt: " + "9" * 31 + "}}", "", "digits"),
        ("{blank: deal}", "    params: {big: .inf}\n", "must be a number within"),
    ],
)
def test_rule_numbers_checked_at_load(tmp_path: Path, where: str, extra: str, words: str) -> None:
    with pytest.raises(RuleError, match=words) as exc:
        _parse(_pack(tmp_path, where, extra))
    assert "mine.yaml:" in str(exc.value)


def _nested(op: str, depth: int) -> str:
    cond = "{blank: deal}"
    for _ in range(depth):
        cond = f"{{not: {cond}}}" if op == "not" else f"{{{op}: [{cond}]}}"
    return cond


@pytest.mark.parametrize("op", ["not", "all", "any"])
def test_deeply_nested_conditions_refused_at_load(tmp_path: Path, op: str) -> None:
    from pipeaudit.engine.parsing import MAX_CONDITION_DEPTH

    assert _parse(_pack(tmp_path, _nested(op, MAX_CONDITION_DEPTH - 1))).rules
    with pytest.raises(RuleError, match="nested") as exc:
        _parse(_pack(tmp_path, _nested(op, MAX_CONDITION_DEPTH + 5)))
    assert "mine.yaml:" in str(exc.value)


def test_config_param_override_must_be_finite(tmp_path: Path) -> None:
    from pipeaudit.config import load_config
    from pipeaudit.engine import load_rules

    path = tmp_path / "pipeaudit.yaml"
    path.write_text("rules:\n  a-deal-overdue: {weeks: .inf}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a number within"):
        load_rules([], cfg=load_config(path))


def test_long_word_list_matches_without_one_giant_regex() -> None:
    import pandas as pd

    from pipeaudit.engine.columns import Env
    from pipeaudit.engine.operators import op_contains_any
    from pipeaudit.engine.parsing import Node

    words = [f"w{i}x" for i in range(100_000)] + ["a.b", "中文" * 5000]
    frame = pd.DataFrame({"next_step": ["call w99999x now", "nothing", "a.b", "xx" + "中文" * 5000, "aXb", None]})
    node = Node("contains_any", ("next_step",), {"words": words})
    hit = op_contains_any(node, Env(frame, pd.Timestamp(AS_OF)))
    assert hit.tolist() == [True, False, True, True, False, False]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@needs_check
@pytest.mark.parametrize(
    "pack",
    [
        RULE_HEAD + "    where: {gt: {field: amount, value: " + "9" * 400 + "}}\n",
        RULE_HEAD + "    where: {gt: {field: amount, value: 1.0e400}}\n",
        RULE_HEAD + "    where: " + _nested("not", 300) + "\n",
        RULE_HEAD + "    where: " + _nested("all", 300) + "\n",
        laughs("pack"),
        merge_bomb() + "pack: x\n",
    ],
    ids=["int", "inf", "not", "all", "laughs", "merge"],
)
def test_validate_refuses_what_check_could_not_run(tmp_path: Path, pack: str) -> None:
    path = _write(tmp_path, "mine.yaml", pack)
    assert_refused(cli("rules", "validate", str(path), timeout=30))
    src = _write(tmp_path, "deals.csv", EXPORT)
    out = cli("check", str(src), "--rules", str(path), "--as-of", AS_OF, "--format", "json", timeout=30)
    assert_refused(out)
    assert len(out.stderr) < MAX_ERROR_CHARS


@needs_check
def test_long_word_list_runs_in_check(tmp_path: Path) -> None:
    words = ",".join(f"w{i}x" for i in range(100_000))
    pack = _write(tmp_path, "mine.yaml", RULE_HEAD + "    where: {contains_any: {field: next_step, words: [" + words + ", 报价]}}\n")
    src = _write(tmp_path, "deals.csv", EXPORT)
    out = cli("check", str(src), "--rules", str(pack), "--no-default-rules", "--as-of", AS_OF, "--format", "csv", "--fail-on", "warning",
              timeout=60)
    assert out.code == 1, out.stderr
    assert "OPP-2" in out.stdout and "OPP-1" not in out.stdout


@needs_check
@pytest.mark.parametrize("name", ["report_labels.yaml", "stage_questions.yaml"])
def test_template_texts_go_through_the_same_loader(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    _write(folder, name, laughs("stages"))
    src = _write(tmp_path, "deals.csv", EXPORT)
    out = cli("report", str(src), "--templates", str(folder), "--out", str(tmp_path / "out"), "--as-of", AS_OF, timeout=30)
    assert_refused(out, name)
    assert len(out.stderr) < MAX_ERROR_CHARS


@needs_check
def test_config_bomb_refused_by_every_command(tmp_path: Path) -> None:
    cfg = _write(tmp_path, "pipeaudit.yaml", laughs("select"))
    src = _write(tmp_path, "deals.csv", EXPORT)
    for args in (["check", str(src)], ["rules", "list"], ["plan", "--target", "100"], ["columns", str(src)]):
        out = cli(*args, "--config", str(cfg), timeout=30)
        assert_refused(out, "pipeaudit.yaml")
        assert len(out.stderr) < MAX_ERROR_CHARS
