"""`pipeaudit rules list | show NAME | fields | operators | validate PATH...`: the rules, and what a rule
may say, documented where they are defined (model, deals/columns, engine/conditions)."""

from __future__ import annotations

import sys
from pathlib import Path

from pipeaudit.errors import ConfigError, RuleError, visible
from pipeaudit.i18n import Lang, both, in_both, t
from pipeaudit.terminal import echo


def _load(rules: list[Path], default_rules: bool, config: Path | None):
    from pipeaudit.config import load_config
    from pipeaudit.engine import load_rules

    cfg = load_config(config)
    return load_rules(list(rules), default_rules=default_rules, cfg=cfg), cfg


def _lang(lang: str | None, cfg) -> Lang:
    """--lang, else the config's lang:, else the locale, else English: these commands read no export."""
    from pipeaudit.i18n import default_lang, parse_lang

    return parse_lang(lang) or default_lang(cfg.lang)


def run_list(rules: list[Path], default_rules: bool, config: Path | None, lang: str | None) -> int:
    from tabulate import tabulate

    ruleset, cfg = _load(rules, default_rules, config)
    lang = _lang(lang, cfg)
    rows = []
    for r in sorted(ruleset, key=lambda r: (r.code is None, r.code or "", r.name)):
        sev = r.severity + ("" if r.enabled else t("rules.off", lang))
        rows.append([r.name, r.code or "", r.pack, sev, r.applies.describe(lang), _one_line(r.summary(lang), 70)])
    headers = [t("rules." + k, lang) for k in ("rule", "code", "pack", "severity", "applies", "checks")]
    cells = [[visible(c) for c in row] for row in rows]  # rule-pack text: escapes shown, not obeyed
    echo(tabulate(cells, headers=headers, tablefmt="simple", disable_numparse=True))
    echo("\n" + t("rules.count", lang, n=len(rows)))
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
        raise ConfigError(in_both(
            lambda lang: t("rules.no_such_rule", lang, name=repr(name), hint=did_you_mean(name, choices, lang))))
    out = [f"{rule.name}" + (f" ({rule.code})" if rule.code else "") + f" — {rule.severity}"]
    out.append(f"{t('rules.pack', lang)}: {rule.pack}  ({rule.source}:{rule.line})")
    out.append(f"{t('rules.applies', lang)}: {rule.applies.describe(lang)}")
    out.append("")
    out.append(t("rules.what", lang) + ":")
    if rule.description:
        out.append(f"  {rule.summary(lang)}")
    out.append(f"  {t('rules.message', lang)}: {rule.message[lang].text}")
    out.append("")
    out.append(t("rules.why", lang) + ":")
    out.append(f"  {rule.why[lang]}")
    out.append("")
    out.append(t("rules.questions", lang) + ":")
    for i, q in enumerate(rule.questions, 1):
        out.append(f"  {i}. {q[lang].text}")
    if rule.params:
        out.append("")
        out.append(t("rules.params", lang) + ":")
        for k, v in rule.params.items():
            shown = ", ".join(map(str, v)) if isinstance(v, list) else v
            out.append(f"  {k}: {shown}")
    flagged = rule.examples.get("flagged") or []
    if flagged:
        out.append("")
        out.append(t("rules.example", lang) + f" ({t('rules.as_of', lang)} {rule.examples_as_of.isoformat()}):")
        for k, v in flagged[0].items():
            out.append(f"  {k}: {v}")
        msg = _example_message(rule, flagged[0], lang)
        if msg:
            out.append(f"  → {msg}")
    out.append("")
    out.append(f"{t('rules.reference', lang)}: {rule.ref}")
    echo("\n".join(out))
    return 0


def _example_message(rule, record: dict, lang: str) -> str | None:
    from pipeaudit.deals.build import deals_from_records
    from pipeaudit.engine import evaluate

    deals = deals_from_records([record], source=str(rule.source))
    findings, _ = evaluate(deals, [rule], rule.examples_as_of, lang)
    return findings["message"].iloc[0] if len(findings) else None


