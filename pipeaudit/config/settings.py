"""What a validated configuration holds: the Config every module receives, and its defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pipeaudit.i18n import Lang

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


