"""What an audit hands to every renderer: the deals, the findings, and what the run learned.

It lives above the engine (it carries the run's Rule objects) and below everything that renders,
so formats and report sheets agree on one shape and never parse or evaluate anything themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from pipeaudit.config import Config
from pipeaudit.engine.schema import Rule
from pipeaudit.i18n import Lang
from pipeaudit.model import Deals, SkippedRule

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class AuditResult:
    """Everything a renderer needs. Renderers read this; they never parse or evaluate."""

    deals: Deals
    findings: pd.DataFrame  # FINDING_COLUMNS, sorted by owner, row, severity
    muted: pd.DataFrame  # same columns plus "reason"; counted in summaries, not reported
    as_of: date
    lang: Lang
    rules: list[Rule] = field(default_factory=list)  # the selected rules of the run
    skipped: list[SkippedRule] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. expired suppressions
    #: what the user must not miss even in a CI log (one line each, printed to stderr by check and
    #: report, and also among the notes): e.g. a last week that matched too few deals to compare
    warnings: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)  # plan vs actual, week-over-week changes
    #: the run's validated config (risk weights, report unit and rep order); None: the defaults
    config: Config | None = None
