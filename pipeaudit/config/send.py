"""Validate `send:`, `reps:` and `managers:` (what `pipeaudit send` delivers, and to whom)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pipeaudit.config.checker import Checker
from pipeaudit.config.settings import (
    ChatSettings,
    EmailSettings,
    Recipient,
    SendSettings,
)
from pipeaudit.i18n import both
from pipeaudit.yamlsafe import did_you_mean, line_of

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_EMAIL = re.compile(r"[^@\s<>(),;:\\\"\[\]]{1,64}@[A-Za-z0-9\-.\u0080-\uffff]{1,253}\.[A-Za-z0-9\-\u0080-\uffff]{2,63}")
_CHAT_ID = re.compile(r"[\w.@:+\-]{1,128}")
PLATFORMS = ("wecom", "dingtalk", "feishu", "slack")
_SEND_KEYS = {"email", "chat", "base_url", "retries", "backoff"}
_EMAIL_KEYS = {"host", "port", "security", "from", "username_env", "password_env", "attach", "ca_file", "timeout"}
_CHAT_KEYS = {"platform", "webhook_env", "secret_env", "timeout"}
_PERSON_KEYS = {"email", "chat"}


def valid_email(value: Any) -> str | None:
    """The address, trimmed, when it is one plain address (no display name, no line break)."""
    text = str(value).strip() if isinstance(value, str) else ""
    return text if _EMAIL.fullmatch(text) else None


def valid_chat_id(value: Any) -> str | None:
    """A chat user id: letters, digits and . _ @ : + - only, so it cannot inject markup into a message."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return text if _CHAT_ID.fullmatch(text) else None


def _keys(check: Checker, section: Any, allowed: set[str], prefix: str) -> None:
    for key in section:
        check.no_secret(section, key, prefix)
        if key not in allowed:
            raise check.fail(section, key, f"unknown key '{prefix}{key}'{did_you_mean(str(key), allowed)}")


def _env_name(check: Checker, section: Any, key: str, prefix: str) -> str | None:
    if key not in section or section[key] is None:
        return None
    value = section[key]
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):  # never echoed: it may be the secret itself
        raise check.fail(section, key, f"{prefix}{key} " + both("config.env_name"))
    return value


def _bounded(check: Checker, section: Any, key: str, prefix: str, low: float, high: float, default: Any,
             kind: type = float) -> Any:
    if key not in section:
        return default
    value = section[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high or (
            kind is int and value != int(value)):
        raise check.fail(section, key, f"{prefix}{key} " + both("config.bounded", low=f"{low:g}", high=f"{high:g}"))
    return kind(value)


def send_settings(check: Checker, data: dict, base: Path) -> SendSettings:
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


def _email(check: Checker, parent: dict, base: Path) -> EmailSettings:
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


def _chat(check: Checker, parent: dict) -> ChatSettings:
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


def recipients(check: Checker, data: dict, key: str, role: str) -> list[Recipient]:
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
