"""docs/ci.md: every pipeaudit command line of its CI files runs as written (so the page cannot
drift from the options), and the pre-commit hook declaration points at a command that exists."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import yaml
from typer.testing import CliRunner

from pipeaudit.cli import app

ROOT = Path(__file__).resolve().parent.parent


def _command_lines() -> list[list[str]]:
    doc = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```yaml\n(.*?)```", doc, re.S):
        for value in _strings(yaml.safe_load(block)):
            for line in value.splitlines() if "\n" in value.strip() else [value]:
                if line.strip().startswith("pipeaudit "):
                    lines.append(shlex.split(line)[1:])
    return lines


def _strings(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)
    elif isinstance(node, str):
        yield node


def test_every_command_of_the_ci_page_runs_as_written(tmp_path, monkeypatch, samples_dir):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exports").mkdir()
    shutil.copy(samples_dir / "crm_export_zh.xlsx", tmp_path / "exports" / "deals.xlsx")
    commands = _command_lines()
    assert len(commands) == 4  # two in the workflow, two in the GitLab job
    for argv in commands:
        res = CliRunner().invoke(app, argv)
        assert res.exit_code in (0, 1), (argv, res.output)
        if "--fail-on" in argv and argv[argv.index("--fail-on") + 1] == "never":
            assert res.exit_code == 0, argv
    assert (tmp_path / "pipeaudit.xml").read_text(encoding="utf-8").startswith("<?xml")


def test_the_pre_commit_hook_runs_a_command_that_exists(tmp_path, monkeypatch, samples_dir):
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "pipeaudit" and hook["language"] == "python"
    entry = shlex.split(hook["entry"])
    assert entry[:2] == ["pipeaudit", "hook"]
    assert re.search(hook["files"], "exports/deals.xlsx") and not re.search(hook["files"], "README.md")
    monkeypatch.chdir(tmp_path)
    good = samples_dir / "crm_export_zh.xlsx"
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\x00\x01 not an export")
    res = CliRunner().invoke(app, [*entry[1:], str(good), str(broken), "--fail-on", "never"])
    assert res.exit_code == 2  # the worst outcome wins: one export cannot be read
    assert f"== {good}" in res.stdout and "broken.csv" in res.stderr
    assert CliRunner().invoke(app, [*entry[1:], str(good), "--fail-on", "never"]).exit_code == 0
    assert CliRunner().invoke(app, [*entry[1:], str(good)]).exit_code == 1  # the sample has errors
