"""Every message one run would send, in order: each rep's e-mail and chat digest, then the managers'.

A Message is built only when it is sent (or written to the outbox), so a rep whose attachment
cannot be read fails alone, and the managers' summary, built last, can name who got nothing.
Its `key` is what the delivery record remembers for the week: channel, role and the person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pipeaudit.config import Recipient, SendSettings
from pipeaudit.errors import ConfigError
from pipeaudit.i18n import both
from pipeaudit.owners import owner_key
from pipeaudit.send import digest
from pipeaudit.send.recipients import Audience


@dataclass
class Message:
    key: str  # the delivery record's name for it: email:rep:<owner key>, chat:summary, ...
    channel: str  # "email" or the chat platform
    role: str  # rep | manager
    name: str  # who, as shown
    address: str  # the e-mail addresses, or the @mention: shown and recorded (never a secret)
    stem: str  # for the outbox file name
    build: Callable[[], Any]  # -> EmailMessage, or a webhook payload dict


@dataclass
class RunNotes:
    """What the managers' summary reports about this run, filled in while the reps' messages go out."""

    no_address: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def attachment_kinds(settings: SendSettings, index: dict) -> tuple[str, ...]:
    """The formats to attach: as configured (each must be in the report), else the best the report has."""
    email = settings.email
    if email is None:
        return ()
    have = index["formats"]
    if email.attach is None:
        return next(((k,) for k in ("xlsx", "md", "html") if k in have), ())
    for kind in email.attach:
        if kind not in have:
            raise ConfigError(f"send.email.attach: {kind}, " + both(
                "delivery.no_pages", folder=str(index["folder"]), kind=kind, formats=",".join([*have, kind])))
    return email.attach


def plan(index: dict, audience: Audience, settings: SendSettings, workbooks: Any, notes: RunNotes) -> list[Message]:
    from pipeaudit.send.email import build_message, read_attachment
    from pipeaudit.send.webhooks import FLAVOR, payload

    folder: Path = index["folder"]
    lang, as_of = index["lang"], index["as_of"].isoformat()
    kinds = attachment_kinds(settings, index)
    chat = settings.chat
    out: list[Message] = []

    def rep_email(rep: dict, who: Recipient) -> Callable[[], Any]:
        def build():
            content = digest.rep_content(index, rep)
            url = digest.rep_link(index, rep, settings.base_url)
            files = []
            for kind in kinds:
                if kind == "xlsx":
                    if not rep["sheet"]:
                        continue
                    files.append((f"{rep['stem']}.xlsx", workbooks.one(rep["sheet"]), "xlsx"))
                else:
                    files.append((f"{rep['stem']}.{kind}", read_attachment(folder, "reps", f"{rep['stem']}.{kind}"), kind))
            return build_message(settings.email, who.email, content["title"],
                                 digest.text_rep(content, lang, url, bool(files)),
                                 digest.html_rep(content, lang, url, bool(files)), files, as_of)
        return build

    def rep_chat(rep: dict, who: Recipient) -> Callable[[], Any]:
        def build():
            content = digest.rep_content(index, rep)
            url = digest.rep_link(index, rep, settings.base_url)
            return payload(chat.platform, content["title"],
                           digest.chat_rep(content, lang, url, FLAVOR[chat.platform]), [who.chat])
        return build

    def manager_email(manager: Recipient) -> Callable[[], Any]:
        def build():
            content = digest.summary_content(index, notes.no_address, notes.failed)
            url = digest.summary_link(index, settings.base_url)
            files = []
            for kind in kinds:
                name = "report.xlsx" if kind == "xlsx" else f"summary.{kind}"
                files.append((name, read_attachment(folder, name), kind))
            return build_message(settings.email, manager.email, content["title"],
                                 digest.text_summary(content, lang, url), digest.html_summary(content, lang, url),
                                 files, as_of)
        return build

    def manager_chat(mentions: list[str]) -> Callable[[], Any]:
        def build():
            content = digest.summary_content(index, notes.no_address, notes.failed)
            url = digest.summary_link(index, settings.base_url)
            return payload(chat.platform, content["title"],
                           digest.chat_summary(content, lang, url, FLAVOR[chat.platform]), mentions)
        return build

    for rep, who in audience.reps:
        k, name = owner_key(rep["owner"]), rep["display"]
        if settings.email and who.email:
            out.append(Message(f"email:rep:{k}", "email", "rep", name, ", ".join(who.email), rep["stem"],
                               rep_email(rep, who)))
        if chat and who.chat:
            out.append(Message(f"chat:rep:{k}", chat.platform, "rep", name, f"@{who.chat}", rep["stem"],
                               rep_chat(rep, who)))
    for manager in audience.managers:
        if settings.email and manager.email:
            out.append(Message(f"email:manager:{owner_key(manager.name)}", "email", "manager", manager.name,
                               ", ".join(manager.email), "summary", manager_email(manager)))
    mentions = [m.chat for m in audience.managers if m.chat]
    if chat and mentions:
        out.append(Message("chat:summary", chat.platform, "manager", "summary",
                           " ".join(f"@{m}" for m in mentions), "summary", manager_chat(mentions)))
    return out
