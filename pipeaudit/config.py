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
from pipeaudit.i18n import Lang, both, in_both, parse_lang, t
from pipeaudit.model import FIELDS, PHASES, SEVERITIES
from pipeaudit.yamlsafe import clip, did_you_mean, line_of, load_yaml, shown

CONFIG_NAMES = ("pipeaudit.yaml", ".pipeaudit.yaml", "pipeaudit.yml")

#: How a deal's risk is weighed (docs/risk.md): risk = amount x severity x class x closeness, where
#: closeness = close_days / (close_days + days until the close date), 1 for a date due or past,
#: and no_close_date without one. The config's `risk:` overrides any of these.
RISK_DEFAULTS: dict[str, Any] = {
    "severity": {"error": 1.0, "warning": 0.5, "info": 0.1, "none": 0.0},
    "class": {"A": 1.0, "B": 0.8, "C": 0.5, "D": 0.3, "other": 0.5},
    "close_days": 60.0,
    "no_close_date": 0.5,
}
#: Units the report may show amounts in: name -> divisor. 万 and 亿 for Chinese teams, k and M for others.
REPORT_UNITS: dict[str, float] = {"元": 1.0, "1": 1.0, "万": 1e4, "亿": 1e8, "k": 1e3, "M": 1e6}
REP_ORDERS = ("risk", "name")


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


@dataclass(frozen=True)
class Recipient:
    """Who gets what: a rep (their own sheet) or a manager (the summary)."""

    name: str  # as in the export's owner column (matched with pipeaudit.owners)
    role: str = "rep"  # rep | manager
    email: tuple[str, ...] = ()
    chat: str | None = None  # the chat platform's user id, for an @mention
    where: str = ""  # file:line, for messages


@dataclass(frozen=True)
class EmailSettings:
    host: str
    port: int
    sender: str  # From:
    security: str = "starttls"  # starttls | ssl | none
    username_env: str | None = None  # names of environment variables, never the values
    password_env: str | None = None
    attach: tuple[str, ...] | None = None  # md/html/xlsx; None: the best the report has
    ca_file: Path | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class ChatSettings:
    platform: str  # wecom | dingtalk | feishu | slack
    webhook_env: str  # the webhook URL carries the bot's key: it lives in the environment
    secret_env: str | None = None  # DingTalk / Feishu signing secret
    timeout: float = 15.0


@dataclass(frozen=True)
class SendSettings:
    email: EmailSettings | None = None
    chat: ChatSettings | None = None
    base_url: str | None = None  # where the report folders are published, for links
    retries: int = 3
    backoff: float = 2.0  # seconds before the first retry, doubled each time


@dataclass
class Config:
    source: Path | None = None
    columns: dict[str, str] = field(default_factory=dict)  # field -> header
    date_order: str | None = None  # for slash dates with the year last: 8/4/2026; None = from the values
    lang: Lang | None = None  # None = the export's header language
    ladder: str | None = None  # force a ladder by name instead of detecting it
    ladders: dict[str, CustomLadder] = field(default_factory=dict)
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)  # rule -> params/severity/enabled
    rule_files: list[Path] = field(default_factory=list)
    select: list[str] = field(default_factory=list)
    require: list[str] = field(default_factory=list)  # rules a CI gate needs to run (exit 2 when one cannot)
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
    send: SendSettings | None = None  # how `pipeaudit send` delivers (email, chat)
    recipients: list[Recipient] = field(default_factory=list)  # reps: and managers:
    #: risk weights (RISK_DEFAULTS with the config's `risk:` over them)
    risk: dict[str, Any] = field(default_factory=lambda: {k: (dict(v) if isinstance(v, dict) else v)
                                                          for k, v in RISK_DEFAULTS.items()})
    report_unit: str | None = None  # `report: unit:`; None = 万 for a Chinese report, 1 otherwise
    sort_reps: str = "risk"  # `report: sort_reps:` risk (most money at risk first) | name (pinyin)


