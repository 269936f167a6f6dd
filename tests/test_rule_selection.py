"""--select / --ignore take rule names, codes, code prefixes (PA1) and pack names (method)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app
from pipeaudit.config import Config
from pipeaudit.engine import load_rules
from pipeaudit.errors import ConfigError
from pipeaudit.options import AuditOptions
from pipeaudit.pipeline import select_rules


@pytest.fixture(scope="module")
def builtin():
    return load_rules([], default_rules=True)


def names_in(ruleset, pack: str) -> set[str]:
    return {r.name for r in ruleset if r.pack == pack}


def test_a_pack_name_selects_its_rules(builtin):
    method = names_in(builtin, "method")
    assert len(method) >= 10
    assert builtin.resolve(["method"], "--select") == method
    assert builtin.resolve(["Hygiene"], "--select") == names_in(builtin, "hygiene")
    assert builtin.resolve(["data", "plan"], "--ignore") == names_in(builtin, "data") | names_in(builtin, "plan")


def test_a_code_prefix_selects_codes_starting_with_it_ignoring_case(builtin):
    assert builtin.resolve(["PA1"], "--select") == names_in(builtin, "method")
    assert builtin.resolve(["pa2"], "--select") == names_in(builtin, "hygiene")
    assert builtin.resolve(["PA10"], "--select") == {r.name for r in builtin if r.code.startswith("PA10")}
    assert "a-deal-close-far" not in builtin.resolve(["PA10"], "--select")  # PA111 does not start with PA10


def test_names_and_exact_codes_still_name_one_rule(builtin):
    assert builtin.resolve(["no-insider", "pa101"], "--select") == {"no-insider", "missing-decision-maker"}


def test_an_exact_code_wins_over_the_prefix_it_also_is(tmp_path):
    pack = tmp_path / "team.yaml"
    rule = """\
  - name: {name}
    code: {code}
    severity: info
    where: {{blank: owner}}
    message: {{zh: 没有负责人, en: No owner}}
    questions: [{{zh: 谁的？, en: Whose?}}]
    why: {{zh: 没人推。, en: Nobody pushes it.}}
    ref: 过堂
"""
    pack.write_text("pack: team\nrules:\n" + rule.format(name="one", code="TM1") + rule.format(name="ten", code="TM10"),
                    encoding="utf-8")
    rs = load_rules([pack], default_rules=False)
    assert rs.resolve(["TM1"], "--select") == {"one"}
    assert rs.resolve(["tm"], "--select") == {"one", "ten"}
    assert rs.resolve(["team"], "--select") == {"one", "ten"}


@pytest.mark.parametrize(
    "word, fragments",
    [
        ("metod", ["--select 'metod'", "did you mean 'method'?", "packs: changes, data, hygiene, method, plan", "规则包"]),
        ("no-insidr", ["did you mean 'no-insider'?"]),
        ("pa-101", ["did you mean 'PA101'?"]),
        ("PA9", ["no rule name, code, code prefix or pack matches"]),
    ],
)
def test_a_word_matching_nothing_is_a_config_error_with_a_hint(builtin, word, fragments):
    with pytest.raises(ConfigError) as info:
        builtin.resolve([word], "--select")
    for fragment in fragments:
        assert fragment in str(info.value)


def test_config_select_and_ignore_take_packs_and_prefixes(builtin, tmp_path):
    opts = AuditOptions(path=tmp_path / "x.csv")
    chosen = {r.name for r in select_rules(builtin, opts, Config(select=["method"], ignore=["PA104"]))}
    assert chosen == names_in(builtin, "method") - {"a-deal-overdue"}
    opts = AuditOptions(path=tmp_path / "x.csv", ignore=["pa0", "changes"])
    chosen = {r.name for r in select_rules(builtin, opts, Config())}
    assert chosen == {r.name for r in builtin} - names_in(builtin, "data") - names_in(builtin, "changes")


DEALS = """商机编号,商机名称,负责人,销售阶段,预计金额(万元),决策人,内线,下一步,最近跟进
SJ-1,华光ERP,张三,C方案论证,15,,,,2026-09-20
SJ-2,海天CRM,李四,D进程确定,abc,,,,2026-11-21
"""


def test_check_select_by_pack_ignore_by_prefix_through_the_cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deals.csv").write_text(DEALS, encoding="utf-8")
    args = ["check", "deals.csv", "--as-of", "2026-11-23", "--format", "json", "--fail-on", "never"]
    everything = CliRunner().invoke(app, args)
    assert everything.exit_code == 0, everything.output
    fired = {f["rule"] for f in json.loads(everything.stdout)["findings"]}
    assert "invalid-value" in fired and "no-insider" in fired  # both packs fire on this export

    res = CliRunner().invoke(app, [*args, "--select", "method", "--ignore", "pa102"])
    assert res.exit_code == 0, res.output
    rules = {f["rule"] for f in json.loads(res.stdout)["findings"]}
    builtin = load_rules([], default_rules=True)
    assert rules and rules <= names_in(builtin, "method") and "no-insider" not in rules

    bad = CliRunner().invoke(app, [*args, "--select", "methd"])
    assert bad.exit_code == 2 and bad.stdout == ""
    assert bad.stderr.startswith("pipeaudit: --select 'methd'") and "did you mean 'method'?" in bad.stderr
