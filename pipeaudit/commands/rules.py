"""`pipeaudit rules list | show NAME | validate PATH...`: the rules documented where they are defined."""

from __future__ import annotations

from pathlib import Path

from pipeaudit.errors import ConfigError, RuleError, visible
from pipeaudit.terminal import echo


def _load(rules: list[Path], default_rules: bool, config: Path | None):
    from pipeaudit.config import load_config
    from pipeaudit.engine import load_rules

    cfg = load_config(config)
    return load_rules(list(rules), default_rules=default_rules, cfg=cfg), cfg


def _lang(lang: str | None, cfg) -> str:
    if lang is not None and lang not in ("zh", "en"):
        raise ConfigError(f"--lang {lang!r}: expected zh or en / 只能是 zh 或 en")
    return lang or cfg.lang or "en"


def _summary(rule, lang: str) -> str:
    return rule.summary(lang)


def run_list(rules: list[Path], default_rules: bool, config: Path | None, lang: str | None) -> int:
    from tabulate import tabulate

    ruleset, cfg = _load(rules, default_rules, config)
    lang = _lang(lang, cfg)
    zh = lang == "zh"
    rows = []
    for r in sorted(ruleset, key=lambda r: (r.code is None, r.code or "", r.name)):
        sev = r.severity + ("" if r.enabled else (" (关闭)" if zh else " (off)"))
        rows.append([r.name, r.code or "", sev, r.applies.describe(lang), _one_line(_summary(r, lang), 70)])
    headers = ["规则", "代码", "级别", "适用", "检查内容"] if zh else ["rule", "code", "severity", "applies to", "checks"]
    cells = [[visible(c) for c in row] for row in rows]  # rule-pack text: escapes shown, not obeyed
    echo(tabulate(cells, headers=headers, tablefmt="simple", disable_numparse=True))
    echo(f"\n{len(rows)} 条规则" if zh else f"\n{len(rows)} rules")
    return 0


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def run_show(name: str, rules: list[Path], default_rules: bool, config: Path | None, lang: str | None) -> int:
    from pipeaudit.yamlsafe import did_you_mean

    ruleset, cfg = _load(rules, default_rules, config)
    lang = _lang(lang, cfg)
    rule = ruleset.get(name)
    if rule is None:
        choices = [*ruleset.names, *(r.code for r in ruleset if r.code)]
        raise ConfigError(
            f"no rule named {name!r}{did_you_mean(name, choices)} (see `pipeaudit rules list`) / 没有这条规则"
        )
    zh = lang == "zh"
    L = (lambda a, b: a if zh else b)  # noqa: E731
    out = [f"{rule.name}" + (f" ({rule.code})" if rule.code else "") + f" — {rule.severity}"]
    out.append(f"{L('规则包', 'pack')}: {rule.pack}  ({rule.source}:{rule.line})")
    out.append(f"{L('适用', 'applies to')}: {rule.applies.describe(lang)}")
    out.append("")
    out.append(L("检查内容", "What it checks") + ":")
    if rule.description:
        out.append(f"  {rule.summary(lang)}")
    out.append(f"  {L('提示语', 'Message')}: {rule.message[lang].text}")
    out.append("")
    out.append(L("为什么重要", "Why it matters") + ":")
    out.append(f"  {rule.why[lang]}")
    out.append("")
    out.append(L("过堂要问", "Questions to ask the rep") + ":")
    for i, q in enumerate(rule.questions, 1):
        out.append(f"  {i}. {q[lang].text}")
    if rule.params:
        out.append("")
        out.append(L("参数（默认值，可在配置 rules: 中修改）", "Params (defaults; override under rules: in the config)") + ":")
        for k, v in rule.params.items():
            shown = ", ".join(map(str, v)) if isinstance(v, list) else v
            out.append(f"  {k}: {shown}")
    flagged = rule.examples.get("flagged") or []
    if flagged:
        out.append("")
        out.append(L("会被标记的例子", "Example of a flagged deal") + f" ({L('截至', 'as of')} {rule.examples_as_of.isoformat()}):")
        for k, v in flagged[0].items():
            out.append(f"  {k}: {v}")
        msg = _example_message(rule, flagged[0], lang)
        if msg:
            out.append(f"  → {msg}")
    out.append("")
    out.append(f"{L('出处', 'Reference')}: {rule.ref}")
    echo("\n".join(out))
    return 0


def _example_message(rule, record: dict, lang: str) -> str | None:
    from pipeaudit.deals.build import deals_from_records
    from pipeaudit.engine import evaluate

    deals = deals_from_records([record], source=str(rule.source))
    findings, _ = evaluate(deals, [rule], rule.examples_as_of, lang)
    return findings["message"].iloc[0] if len(findings) else None


def run_validate(paths: list[Path]) -> int:
    """Schema, names, and every example: exit 0 with "N rules OK", else RuleError (exit 2)."""
    from pipeaudit.engine import load_rules
    from pipeaudit.engine.examples import check_examples

    if not paths:
        raise RuleError("rules validate: name at least one rule file or folder / 请指定规则文件或文件夹")
    ruleset = load_rules(list(paths), default_rules=False)
    if len(ruleset) == 0:
        raise RuleError(
            f"{', '.join(map(str, paths))}: no rules found (expected *.yaml / *.yml packs) / 没有找到规则"
        )
    problems = check_examples(ruleset)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise RuleError(problems[0] + more)
    n_ex = sum(len(r.examples.get("flagged", [])) + len(r.examples.get("clean", [])) for r in ruleset)
    echo(f"{len(ruleset)} rules OK ({n_ex} examples) / {len(ruleset)} 条规则有效")
    untested = [r.name for r in ruleset if not (r.examples.get("flagged") or r.examples.get("clean"))]
    if untested:
        # valid, but nothing proves the rule flags what it should: say so (exit stays 0)
        echo(
            f"note: no examples, so untested: {', '.join(untested)} (add examples: flagged / clean)"
            f" / 以下规则没有示例，未经检验：{'、'.join(untested)}",
            err=True,
        )
    return 0
