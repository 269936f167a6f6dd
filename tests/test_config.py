"""Config discovery and validation: one place, every error names file, line and key."""

from datetime import date
from pathlib import Path

import pytest

from pipeaudit.config import find_config, load_config
from pipeaudit.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_found_from_a_subfolder(tmp_path, monkeypatch):
    cfg_file = write(tmp_path / "pipeaudit.yaml", "lang: en\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert find_config() == cfg_file
    assert load_config().lang == "en"


def test_pyproject_table_is_used_only_when_present(tmp_path, monkeypatch):
    write(tmp_path / "pyproject.toml", "[project]\nname='x'\n")
    monkeypatch.chdir(tmp_path)
    assert find_config() is None
    write(tmp_path / "pyproject.toml", "[tool.pipeaudit]\ndate_order = 'dmy'\n[tool.pipeaudit.columns]\nowner = '销售代表'\n")
    cfg = load_config()
    assert cfg.date_order == "dmy"
    assert cfg.columns == {"owner": "销售代表"}


def test_full_config_round_trip(tmp_path):
    path = write(
        tmp_path / "pipeaudit.yaml",
        """
columns: {owner: 销售代表, amount: 金额(万元)}
lang: zh
fail_on: warning
rules:
  a-deal-overdue: {weeks: 3}
select: no-insider, missing-decision-maker
suppress:
  - {deal: OPP-1, rule: no-insider, reason: 客户拒绝透露, until: 2026-12-31}
quotas: {张三: 800000}
ladders:
  mine:
    open: [线索, 拜访, 方案, 谈判]
    won: [成交]
    lost: [失败]
history: hist.sqlite
""",
    )
    cfg = load_config(path)
    assert cfg.rules["a-deal-overdue"] == {"weeks": 3}
    assert cfg.select == ["no-insider", "missing-decision-maker"]
    assert cfg.suppress[0].until == date(2026, 12, 31)
    assert cfg.quotas == {"张三": 800000.0}
    ladder = cfg.ladders["mine"]
    assert ladder.open == ("线索", "拜访", "方案", "谈判")
    assert ladder.phases[0] == "lead" and len(ladder.phases) == 4
    assert cfg.history == tmp_path / "hist.sqlite"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("colums: {}\n", r"pipeaudit.yaml:1: unknown key 'colums' — did you mean 'columns'\?"),
        ("columns:\n  close_dat: 结单日期\n", r":2: unknown field 'close_dat' — did you mean 'close_date'\?"),
        ("lang: fr\n", r":1: lang 'fr': expected zh or en / 只能是 zh 或 en"),
        ("fail_on: errors\n", r"did you mean 'error'\?"),
        ("suppress:\n  - {deal: X, rule: no-insider}\n", r"suppress entry needs 'reason'"),
        ("suppress:\n  - {deal: X, rule: r, reason: y, until: soon}\n", r"until must be YYYY-MM-DD"),
        ("quotas: {a: -1}\n", r"non-negative"),
        ("ladders:\n  x: {open: [a, b], phases: [lead]}\n", r"one phase per open stage"),
        ("lang: [unclosed\n", r"YAML syntax error"),
        ("- just\n- a list\n", r"must be a mapping"),
    ],
)
def test_errors_name_file_line_and_key(tmp_path, text, expected):
    path = write(tmp_path / "pipeaudit.yaml", text)
    with pytest.raises(ConfigError, match=expected):
        load_config(path)


def test_missing_and_folder(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(tmp_path)


def test_yaml_tags_are_not_constructed(tmp_path):
    path = write(tmp_path / "pipeaudit.yaml", "lang: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(ConfigError, match="YAML syntax error"):
        load_config(path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("plan:\n  ratios: [1, 2]\n", r":2: plan.ratios: .*expected 4 ratios"),
        ("plan:\n  ratios: '2,2,3,0.5'\n", r":2: plan.ratios: .*at least 1"),
        ("plan:\n  mix: 10y2\n", r":2: plan.mix: .*SIZExCOUNT"),
        ("plan:\n  mix: {a: 1}\n", r":2: plan.mix must be a list"),
        ("plan:\n  target: 800000\n  weeks: 0\n", r":3: plan.weeks must be a positive number"),
        ("plan:\n  avg_deal: -5\n", r":2: plan.avg_deal must be a positive number"),
        ("plan:\n  target: .inf\n", r":2: plan.target must be a positive number"),
        ("quotas:\n  张伟: .inf\n", r":2: quota for '张伟'"),
        ("quotas:\n  张伟: .nan\n", r":2: quota for '张伟'"),
    ],
)
def test_plan_and_quota_values_are_checked_at_load(tmp_path, text, message):
    # a bad plan: section used to pass until `plan` or a quota run tripped over it (or never)
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path / "pipeaudit.yaml", text))


def test_good_plan_section_loads(tmp_path):
    cfg = load_config(write(tmp_path / "pipeaudit.yaml", "plan:\n  mix: [150000x2, 100000x3]\n  ratios: x2,x4,x12,x60\n  weeks: 48\n"))
    assert cfg.plan["weeks"] == 48


@pytest.mark.parametrize("until", ["'20261231'", "'2026-W53-1'", "'2026-12'"])
def test_suppress_until_takes_only_yyyy_mm_dd(tmp_path, until):
    # as --as-of does: a compact or week date would be read, but nobody reviewing the file would see the day
    text = f"suppress:\n  - {{deal: X, rule: no-insider, reason: y, until: {until}}}\n"
    with pytest.raises(ConfigError, match=r":2: suppress.until must be YYYY-MM-DD"):
        load_config(write(tmp_path / "pipeaudit.yaml", text))
    ok = load_config(write(tmp_path / "ok.yaml", "suppress:\n  - {deal: X, rule: no-insider, reason: y, until: '2026-12-31'}\n"))
    assert ok.suppress[0].until == date(2026, 12, 31)
