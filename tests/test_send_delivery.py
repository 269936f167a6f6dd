"""Re-runs, the delivery record, the dry run's outbox, secrets, and the command line of `send`."""

from __future__ import annotations

import email
import email.policy
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app
from pipeaudit.config import load_config
from pipeaudit.send import deliver
from send_support import (DEALS_OF, PASSWORD, USER, FakeTime, SmtpRecorder, WebhookServer, direct_opener,
                          make_report, start_smtp, without_real_time)

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

HOOK_KEY = "wecomkey-5f1d2c3b4a-ZZtop-9988"
CHAT_SECRET = "SECdeadbeef-feishu-secret-77"


@pytest.fixture
def servers():
    recorder = SmtpRecorder()
    controller = start_smtp(recorder)
    hook = WebhookServer(ok=b'{"code": 0, "msg": "success"}')
    yield recorder, controller, hook
    controller.stop()
    hook.stop()


@pytest.fixture
def report(tmp_path: Path) -> Path:
    return make_report(tmp_path / "2026-11-23")


def write_config(tmp_path: Path, port: int, history: str | None = None) -> Path:
    path = tmp_path / "pipeaudit.yaml"
    path.write_text(
        ("" if history is None else f"history: {history}\n")
        + "send:\n  retries: 1\n"
        f"  email: {{host: 127.0.0.1, port: {port}, security: none, from: ops@example.com,"
        " username_env: T_USER, password_env: T_PASS, attach: md}\n"
        "  chat: {platform: feishu, webhook_env: T_HOOK, secret_env: T_SECRET}\n"
        "reps:\n  张伟: {email: zhang@example.com, chat: ou_zhang}\n  李娜: {email: li@example.com}\n"
        "managers:\n  Boss: {email: boss@example.com, chat: ou_boss}\n", encoding="utf-8")
    return path


def env_for(hook: WebhookServer) -> dict[str, str]:
    return {"T_USER": USER, "T_PASS": PASSWORD, "T_HOOK": f"{hook.url}/open-apis/bot/v2/hook/{HOOK_KEY}",
            "T_SECRET": CHAT_SECRET}


def run(report, cfg, hook, **kw):
    clock = FakeTime()
    lines: list[str] = []
    outcome = deliver(report, load_config(cfg), env=env_for(hook), sleep=clock.sleep, clock=clock.clock,
                      opener=direct_opener(), echo=lambda line, err=False: lines.append(line), **kw)
    return outcome, lines


def test_a_second_run_for_the_same_week_sends_nothing_and_says_so(servers, report, tmp_path):
    recorder, controller, hook = servers
    cfg = write_config(tmp_path, controller.port)
    first, _ = run(report, cfg, hook)
    assert first.code == 0 and len(first.sent) == 5  # 2 rep e-mails, 1 rep chat, boss e-mail, summary chat
    sent_mail, sent_chat = len(recorder.messages), len(hook.requests)
    record = json.loads((report / "deliveries.json").read_text(encoding="utf-8"))
    assert set(record["weeks"]["2026-11-23"]) == set(first.sent)
    second, lines = run(report, cfg, hook)
    assert second.code == 0 and second.sent == [] and len(second.already) == 5
    assert (len(recorder.messages), len(hook.requests)) == (sent_mail, sent_chat)
    assert lines[-1].startswith("pipeaudit: nothing sent: all 5 messages for 2026-11-23 were already sent")
    again, _ = run(report, cfg, hook, resend=True)
    assert len(again.sent) == 5 and len(recorder.messages) == 2 * sent_mail


def test_a_failed_message_is_sent_by_the_next_run_and_only_it(servers, report, tmp_path):
    recorder, controller, hook = servers
    cfg = write_config(tmp_path, controller.port)
    recorder.drop["li@example.com"] = -1
    first, _ = run(report, cfg, hook)
    assert first.code == 1 and first.failed == ["李娜 (email)"]
    recorder.drop.clear()
    before = len(recorder.messages)
    second, lines = run(report, cfg, hook)
    assert second.code == 0 and second.sent == ["email:rep:李娜"]
    assert [r for r, _ in recorder.messages[before:]] == [["li@example.com"]]


