"""Find the user's configuration and validate it in one place.

Sources, first found from the current folder upwards: pipeaudit.yaml, .pipeaudit.yaml, or a
pyproject.toml with a [tool.pipeaudit] table. `--config FILE` names one directly.
Every other module receives a validated Config and never reads configuration itself.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pipeaudit.errors import ConfigError
from pipeaudit.funnel import parse_mix, parse_ratios
from pipeaudit.model import FIELDS, PHASES, SEVERITIES
from pipeaudit.yamlsafe import clip, did_you_mean, line_of, load_yaml, shown

CONFIG_NAMES = ("pipeaudit.yaml", ".pipeaudit.yaml", "pipeaudit.yml")


@dataclass(frozen=True)
class Suppression:
    deal: str  # deal id or deal name
    rule: str
    reason: str
    until: date | None = None


@dataclass(frozen=True)
class CustomLadder:
    name: str
    open: tuple[str, ...]
    phases: tuple[str, ...]  # one of PHASES per open stage
    won: tuple[str, ...]
    lost: tuple[str, ...]


@dataclass
class Config:
    source: Path | None = None
    columns: dict[str, str] = field(default_factory=dict)  # field -> header
    date_order: str | None = None  # for slash dates with the year last: 8/4/2026; None = from the values
    lang: str | None = None  # zh | en; None = the export's header language
    ladder: str | None = None  # force a ladder by name instead of detecting it
    ladders: dict[str, CustomLadder] = field(default_factory=dict)
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)  # rule -> params/severity/enabled
    rule_files: list[Path] = field(default_factory=list)
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    fail_on: str | None = None
    suppress: list[Suppression] = field(default_factory=list)
    quotas: dict[str, float] = field(default_factory=dict)
    plan: dict[str, Any] = field(default_factory=dict)
    history: Path | None = None
    fiscal_year_start: int = 1  # month the fiscal year starts (1 = January); quarters follow it
    #: per-stage aging norms: {ladder: {stage: days}} from `norms:`; see _norms
    norms: dict[str, dict[str, float]] = field(default_factory=dict)
    norms_learned: bool = False  # `norms: learned`: learn them from the history when it suffices


_TOP_KEYS = {
    "columns", "date_order", "lang", "ladder", "ladders", "rules", "rule_files", "select",
    "ignore", "fail_on", "suppress", "quotas", "plan", "history", "fiscal_year_start", "norms",
}
_PLAN_KEYS = {"ratios", "target", "mix", "weeks", "avg_deal"}


def find_config(start: Path | None = None) -> Path | None:
    """The nearest config file from `start` (default: the current folder) upwards."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in CONFIG_NAMES:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _pyproject_table(pyproject) is not None:
            return pyproject
    return None


def load_config(path: Path | None = None, *, search: bool = True) -> Config:
    """Load and validate `path`, or the nearest config file when `path` is None and `search`."""
    if path is None:
        path = find_config() if search else None
        if path is None:
            return Config()
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, expected pipeaudit.yaml or pyproject.toml")
    if path.suffix == ".toml":
        data = _pyproject_table(path)
        if data is None:
            raise ConfigError(f"{path}: has no [tool.pipeaudit] table")
    else:
        data = load_yaml(path, ConfigError)
        if data is None:
            data = {}
    return _validate(data, path)


def _pyproject_table(path: Path) -> dict | None:
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    table = doc.get("tool", {}).get("pipeaudit")
    return table if isinstance(table, dict) else None


