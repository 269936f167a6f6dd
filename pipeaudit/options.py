"""What a user asked for on the command line, as plain data (no pandas, so `--help` stays fast)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeaudit.errors import ConfigError
from pipeaudit.i18n import Lang, both, in_both, t


@dataclass
class ReadOptions:
    path: Path
    sheet: str | None = None  # a name, or a 0-based index given as digits
    maps: dict[str, str] = field(default_factory=dict)  # --map field=Header
    config: Path | None = None
    as_of: date | None = None  # None = today; also where two-digit years are placed


@dataclass
class AuditOptions(ReadOptions):
    rules: list[Path] = field(default_factory=list)
    default_rules: bool = True
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    rep: str | None = None
    lang: Lang | None = None
    baseline: Path | None = None
    history: Path | None = None
    quotas: Path | None = None
    follow_symlinks: bool = False  # write through a symbolic link given as -o, --out or --history
    require: list[str] = field(default_factory=list)  # --require: rules that must be able to run
    #: keep this week in the history: True (report, check --record), False, or None = only when
    #: --history was given on the command line (a config's `history:` alone never stores from check)
    record: bool | None = None


def split_names(values: list[str] | None) -> list[str]:
    """Repeatable and comma-separated: ['a,b', 'c'] -> ['a', 'b', 'c']."""
    names: list[str] = []
    for value in values or []:
        names.extend(part.strip() for part in value.split(",") if part.strip())
    return names


def parse_maps(values: list[str] | None) -> dict[str, str]:
    """--map field=Header (repeatable)."""
    from pipeaudit.model import FIELDS
    from pipeaudit.yamlsafe import did_you_mean

    maps: dict[str, str] = {}
    for value in values or []:
        name, sep, header = value.partition("=")
        name, header = name.strip(), header.strip()
        if not sep or not name or not header:
            raise ConfigError(f"--map {value!r}: " + both("options.map_form"))
        if name not in FIELDS:
            raise ConfigError(f"--map {value!r}: " + in_both(
                lambda lang: t("options.map_field", lang, field=name, hint=did_you_mean(name, FIELDS, lang))))
        maps[name] = header
    return maps


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(value: str | None, option: str) -> date | None:
    """Exactly YYYY-MM-DD (Python 3.11's fromisoformat would also take 20261123 or 2026-W48-1,
    which a person reading a cron line or a report heading would not recognise)."""
    if value is None:
        return None
    text = value.strip()
    try:
        if not _ISO_DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} {value!r}: " + both("options.date")) from None
