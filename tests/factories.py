"""Real objects for tests, built the way production builds them (no stand-ins of our own types)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeaudit.engine.schema import Rule, parse_rule
from pipeaudit.errors import RuleError
from pipeaudit.yamlsafe import parse_yaml


def make_rule(yaml_text: str) -> Rule:
    """One rule parsed from YAML by the real rule parser (the text of one `rules:` item)."""
    spec = parse_yaml(yaml_text, "<test rule>", RuleError)
    return parse_rule(spec, Path("<test rule>"), 0, [spec], "test", None)


def rule_with_questions(name: str, severity: str, questions: list[tuple[str, str]], params: dict[str, Any] | None = None) -> Rule:
    """A rule whose questions are (zh, en) pairs; the condition is a placeholder that is never run."""
    lines = [
        f"name: {name}",
        f"severity: {severity}",
        "where: {blank: insider}",
        "message: {zh: 消息, en: message}",
        "why: {zh: 原因, en: why}",
        "ref: test",
        "questions:",
        *(f"  - {{zh: \"{zh}\", en: \"{en}\"}}" for zh, en in questions),
    ]
    if params:
        lines.append("params: {" + ", ".join(f"{k}: {v}" for k, v in params.items()) + "}")
    return make_rule("\n".join(lines))
