"""Team chat bots against a local HTTP server: each platform's payload, DingTalk's and Feishu's
signatures (recomputed here from the documented recipe), errors, a timeout, 429 then 200."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from pipeaudit.config import load_config
from pipeaudit.send import deliver
from pipeaudit.send.webhooks import dingtalk_sign, feishu_sign
from send_support import DEALS_OF, FakeTime, WebhookServer, direct_opener, make_report

SECRET = "SECa1b2c3d4e5f6-signing"
KEY = "hook-key-0123456789abcdef"
CHAT_IDS = {"张伟": "zhangwei", "李娜": "lina", "王五": "U0WANG5"}


@pytest.fixture
def hook():
    server = WebhookServer()
    yield server
    server.stop()


@pytest.fixture
def report(tmp_path: Path) -> Path:
    return make_report(tmp_path / "2026-11-23")


def config(tmp_path: Path, platform: str, signed: bool = False, timeout: float = 5, retries: int = 2) -> Path:
    path = tmp_path / "pipeaudit.yaml"
    secret = "    secret_env: T_CHAT_SECRET\n" if signed else ""
    path.write_text(
        f"send:\n  retries: {retries}\n  base_url: https://reports.example.com/sales\n"
        f"  chat:\n    platform: {platform}\n    webhook_env: T_CHAT_HOOK\n{secret}    timeout: {timeout}\n"
        "reps:\n" + "".join(f"  {n}: {{chat: {c}}}\n" for n, c in CHAT_IDS.items())
        + "managers:\n  Boss: {chat: boss01}\n", encoding="utf-8")
    return path


def run(report: Path, cfg: Path, hook: WebhookServer, clock: FakeTime | None = None, **kw):
    clock = clock or FakeTime()
    lines: list[str] = []
    env = {"T_CHAT_HOOK": f"{hook.url}/send?key={KEY}", "T_CHAT_SECRET": SECRET}
    outcome = deliver(report, load_config(cfg), env=env, sleep=clock.sleep, clock=clock.clock,
                      opener=direct_opener(), echo=lambda line, err=False: lines.append(line), **kw)
    return outcome, lines, clock


def _rep_of(text: str) -> str | None:
    return next((n for n, deals in DEALS_OF.items() if any(d in text for d in deals)), None)


def _text(platform: str, body: dict) -> str:
    if platform == "wecom":
        return body["markdown"]["content"]
    if platform == "dingtalk":
        return body["markdown"]["text"]
    if platform == "feishu":
        return body["card"]["elements"][0]["content"]
    return body["text"]


@pytest.mark.parametrize("platform", ["wecom", "dingtalk", "feishu", "slack"])
def test_each_platform_gets_its_payload_with_one_rep_per_message(hook, report, tmp_path, platform):
    hook.ok = b"ok" if platform == "slack" else b'{"errcode": 0, "code": 0, "msg": "success"}'
    outcome, lines, _ = run(report, config(tmp_path, platform), hook)
    assert outcome.code == 0, lines
    assert len(hook.requests) == 4  # three reps and the managers' summary
    for req in hook.requests:
        assert req["path"] == "/send" and req["query"]["key"] == [KEY]
        assert req["headers"]["Content-Type"].startswith("application/json")
        body = req["body"]
        text = _text(platform, body)
        if platform == "wecom":
            assert body["msgtype"] == "markdown"
        elif platform == "dingtalk":
            assert body["msgtype"] == "markdown" and body["markdown"]["title"]
            assert body["at"]["isAtAll"] is False
        elif platform == "feishu":
            assert body["msg_type"] == "interactive"
            assert body["card"]["elements"][0]["tag"] == "markdown"
            assert body["card"]["header"]["title"]["tag"] == "plain_text"
        assert "2026-11-23" in text
        rep = _rep_of(text)
        if rep is None:  # the summary: mentions the manager
            mention = {"wecom": "<@boss01>", "dingtalk": "@boss01", "feishu": "<at id=boss01></at>",
                       "slack": "<@boss01>"}[platform]
            assert mention in text
            continue
        for other, deals in DEALS_OF.items():
            if other != rep:
                assert not any(d in text for d in deals), f"{other}'s deal in {rep}'s digest"
        cid = CHAT_IDS[rep]
        mention = {"wecom": f"<@{cid}>", "dingtalk": f"@{cid}", "feishu": f"<at id={cid}></at>",
                   "slack": f"<@{cid}>"}[platform]
        assert mention in text
        if platform == "dingtalk":
            assert body["at"]["atUserIds"] == [cid]
        assert "https://reports.example.com/sales/2026-11-23/reps/" in text  # base_url link to the sheet
        if rep == "王五":  # a deal named with markup is shown, not interpreted
            assert "<b>" not in text and ("&lt;b&gt;" in text if platform == "slack" else "＜b＞" in text)


def test_dingtalk_signs_the_url(hook, report, tmp_path):
    clock = FakeTime()
    outcome, lines, _ = run(report, config(tmp_path, "dingtalk", signed=True), hook, clock)
    assert outcome.code == 0, lines
    for req in hook.requests:
        ts = req["query"]["timestamp"][0]
        assert ts.isdigit() and len(ts) == 13  # milliseconds
        # the documented recipe: HMAC-SHA256 keyed with the secret over "timestamp\nsecret", base64
        digest = hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(), hashlib.sha256).digest()
        assert req["query"]["sign"] == [base64.b64encode(digest).decode()]  # parse_qs has url-decoded it
    assert dingtalk_sign(SECRET, 1) == quote_plus(base64.b64encode(
        hmac.new(SECRET.encode(), f"1\n{SECRET}".encode(), hashlib.sha256).digest()))


def test_feishu_signs_the_body(hook, report, tmp_path):
    hook.ok = b'{"code": 0, "msg": "success"}'
    outcome, lines, clock = run(report, config(tmp_path, "feishu", signed=True), hook)
    assert outcome.code == 0, lines
    for req in hook.requests:
        ts = req["body"]["timestamp"]
        assert ts.isdigit() and len(ts) == 10  # seconds
        # the documented recipe: HMAC-SHA256 keyed with "timestamp\nsecret" over empty bytes, base64
        expected = base64.b64encode(hmac.new(f"{ts}\n{SECRET}".encode(), b"", hashlib.sha256).digest()).decode()
        assert req["body"]["sign"] == expected == feishu_sign(SECRET, int(ts))
        assert "sign" not in req["query"]


def test_429_then_200_waits_as_told_and_sends_once(hook, report, tmp_path):
    hook.ok = b"ok"
    hook.script = [(429, b"rate limited", {"Retry-After": "7"})]
    outcome, lines, clock = run(report, config(tmp_path, "slack"), hook)
    hook_bodies = [r["body"]["text"] for r in hook.requests]
    assert outcome.code == 0, lines
    assert len(hook.requests) == 5  # the first post twice, then three more
    assert hook_bodies[0] == hook_bodies[1]
    assert 7.0 in clock.sleeps  # Retry-After wins over the 2 s backoff
    assert len(outcome.sent) == 4


def test_server_errors_for_one_rep_do_not_stop_the_others(hook, report, tmp_path):
    hook.by_text["LiOnly-Gamma"] = 500  # every post of 李娜's digest fails
    outcome, lines, clock = run(report, config(tmp_path, "wecom"), hook)
    assert outcome.code == 1
    assert outcome.failed == ["李娜 (wecom)"]
    li_posts = [r for r in hook.requests if "LiOnly-Gamma" in r["body"]["markdown"]["content"]]
    assert len(li_posts) == 3  # tried, then retried twice (5xx is transient)
    assert len(outcome.sent) == 3
    assert "HTTP 500" in next(line for line in lines if "FAILED" in line)
    assert "failed 1 (李娜 (wecom))" in lines[-1]


def test_an_error_code_in_a_200_answer_is_a_failure(hook, report, tmp_path):
    hook.ok = b'{"errcode": 310000, "errmsg": "keywords not in content"}'
    outcome, lines, clock = run(report, config(tmp_path, "dingtalk"), hook)
    assert outcome.code == 1 and len(outcome.failed) == 4
    assert len(hook.requests) == 4  # a refusal is not retried
    assert "dingtalk error 310000" in next(line for line in lines if "FAILED" in line)


def test_a_bot_that_does_not_answer_times_out_and_is_retried(hook, report, tmp_path):
    hook.script = ["hang"]  # the first post gets no answer within the client's timeout
    outcome, lines, clock = run(report, config(tmp_path, "wecom", timeout=1), hook)
    assert outcome.code == 0, lines
    assert any("retry" in line and "timed out" in line for line in lines)
    assert 2.0 in clock.sleeps


def test_posts_are_paced_to_the_platform_rate(hook, report, tmp_path):
    outcome, lines, clock = run(report, config(tmp_path, "dingtalk"), hook)
    assert outcome.code == 0
    assert len(clock.sleeps) == 3 and all(s == pytest.approx(3.1) for s in clock.sleeps)  # 20 a minute


def test_http_webhook_url_is_refused_off_this_host(report, tmp_path):
    clock = FakeTime()
    lines: list[str] = []
    env = {"T_CHAT_HOOK": f"http://hooks.example.com/send?key={KEY}"}
    outcome = deliver(report, load_config(config(tmp_path, "wecom")), env=env, sleep=clock.sleep, clock=clock.clock,
                      echo=lambda line, err=False: lines.append(line))
    assert outcome.code == 1 and len(outcome.failed) == 4
    assert "$T_CHAT_HOOK is not an https URL" in "\n".join(lines)
    assert KEY not in "\n".join(lines)
