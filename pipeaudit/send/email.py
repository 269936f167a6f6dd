"""E-mail over SMTP with the standard library: the message, and one connection that sends them all.

A message is an HTML digest with its plain-text alternative, and the rep's own sheet attached in
the formats the config asks for (md/html pages as the report wrote them; xlsx cut down to the
rep's sheet by send.sheet). The login comes from environment variables the config names; the
password is never put in a message, an error or a file. STARTTLS and SSL verify the server's
certificate (`ca_file` for a private CA); plain SMTP is allowed without a login only, or on this host.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from pipeaudit.config import EmailSettings
from pipeaudit.i18n import both
from pipeaudit.send.retry import DeliveryError

MAX_ATTACHMENTS_BYTES = 20 << 20  # per message; most mail servers refuse more
_TYPES = {"md": ("text", "markdown"), "html": ("text", "html"),
          "xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


def build_message(settings: EmailSettings, to: tuple[str, ...], subject: str, text: str, html: str,
                  attachments: list[tuple[str, bytes, str]], as_of: str) -> EmailMessage:
    """One message: text and HTML alternatives, then the attachments (name, bytes, md|html|xlsx)."""
    if sum(len(data) for _, data, _ in attachments) > MAX_ATTACHMENTS_BYTES:
        raise DeliveryError(both("delivery.attachments_too_big", mb=MAX_ATTACHMENTS_BYTES >> 20))
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or None
    msg["Message-ID"] = make_msgid("pipeaudit", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders stay quiet
    msg["X-Pipeaudit-As-Of"] = as_of
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    for name, data, kind in attachments:
        maintype, subtype = _TYPES[kind]
        if maintype == "text":
            msg.add_attachment(data.decode("utf-8", errors="replace"), subtype=subtype, filename=name)
        else:
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def read_attachment(folder: Path, *parts: str, limit: int = MAX_ATTACHMENTS_BYTES) -> bytes:
    """A file of the report folder, refusing anything that resolves outside it or is too large."""
    from pipeaudit.errors import PipeauditError
    from pipeaudit.report.naming import inside

    try:
        path = inside(folder, *parts)  # resolves links: a page linked to a file elsewhere is refused
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise DeliveryError(f"{'/'.join(parts)}: " + both("delivery.missing_file")) from None
    except (OSError, PipeauditError) as exc:
        raise DeliveryError(f"{'/'.join(parts)}: cannot be attached ({type(exc).__name__})") from None
    if len(data) > limit:
        raise DeliveryError(f"{'/'.join(parts)}: " + both("delivery.file_too_big", mb=limit >> 20))
    return data


class SmtpSender:
    """One SMTP session for the whole run, opened on the first message, reopened after a drop."""

    def __init__(self, settings: EmailSettings, username: str | None, password: str | None):
        self.settings = settings
        self._login = (username, password) if username else None
        self._conn: smtplib.SMTP | None = None

    def _context(self) -> ssl.SSLContext:
        ca = self.settings.ca_file
        if ca is not None and not Path(ca).is_file():
            raise DeliveryError(f"send.email.ca_file {ca}: " + both("delivery.no_ca_file"), channel_down=True)
        return ssl.create_default_context(cafile=str(ca) if ca else None)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        where = f"{s.host}:{s.port}"
        conn, phase = None, "connect"
        try:
            if s.security == "ssl":
                conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context())
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            conn.ehlo()
            if s.security == "starttls":
                phase = "STARTTLS"
                conn.starttls(context=self._context())
                conn.ehlo()
            if self._login:
                phase = "AUTH (login)"
                conn.login(*self._login)
        except smtplib.SMTPAuthenticationError as exc:
            _close(conn)
            raise DeliveryError(f"{where}: " + both("delivery.login_refused", code=str(exc.smtp_code)),
                                channel_down=True) from None
        except smtplib.SMTPNotSupportedError:
            _close(conn)
            raise DeliveryError(f"{where}: " + both("delivery.not_offered", phase=phase), channel_down=True) from None
        except ssl.SSLError as exc:
            _close(conn)
            reason = getattr(exc, "reason", None) or type(exc).__name__
            raise DeliveryError(f"{where}: " + both("delivery.tls_failed", reason=str(reason)), channel_down=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            _close(conn)
            raise DeliveryError(f"{where}: " + both("delivery.cannot_connect", why=str(_why(exc))), transient=True) from None
        return conn

    def send(self, msg: EmailMessage) -> None:
        """Deliver one message; DeliveryError (transient or not) when it was not accepted."""
        if self._conn is None:
            self._conn = self._connect()
        try:
            refused = self._conn.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            self._reset()
            raise DeliveryError(both("delivery.recipient_refused", codes=", ".join(map(str, codes))),
                                transient=all(400 <= c < 500 for c in codes)) from None
        except smtplib.SMTPNotSupportedError:  # e.g. a non-ASCII address and no SMTPUTF8
            self._reset()
            raise DeliveryError(both("delivery.smtputf8")) from None
        except smtplib.SMTPResponseException as exc:
            code = exc.smtp_code
            self._drop() if code == 421 else self._reset()
            raise DeliveryError(both("delivery.server_answered", code=str(code)), transient=400 <= code < 500) from None
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise DeliveryError(both("delivery.connection_lost", why=str(_why(exc))), transient=True) from None
        if refused:
            raise DeliveryError(both("delivery.some_refused", addresses=", ".join(sorted(refused))))

    def _reset(self) -> None:
        """After a refused message the session stays usable: RSET, or reconnect next time."""
        try:
            self._conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        _close(self._conn)
        self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()


def _close(conn: smtplib.SMTP | None) -> None:
    if conn is not None:
        try:
            conn.close()
        except OSError:
            pass


def _why(exc: BaseException) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__
