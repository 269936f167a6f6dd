"""Real servers on 127.0.0.1 for the delivery tests, and a small report to deliver.

SMTP: aiosmtpd's threaded Controller, bound to port 0 (the kernel picks a free port; the
Controller's own start-up probe is pointed at it). Webhooks: http.server in a thread, also on
port 0. Both record everything they receive, answer from a script (errors, drops, 429 with
Retry-After, a pause longer than the client's timeout), and are always shut down by their fixture.
Nothing here sleeps: a "timeout" holds the request on an Event that the fixture releases.
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
import urllib.request
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from pipeaudit.deals.build import deals_from_records
from pipeaudit.model import FINDING_COLUMNS
from pipeaudit.result import AuditResult
from pipeaudit.report import write_report

AS_OF = date(2026, 11, 23)
PASSWORD = "pw-Zq8#secret-smtp"
USER = "mailer@example.com"

# Three reps with deal names no other rep shares, so a leak is a plain substring.
RECORDS = [
    {"deal_id": "ZW-1", "deal": "ZhangOnly-Alpha", "owner": "张伟", "stage": "C方案论证", "amount": 150000,
     "deal_class": "A", "class_since": "2026-09-01", "close_date": "2026-12-01"},
    {"deal_id": "ZW-2", "deal": "ZhangOnly-Beta", "owner": "张伟", "stage": "B商务谈判", "amount": 90000, "deal_class": "B"},
    {"deal_id": "LN-1", "deal": "LiOnly-Gamma", "owner": "李娜", "stage": "D进程确定", "amount": 30000},
    {"deal_id": "WW-1", "deal": "WangOnly-<b>Delta</b>", "owner": "王五", "stage": "C方案论证", "amount": 5000},
    {"deal_id": "NO-1", "deal": "Nobody-Epsilon", "owner": "赵六", "stage": "C方案论证", "amount": 7000},
]
DEALS_OF = {"张伟": ["ZhangOnly-Alpha", "ZhangOnly-Beta"], "李娜": ["LiOnly-Gamma"], "王五": ["WangOnly-"],
            "赵六": ["Nobody-Epsilon"]}


def _finding(records, rule, severity, index, question):
    rec = records[index]
    return {"rule": rule, "severity": severity, "row": index + 2, "deal_id": rec["deal_id"], "deal": rec["deal"],
            "owner": rec["owner"], "stage": rec["stage"], "message": f"{rule} on {rec['deal']}", "question": question,
            "deal_index": index, "questions": (question,)}


def make_report(folder: Path, formats=("html", "md", "xlsx"), records=None) -> Path:
    """A real report folder (write_report on a real AuditResult), with index.json."""
    records = records or RECORDS
    deals = deals_from_records(records)
    f = pd.DataFrame([_finding(records, "no-insider", "error", i, f"Who is the insider of {records[i]['deal']}?")
                      for i in range(len(records))] + [_finding(records, "a-deal-overdue", "warning", 0, "Why not signed?")],
                     columns=list(FINDING_COLUMNS))
    f["row"] = f["row"].astype("Int64")
    f["deal_index"] = f["deal_index"].astype("Int64")
    result = AuditResult(deals=deals, findings=f, muted=f.iloc[0:0], as_of=AS_OF, lang="en", rules=[], extras={})
    write_report(result, folder, list(formats))
    return folder


# ---- SMTP ---------------------------------------------------------------------------


class _Controller(Controller):
    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]  # port 0 was asked for: this is the real one
        super()._trigger_server()


class SmtpRecorder:
    """Keeps every accepted message; `drop` names recipients whose DATA is cut off (n times; -1: always)."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.drop: dict[str, int] = {}
        self.dropped = 0
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            left = self.drop.get(rcpt, 0)
            if left:
                self.drop[rcpt] = left - 1 if left > 0 else left
                self.dropped += 1
                server.transport.abort()  # the connection goes mid-send: no reply to DATA
                return "421 dropped"
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


def start_smtp(recorder: SmtpRecorder, password: str | None = PASSWORD, **kw) -> _Controller:
    def authenticate(server, session, envelope, mechanism, auth_data):
        recorder.logins.append(auth_data.login.decode() if isinstance(auth_data.login, bytes) else str(auth_data.login))
        pw = auth_data.password.decode() if isinstance(auth_data.password, bytes) else str(auth_data.password)
        return AuthResult(success=pw == password, handled=False)

    auth = {}
    if password is not None:
        auth = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False,
                "auth_exclude_mechanism": ["LOGIN"]}
    controller = _Controller(recorder, hostname="127.0.0.1", port=0, **auth, **kw)
    controller.start()
    return controller


# ---- webhooks -----------------------------------------------------------------------


class WebhookServer:
    """Records each POST (path, query, headers, JSON body); answers from `script`, then 200 + `ok`.

    A script entry is (status, body, headers) or "hang" (hold the request past the client's timeout).
    `by_text` answers a status for requests whose body contains a text (e.g. one rep's name).
    """

    def __init__(self, ok: bytes = b'{"errcode": 0, "errmsg": "ok"}'):
        self.requests: list[dict] = []
        self.script: list = []
        self.by_text: dict[str, int] = {}
        self.ok = ok
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                parts = urlsplit(self.path)
                server.requests.append({"path": parts.path, "query": parse_qs(parts.query),
                                        "headers": dict(self.headers), "body": json.loads(raw.decode("utf-8"))})
                step = server.script.pop(0) if server.script else None
                text = raw.decode("utf-8")
                status = next((code for needle, code in server.by_text.items() if needle in text), None)
                if step == "hang":
                    server.release.wait(10)
                    return
                if step is not None:
                    code, body, headers = step
                elif status is not None:
                    code, body, headers = status, b"error", {}
                else:
                    code, body, headers = 200, server.ok, {}
                self.send_response(code)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def direct_opener():
    """An opener that ignores proxy settings from the environment: the test servers are local."""
    from pipeaudit.send.webhooks import _NoRedirect

    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


class FakeTime:
    """An injected clock and sleep: sleeping advances the clock and is recorded, nothing waits."""

    def __init__(self, start: float = 1_790_000_000.0):
        self.now = start
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def without_real_time(monkeypatch) -> FakeTime:
    """For runs through the command line: pipeaudit.send's clock and sleep become a FakeTime, and
    proxy settings are dropped so urllib talks to the local server directly."""
    import types

    import pipeaudit.send

    fake = FakeTime()
    monkeypatch.setattr(pipeaudit.send, "time", types.SimpleNamespace(sleep=fake.sleep, time=fake.clock))
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return fake
