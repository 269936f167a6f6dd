"""send:, reps: and managers: are validated where all configuration is, with file:line errors, and
no secret may sit in the config file; --recipients FILE is read with the same rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from pipeaudit.config import load_config
from pipeaudit.errors import ConfigError
from pipeaudit.send.recipients import match, read_recipients

GOOD = """\
send:
  base_url: https://intranet.example.com/sales/
  email:
    host: smtp.example.com
    from: "Sales Ops <ops@example.com>"
    username_env: SMTP_USER
    password_env: SMTP_PASS
  chat: {platform: dingtalk, webhook_env: DT_HOOK, secret_env: DT_SECRET}
reps:
  张伟: {email: zw@example.com, chat: zhangwei}
  李娜: lina@example.com
  王五:
managers:
  老板: {email: [boss@example.com, deputy@example.com], chat: boss01}
"""


def load(tmp_path: Path, text: str):
    path = tmp_path / "pipeaudit.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    return str(info.value)


def test_a_full_send_section(tmp_path):
    cfg = load(tmp_path, GOOD)
    s = cfg.send
    assert s.base_url == "https://intranet.example.com/sales"
    assert (s.email.port, s.email.security, s.email.attach) == (587, "starttls", None)
    assert (s.chat.platform, s.chat.webhook_env, s.chat.secret_env) == ("dingtalk", "DT_HOOK", "DT_SECRET")
    people = {r.name: r for r in cfg.recipients}
    assert people["张伟"].email == ("zw@example.com",) and people["张伟"].chat == "zhangwei"
    assert people["李娜"].email == ("lina@example.com",) and people["王五"].email == ()
    assert people["老板"].role == "manager" and len(people["老板"].email) == 2
    assert people["李娜"].where.endswith("pipeaudit.yaml:11")


@pytest.mark.parametrize("text, line, words", [
    ("send:\n  email:\n    host: h\n    from: a@b.cn\n    password: hunter2-secret\n", 5, "send.email.password_env"),
    ("send:\n  chat:\n    platform: wecom\n    webhook: https://qyapi.weixin.qq.com/x?key=abc\n", 4,
     "send.chat.webhook_env"),
    ("send:\n  chat: {platform: feishu, webhook_env: H, secret: s3cr3t}\n", 2, "send.chat.secret_env"),
    ("smtp_password: hunter2\n", 1, "password_env"),
    ("reps:\n  张伟: {email: a@b.cn, token: xyz}\n", 2, "secrets never go in the config file"),
])
def test_a_secret_in_the_config_is_refused_with_its_line(tmp_path, text, line, words):
    message = refused(tmp_path, text)
    assert f"pipeaudit.yaml:{line}:" in message and words in message
    assert "secrets never go in the config file" in message and "环境变量" in message
    for value in ("hunter2", "qyapi", "s3cr3t", "xyz"):
        assert value not in message  # the secret is not repeated back


def test_an_env_key_holding_a_value_is_refused_without_echoing_it(tmp_path):
    message = refused(tmp_path, "send:\n  chat: {platform: slack, webhook_env: 'https://hooks.slack.com/T/B/abc'}\n")
    assert "must be the NAME of an environment variable" in message and "hooks.slack" not in message


@pytest.mark.parametrize("text, words", [
    ("send: {}\n", "needs email: and/or chat:"),
    ("send:\n  chat: {platform: teams, webhook_env: H}\n", "must be one of dingtalk, feishu, slack, wecom"),
    ("send:\n  chat: {platform: slack}\n", "needs 'webhook_env'"),
    ("send:\n  chat: {platform: slack, webhook_env: H, secret_env: S}\n", "not signed"),
    ("send:\n  base_url: https://user:pw@intranet/x\n  chat: {platform: slack, webhook_env: H}\n", "without credentials"),
    ("send:\n  base_url: https://intranet/x?sig=1\n  chat: {platform: slack, webhook_env: H}\n", "without credentials"),
    ("send:\n  email: {host: smtp.example.com, from: a@b.cn, security: none, username_env: U, password_env: P}\n",
     "unencrypted"),
    ("send:\n  email: {host: h, from: a@b.cn, username_env: U}\n", "both username_env and password_env"),
    ("send:\n  email: {host: h, from: 'not an address'}\n", "send.email.from"),
    ("send:\n  email: {host: h, from: a@b.cn, attach: [pdf]}\n", "not md, html or xlsx"),
    ("send:\n  email: {host: h, from: a@b.cn, port: 70000}\n", "from 1 to 65535"),
    ("send:\n  retries: 99\n  chat: {platform: slack, webhook_env: H}\n", "from 0 to 10"),
    ("send:\n  emial: {}\n", "did you mean 'email'"),
    ("reps:\n  张伟: {email: 'zw@example.com\\nBcc: all@example.com'}\n", "not an e-mail address"),
    ("reps:\n  张伟: {chat: '<@all>'}\n", "chat user id"),
    ("reps:\n  Emma Schulz: a@b.cn\n  ' emma  SCHULZ ': c@d.cn\n", "are the same person"),
])
def test_bad_send_settings_name_the_problem(tmp_path, text, words):
    message = refused(tmp_path, text)
    assert words in message and "pipeaudit.yaml" in message


def test_plain_smtp_login_is_allowed_on_this_host_only(tmp_path):
    cfg = load(tmp_path, "send:\n  email: {host: 127.0.0.1, from: a@b.cn, security: none, username_env: U,"
                         " password_env: P}\n")
    assert cfg.send.email.port == 25


def test_recipients_csv(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("Name,Email,Chat ID,Role\nEmma Schulz,emma@example.com; e2@example.com,U123,rep\n"
                    "Jo,,jo.chat,\nBoss,boss@example.com,,manager\n", encoding="utf-8")
    people = read_recipients(path)
    assert [(p.name, p.role, p.email, p.chat) for p in people] == [
        ("Emma Schulz", "rep", ("emma@example.com", "e2@example.com"), "U123"),
        ("Jo", "rep", (), "jo.chat"),
        ("Boss", "manager", ("boss@example.com",), None),
    ]


def test_recipients_xlsx_with_a_title_row(tmp_path):
    path = tmp_path / "people.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["销售通讯录"])
    ws.append(["姓名", "邮箱", "钉钉", "角色"])
    ws.append(["张伟", "zw@example.com", 12345, "销售"])
    ws.append(["王总", "wang@example.com", None, "经理"])
    wb.save(path)
    people = read_recipients(path)
    assert [(p.name, p.role, p.chat) for p in people] == [("张伟", "rep", "12345"), ("王总", "manager", None)]
    assert people[0].where.endswith("row 3")


@pytest.mark.parametrize("rows, words", [
    ("Name,Email\nEmma,not-an-address\n", "row 2: not an e-mail address"),
    ("Name,Email,Role\nEmma,e@x.cn,boss\n", "role must be rep or manager"),
    ("Name,Email\nEmma,e@x.cn\n emma ,f@x.cn\n", "listed twice"),
    ("Who,What\nEmma,e@x.cn\n", "needs a name column"),
])
def test_bad_recipients_files(tmp_path, rows, words):
    path = tmp_path / "people.csv"
    path.write_text(rows, encoding="utf-8")
    with pytest.raises(ConfigError, match=words):
        read_recipients(path)


def test_reps_are_matched_with_the_owner_matcher(tmp_path):
    cfg = load(tmp_path, "reps:\n  'ＥＭＭＡ  schulz': e@x.cn\n  Ghost: g@x.cn\n  Jo:\n")
    index = {"reps": [{"owner": "Emma Schulz", "display": "Emma Schulz"}, {"owner": "Jo", "display": "Jo"},
                      {"owner": "", "display": "(no owner)"}]}
    audience = match(index, cfg.recipients, email=True, chat=False)
    assert [(r["owner"], who.name) for r, who in audience.reps] == [("Emma Schulz", "ＥＭＭＡ  schulz")]
    assert [r["display"] for r in audience.no_address] == ["Jo", "(no owner)"]
    assert [u.name for u in audience.unmatched] == ["Ghost"]