def _check_format(fmt: str) -> None:
    if fmt not in ("text", "json"):
        from pipeaudit.yamlsafe import did_you_mean

        raise ConfigError(f"--format {fmt!r}: " + in_both(
            lambda lang: t("format.text_or_json", lang, hint=did_you_mean(fmt, ("text", "json"), lang))))


def field_table(ruleset) -> list[dict]:
    """Every field a rule may name: the export's fields, the columns --baseline/--history add, and
    the meta columns; each with its kind, labels, the headers that map to it and the rules reading it."""
    from pipeaudit.deals.columns import ALIASES, map_columns, normalise_header
    from pipeaudit.engine.columns import META_KINDS
    from pipeaudit.model import DERIVED, FIELDS

    readers: dict[str, list] = {}
    for rule in sorted(ruleset, key=lambda r: (r.code is None, r.code or "", r.name)):
        for name in rule.fields():
            readers.setdefault(name, []).append(rule)

    def headers(name: str, spec) -> list[str]:
        # what deals/columns holds for the field (its aliases, its name and labels), kept when a
        # header of that text really maps to the field, each normalised form once
        out, seen = [], set()
        for alias in (*ALIASES.get(name, ()), name, spec.zh, spec.en):
            norm = normalise_header(alias)
            if norm in seen or map_columns([alias], {}).fields != {name: 0}:
                continue
            seen.add(norm)
            out.append(alias)
        return out

    rows = []
    for source, specs in (("export", FIELDS), ("baseline", DERIVED)):
        for name, spec in specs.items():
            rows.append({
                "name": name, "kind": spec.kind, "source": source, "zh": spec.zh, "en": spec.en,
                "headers": headers(name, spec) if source == "export" else [],
                "rules": [r.name for r in readers.get(name, [])],
            })
    for name, kind in META_KINDS.items():
        zh, en = t("meta_column." + name, "zh"), t("meta_column." + name, "en")
        rows.append({"name": name, "kind": kind, "source": "meta", "zh": zh, "en": en, "headers": [],
                     "rules": [r.name for r in readers.get(name, [])]})
    return rows


#: The catalogue key of the heading of each group of `rules fields`.
_FIELD_GROUPS = {"export": "rules.fields_export", "baseline": "rules.fields_baseline", "meta": "rules.fields_meta"}


def run_fields(rules: list[Path], default_rules: bool, config: Path | None, lang: str | None, fmt: str) -> int:
    import textwrap

    _check_format(fmt)
    ruleset, cfg = _load(rules, default_rules, config)
    lang = _lang(lang, cfg)
    rows = field_table(ruleset)
    if fmt == "json":
        _print_json({"fields": rows})
        return 0
    codes = {r.name: r.code for r in ruleset}
    width = max(len(r["name"]) for r in rows)
    kind_w = max(len(r["kind"]) for r in rows)
    out: list[str] = []
    headers_label, rules_label = t("rules.headers_label", lang), t("rules.rules_label", lang)
    for source, heading in _FIELD_GROUPS.items():
        group = [r for r in rows if r["source"] == source]
        if out:
            out.append("")
        out.append(t(heading, lang, n=len(group)))
        for r in group:
            out.append(f"  {r['name']:<{width}}  {r['kind']:<{kind_w}}  {r[lang]}")
            pad = " " * (width + 4)
            if r["headers"]:
                out.append(textwrap.fill(", ".join(r["headers"]), 100, initial_indent=pad + headers_label,
                                         subsequent_indent=pad + "  ", break_on_hyphens=False))
            readers = [f"{n} ({codes[n]})" if codes.get(n) else n for n in r["rules"]]
            out.append(textwrap.fill(", ".join(readers) or "—", 100, initial_indent=pad + rules_label,
                                     subsequent_indent=pad + "  ", break_on_hyphens=False))
    out.append("")
    out.append(t("rules.fields_total", lang, fields=len(rows), rules=len(ruleset),
                 read=sum(1 for r in rows if r["rules"])))
    echo("\n".join(out))
    return 0


