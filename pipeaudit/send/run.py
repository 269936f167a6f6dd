"""The sending side of one run: a connection per channel, retries, pacing, and the dry run's outbox.

Kept apart from the orchestration in send/__init__.py so that deciding what to send and actually
sending it can be read (and tested) separately. Chat posts are paced to each platform's published
rate (see docs/cron.md): WeCom and DingTalk take 20 messages a minute per bot, and DingTalk mutes
a bot for ten minutes past that, so a team of twenty-five must not go out in one burst.
"""

from __future__ import annotations

import json
import os
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Callable

from pipeaudit.errors import visible
from pipeaudit.i18n import both
from pipeaudit.send.retry import DeliveryError, with_retries

PACE = {"wecom": 3.1, "dingtalk": 3.1, "feishu": 0.7, "slack": 1.0}  # seconds between two posts


class Run:
    def __init__(self, settings: Any, values: dict, redact: Callable[[str], str], sleep: Callable[[float], None],
                 clock: Callable[[], float], opener: Any, say: Callable[..., None]):
        self.settings, self.values, self.redact = settings, values, redact
        self.sleep, self.clock, self.opener, self.say = sleep, clock, opener, say
        self.down: dict[str, str] = {}  # channel -> why it is not tried again this run
        self._email = None
        self._chat = None
        self._last_post: float | None = None

    def _sender(self, channel: str):
        if channel == "email":
            if self._email is None:
                from pipeaudit.send.email import SmtpSender

                self._email = SmtpSender(self.settings.email, self.values.get("username"), self.values.get("password"))
            return self._email
        if self._chat is None:
            from pipeaudit.send.webhooks import WebhookSender

            self._chat = WebhookSender(self.settings.chat, self.values.get("webhook") or "", self.values.get("secret"),
                                       clock=self.clock, opener=self.opener)
        return self._chat

    def _paced(self, send: Callable[[], None]) -> Callable[[], None]:
        def attempt() -> None:
            if self._last_post is not None:
                wait = PACE.get(self.settings.chat.platform, 1.0) - (self.clock() - self._last_post)
                if wait > 0:
                    self.sleep(wait)
            try:
                send()
            finally:
                self._last_post = self.clock()
        return attempt

    def deliver(self, message: Any, outbox: "Outbox | None") -> str | None:
        """None when the message went out (or into the outbox), else why not (one line, redacted)."""
        channel = "email" if message.channel == "email" else "chat"
        if channel in self.down:
            return f"not tried: {self.down[channel]}"
        try:
            try:
                built = message.build()
            except DeliveryError:
                raise
            except Exception as exc:  # one rep's unreadable page must not stop the others
                if os.environ.get("PIPEAUDIT_DEBUG"):
                    raise
                raise DeliveryError(both("delivery.not_built", error=type(exc).__name__)) from None
            if outbox is not None:
                outbox.write(message, built)
                return None
            sender = self._sender(channel)
            attempt = (lambda: sender.send(built)) if channel == "email" else self._paced(lambda: sender.send(built))

            def retrying(exc: DeliveryError, pause: float) -> None:
                self.say(f"  retry     {message.channel:<8} {visible(message.name)} in {pause:.0f}s: {exc}")

            with_retries(attempt, retries=self.settings.retries, backoff=self.settings.backoff, sleep=self.sleep,
                         on_retry=retrying)
        except DeliveryError as exc:
            why = self.redact(str(exc))
            if exc.channel_down:
                self.down[channel] = why
            return why
        return None

    def close(self) -> None:
        if self._email is not None:
            self._email.close()


class Outbox:
    """DIR/outbox/: every message of a dry run, as .eml files and JSON payloads, numbered in order."""

    def __init__(self, folder: Path, redact: Callable[[str], str]):
        from pipeaudit.report.naming import inside

        self.dir = inside(folder, "outbox")
        self.dir.mkdir(exist_ok=True)
        for old in self.dir.iterdir():  # last dry run's messages, and nothing else
            if old.suffix in (".eml", ".json") and not old.is_dir():
                old.unlink()
        self.redact = redact
        self.n = 0
        self.last = ""

    def write(self, message: Any, built: Any) -> None:
        from pipeaudit.outputs import atomic_write
        from pipeaudit.report.naming import inside, safe_file_stem

        self.n += 1
        stem = safe_file_stem(f"{self.n:02d}-{message.channel}-{message.role}-{message.stem}")
        if isinstance(built, EmailMessage):
            name, text = f"{stem}.eml", built.as_string()
        else:
            name = f"{stem}.json"
            signed = self._signing_note(message.channel)
            text = json.dumps({"platform": message.channel, "to": message.address, "payload": built,
                               **({"note": signed} if signed else {})}, ensure_ascii=False, indent=1) + "\n"
        atomic_write(inside(self.dir, name), self.redact(text))
        self.last = name

    def _signing_note(self, platform: str) -> str | None:
        if platform == "dingtalk":
            return "posted to the URL in the webhook variable; with a secret, &timestamp=..&sign=.. is added when sent"
        if platform == "feishu":
            return "with a secret, \"timestamp\" and \"sign\" are added to the body when sent"
        return None
