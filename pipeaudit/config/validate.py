"""Validate the configuration's mapping in one place: every key, its type and its line."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pipeaudit.config.checker import Checker
from pipeaudit.config.send import recipients, send_settings
from pipeaudit.config.settings import (
    REP_ORDERS,
    REPORT_UNITS,
    RISK_DEFAULTS,
    Config,
    CustomLadder,
    Suppression,
)
from pipeaudit.errors import ConfigError
from pipeaudit.funnel import parse_mix, parse_ratios
from pipeaudit.i18n import both, in_both, parse_lang, t
from pipeaudit.model import FIELDS, PHASES, SEVERITIES
from pipeaudit.yamlsafe import clip, clipped_repr, did_you_mean

_TOP_KEYS = {
    "columns", "date_order", "lang", "ladder", "ladders", "rules", "rule_files", "select",
    "ignore", "fail_on", "suppress", "quotas", "plan", "history", "fiscal_year_start", "norms",
    "send", "reps", "managers", "require", "risk", "report",
}
_PLAN_KEYS = {"ratios", "target", "mix", "weeks", "avg_deal"}


def validate(data: Any, path: Path) -> Config:
    check = Checker(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping of keys to values")
    for key in data:
        if key not in _TOP_KEYS:
            check.no_secret(data, key, "")
            raise check.fail(data, key, f"unknown key '{clip(key)}'{did_you_mean(str(key), _TOP_KEYS)}")
    cfg = Config(source=path)
    base = path.parent

    if "columns" in data:
        columns = check.mapping(data, "columns")
        for name, header in columns.items():
            if name not in FIELDS:
                raise check.fail(columns, name, f"unknown field '{clip(name)}'{did_you_mean(str(name), FIELDS)}")
            if not isinstance(header, str) or not header.strip():
                raise check.fail(columns, name, f"columns.{name} must be the header text of a column")
            cfg.columns[name] = header
    if "date_order" in data:
        cfg.date_order = check.choice(data, "date_order", ("mdy", "dmy"))
    if "lang" in data:
        cfg.lang = parse_lang(data["lang"], option=f"{check.where(data, 'lang')}: lang")
    if "fail_on" in data:
        cfg.fail_on = check.choice(data, "fail_on", (*SEVERITIES, "never"))
    if "ladders" in data:
        for name, spec in check.mapping(data, "ladders").items():
            cfg.ladders[str(name)] = _ladder(check, data["ladders"], str(name), spec)
    if "ladder" in data:
        if not isinstance(data["ladder"], str):
            raise check.fail(data, "ladder", "'ladder' must be a ladder name")
        cfg.ladder = data["ladder"]
    if "rules" in data:
        for name, params in check.mapping(data, "rules").items():
            if params is None:
                params = {}
            if not isinstance(params, dict):
                raise check.fail(data["rules"], name, f"rules.{name} must be a mapping of parameters")
            cfg.rules[str(name)] = dict(params)
    if "rule_files" in data:
        cfg.rule_files = [base / p for p in check.string_list(data, "rule_files")]
    for key in ("select", "ignore", "require"):
        if key in data:
            setattr(cfg, key, check.string_list(data, key))
    if "suppress" in data:
        entries = data["suppress"]
        if not isinstance(entries, list):
            raise check.fail(data, "suppress", "'suppress' must be a list of {deal, rule, reason, until}")
        cfg.suppress = [_suppression(check, entries, i, e) for i, e in enumerate(entries)]
    if "quotas" in data:
        for rep, target in check.mapping(data, "quotas").items():
            if (
                isinstance(target, bool) or not isinstance(target, (int, float))
                or not math.isfinite(target) or target < 0
            ):
                raise check.fail(data["quotas"], rep, both("config.quota_negative", rep=clipped_repr(rep)))
            cfg.quotas[str(rep)] = float(target)
    if "plan" in data:
        plan = check.mapping(data, "plan")
        for key in plan:
            if key not in _PLAN_KEYS:
                raise check.fail(plan, key, f"unknown key 'plan.{key}'{did_you_mean(str(key), _PLAN_KEYS)}")
        _check_plan(check, plan)
        cfg.plan = dict(plan)
    if "history" in data:
        if not isinstance(data["history"], str):
            raise check.fail(data, "history", "'history' must be a file path")
        cfg.history = base / data["history"]
    if "fiscal_year_start" in data:
        month = data["fiscal_year_start"]
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            raise check.fail(
                data, "fiscal_year_start",
                "fiscal_year_start " + both("config.fiscal_month", value=repr(month)),
            )
        cfg.fiscal_year_start = month
    if "norms" in data:
        cfg.norms, cfg.norms_learned = _norms(check, data, cfg)
    if "send" in data:
        cfg.send = send_settings(check, data, base)
    for key, role in (("reps", "rep"), ("managers", "manager")):
        if key in data:
            cfg.recipients.extend(recipients(check, data, key, role))
    if "risk" in data:
        _risk(check, data, cfg.risk)
    if "report" in data:
        section = check.mapping(data, "report")
        for key in section:
            if key not in ("unit", "sort_reps"):
                raise check.fail(section, key, f"unknown key 'report.{clip(key)}'{did_you_mean(str(key), ('unit', 'sort_reps'))}")
        if "unit" in section:
            section["unit"] = str(section["unit"]) if isinstance(section["unit"], int) else section["unit"]
            cfg.report_unit = check.choice(section, "unit", tuple(REPORT_UNITS))
        if "sort_reps" in section:
            cfg.sort_reps = check.choice(section, "sort_reps", REP_ORDERS)
    return cfg


def _weight(check: Checker, container: Any, key: Any, where: str) -> float:
    value = container[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 <= value <= 1000:
        raise check.fail(container, key, f"{where} " + both("config.weight", value=clipped_repr(value)))
    return float(value)


def _risk(check: Checker, data: dict, risk: dict[str, Any]) -> None:
    """`risk:` over RISK_DEFAULTS, every key and weight checked with its line."""
    section = check.mapping(data, "risk")
    for key in section:
        if key not in RISK_DEFAULTS:
            raise check.fail(section, key, f"unknown key 'risk.{clip(key)}'{did_you_mean(str(key), RISK_DEFAULTS)}"
                                           f" (risk has {', '.join(RISK_DEFAULTS)})")
        default = RISK_DEFAULTS[key]
        if isinstance(default, dict):
            table = check.mapping(section, key)
            for k in table:
                if k not in default:
                    raise check.fail(table, k, f"unknown key 'risk.{key}.{clip(k)}'{did_you_mean(str(k), default)}"
                                               f" (one of {', '.join(default)})")
                risk[key][k] = _weight(check, table, k, f"risk.{key}.{k}")
        else:
            risk[key] = _weight(check, section, key, f"risk.{key}")
    if risk["close_days"] <= 0:
        raise check.fail(section, "close_days", "risk.close_days " + both("config.more_than_zero"))


def _norms(check: Checker, data: dict, cfg: Config) -> tuple[dict[str, dict[str, float]], bool]:
    """`norms: learned`, or {ladder: {stage: days}} (plus `learned: true` to learn where history allows).

    Ladders and stages are checked here, against the built-in ladders and the config's own, so a
    typo fails at load with its line instead of leaving a stage silently on the rule's default.
    """
    spec = data["norms"]
    if spec == "learned":
        return {}, True
    if not isinstance(spec, dict):
        raise check.fail(data, "norms", "'norms' " + both("config.norms_form", form="{ladder: {stage: days}}"))
    from pipeaudit.ladders import all_ladders, stage_keys

    ladders = all_ladders(cfg.ladders)
    out: dict[str, dict[str, float]] = {}
    learned = False
    for name, stages in spec.items():
        if name == "learned":
            if not isinstance(stages, bool):
                raise check.fail(spec, name, "norms.learned must be true or false")
            learned = stages
            continue
        if name not in ladders:
            raise check.fail(spec, name, "norms: " + in_both(lambda lang: t(
                "config.norms_ladder", lang, name=str(name), known=", ".join(ladders),
                hint=did_you_mean(str(name), ladders, lang))))
        if not isinstance(stages, dict) or not stages:
            raise check.fail(spec, name, f"norms.{name} must map stages to days, e.g. {{{ladders[name].open[0]}: 30}}")
        table = ladders[name].keys()
        out[name] = {}
        for stage, days in stages.items():
            hit = next((table[k] for k in stage_keys(stage) if k in table), None)
            if hit is None or hit[0] != "open":
                raise check.fail(stages, stage, f"norms.{name}: " + in_both(lambda lang: t(
                    "config.norms_stage", lang, stage=str(stage), ladder=str(name), stages=", ".join(ladders[name].open),
                    hint=did_you_mean(str(stage), ladders[name].open, lang))))
            if isinstance(days, bool) or not isinstance(days, (int, float)) or not math.isfinite(days) or days <= 0:
                raise check.fail(stages, stage, f"norms.{name}.{stage} " + both("config.norms_days", value=repr(days)))
            out[name][ladders[name].open[hit[1]]] = float(days)
    return out, learned


def _check_plan(check: Checker, plan: dict) -> None:
    """plan: is used by `plan` and by quotas on every check/report; a bad value fails at load, with
    its line, rather than later (or never, on a run without quotas)."""
    for key in ("target", "weeks", "avg_deal"):
        if key in plan:
            value = plan[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise check.fail(plan, key, f"plan.{key} " + both("config.positive", value=clipped_repr(value)))
    for key, parse in (("ratios", parse_ratios), ("mix", parse_mix)):
        if key in plan:
            value = plan[key]
            if not isinstance(value, (str, list)):
                raise check.fail(plan, key, f"plan.{key} must be a list or a comma-separated string")
            try:
                parse(value)
            except ConfigError as exc:
                raise check.fail(plan, key, f"plan.{key}: {exc}") from None


def _ladder(check: Checker, parent: Any, name: str, spec: Any) -> CustomLadder:
    if not isinstance(spec, dict):
        raise check.fail(parent, name, f"ladders.{name} must be a mapping with open/won/lost")
    for key in spec:
        if key not in {"open", "phases", "won", "lost"}:
            raise check.fail(spec, key, f"unknown key 'ladders.{name}.{key}'")
    if "open" not in spec:
        raise check.fail(parent, name, f"ladders.{name} needs 'open': the open stages in order")
    open_stages = tuple(check.string_list(spec, "open"))
    if not open_stages:
        raise check.fail(spec, "open", f"ladders.{name}.open lists no stage")
    if "phases" in spec:
        phases = tuple(check.string_list(spec, "phases"))
        if len(phases) != len(open_stages):
            raise check.fail(spec, "phases", f"ladders.{name}.phases must give one phase per open stage")
        for p in phases:
            if p not in PHASES:
                raise check.fail(spec, "phases", f"unknown phase '{clip(p)}'{did_you_mean(p, PHASES)}")
    else:  # spread the stages evenly over the five phases
        n = len(open_stages)
        phases = tuple(PHASES[min(4, (i * 5) // n)] for i in range(n))
    won = tuple(check.string_list(spec, "won")) if "won" in spec else ()
    lost = tuple(check.string_list(spec, "lost")) if "lost" in spec else ()
    return CustomLadder(name, open_stages, phases, won, lost)


def _suppression(check: Checker, entries: list, index: int, entry: Any) -> Suppression:
    if not isinstance(entry, dict):
        raise check.fail(entries, index, "each suppress entry must be a mapping {deal, rule, reason}")
    allowed = {"deal", "rule", "reason", "until"}
    for key in entry:
        if key not in allowed:
            raise check.fail(entry, key, f"unknown key 'suppress.{key}'{did_you_mean(str(key), allowed)}")
    for key in ("deal", "rule", "reason"):
        if not isinstance(entry.get(key), (str, int)) or not str(entry.get(key)).strip():
            raise check.fail(entry, key if key in entry else None, f"suppress entry needs '{clip(key)}'")
    until = entry.get("until")
    if until is not None:
        if isinstance(until, datetime):
            until = until.date()
        elif isinstance(until, str):
            try:
                if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", until.strip()):
                    raise ValueError(until)
                until = date.fromisoformat(until.strip())
            except ValueError:
                raise check.fail(entry, "until", f"suppress.until must be YYYY-MM-DD, not {clipped_repr(until)}") from None
        elif not isinstance(until, date):
            raise check.fail(entry, "until", "suppress.until must be a date YYYY-MM-DD")
    return Suppression(str(entry["deal"]), str(entry["rule"]), str(entry["reason"]), until)