def run_operators(fmt: str) -> int:
    """Every condition operator with its doc and example, then the five phases."""
    from pipeaudit.engine.conditions import OPERATORS
    from pipeaudit.model import PHASES

    _check_format(fmt)
    phases = [{"phase": i, "name": p, "zh": t("phase." + p, "zh"), "en": t("phase." + p, "en")}
              for i, p in enumerate(PHASES, 1)]
    if fmt == "json":
        ops = [{"name": o.name, "doc": o.doc, "example": o.example} for o in OPERATORS.values()]
        _print_json({"operators": ops, "phases": phases})
        return 0
    width = max(map(len, OPERATORS))
    out = [both("rules.operators_head")]
    for op in OPERATORS.values():
        out.append(f"  {op.name:<{width}}  {op.doc}")
        out.append(f"  {'':<{width}}  where: {op.example}")
    out.append("")
    out.append(both("rules.phases_head"))
    pw = max(len(p) for p in PHASES)
    for p in phases:
        out.append(f"  {p['phase']}  {p['name']:<{pw}}  {p['en']} / {p['zh']}")
    out.append(f"  e.g. where: {{stage: {{at_least: {PHASES[2]}}}}}    applies_to: {{phase: {{min: {PHASES[1]}, max: {PHASES[3]}}}}}")
    out.append("")
    out.append(both("rules.operators_total", operators=len(OPERATORS), phases=len(PHASES)))
    echo("\n".join(out))
    return 0


def run_validate(paths: list[Path]) -> int:
    """Schema, names, and every example; EVERY problem, one line each on stdout (file:line: rule 'x':
    message), then exit 2 if any. A broken rule does not stop the others from being checked; a
    file that is not a pack (YAML syntax, its keys) stops that file only."""
    from pipeaudit.engine.examples import check_examples
    from pipeaudit.engine.loader import collect_rules
    from pipeaudit.errors import one_line

    if not paths:
        raise RuleError("rules validate: " + both("rules.validate_nothing"))
    ruleset, errors, files = collect_rules(list(paths))
    if len(ruleset) == 0 and not errors:
        raise RuleError(f"{', '.join(map(str, paths))}: " + both("rules.validate_none_found"))
    problems = [str(e) for e in errors] + [one_line(p) for p in check_examples(ruleset)]
    if problems:
        names = [str(f) for f in files]
        problems.sort(key=lambda text: _position(text, names))  # file by file, line by line
        for text in problems:
            echo(text)
        n_files = len({_position(text, names)[1] for text in problems})
        echo("pipeaudit: " + in_both(lambda lang: t(
            "rules.problems_in_files", lang,
            problems=t("rules.problems", lang, n=len(problems)), files=t("rules.files", lang, n=n_files),
        )), err=True)
        return 2
    n_ex = sum(len(r.examples.get("flagged", [])) + len(r.examples.get("clean", [])) for r in ruleset)
    echo(both("rules.valid", rules=len(ruleset), examples=n_ex))
    untested = [r.name for r in ruleset if not (r.examples.get("flagged") or r.examples.get("clean"))]
    if untested:
        # valid, but nothing proves the rule flags what it should: say so (exit stays 0)
        echo(in_both(lambda lang: t("rules.untested", lang, rules=t("list.items", lang).join(untested))), err=True)
    return 0


def _position(problem: str, files: list[str]) -> tuple[int, str, int]:
    """(order of its file, the file, its line) of a 'file:line: ...' problem."""
    file = next((f for f in sorted(files, key=len, reverse=True) if problem.startswith(f + ":")), None)
    if file is None:  # a path given that is not a file read (missing): first in line
        return -1, problem.split(":", 1)[0], 0
    head = problem[len(file) + 1:].split(":", 1)[0]
    return files.index(file), file, int(head) if head.isdigit() else 0


def _print_json(doc: dict) -> None:
    """Indented JSON for scripts, with the characters a terminal would obey escaped."""
    from pipeaudit.formats.json import dumps
    from pipeaudit.terminal import tolerant

    tolerant(sys.stdout).write(dumps(doc, indent=True).decode() + "\n")
