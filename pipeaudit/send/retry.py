"""One failed delivery, and the retry loop every channel shares.

A mail server that drops the line or a chat bot that answers 429 usually works a few seconds
later: those failures are `transient` and retried with exponential backoff (a server's
Retry-After wins when it says more, capped). A refused login or an unknown recipient will not
change by waiting: those fail at once. `channel_down` means the whole channel is unusable this run
(login refused, TLS broken, server unreachable), so the remaining messages on it are not tried:
hammering a login would get the account locked. The sleep function is injected so tests never wait.
"""

from __future__ import annotations

from typing import Callable, TypeVar

T = TypeVar("T")
MAX_WAIT = 60.0  # seconds: the longest pause between two attempts, whatever a server asks


class DeliveryError(Exception):
    """A message could not be delivered; the text is one line, safe to show (no secret in it)."""

    def __init__(self, message: str, *, transient: bool = False, retry_after: float | None = None,
                 channel_down: bool = False):
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after
        self.channel_down = channel_down


def with_retries(attempt: Callable[[], T], *, retries: int, backoff: float, sleep: Callable[[float], None],
                 on_retry: Callable[[DeliveryError, float], None] | None = None) -> T:
    """attempt(), again after a pause while it fails transiently, at most `retries` more times."""
    wait = backoff
    for n in range(retries + 1):
        try:
            return attempt()
        except DeliveryError as exc:
            if not exc.transient or n == retries:
                raise
            pause = min(MAX_WAIT, max(wait, exc.retry_after or 0.0))
            if on_retry is not None:
                on_retry(exc, pause)
            sleep(pause)
            wait = min(MAX_WAIT, wait * 2 if wait else 0.0)
    raise AssertionError("unreachable")  # pragma: no cover