_TOP_KEYS = {
    "columns", "date_order", "lang", "ladder", "ladders", "rules", "rule_files", "select",
    "ignore", "fail_on", "suppress", "quotas", "plan", "history", "fiscal_year_start", "norms",
    "send", "reps", "managers", "require", "risk", "report",
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

    def where(self, container: Any, key: Any) -> str:
        """'pipeaudit.yaml:3', or the file alone when the line is unknown."""
        line = line_of(container, key)
        return f"{self.path}:{line}" if line else str(self.path)

    def fail(self, container: Any, key: Any, message: str) -> ConfigError:
        return ConfigError(f"{self.where(container, key)}: {message}")

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

    def no_secret(self, container: Any, key: Any, prefix: str) -> None:
        """A password, token or webhook URL written into the config is refused, without echoing it."""
        hint = secret_key_hint(str(key))
        if hint:
            raise self.fail(
                container, key,
                f"'{prefix}{key}': " + both("config.secret", hint=hint),
            )

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
                raise check.fail(data["quotas"], rep, both("config.quota_negative", rep=shown(rep)))
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
        cfg.send = _send(check, data, base)
    for key, role in (("reps", "rep"), ("managers", "manager")):
        if key in data:
            cfg.recipients.extend(_recipients(check, data, key, role))
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


def _weight(check: _Checker, container: Any, key: Any, where: str) -> float:
    value = container[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 <= value <= 1000:
        raise check.fail(container, key, f"{where} " + both("config.weight", value=shown(value)))
    return float(value)


def _risk(check: _Checker, data: dict, risk: dict[str, Any]) -> None:
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


def _norms(check: _Checker, data: dict, cfg: Config) -> tuple[dict[str, dict[str, float]], bool]:
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


def _check_plan(check: _Checker, plan: dict) -> None:
    """plan: is used by `plan` and by quotas on every check/report; a bad value fails at load, with
    its line, rather than later (or never, on a run without quotas)."""
    for key in ("target", "weeks", "avg_deal"):
        if key in plan:
            value = plan[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise check.fail(plan, key, f"plan.{key} " + both("config.positive", value=shown(value)))
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


# ---- send:, reps:, managers: (pipeaudit send) ---------------------------------------------

_SECRET_KEY = re.compile(r"(?:^|_)(pass|passwd|password|secret|token|api_?key|key|credentials?|webhook|webhook_?url|url)$", re.I)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_EMAIL = re.compile(r"[^@\s<>(),;:\\\"\[\]]{1,64}@[A-Za-z0-9\-.\u0080-\uffff]{1,253}\.[A-Za-z0-9\-\u0080-\uffff]{2,63}")
_CHAT_ID = re.compile(r"[\w.@:+\-]{1,128}")
PLATFORMS = ("wecom", "dingtalk", "feishu", "slack")
_SEND_KEYS = {"email", "chat", "base_url", "retries", "backoff"}
_EMAIL_KEYS = {"host", "port", "security", "from", "username_env", "password_env", "attach", "ca_file", "timeout"}
_CHAT_KEYS = {"platform", "webhook_env", "secret_env", "timeout"}
_PERSON_KEYS = {"email", "chat"}


def secret_key_hint(key: str) -> str:
    """For a key that would hold a secret, the *_env key to use instead; '' for any other key."""
    k = key.strip().lower()
    if k.endswith("_env") or k == "base_url" or not _SECRET_KEY.search(k):
        return ""
    if "pass" in k:
        return "send.email.password_env"
    return "send.chat.secret_env" if "secret" in k else "send.chat.webhook_env"


def valid_email(value: Any) -> str | None:
    """The address, trimmed, when it is one plain address (no display name, no line break)."""
    text = str(value).strip() if isinstance(value, str) else ""
    return text if _EMAIL.fullmatch(text) else None


def valid_chat_id(value: Any) -> str | None:
    """A chat user id: letters, digits and . _ @ : + - only, so it cannot inject markup into a message."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return text if _CHAT_ID.fullmatch(text) else None


def _keys(check: _Checker, section: Any, allowed: set[str], prefix: str) -> None:
    for key in section:
        check.no_secret(section, key, prefix)
        if key not in allowed:
            raise check.fail(section, key, f"unknown key '{prefix}{key}'{did_you_mean(str(key), allowed)}")


def _env_name(check: _Checker, section: Any, key: str, prefix: str) -> str | None:
    if key not in section or section[key] is None:
        return None
    value = section[key]
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):  # never echoed: it may be the secret itself
        raise check.fail(section, key, f"{prefix}{key} " + both("config.env_name"))
    return value


def _bounded(check: _Checker, section: Any, key: str, prefix: str, low: float, high: float, default: Any,
             kind: type = float) -> Any:
    if key not in section:
        return default
    value = section[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high or (
            kind is int and value != int(value)):
        raise check.fail(section, key, f"{prefix}{key} " + both("config.bounded", low=f"{low:g}", high=f"{high:g}"))
    return kind(value)


def _send(check: _Checker, data: dict, base: Path) -> SendSettings:
    from urllib.parse import urlsplit

    section = check.mapping(data, "send")
    _keys(check, section, _SEND_KEYS, "send.")
    email = _email(check, section, base) if section.get("email") is not None else None
    chat = _chat(check, section) if section.get("chat") is not None else None
    if email is None and chat is None:
        raise check.fail(data, "send", "send: " + both("config.send_needs"))
    base_url = None
    if section.get("base_url") is not None:
        raw = section["base_url"]
        parts = urlsplit(raw) if isinstance(raw, str) else None
        if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc
                or parts.query or parts.fragment or re.search(r"[\s<>\"'()\\]", raw)):
            raise check.fail(section, "base_url", "send.base_url " + both("config.base_url"))
        base_url = raw.rstrip("/")
    retries = _bounded(check, section, "retries", "send.", 0, 10, 3, int)
    backoff = _bounded(check, section, "backoff", "send.", 0, 300, 2.0)
    return SendSettings(email=email, chat=chat, base_url=base_url, retries=retries, backoff=backoff)


def _email(check: _Checker, parent: dict, base: Path) -> EmailSettings:
    from email.utils import parseaddr

    section = check.mapping(parent, "email")
    _keys(check, section, _EMAIL_KEYS, "send.email.")
    for key in ("host", "from"):
        if not isinstance(section.get(key), str) or not section[key].strip():
            raise check.fail(section, key if key in section else None, "send.email " + both("config.email_needs", key=key))
    host = section["host"].strip()
    if not re.fullmatch(r"[A-Za-z0-9.\-:\[\]]{1,253}", host):
        raise check.fail(section, "host", "send.email.host " + both("config.email_host"))
    if re.search(r"[\r\n]", section["from"]) or not valid_email(parseaddr(section["from"])[1]):
        raise check.fail(section, "from", "send.email.from " + both("config.email_from"))
    security = check.choice(section, "security", ("starttls", "ssl", "none")) if "security" in section else "starttls"
    default_port = {"starttls": 587, "ssl": 465, "none": 25}[security]
    port = _bounded(check, section, "port", "send.email.", 1, 65535, default_port, int)
    user = _env_name(check, section, "username_env", "send.email.")
    password = _env_name(check, section, "password_env", "send.email.")
    if (user is None) != (password is None):
        raise check.fail(section, "username_env" if user is None else "password_env",
                         "send.email " + both("config.email_login_pair"))
    if user and security == "none" and host.lower() not in ("localhost", "127.0.0.1", "::1", "[::1]"):
        raise check.fail(section, "security", "send.email: " + both("config.email_plain_login"))
    attach = None
    if "attach" in section:
        attach = tuple(dict.fromkeys(a.strip().lower() for a in check.string_list(section, "attach")))
        for a in attach:
            if a not in ("md", "html", "xlsx"):
                raise check.fail(section, "attach", "send.email.attach: " + both("config.email_attach", value=a))
    ca_file = section.get("ca_file")
    if ca_file is not None and not isinstance(ca_file, str):
        raise check.fail(section, "ca_file", "send.email.ca_file must be a file path")
    timeout = _bounded(check, section, "timeout", "send.email.", 1, 600, 30.0)
    return EmailSettings(host=host, port=port, sender=section["from"].strip(), security=security,
                         username_env=user, password_env=password, attach=attach, timeout=timeout,
                         ca_file=base / ca_file if ca_file else None)


def _chat(check: _Checker, parent: dict) -> ChatSettings:
    section = check.mapping(parent, "chat")
    _keys(check, section, _CHAT_KEYS, "send.chat.")
    if "platform" not in section:
        raise check.fail(parent, "chat", f"send.chat needs 'platform': one of {', '.join(PLATFORMS)}")
    platform = check.choice(section, "platform", PLATFORMS)
    webhook = _env_name(check, section, "webhook_env", "send.chat.")
    if webhook is None:
        raise check.fail(parent, "chat", "send.chat " + both("config.chat_webhook"))
    secret = _env_name(check, section, "secret_env", "send.chat.")
    if secret and platform not in ("dingtalk", "feishu"):
        raise check.fail(section, "secret_env", "send.chat.secret_env: " + both("config.chat_unsigned", platform=platform))
    timeout = _bounded(check, section, "timeout", "send.chat.", 1, 120, 15.0)
    return ChatSettings(platform=platform, webhook_env=webhook, secret_env=secret, timeout=timeout)


def _recipients(check: _Checker, data: dict, key: str, role: str) -> list[Recipient]:
    """reps: / managers: name -> {email, chat} (or name -> address); one entry per person."""
    from pipeaudit.owners import owner_key

    table = check.mapping(data, key)
    out: list[Recipient] = []
    seen: dict[str, str] = {}
    for name, spec in table.items():
        where = f"{check.path}:{line_of(table, name)}"
        k = owner_key(name)
        if not k:
            raise check.fail(table, name, f"{key}: " + both("config.blank_name"))
        if k in seen:
            raise check.fail(table, name, f"{key}: " + both("config.same_person", first=repr(str(name)[:80]),
                                                            second=repr(seen[k][:80])))
        seen[k] = str(name)
        short = isinstance(spec, str)  # name: address
        spec = {"email": spec} if short else {} if spec is None else spec
        if not isinstance(spec, dict):
            raise check.fail(table, name, f"{key}.{name} must be an address or a mapping {{email, chat}}")
        _keys(check, spec, _PERSON_KEYS, f"{key}.{name}.")
        emails = spec.get("email")
        emails = [] if emails is None else [emails] if isinstance(emails, str) else emails
        if not isinstance(emails, list) or not all(valid_email(e) for e in emails):
            raise check.fail(*((table, name) if short else (spec, "email")),
                             f"{key}.{name}.email: " + both("config.email_address"))
        chat = spec.get("chat")
        if chat is not None and valid_chat_id(chat) is None:
            raise check.fail(spec, "chat", f"{key}.{name}.chat: " + both("config.chat_id"))
        out.append(Recipient(name=str(name), role=role, email=tuple(valid_email(e) for e in emails),
                             chat=valid_chat_id(chat) if chat is not None else None, where=where))
    return out
