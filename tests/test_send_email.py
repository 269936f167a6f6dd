"""`pipeaudit send` by e-mail, against a real SMTP server (aiosmtpd) on 127.0.0.1.

Every message the server accepts is opened: recipients, subject, both alternatives, the
attachments (the workbook cell by cell), and no other rep's deal anywhere in it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeaudit.config import load_config
from pipeaudit.send import deliver
from send_support import (DEALS_OF, PASSWORD, USER, FakeTime, SmtpRecorder, make_report, start_smtp)

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # 127.0.0.1 only

EMAILS = {"张伟": "zhang@example.com", "李娜": "li@example.com", "王五": "wang@example.com"}


def config(tmp_path: Path, port: int, extra: str = "", security: str = "none", attach: str = "[xlsx, md]",
           login: bool = True) -> Path:
    path = tmp_path / "pipeaudit.yaml"
    login_keys = "    username_env: T_SMTP_USER\n    password_env: T_SMTP_PASS\n" if login else ""
    path.write_text(
        "send:\n  retries: 2\n  email:\n    host: 127.0.0.1\n"
        f"    port: {port}\n    security: {security}\n    from: 'Sales Ops <ops@example.com>'\n"
        f"{login_keys}    attach: {attach}\n    timeout: 10\n{extra}"
        "reps:\n" + "".join(f"  {n}: {{email: {e}}}\n" for n, e in EMAILS.items())
        + "managers:\n  Boss: {email: boss@example.com}\n", encoding="utf-8")
    return path


ENV = {"T_SMTP_USER": USER, "T_SMTP_PASS": PASSWORD}


@pytest.fixture
def smtp():
    recorder = SmtpRecorder()
    controller = start_smtp(recorder)
    yield recorder, controller
    controller.stop()


@pytest.fixture
def report(tmp_path: Path) -> Path:
    return make_report(tmp_path / "2026-11-23")


def run(report: Path, cfg_path: Path, env=ENV, lines=None, **kw):
    clock = FakeTime()
    out = [] if lines is None else lines
    outcome = deliver(report, load_config(cfg_path), env=env, sleep=clock.sleep, clock=clock.clock,
                      echo=lambda line, err=False: out.append(line), **kw)
    return outcome, out, clock


def texts_of(msg) -> str:
    """Every part of a message as text: bodies, attached pages, and each cell of an attached workbook."""
    chunks = [str(msg["Subject"])]
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_content_type().startswith("text/"):
            chunks.append(part.get_content())
        else:
            book = load_workbook(io.BytesIO(part.get_content()), read_only=True)
            for ws in book.worksheets:
                for row in ws.iter_rows(values_only=True):
                    chunks.extend(str(v) for v in row if v is not None)
    return "\n".join(chunks)


def others(name: str) -> list[str]:
    return [d for n, deals in DEALS_OF.items() if n != name for d in deals]


def test_each_rep_gets_only_their_own_sheet(smtp, report, tmp_path):
    recorder, controller = smtp
    outcome, lines, _ = run(report, config(tmp_path, controller.port))
    assert outcome.code == 0, lines
    assert recorder.logins and set(recorder.logins) == {USER}
    by_rcpt = {tuple(r): m for r, m in recorder.messages}
    assert set(by_rcpt) == {(e,) for e in EMAILS.values()} | {("boss@example.com",)}
    for name, address in EMAILS.items():
        msg = by_rcpt[(address,)]
        assert msg["To"] == address and "ops@example.com" in msg["From"]
        assert "2026-11-23" in msg["Subject"] and name in msg["Subject"]
        plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
        assert plain is not None and html is not None
        for deal in DEALS_OF[name]:
            assert deal in plain.get_content()
        assert "<b>Delta</b>" not in html.get_content()  # data is escaped in the HTML body
        files = {p.get_filename(): p for p in msg.iter_attachments()}
        stem = name
        assert set(files) == {f"{stem}.xlsx", f"{stem}.md"}
        book = load_workbook(io.BytesIO(files[f"{stem}.xlsx"].get_content()), read_only=True)
        assert book.sheetnames == [name]  # the rep's sheet alone, not the team workbook
        cells = {str(v) for row in book[name].iter_rows(values_only=True) for v in row if v is not None}
        assert any(DEALS_OF[name][0] in c for c in cells)
        assert DEALS_OF[name][0] in files[f"{stem}.md"].get_content()
        everything = texts_of(msg)
        for leak in others(name):
            assert leak not in everything, f"{leak} in {name}'s message"
    boss = by_rcpt[("boss@example.com",)]
    assert "2026-11-23" in boss["Subject"]
    assert {p.get_filename() for p in boss.iter_attachments()} == {"report.xlsx", "summary.md"}
    assert "赵六" in boss.get_body(("plain",)).get_content()  # the rep nobody could reach is named
    assert outcome.no_address == ["赵六"]
    assert any("no address 赵六" in line for line in lines)
    assert lines[-1].startswith("pipeaudit: sent 4, already sent 0, failed 0")


def test_refused_login_fails_every_email_after_one_attempt(smtp, report, tmp_path):
    recorder, controller = smtp
    outcome, lines, clock = run(report, config(tmp_path, controller.port),
                                env={"T_SMTP_USER": USER, "T_SMTP_PASS": "wrong-password"})
    assert outcome.code == 1
    assert recorder.messages == []
    assert len(recorder.logins) == 1  # not retried, not tried again per rep: accounts get locked
    assert clock.sleeps == []
    assert len(outcome.failed) == 4
    failed = [line for line in lines if "FAILED" in line]
    assert "login refused (535)" in failed[0] and all("not tried" in line for line in failed[1:])
    assert "failed 4" in lines[-1] and "张伟 (email)" in lines[-1]


def test_a_connection_dropped_mid_send_is_retried_and_delivered_once(smtp, report, tmp_path):
    recorder, controller = smtp
    recorder.drop["li@example.com"] = 1
    outcome, lines, clock = run(report, config(tmp_path, controller.port))
    assert outcome.code == 0, lines
    assert recorder.dropped == 1
    received = [r for r, _ in recorder.messages]
    assert received.count(["li@example.com"]) == 1
    assert clock.sleeps == [2.0]  # the configured backoff, through the injected sleep
    assert any(line.strip().startswith("retry") and "李娜" in line for line in lines)


def test_one_rep_failing_does_not_stop_the_others(smtp, report, tmp_path):
    recorder, controller = smtp
    recorder.drop["li@example.com"] = -1  # every attempt is cut off
    outcome, lines, clock = run(report, config(tmp_path, controller.port))
    assert outcome.code == 1
    assert recorder.dropped == 3  # one try and two retries
    assert clock.sleeps == [2.0, 4.0]  # exponential backoff
    got = {r[0] for r, _ in recorder.messages}
    assert got == {"zhang@example.com", "wang@example.com", "boss@example.com"}
    assert outcome.failed == ["李娜 (email)"]
    assert "failed 1 (李娜 (email))" in lines[-1]
    boss = next(m for r, m in recorder.messages if r == ["boss@example.com"])
    assert "李娜 (email)" in boss.get_body(("plain",)).get_content()  # the manager hears of it


def test_attach_a_format_the_report_lacks_is_a_config_error(smtp, tmp_path):
    from pipeaudit.errors import ConfigError

    _, controller = smtp
    folder = make_report(tmp_path / "r", formats=("html",))
    with pytest.raises(ConfigError, match="attach: md"):
        run(folder, config(tmp_path, controller.port, attach="[md]"))


def test_a_missing_password_variable_stops_before_sending(smtp, report, tmp_path):
    from pipeaudit.errors import ConfigError

    recorder, controller = smtp
    with pytest.raises(ConfigError, match=r"\$T_SMTP_PASS is not set"):
        run(report, config(tmp_path, controller.port), env={"T_SMTP_USER": USER})
    assert recorder.messages == [] and recorder.logins == []


# ---- TLS: a self-signed certificate for 127.0.0.1, trusted through send.email.ca_file ------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    done = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
        capture_output=True, timeout=60)
    if done.returncode != 0:
        pytest.skip(f"openssl could not make a certificate: {done.stderr[-200:]!r}")
    return d / "cert.pem", d / "key.pem"


def _server_context(certificate):
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return ctx


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_starttls_and_ssl_verify_the_server(certificate, report, tmp_path, security):
    recorder = SmtpRecorder()
    ctx = _server_context(certificate)
    kw = {"tls_context": ctx, "require_starttls": True} if security == "starttls" else {"ssl_context": ctx}
    controller = start_smtp(recorder, **kw)
    try:
        cfg = config(tmp_path, controller.port, security=security, extra=f"    ca_file: {certificate[0]}\n")
        outcome, lines, _ = run(report, cfg)
        assert outcome.code == 0, lines
        assert len(recorder.messages) == 4
        # without the CA the certificate is not trusted: the channel stops at the first message
        recorder.messages.clear()
        untrusted = config(tmp_path, controller.port, security=security)
        outcome, lines, _ = run(report, untrusted, resend=True)
        assert outcome.code == 1 and recorder.messages == []
        assert "TLS failed" in next(line for line in lines if "FAILED" in line)
    finally:
        controller.stop()
