"""`pipeaudit send`: deliver a written report, each rep their own sheet, the managers the summary.

    recipients.py  who is who: reps:/managers: or --recipients FILE, matched by pipeaudit.owners
    digest.py      the short digest, as text, HTML, chat Markdown and Slack mrkdwn
    messages.py    the messages of one run, in order, built when sent
    email.py       SMTP (smtplib/email): STARTTLS or SSL, login from the environment
    sheet.py       a one-rep workbook cut from report.xlsx
    webhooks.py    WeCom, DingTalk, Feishu and Slack bots, signed where the platform signs
    retry.py       transient failures retried with backoff; a dead channel is not hammered
    ledger.py      what went to whom per week (history database or DIR/deliveries.json)

`deliver` runs them: read DIR/index.json, pair reps with recipients, skip what the record says
was sent this week (unless resend), send or write to DIR/outbox/ (dry run), record each success.
One failure does not stop the others. Nothing here prints a secret: every line shown or written
passes through the run's Redactor, and secrets are only ever read from the environment.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from pipeaudit.errors import ConfigError, visible
from pipeaudit.i18n import both

OUTBOX = "outbox"


class Redactor:
    """Replaces every secret of the run (and its URL-encoded forms) in a text with '***'."""

    def __init__(self) -> None:
        self.forms: list[str] = []

    def add(self, secret: str | None) -> None:
        from urllib.parse import quote, quote_plus

        if secret and len(secret) >= 4:
            self.forms = sorted({*self.forms, secret, quote(secret, safe=""), quote_plus(secret)}, key=len, reverse=True)

    def add_url(self, url: str | None) -> None:
        """A webhook URL, and the key inside it on its own (a query value, a long path segment)."""
        from urllib.parse import parse_qsl, urlsplit

        if not url:
            return
        self.add(url)
        parts = urlsplit(url)
        for _, value in parse_qsl(parts.query):
            if len(value) >= 8:
                self.add(value)
        for segment in parts.path.split("/"):
            if len(segment) >= 16:
                self.add(segment)

    def __call__(self, text: str) -> str:
        for form in self.forms:
            text = text.replace(form, "***")
        return text


@dataclass
class Outcome:
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    no_address: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def code(self) -> int:
        return 1 if self.failed else 0


def _environment(send: Any, env: Mapping[str, str]) -> tuple[dict[str, str | None], list[str]]:
    """The login and secrets the config points at, read from the environment, and the names of
    the variables that are not set (a real run stops on them, exit 2, before sending anything)."""
    names = {}
    if send.email and send.email.username_env:
        names["username"] = send.email.username_env
        names["password"] = send.email.password_env
    if send.chat:
        names["webhook"] = send.chat.webhook_env
        if send.chat.secret_env:
            names["secret"] = send.chat.secret_env
    values = {what: env.get(name) or None for what, name in names.items()}
    return values, [name for what, name in names.items() if values[what] is None]


def deliver(folder: Path, cfg: Any, *, recipients_file: Path | None = None, dry_run: bool = False,
            resend: bool = False, history: Path | None = None, env: Mapping[str, str] | None = None,
            sleep: Callable[[float], None] | None = None, clock: Callable[[], float] | None = None,
            opener: Any = None, echo: Callable[..., None] | None = None) -> Outcome:
    """Deliver the report in `folder` as `cfg.send` says; returns what happened (exit code: .code).

    `sleep`, `clock` and `opener` (urllib) are there for tests; `echo(line, err=bool)` prints."""
    from pipeaudit.report.index import read_index
    from pipeaudit.send.messages import RunNotes, plan
    from pipeaudit.send.recipients import match, read_recipients

    sleep = sleep or time.sleep  # looked up per call, so a test can stand in for the module's clock
    clock = clock or time.time
    settings = cfg.send
    if settings is None:
        where = cfg.source or "pipeaudit.yaml"
        raise ConfigError(f"{where}: " + both("send.no_section"))
    folder = Path(folder)
    index = read_index(folder)
    recipients = read_recipients(recipients_file) if recipients_file is not None else list(cfg.recipients)
    if not recipients:
        raise ConfigError(both("send.nobody"))
    values, missing = _environment(settings, env if env is not None else os.environ)
    if missing and not dry_run:
        raise ConfigError(both("send.env_missing", names=", ".join("$" + m for m in missing)))
    redact = Redactor()
    redact.add(values.get("password"))
    redact.add(values.get("secret"))
    redact.add_url(values.get("webhook"))

    def say(line: str, err: bool = False) -> None:
        if echo is None:
            print(redact(line), file=sys.stderr if err else sys.stdout)
        else:
            echo(redact(line), err=err)

    audience = match(index, recipients, email=settings.email is not None, chat=settings.chat is not None)
    notes = RunNotes(no_address=[r["display"] for r in audience.no_address])
    from pipeaudit.send.sheet import RepWorkbooks

    workbooks = RepWorkbooks(folder / "report.xlsx")
    messages = plan(index, audience, settings, workbooks, notes)
    outcome = Outcome(no_address=notes.no_address, dry_run=dry_run)
    as_of = index["as_of"]
    say(f"pipeaudit: {folder} " + both("send.dry_run" if dry_run else "send.sending", as_of=as_of.isoformat()))
    for name in missing:
        say("  " + both("send.env_missing_dry", name=name))
    for who in audience.unmatched:
        say("  " + both("send.no_sheet", name=visible(who.name), where=str(who.where)))

    from pipeaudit.send.ledger import DbLedger, FileLedger, folder_lock
    from pipeaudit.send.run import Outbox, Run

    with folder_lock(folder):
        db = history or cfg.history
        ledger = DbLedger(db) if db else FileLedger(folder)
        run = Run(settings, values, redact, sleep, clock, opener, say)
        try:
            done = ledger.sent(as_of)
            outbox = Outbox(folder, redact) if dry_run else None
            for message in messages:
                label = f"{message.channel:<8} {visible(message.name)} {visible(message.address)}"
                if message.key in done and not resend:
                    outcome.already.append(message.key)
                    say(f"  already   {label}: " + both("send.already", at=str(done[message.key].get("at", ""))))
                    continue
                error = run.deliver(message, outbox)
                if error is None:
                    outcome.sent.append(message.key)
                    if outbox is not None:
                        say(f"  would send {label} -> {OUTBOX}/{outbox.last}")
                    else:
                        ledger.record(as_of, message.key, message.channel, message.address, folder.name)
                        say(f"  sent      {label}")
                else:
                    outcome.failed.append(f"{message.name} ({message.channel})")
                    notes.failed.append(f"{message.name} ({message.channel})")
                    say(f"  FAILED    {label}: {error}", err=True)
        finally:
            run.close()
            workbooks.close()
            ledger.close()
    for name in outcome.no_address:
        say(f"  no address {visible(name)}: " + both("send.no_address"))
    say(_summary(outcome, as_of.isoformat()), err=bool(outcome.failed))
    return outcome


def _summary(o: Outcome, as_of: str) -> str:
    """The one line a cron log needs: what was sent, what failed and for whom."""
    if not o.sent and not o.failed and o.already:
        line = "pipeaudit: " + both("send.all_already", n=len(o.already), as_of=as_of)
    else:
        failed = (f" ({', '.join(visible(f) for f in o.failed[:10])}{', …' if len(o.failed) > 10 else ''})"
                  if o.failed else "")
        line = "pipeaudit: " + both("send.summary_dry" if o.dry_run else "send.summary", sent=len(o.sent),
                                    already=len(o.already), failed=len(o.failed), names=failed)
    if o.no_address:
        names = ", ".join(visible(n) for n in o.no_address[:10]) + (", …" if len(o.no_address) > 10 else "")
        line += "; " + both("send.no_address_list", names=names)
    return line
