"""Who gets which sheet: the report's reps matched with the recipients, by pipeaudit.owners.

Recipients come from the config's `reps:` / `managers:` tables (validated in pipeaudit.config) or
from `--recipients FILE`, a CSV or workbook with the same columns (name, email, chat, role). The
file replaces the config's tables rather than merging with them: one list, so it is clear who is
written where. A rep of the report with no entry, or an entry with no address for any configured
channel, is listed as such; nobody is skipped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from pipeaudit.config import Recipient, valid_chat_id, valid_email
from pipeaudit.errors import ConfigError
from pipeaudit.i18n import both
from pipeaudit.owners import owner_key

MAX_RECIPIENT_ROWS = 5_000

_NAME = ("name", "rep", "owner", "sales rep", "姓名", "销售", "销售代表", "负责人", "名字")
_EMAIL = ("email", "e-mail", "mail", "邮箱", "电子邮件", "邮件")
_CHAT = ("chat", "chat id", "chat_id", "user id", "user_id", "userid", "聊天", "聊天账号", "企业微信", "钉钉", "飞书", "slack")
_ROLE = ("role", "角色", "身份")
_MANAGER_WORDS = ("manager", "managers", "经理", "主管", "总监", "领导", "manager(s)")
_REP_WORDS = ("rep", "reps", "sales", "销售", "")


def _norm(cell: Any) -> str:
    return "" if cell is None else " ".join(str(cell).split()).strip().lower()


def _header_score(row: Sequence[object]) -> int:
    """Known headers score; any row of two or more cells passes the reader's bar, so a file with
    unknown headers gets this module's message (which names the columns it needs)."""
    cells = {_norm(c) for c in row} - {""}
    known = 3 * bool(cells & set(_NAME)) + 2 * bool(cells & set(_EMAIL)) + 2 * bool(cells & set(_CHAT))
    return known + (2 if len(cells) >= 2 else 0)


def read_recipients(path: Path) -> list[Recipient]:
    """The rows of a recipients CSV/xlsx as Recipients; one ConfigError naming the row for a bad one."""
    from pipeaudit.errors import InputError
    from pipeaudit.read import read_table

    path = Path(path)
    try:
        table = read_table(path, header_score=_header_score)
    except InputError as exc:
        raise ConfigError(f"--recipients {exc}") from None
    headers = [_norm(h) for h in table.headers]

    def col(names: tuple[str, ...]) -> int | None:
        return next((i for i, h in enumerate(headers) if h in names), None)

    name_col, email_col, chat_col, role_col = col(_NAME), col(_EMAIL), col(_CHAT), col(_ROLE)
    if name_col is None or (email_col is None and chat_col is None):
        raise ConfigError(f"--recipients {path}: " + both("recipients.columns"))
    if len(table.cells) > MAX_RECIPIENT_ROWS:
        raise ConfigError(f"--recipients {path}: " + both("recipients.too_many_rows", limit=MAX_RECIPIENT_ROWS))
    columns = [table.cells[i].tolist() if i is not None else [None] * len(table.cells)
               for i in (name_col, email_col, chat_col, role_col)]
    out: list[Recipient] = []
    seen: dict[tuple[str, str], int] = {}
    for line, name, email, chat, role in zip(table.row_numbers.tolist(), *columns):
        where = f"{path}: row {line}"
        name = "" if _blank(name) else str(name).strip()
        if not name:
            if not (_blank(email) and _blank(chat)):
                raise ConfigError(f"{where}: " + both("recipients.no_name"))
            continue
        kind = _norm(role) if not _blank(role) else ""
        if kind in _MANAGER_WORDS:
            kind = "manager"
        elif kind in _REP_WORDS:
            kind = "rep"
        else:
            raise ConfigError(f"{where}: " + both("recipients.role"))
        emails = [] if _blank(email) else [e.strip() for e in str(email).replace(";", ",").split(",") if e.strip()]
        if not all(valid_email(e) for e in emails):
            raise ConfigError(f"{where}: " + both("recipients.email"))
        chat_id = None if _blank(chat) else valid_chat_id(_cell_text(chat))
        if not _blank(chat) and chat_id is None:
            raise ConfigError(f"{where}: " + both("config.chat_id"))
        key = (owner_key(name), kind)
        if key in seen:
            raise ConfigError(f"{where}: " + both("recipients.twice", name=repr(name[:80]), row=seen[key]))
        seen[key] = line
        out.append(Recipient(name=name, role=kind, email=tuple(emails), chat=chat_id, where=where))
    return out


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or (isinstance(value, str) and not value.strip())


def _cell_text(value: Any) -> str:
    """A workbook gives a numeric id as 12345.0: the id is 12345."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class Audience:
    """The report's reps paired with their recipients, the managers, and what could not be paired."""

    reps: list[tuple[dict, Recipient]] = field(default_factory=list)  # (index rep, recipient with an address)
    no_address: list[dict] = field(default_factory=list)  # index reps nobody can be sent to
    managers: list[Recipient] = field(default_factory=list)
    unmatched: list[Recipient] = field(default_factory=list)  # listed reps who are not in this report


def match(index: dict, recipients: list[Recipient], email: bool, chat: bool) -> Audience:
    """Pair every rep of the report with a recipient who has an address on a configured channel."""
    reps = {owner_key(r.name): r for r in recipients if r.role == "rep"}
    audience = Audience(managers=[m for m in recipients if m.role == "manager" and ((email and m.email) or (chat and m.chat))])
    used: set[str] = set()
    for rep in index["reps"]:
        k = owner_key(rep["owner"])
        who = reps.get(k) if k else None
        if who is not None:
            used.add(k)
        if who is None or not ((email and who.email) or (chat and who.chat)):
            audience.no_address.append(rep)
        else:
            audience.reps.append((rep, who))
    audience.unmatched = [r for k, r in reps.items() if k not in used]
    return audience
