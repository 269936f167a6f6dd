"""The rule model and its validation, in one place.

Every error names the file, the line, the rule and the key, with a close-match hint:
`rules/x.yaml:12: rule 'a-deal-overdue': unknown field 'close_dat' — did you mean 'close_date'?`
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pipeaudit.engine.checks import CHECKS
from pipeaudit.engine.columns import KIND_OF
from pipeaudit.engine.conditions import (
    evaluable,
    first_date_field,
    parse_condition,
    referenced_fields,
)
from pipeaudit.engine.parsing import Node, ParseContext, comparable_number
from pipeaudit.engine.template import Template, param_text, parse_template
from pipeaudit.errors import RuleError
from pipeaudit.i18n import LANGS, Lang, t
from pipeaudit.model import DERIVED, FIELDS, PHASES, SEVERITIES
from pipeaudit.yamlsafe import clip, clipped_repr, did_you_mean, line_of, load_yaml

NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
CODE_RE = re.compile(r"^[A-Z]{1,4}[0-9]{1,4}$")
STATUSES = ("open", "won", "lost")
EXAMPLE_AS_OF = date(2026, 11, 23)
RULE_KEYS = {
    "name", "code", "severity", "applies_to", "params", "where", "check", "requires",
    "message", "questions", "why", "ref", "examples", "description", "title", "supersedes",
}
PACK_KEYS = {"pack", "description", "rules", "as_of"}
SPECIAL_PLACEHOLDERS = {"age_days", "age_weeks", "until_days", "until_weeks"}


@dataclass(frozen=True)
class AppliesTo:
    statuses: tuple[str, ...] = ("open",)
    min_phase: int | None = None  # 1..5
    max_phase: int | None = None

    @property
    def needs_stage(self) -> bool:
        return self.min_phase is not None or self.max_phase is not None

    def describe(self, lang: Lang) -> str:
        """'进行中商机，方案/演示及以后' / 'open deals, solution / demo onwards', for rules list/show."""
        if set(self.statuses) == set(STATUSES):
            who = t("applies.all_deals", lang)
        else:
            statuses = t("applies.status_sep", lang).join(t("status." + s, lang) for s in self.statuses)
            who = t("applies.statuses", lang, statuses=statuses)

        def label(i: int) -> str:
            return t("phase." + PHASES[i - 1], lang)

        if self.min_phase and self.max_phase:
            phases = t("applies.between", lang, first=label(self.min_phase), last=label(self.max_phase))
        elif self.min_phase:
            phases = t("applies.from", lang, phase=label(self.min_phase))
        elif self.max_phase:
            phases = t("applies.up_to", lang, phase=label(self.max_phase))
        else:
            return who
        return t("applies.who_phases", lang, who=who, phases=phases)


@dataclass
class Rule:
    name: str
    severity: str
    message: dict[str, Template]
    questions: list[dict[str, Template]]
    why: dict[str, str]
    ref: str
    code: str | None = None
    applies: AppliesTo = field(default_factory=AppliesTo)
    params: dict[str, Any] = field(default_factory=dict)
    where: Node | None = None
    check: str | None = None
    requires: list[tuple[str, ...]] | None = None  # explicit; None = computed from the condition
    description: dict[str, str] | None = None
    #: a short name for the rule in both languages, what a report shows instead of the id
    title: dict[str, str] | None = None
    #: rules whose finding on the same deal this rule's finding replaces (one silence, one finding);
    #: names are checked against the loaded rules, and cycles refused, by engine.loader
    supersedes: tuple[str, ...] = ()
    examples: dict[str, list[dict]] = field(default_factory=dict)
    examples_as_of: date = EXAMPLE_AS_OF
    pack: str = ""
    source: Path | None = None
    line: int = 0
    enabled: bool = True
    age_field: str | None = None  # the date {age_days} refers to

    # -- what the rule needs from an export --------------------------------------------------
    def fields(self) -> set[str]:
        """Every field the rule reads (its condition, its check, its stage filter)."""
        out: set[str] = set()
        if self.where is not None:
            out |= referenced_fields(self.where)
        if self.check:
            for alt in CHECKS[self.check].requires(self.params):
                out |= set(alt)
        if self.applies.needs_stage:
            out |= {"stage", "phase"}  # phase: absent when the export's stage order is unknown
        for alt in self.requires or ():
            out |= set(alt)
        return out

    def missing(self, columns) -> list[str]:
        """Fields this export lacks that stop the rule from running; [] when it can run."""
        columns = set(columns)
        stage_ok = not self.applies.needs_stage or {"stage", "phase"} <= columns
        if self.requires is not None:
            ok = all(any(f in columns for f in alt) for alt in self.requires)
        else:
            ok = True
            if self.where is not None:
                ok = evaluable(self.where, columns)
            if self.check:
                ok = ok and all(any(f in columns for f in alt) for alt in CHECKS[self.check].requires(self.params) if alt)
        if ok and stage_ok:
            return []
        return sorted(f for f in self.fields() if f not in columns)

    def with_overrides(self, overrides: dict[str, Any], where: str) -> "Rule":
        """A copy with config overrides applied: params, severity, enabled."""
        import copy

        from pipeaudit.errors import ConfigError

        rule = copy.copy(self)
        rule.params = dict(self.params)
        for key, value in overrides.items():
            if key == "severity":
                if value not in SEVERITIES:
                    raise ConfigError(f"{where}: rules.{self.name}.severity must be one of {', '.join(SEVERITIES)}, not {clipped_repr(value)}{did_you_mean(str(value), SEVERITIES)}")
                rule.severity = value
            elif key == "enabled":
                if not isinstance(value, bool):
                    raise ConfigError(f"{where}: rules.{self.name}.enabled must be true or false")
                rule.enabled = value
            elif key in self.params:
                default = self.params[key]
                if _is_num(default) and not comparable_number(value):
                    raise ConfigError(f"{where}: rules.{self.name}.{key} must be a number within ±1.8e308, not {clipped_repr(value)}")
                if isinstance(default, list) and not (isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value)):
                    raise ConfigError(f"{where}: rules.{self.name}.{key} must be a list")
                rule.params[key] = value
            else:
                choices = [*self.params, "severity", "enabled"]
                raise ConfigError(
                    f"{where}: rule '{self.name}' has no param '{clip(key)}'{did_you_mean(str(key), choices)}"
                    f" (params: {', '.join(self.params) or 'none'}; also severity, enabled)"
                )
        return rule

    def summary(self, lang: str) -> str:
        """One line on what the rule checks, with its current params filled in (rule text, not data)."""
        text = self.description[lang] if self.description else self.message[lang].text
        for k, v in self.params.items():
            text = text.replace("{" + k + "}", param_text(v))
        return text

    def label(self, lang: str) -> str:
        """What a report calls the rule: its title, else its one-line summary, else its name."""
        if self.title:
            return self.title[lang]
        return self.summary(lang) if self.description else self.name

    def text(self, what: str, lang: str) -> str:
        if what == "message":
            return self.message[lang].text
        if what == "why":
            return self.why[lang]
        raise KeyError(what)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@dataclass
class Pack:
    name: str
    path: Path
    rules: list[Rule]
    description: str = ""


# ---- parsing ---------------------------------------------------------------------------


def _fail(path: Path, container: Any, key: Any, message: str) -> RuleError:
    line = line_of(container, key)
    where = f"{path}:{line}" if line else str(path)
    return RuleError(f"{where}: {message}")


def _bilingual(value: Any, ctx: ParseContext, container: Any, key: Any, allowed: set[str] | None) -> dict:
    if not isinstance(value, dict):
        raise ctx.fail(container, key, f"'{clip(key)}' needs both languages: {{zh: ..., en: ...}}")
    for k in value:
        if k not in LANGS:
            raise ctx.fail(value, k, f"unknown language '{clip(k)}' in '{clip(key)}' (use zh and en)")
    for lang in LANGS:
        if lang not in value:
            raise ctx.fail(container, key, f"'{clip(key)}' is missing the '{clip(lang)}' text")
    if allowed is None:
        for lang in LANGS:
            if not isinstance(value[lang], str) or not value[lang].strip():
                raise ctx.fail(value, lang, f"'{key}.{lang}' must be non-empty text")
        return {lang: value[lang].strip() for lang in LANGS}
    return {lang: parse_template(value[lang], ctx, value, lang, allowed) for lang in LANGS}


def _parse_applies(spec: Any, ctx: ParseContext, container: Any) -> AppliesTo:
    if spec is None:
        return AppliesTo()
    if not isinstance(spec, dict):
        raise ctx.fail(container, "applies_to", "'applies_to' must be a mapping (status, phase, past_first_stage)")
    allowed = {"status", "phase", "past_first_stage"}
    for k in spec:
        if k not in allowed:
            raise ctx.fail(spec, k, f"unknown key '{clip(k)}' in applies_to{did_you_mean(str(k), allowed)}")
    statuses: tuple[str, ...] = ("open",)
    if "status" in spec:
        st = spec["status"]
        if st in ("any", "all"):
            statuses = STATUSES
        else:
            if isinstance(st, str):
                st = [st]
            if not isinstance(st, list) or not st:
                raise ctx.fail(spec, "status", "'status' must be a list of open/won/lost, or 'any'")
            for s in st:
                if s not in STATUSES:
                    raise ctx.fail(spec, "status", f"unknown status '{clip(s)}'{did_you_mean(str(s), STATUSES)} (open, won, lost, any)")
            statuses = tuple(st)
    lo = hi = None
    if "phase" in spec:
        ph = spec["phase"]
        if not isinstance(ph, dict) or not ph or any(k not in ("min", "max") for k in ph):
            raise ctx.fail(spec, "phase", f"'phase' must be {{min: PHASE, max: PHASE}} with phases {', '.join(PHASES)}")
        for k in ("min", "max"):
            if k in ph:
                if ph[k] not in PHASES:
                    raise ctx.fail(ph, k, f"unknown phase '{clip(ph[k])}'{did_you_mean(str(ph[k]), PHASES)} (phases: {', '.join(PHASES)})")
        lo = PHASES.index(ph["min"]) + 1 if "min" in ph else None
        hi = PHASES.index(ph["max"]) + 1 if "max" in ph else None
    if spec.get("past_first_stage") is not None:
        if not isinstance(spec["past_first_stage"], bool):
            raise ctx.fail(spec, "past_first_stage", "'past_first_stage' must be true or false")
        if spec["past_first_stage"]:
            lo = max(lo or 0, 2)
    return AppliesTo(statuses, lo, hi)


def _parse_requires(spec: Any, ctx: ParseContext, container: Any) -> list[tuple[str, ...]]:
    if not isinstance(spec, list) or not spec:
        raise ctx.fail(container, "requires", "'requires' must be a list of fields (a nested list = any one of them)")
    out = []
    for i, item in enumerate(spec):
        alts = item if isinstance(item, list) else [item]
        for f in alts:
            if not isinstance(f, str) or f not in KIND_OF:
                raise ctx.fail(spec, i, f"unknown field '{clip(f)}' in requires{did_you_mean(str(f), KIND_OF)}")
        out.append(tuple(alts))
    return out


def _parse_supersedes(spec: Any, ctx: ParseContext, container: Any, name: str) -> tuple[str, ...]:
    """A list of rule names (kebab-case, not the rule itself); whether they exist is the loader's
    to check, as they may live in another pack."""
    items = [spec] if isinstance(spec, str) else spec
    if not isinstance(items, list) or not items:
        raise ctx.fail(container, "supersedes", "'supersedes' must be a list of rule names")
    for i, other in enumerate(items):
        if not isinstance(other, str) or not NAME_RE.match(other):
            raise ctx.fail(items if isinstance(spec, list) else container, i if isinstance(spec, list) else "supersedes",
                           f"supersedes: {clipped_repr(other)} is not a rule name")
        if other == name:
            raise ctx.fail(container, "supersedes", f"rule '{name}' cannot supersede itself")
    return tuple(dict.fromkeys(items))


def _parse_params(spec: Any, ctx: ParseContext, container: Any) -> dict[str, Any]:
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise ctx.fail(container, "params", "'params' must be a mapping of name: default")
    for k, v in spec.items():
        if not isinstance(k, str) or not re.fullmatch(r"[a-z_][a-z0-9_]*", k):
            raise ctx.fail(spec, k, f"param name {clipped_repr(k)} must be snake_case")
        if isinstance(v, dict) or v is None:
            raise ctx.fail(spec, k, f"param '{clip(k)}' needs a default value (number, text or list)")
        if _is_num(v) and not comparable_number(v):
            raise ctx.fail(spec, k, f"param '{clip(k)}' must be a number within ±1.8e308, not {clipped_repr(v)}")
    return dict(spec)


def _parse_examples(spec: Any, ctx: ParseContext, container: Any) -> tuple[dict[str, list[dict]], date | None]:
    if spec is None:
        return {}, None
    if not isinstance(spec, dict):
        raise ctx.fail(container, "examples", "'examples' must be {flagged: [...], clean: [...]}")
    allowed = {"flagged", "clean", "as_of", "context"}
    out: dict[str, list[dict]] = {}
    for k in spec:
        if k not in allowed:
            raise ctx.fail(spec, k, f"unknown key '{clip(k)}' in examples{did_you_mean(str(k), allowed)}")
    as_of = _as_date(spec.get("as_of"), ctx, spec, "as_of") if "as_of" in spec else None
    for kind in ("flagged", "clean", "context"):
        records = spec.get(kind) or []
        if not isinstance(records, list):
            raise ctx.fail(spec, kind, f"examples.{kind} must be a list of deal records")
        for i, rec in enumerate(records):
            if not isinstance(rec, dict):
                raise ctx.fail(records, i, f"examples.{kind}[{i}] must be a mapping of field: value")
            for f, v in rec.items():
                if f not in FIELDS and f not in DERIVED:
                    raise ctx.fail(rec, f, f"unknown field '{clip(f)}' in examples.{kind}[{i}]{did_you_mean(str(f), [*FIELDS, *DERIVED])}")
                if isinstance(v, (dict, list)):
                    raise ctx.fail(rec, f, f"examples.{kind}[{i}].{f} must be a single value")
        out[kind] = [dict(r) for r in records]
    return out, as_of


def _as_date(value: Any, ctx: ParseContext, container: Any, key: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ctx.fail(container, key, f"'{clip(key)}' must be a date YYYY-MM-DD, not {clipped_repr(value)}") from None


def parse_rule(spec: Any, path: Path, index: int, rules: Any, pack: str, pack_as_of: date | None) -> Rule:
    if not isinstance(spec, dict):
        raise _fail(path, rules, index, f"rules[{index}] must be a mapping")
    name = spec.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise _fail(path, spec, "name" if "name" in spec else None,
                    f"rules[{index}]: 'name' must be kebab-case like 'no-insider', not {clipped_repr(name)}")
    params = _parse_params(spec.get("params"), ParseContext(path, name, {}, RuleError), spec)
    ctx = ParseContext(path, name, params, RuleError)
    for k in spec:
        if k not in RULE_KEYS:
            raise ctx.fail(spec, k, f"unknown key '{clip(k)}'{did_you_mean(str(k), RULE_KEYS)}")
    for k in ("severity", "message", "questions", "why", "ref"):
        if k not in spec:
            raise ctx.fail(spec, None, f"missing '{clip(k)}'")
    code = spec.get("code")
    if code is not None and (not isinstance(code, str) or not CODE_RE.match(code)):
        raise ctx.fail(spec, "code", f"'code' must look like PA101, not {clipped_repr(code)}")
    severity = spec["severity"]
    if severity not in SEVERITIES:
        raise ctx.fail(spec, "severity", f"severity must be one of {', '.join(SEVERITIES)}, not {clipped_repr(severity)}{did_you_mean(str(severity), SEVERITIES)}")
    applies = _parse_applies(spec.get("applies_to"), ctx, spec)

    where = check = None
    if "where" not in spec and "check" not in spec:
        raise ctx.fail(spec, None, "needs a condition: 'where' (when true the deal is flagged) or 'check: NAME'")
    if "where" in spec:
        where = parse_condition(spec["where"], ctx, spec, "where")
    placeholders: set[str] = set(KIND_OF) | set(params)
    if "check" in spec:
        check = spec["check"]
        if check not in CHECKS:
            raise ctx.fail(spec, "check", f"unknown check '{clip(check)}'{did_you_mean(str(check), CHECKS)}")
        for p in CHECKS[check].params:
            if p not in params:
                raise ctx.fail(spec, "check", f"check '{clip(check)}' reads param '{clip(p)}': declare it under params")
        placeholders |= set(CHECKS[check].placeholders)
    age_field = first_date_field(where) if where is not None else None
    if age_field:
        placeholders |= SPECIAL_PLACEHOLDERS
    unused = set(params) - ctx.param_refs - (set(CHECKS[check].params) if check else set())

    message = _bilingual(spec["message"], ctx, spec, "message", placeholders)
    qs = spec["questions"]
    if not isinstance(qs, list) or not qs:
        raise ctx.fail(spec, "questions", "'questions' must list at least one question {zh, en}")
    questions = [_bilingual(q, ctx, qs, i, placeholders) for i, q in enumerate(qs)]
    why = _bilingual(spec["why"], ctx, spec, "why", None)
    description = _bilingual(spec["description"], ctx, spec, "description", None) if "description" in spec else None
    title = _bilingual(spec["title"], ctx, spec, "title", None) if "title" in spec else None
    supersedes = _parse_supersedes(spec.get("supersedes"), ctx, spec, name) if "supersedes" in spec else ()
    ref = spec["ref"]
    if not isinstance(ref, str) or not ref.strip():
        raise ctx.fail(spec, "ref", "'ref' must name where the method says this, e.g. 'EDCBA Q10'")
    used_in_text = set()
    for t in [*message.values(), *(t for q in questions for t in q.values())]:
        used_in_text |= t.names
    unused -= used_in_text
    if unused:
        p = sorted(unused)[0]
        raise ctx.fail(spec["params"], p, f"param '{clip(p)}' is declared but never used")
    requires = _parse_requires(spec["requires"], ctx, spec) if "requires" in spec else None
    examples, ex_as_of = _parse_examples(spec.get("examples"), ctx, spec)
    return Rule(
        name=name, severity=severity, message=message, questions=questions, why=why, ref=ref.strip(),
        code=code, applies=applies, params=params, where=where, check=check, requires=requires,
        description=description, title=title, supersedes=supersedes, examples=examples, examples_as_of=ex_as_of or pack_as_of or EXAMPLE_AS_OF,
        pack=pack, source=path, line=line_of(rules, index), age_field=age_field,
    )


def parse_pack(path: Path, problems: list[RuleError] | None = None) -> Pack:
    """Read and validate one pack file; raises at the first error (how check and report load rules).

    With a `problems` list (`rules validate`), an error in a rule is appended to it and that rule
    left out, so every other rule is still checked; an error in the pack itself (YAML syntax, the
    pack's keys, a `rules` that is not a list) still raises: nothing more can be read from the file.
    """
    data = load_yaml(path, RuleError)
    if not isinstance(data, dict):
        raise RuleError(f"{path}: a rule pack is a mapping with 'pack' and 'rules'")
    for k in data:
        if k not in PACK_KEYS:
            raise _fail(path, data, k, f"unknown key '{clip(k)}'{did_you_mean(str(k), PACK_KEYS)} (a pack has pack, description, as_of, rules)")
    name = data.get("pack")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise _fail(path, data, "pack" if "pack" in data else None, f"'pack' must be a kebab-case name, not {clipped_repr(name)}")
    rules = data.get("rules")
    if not isinstance(rules, list):
        raise _fail(path, data, "rules" if "rules" in data else None, "'rules' must be a list of rules")
    pctx = ParseContext(path, "-", {}, RuleError)
    pack_as_of = _as_date(data["as_of"], pctx, data, "as_of") if "as_of" in data else None
    parsed: list[Rule] = []
    seen: dict[str, Rule] = {}
    for i, spec in enumerate(rules):
        try:
            rule = parse_rule(spec, path, i, rules, name, pack_as_of)
            if rule.name in seen:
                raise RuleError(f"{path}:{rule.line}: rule '{rule.name}': duplicate rule name (first defined at line {seen[rule.name].line})")
        except RuleError as exc:
            if problems is None:
                raise
            problems.append(exc)
            continue
        seen[rule.name] = rule
        parsed.append(rule)
    desc = data.get("description") or ""
    return Pack(name, path, parsed, desc if isinstance(desc, str) else "")
