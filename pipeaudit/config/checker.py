"""Validation helpers that name the file, line and key in every message; the secret-key guard."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pipeaudit.errors import ConfigError
from pipeaudit.i18n import both
from pipeaudit.yamlsafe import clip, clipped_repr, did_you_mean, line_of

_SECRET_KEY = re.compile(r"(?:^|_)(pass|passwd|password|secret|token|api_?key|key|credentials?|webhook|webhook_?url|url)$", re.I)


def secret_key_hint(key: str) -> str:
    """For a key that would hold a secret, the *_env key to use instead; '' for any other key."""
    k = key.strip().lower()
    if k.endswith("_env") or k == "base_url" or not _SECRET_KEY.search(k):
        return ""
    if "pass" in k:
        return "send.email.password_env"
    return "send.chat.secret_env" if "secret" in k else "send.chat.webhook_env"


class Checker:
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
                container, key, f"'{clip(key)}' must be one of {', '.join(sorted(choices))}, not {clipped_repr(value)}{hint}"
            )
        return value


