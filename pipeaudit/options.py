"""What a user asked for on the command line, as plain data (no pandas, so `--help` stays fast)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeaudit.errors import ConfigError


@dataclass
class ReadOptions:
    path: Path
    sheet: str | None = None  # a name, or a 0-based index given as digits
    maps: dict[str, str] = field(default_factory=dict)  # --map field=Header
    config: Path | None = None


@dataclass
class AuditOptions(ReadOptions):
    rules: list[Path] = field(default_factory=list)
    default_rules: bool = True
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    rep: str | None = None
    as_of: date | None = None  # None = today
    lang: str | None = None
    baseline: Path | None = None
    history: Path | None = None
    quotas: Path | None = None


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
            raise ConfigError(f"--map {value!r}: expected field=Header, e.g. --map owner=销售代表")
        if name not in FIELDS:
            raise ConfigError(f"--map {value!r}: unknown field '{name}'{did_you_mean(name, FIELDS)}")
        maps[name] = header
    return maps


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"{option} {value!r}: expected a date as YYYY-MM-DD") from None