def test_the_record_lives_in_the_history_database_when_there_is_one(servers, report, tmp_path):
    recorder, controller, hook = servers
    cfg = write_config(tmp_path, controller.port, history="h.sqlite")
    first, _ = run(report, cfg, hook)
    assert first.code == 0
    assert not (report / "deliveries.json").exists()
    con = sqlite3.connect(tmp_path / "h.sqlite")
    rows = con.execute("SELECT as_of, recipient, channel, address FROM deliveries ORDER BY recipient").fetchall()
    con.close()
    assert {r[1] for r in rows} == set(first.sent) and {r[0] for r in rows} == {"2026-11-23"}
    assert ("2026-11-23", "email:rep:张伟", "email", "zhang@example.com") in rows
    second, _ = run(report, cfg, hook)
    assert second.sent == [] and len(second.already) == 5


def test_dry_run_writes_every_message_to_the_outbox_and_sends_nothing(servers, report, tmp_path):
    recorder, controller, hook = servers
    cfg = write_config(tmp_path, controller.port)
    outcome, lines = run(report, cfg, hook, dry_run=True)
    assert outcome.code == 0 and len(outcome.sent) == 5
    assert recorder.messages == [] and recorder.logins == [] and hook.requests == []
    assert not (report / "deliveries.json").exists()  # nothing was delivered, so nothing is recorded
    files = sorted(p.name for p in (report / "outbox").iterdir())
    assert [f.rsplit(".", 1)[1] for f in files] == ["eml", "json", "eml", "eml", "json"]
    for name in files:
        path = report / "outbox" / name
        if name.endswith(".eml"):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert msg["To"] and "2026-11-23" in msg["Subject"]
            assert msg.get_body(("plain",)) is not None and msg.get_body(("html",)) is not None
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
            assert data["platform"] == "feishu" and data["payload"]["msg_type"] == "interactive"
            assert "sign" not in data["payload"]  # signed only when sent
    zhang = next(p for p in files if "email-rep-张伟" in p)
    text = (report / "outbox" / zhang).read_text(encoding="utf-8")
    msg = email.message_from_string(text, policy=email.policy.default)
    whole = "\n".join(p.get_content() for p in msg.walk() if not p.is_multipart())
    assert "ZhangOnly-Alpha" in whole and "LiOnly-Gamma" not in whole
    assert any("would send" in line and "outbox/" in line for line in lines)
    # a second dry run replaces the outbox, and the real run afterwards still sends everything
    run(report, cfg, hook, dry_run=True)
    assert len(list((report / "outbox").iterdir())) == 5
    real, _ = run(report, cfg, hook)
    assert len(real.sent) == 5


def test_no_secret_in_any_output_or_file(servers, report, tmp_path, monkeypatch):
    recorder, controller, hook = servers
    without_real_time(monkeypatch)
    cfg = write_config(tmp_path, controller.port, history="h.sqlite")
    secrets = [PASSWORD, HOOK_KEY, CHAT_SECRET, env_for(hook)["T_HOOK"]]
    lines: list[str] = []
    for kw in ({"dry_run": True}, {}, {"resend": True}):
        lines += run(report, cfg, hook, **kw)[1]
    hook.script = [(500, b"server error " + HOOK_KEY.encode(), {})] * 4  # an error that echoes the key
    recorder.drop["li@example.com"] = -1
    lines += run(report, cfg, hook, resend=True)[1]
    # and through the command line, stdout and stderr
    result = CliRunner().invoke(app, ["send", str(report), "--config", str(cfg), "--resend"], env=env_for(hook))
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "h.sqlite" for p in written) and any(p.parent.name == "outbox" for p in written)
    for secret in secrets:
        assert secret not in "\n".join(lines)
        assert secret not in result.stdout + (result.stderr if result.stderr_bytes is not None else "")
        for p in written:
            if p.name != "pipeaudit.yaml":
                assert secret.encode() not in p.read_bytes(), f"{secret[:6]}... in {p.name}"


