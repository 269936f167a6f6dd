"""Team chat through incoming-webhook bots: WeCom, DingTalk, Feishu/Lark and Slack.

Each platform takes a JSON POST to a URL that carries the bot's key, so the URL is a secret: it is
read from the environment and never printed, logged or written (a dry run writes the payload
alone). What each payload looks like, how the two signed platforms sign, and where the facts come
from is in docs/cron.md ("Chat platforms"). In short:

  wecom     {"msgtype": "markdown", "markdown": {"content": md}}; mention with <@userid> in md
  dingtalk  {"msgtype": "markdown", "markdown": {"title", "text"}, "at": {"atUserIds"}}, @userid in text;
            signed: &timestamp=<ms>&sign=urlencode(base64(HMAC-SHA256(key=secret, "ts\\nsecret")))
  feishu    {"msg_type": "interactive", "card": {header, elements: [{"tag": "markdown"}]}}, <at id=..></at>;
            signed: "timestamp" (s) and "sign" = base64(HMAC-SHA256(key="ts\\nsecret", b"")) in the body
  slack     {"text": mrkdwn}; mention with <@U123>
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time
import urllib.error
import urllib.request
from typing import Any, Callable
from urllib.parse import quote_plus, urlsplit

from pipeaudit.config import ChatSettings
from pipeaudit.i18n import both
from pipeaudit.send.retry import DeliveryError

FLAVOR = {"wecom": "md", "dingtalk": "md", "feishu": "md", "slack": "slack"}
MAX_ANSWER = 64 * 1024  # bytes of a bot's answer read
_RATE_LIMIT_CODES = {"wecom": {45009}, "dingtalk": {130101}}  # "too many messages": wait and retry
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def payload(platform: str, title: str, markdown: str, mentions: list[str]) -> dict[str, Any]:
    """The JSON body for one digest; `mentions` are chat user ids (validated by pipeaudit.config)."""
    if platform == "wecom":
        tags = " ".join(f"<@{m}>" for m in mentions)
        return {"msgtype": "markdown", "markdown": {"content": f"{markdown}\n{tags}" if tags else markdown}}
    if platform == "dingtalk":
        text = markdown.replace("\n", "\n\n")  # DingTalk's Markdown breaks lines only on a blank line
        if mentions:
            text += "\n\n" + " ".join(f"@{m}" for m in mentions)  # the @ must also be in the text to notify
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text},
                "at": {"atUserIds": list(mentions), "isAtAll": False}}
    if platform == "feishu":
        tags = " ".join(f"<at id={m}></at>" for m in mentions)
        return {"msg_type": "interactive",
                "card": {"header": {"title": {"tag": "plain_text", "content": title}},
                         "elements": [{"tag": "markdown", "content": f"{markdown}\n{tags}" if tags else markdown}]}}
    if platform == "slack":
        tags = " ".join(f"<@{m}>" for m in mentions)
        return {"text": f"{tags} {markdown}" if tags else markdown}
    raise ValueError(platform)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature, url-encoded, for &timestamp=..&sign=.. on the webhook URL."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signature: the key is "timestamp\\nsecret" and the message is empty."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode("utf-8"), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is not followed: the body would be re-sent somewhere unexpected."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


def check_url(url: str, env_name: str) -> str:
    """The webhook URL from the environment: https (http only on this host). The URL is never shown."""
    parts = urlsplit(url.strip())
    if not parts.hostname or parts.scheme not in ("https", "http") or (
            parts.scheme == "http" and parts.hostname not in _LOOPBACK):
        raise DeliveryError(f"${env_name} " + both("delivery.not_https"), channel_down=True)
    return url.strip()


class WebhookSender:
    """Posts payloads to one bot; `clock` and `opener` are injectable for tests."""

    def __init__(self, settings: ChatSettings, url: str, secret: str | None,
                 clock: Callable[[], float] = time.time, opener: Any = None):
        self.settings = settings
        self.url = check_url(url, settings.webhook_env)
        self.secret = secret
        self.clock = clock
        self.opener = opener or urllib.request.build_opener(_NoRedirect)

    def signed(self, body: dict) -> tuple[str, dict]:
        """The URL and body to post, signed when a secret is configured."""
        platform, url = self.settings.platform, self.url
        if self.secret and platform == "dingtalk":
            ts = int(self.clock() * 1000)
            url = f"{url}{'&' if '?' in url else '?'}timestamp={ts}&sign={dingtalk_sign(self.secret, ts)}"
        elif self.secret and platform == "feishu":
            ts = int(self.clock())
            body = {"timestamp": str(ts), "sign": feishu_sign(self.secret, ts), **body}
        return url, body

    def send(self, body: dict) -> None:
        url, body = self.signed(body)
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(url, data=data, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": "pipeaudit"})
        try:
            with self.opener.open(request, timeout=self.settings.timeout) as answer:
                status, text = answer.status, answer.read(MAX_ANSWER)
        except urllib.error.HTTPError as exc:
            status = exc.code
            retry_after = _seconds(exc.headers.get("Retry-After") if exc.headers else None)
            exc.close()
            if status == 429:
                raise DeliveryError(both("delivery.too_many_requests"), transient=True,
                                    retry_after=retry_after) from None
            if 500 <= status < 600:
                raise DeliveryError(both("delivery.server_error", status=status), transient=True,
                                    retry_after=retry_after) from None
            raise DeliveryError(both("delivery.request_refused", status=status)) from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            why = "timed out" if isinstance(reason, (socket.timeout, TimeoutError)) else type(reason).__name__
            raise DeliveryError(both("delivery.no_answer", why=why), transient=True) from None
        if not 200 <= status < 300:
            raise DeliveryError(f"HTTP {status}")
        self._check_answer(text)

    def _check_answer(self, raw: bytes) -> None:
        """The bots answer 200 with an error code in the body; 0 (or Slack's "ok") is success."""
        platform = self.settings.platform
        text = raw.decode("utf-8", errors="replace").strip()
        if platform == "slack":
            if text.lower() not in ("ok", ""):
                raise DeliveryError(f"Slack answered {text[:80]!r}")
            return
        try:
            answer = json.loads(text) if text else {}
        except ValueError:
            raise DeliveryError(both("delivery.answer_not_json")) from None
        if not isinstance(answer, dict):
            raise DeliveryError(both("delivery.answer_not_object"))
        code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
        if code in (0, None):
            return
        message = str(answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or "")[:120]
        raise DeliveryError(both("delivery.bot_error", platform=platform, code=str(code), message=message),
                            transient=code in _RATE_LIMIT_CODES.get(platform, ()))


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