class _Checker:
    """Validation helpers that name the file, line and key in every message."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, container: Any, key: Any, message: str) -> ConfigError:
        line = line_of(container, key)
        where = f"{self.path}:{line}" if line else str(self.path)
        return ConfigError(f"{where}: {message}")

    def mapping(self, container: Any, key: str) -> dict:
        value = container[key]
        if not isinstance(value, dict):
            raise self.fail(container, key, f"'{clip(key)}' must be a mapping")
        return value

    def string_list(self, container: Any, key: str) -> list[str]:
        value = container[key]
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(container, key, f"'{clip(key)}' must be a list of names")
        return list(value)

    def choice(self, container: Any, key: str, choices: tuple[str, ...] | set[str]) -> str:
        value = container[key]
        if value not in choices:
            hint = did_you_mean(str(value), choices)
            raise self.fail(
                container, key, f"'{clip(key)}' must be one of {', '.join(sorted(choices))}, not {shown(value)}{hint}"
            )
        return value


def _validate(data: Any, path: Path) -> Config:
    check = _Checker(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping of keys to values")
    for key in data:
        if key not in _TOP_KEYS:
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
        cfg.lang = check.choice(data, "lang", ("zh", "en"))
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
    for key in ("select", "ignore"):
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
                raise check.fail(data["quotas"], rep, f"quota for {shown(rep)} must be a non-negative number / 配额必须是非负数")
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
                f"fiscal_year_start must be a month number 1-12 (4 = April), not {month!r} / 财年起始月须为 1-12",
            )
        cfg.fiscal_year_start = month
    if "norms" in data:
        cfg.norms, cfg.norms_learned = _norms(check, data, cfg)
    return cfg


def _norms(check: _Checker, data: dict, cfg: Config) -> tuple[dict[str, dict[str, float]], bool]:
    """`norms: learned`, or {ladder: {stage: days}} (plus `learned: true` to learn where history allows).

    Ladders and stages are checked here, against the built-in ladders and the config's own, so a
    typo fails at load with its line instead of leaving a stage silently on the rule's default.
    """
    spec = data["norms"]
    if spec == "learned":
        return {}, True
    if not isinstance(spec, dict):
        raise check.fail(data, "norms", "'norms' must be 'learned' or a mapping {ladder: {stage: days}} / 阶段停留常规天数格式不对")
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
            raise check.fail(spec, name, f"norms: unknown ladder '{name}'{did_you_mean(str(name), ladders)} (known: {', '.join(ladders)}) / 未知的阶段体系")
        if not isinstance(stages, dict) or not stages:
            raise check.fail(spec, name, f"norms.{name} must map stages to days, e.g. {{{ladders[name].open[0]}: 30}}")
        table = ladders[name].keys()
        out[name] = {}
        for stage, days in stages.items():
            hit = next((table[k] for k in stage_keys(stage) if k in table), None)
            if hit is None or hit[0] != "open":
                raise check.fail(
                    stages, stage, f"norms.{name}: '{stage}' is not an open stage of {name}"
                    f"{did_you_mean(str(stage), ladders[name].open)} (stages: {', '.join(ladders[name].open)}) / 不是该体系的进行中阶段",
                )
            if isinstance(days, bool) or not isinstance(days, (int, float)) or not math.isfinite(days) or days <= 0:
                raise check.fail(stages, stage, f"norms.{name}.{stage} must be a positive number of days, not {days!r} / 天数须为正数")
            out[name][ladders[name].open[hit[1]]] = float(days)
    return out, learned


def _check_plan(check: _Checker, plan: dict) -> None:
    """plan: is used by `plan` and by quotas on every check/report; a bad value fails at load, with
    its line, rather than later (or never, on a run without quotas)."""
    for key in ("target", "weeks", "avg_deal"):
        if key in plan:
            value = plan[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise check.fail(plan, key, f"plan.{key} must be a positive number, not {shown(value)} / 必须为正数")
    for key, parse in (("ratios", parse_ratios), ("mix", parse_mix)):
        if key in plan:
            value = plan[key]
            if not isinstance(value, (str, list)):
                raise check.fail(plan, key, f"plan.{key} must be a list or a comma-separated string")
            try:
                parse(value)
            except ConfigError as exc:
                raise check.fail(plan, key, f"plan.{key}: {exc}") from None


def _ladder(check: _Checker, parent: Any, name: str, spec: Any) -> CustomLadder:
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


def _suppression(check: _Checker, entries: list, index: int, entry: Any) -> Suppression:
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
                raise check.fail(entry, "until", f"suppress.until must be YYYY-MM-DD, not {shown(until)}") from None
        elif not isinstance(until, date):
            raise check.fail(entry, "until", "suppress.until must be a date YYYY-MM-DD")
    return Suppression(str(entry["deal"]), str(entry["rule"]), str(entry["reason"]), until)
