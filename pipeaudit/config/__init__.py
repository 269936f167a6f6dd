"""Find the user's configuration and validate it in one place.

Sources, first found from the current folder upwards: pipeaudit.yaml, .pipeaudit.yaml, or a
pyproject.toml with a [tool.pipeaudit] table. `--config FILE` names one directly.
Every other module receives a validated Config and never reads configuration itself.

The package: settings (what a Config holds), checker (messages with file and line), validate
(every key), send (send:, reps:, managers:).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pipeaudit.config.checker import secret_key_hint
from pipeaudit.config.send import PLATFORMS, valid_chat_id, valid_email
from pipeaudit.config.settings import (
    CONFIG_NAMES,
    REP_ORDERS,
    REPORT_UNITS,
    RISK_DEFAULTS,
    ChatSettings,
    Config,
    CustomLadder,
    EmailSettings,
    Recipient,
    SendSettings,
    Suppression,
)
from pipeaudit.config.validate import validate
from pipeaudit.errors import ConfigError
from pipeaudit.yamlsafe import load_yaml

__all__ = [
    "CONFIG_NAMES", "PLATFORMS", "REP_ORDERS", "REPORT_UNITS", "RISK_DEFAULTS", "ChatSettings", "Config",
    "CustomLadder", "EmailSettings", "Recipient", "SendSettings", "Suppression", "find_config", "load_config",
    "secret_key_hint", "valid_chat_id", "valid_email",
]


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
    return validate(data, path)


def _pyproject_table(path: Path) -> dict | None:
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    table = doc.get("tool", {}).get("pipeaudit")
    return table if isinstance(table, dict) else None