def test_send_cli_exit_codes(servers, report, tmp_path, monkeypatch):
    recorder, controller, hook = servers
    fake = without_real_time(monkeypatch)
    cfg = write_config(tmp_path, controller.port)
    runner = CliRunner()
    ok = runner.invoke(app, ["send", str(report), "--config", str(cfg)], env=env_for(hook))
    assert ok.exit_code == 0, ok.stdout
    assert "sent 5, already sent 0, failed 0" in ok.stdout and "赵六" in ok.stdout
    assert fake.sleeps == [pytest.approx(0.7)]  # the pause between the two Feishu posts, not slept
    again = runner.invoke(app, ["send", str(report), "--config", str(cfg)], env=env_for(hook))
    assert again.exit_code == 0 and "nothing sent" in again.stdout
    no_env = runner.invoke(app, ["send", str(report), "--config", str(cfg), "--resend"], env={"T_USER": "", "T_PASS": ""})
    assert no_env.exit_code == 2 and "is not set" in no_env.stderr
    missing = runner.invoke(app, ["send", str(tmp_path / "nowhere"), "--config", str(cfg)], env=env_for(hook))
    assert missing.exit_code == 2 and "no such report folder" in missing.stderr
    bare = tmp_path / "bare.yaml"
    bare.write_text("lang: en\n", encoding="utf-8")
    no_send = runner.invoke(app, ["send", str(report), "--config", str(bare)])
    assert no_send.exit_code == 2 and "no send: section" in no_send.stderr
    early = runner.invoke(app, ["report", str(tmp_path / "missing.csv"), "--config", str(bare), "--send"])
    assert early.exit_code == 2 and "no send: section" in early.stderr  # before the export is even looked at


def test_recipients_file_replaces_the_config_tables(servers, report, tmp_path):
    recorder, controller, hook = servers
    cfg = write_config(tmp_path, controller.port)
    people = tmp_path / "people.csv"
    people.write_text("姓名,邮箱,聊天账号,角色\n王五,wang@example.com,,销售\n Li Na ,,,\n总监,boss2@example.com,,经理\n",
                      encoding="utf-8")
    outcome, lines = run(report, cfg, hook, recipients_file=people)
    assert outcome.code == 0, lines
    assert {r[0] for r, _ in recorder.messages} == {"wang@example.com", "boss2@example.com"}
    assert set(outcome.no_address) == {"张伟", "李娜", "赵六"}
    assert any("Li Na" in line and "no sheet in this report" in line for line in lines)


def test_report_send_writes_then_delivers(servers, tmp_path, monkeypatch):
    recorder, controller, hook = servers
    without_real_time(monkeypatch)
    cfg = write_config(tmp_path, controller.port)
    export = tmp_path / "deals.csv"
    export.write_text("商机编号,商机名称,负责人,阶段,金额\nD1,ZhangOnly-Alpha,张伟,C方案论证,100000\n"
                      "D2,LiOnly-Gamma,李娜,D进程确定,5000\n", encoding="utf-8")
    out = tmp_path / "week"
    result = CliRunner().invoke(app, ["report", str(export), "--out", str(out), "--format", "md,xlsx", "--as-of",
                                      "2026-11-23", "--config", str(cfg), "--send"], env=env_for(hook))
    assert result.exit_code == 0, result.stdout + str(result.stderr)
    assert (out / "index.json").is_file() and "sent 5" in result.stdout
    assert {r[0] for r, _ in recorder.messages} == {"zhang@example.com", "li@example.com", "boss@example.com"}
    for rcpt, msg in recorder.messages:
        whole = "\n".join(str(p.get_content()) for p in msg.walk() if not p.is_multipart())
        if rcpt == ["zhang@example.com"]:
            assert "LiOnly-Gamma" not in whole
        if rcpt == ["li@example.com"]:
            assert "ZhangOnly-Alpha" not in whole
    assert DEALS_OF  # the shared fixture's names, used above
