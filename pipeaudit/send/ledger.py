"""What was delivered, per as-of week and recipient, so a cron job that runs twice sends once.

With a history database (`--history` or `history:` in the config) the record is its `deliveries`
table (weekly.store, schema 2); without one it is DIR/deliveries.json, rewritten atomically after
each message. A message is recorded after the server accepted it: a run killed in between sends
that one message again next time, rather than never. Runs on the same folder take turns
(an exclusive lock on DIR/.pipeaudit-send.lock), so two at once cannot both send.

The record names the channel and the addresses (e-mail addresses, or the chat platform): never
a webhook URL or any other secret.
"""

from __future__ import annotations

import contextlib
import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

from pipeaudit.errors import ConfigError
from pipeaudit.i18n import both

LEDGER_NAME = "deliveries.json"
LEDGER_FORMAT = "pipeaudit-deliveries"
LOCK_NAME = ".pipeaudit-send.lock"
MAX_LEDGER_BYTES = 4 << 20


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class FileLedger:
    """DIR/deliveries.json: {"format", "version", "weeks": {as_of: {recipient: {channel, to, at}}}}."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / LEDGER_NAME
        self.data = self._load()

    def _load(self) -> dict:
        try:
            with self.path.open("rb") as fh:
                raw = fh.read(MAX_LEDGER_BYTES + 1)
        except FileNotFoundError:
            return {"format": LEDGER_FORMAT, "version": 1, "weeks": {}}
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot be read ({exc.strerror or exc})") from None
        try:
            if len(raw) > MAX_LEDGER_BYTES:
                raise ValueError("too large")
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict) or data.get("format") != LEDGER_FORMAT or not isinstance(data.get("weeks"), dict):
                raise ValueError("not a delivery record")
        except (ValueError, UnicodeDecodeError):
            # sending blindly could send everything twice: stop, and say how to go on
            raise ConfigError(f"{self.path}: " + both("delivery.ledger_damaged")) from None
        return data

    def sent(self, as_of: date) -> dict[str, dict]:
        week = self.data["weeks"].get(as_of.isoformat())
        return week if isinstance(week, dict) else {}

    def record(self, as_of: date, recipient: str, channel: str, address: str, report: str) -> None:
        from pipeaudit.outputs import atomic_write

        week = self.data["weeks"].setdefault(as_of.isoformat(), {})
        week[recipient] = {"channel": channel, "to": address, "report": report, "at": _now()}
        atomic_write(self.path, json.dumps(self.data, ensure_ascii=False, indent=1) + "\n")

    def close(self) -> None:
        pass


class DbLedger:
    """The history database's `deliveries` table."""

    def __init__(self, db: Path):
        from pipeaudit.weekly.store import HistoryStore

        self.store = HistoryStore(Path(db))

    def sent(self, as_of: date) -> dict[str, dict]:
        import sqlite3

        from pipeaudit.errors import HistoryError

        try:
            rows = self.store.con.execute("SELECT recipient, channel, address, sent_at FROM deliveries WHERE as_of = ?",
                                          (as_of.isoformat(),)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"{self.store.path}: cannot read the delivery record ({exc})") from None
        return {r[0]: {"channel": r[1], "to": r[2], "at": r[3]} for r in rows}

    def record(self, as_of: date, recipient: str, channel: str, address: str, report: str) -> None:
        with self.store.transaction() as con:
            con.execute("INSERT OR REPLACE INTO deliveries (as_of, recipient, channel, address, report, sent_at)"
                        " VALUES (?, ?, ?, ?, ?, ?)", (as_of.isoformat(), recipient, channel, address, report, _now()))

    def close(self) -> None:
        self.store.close()


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold DIR/.pipeaudit-send.lock exclusively; a second run waits for the first to finish."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks; runs must not overlap
        yield
        return
    import os

    try:
        fd = os.open(Path(folder) / LOCK_NAME, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
    except OSError as exc:
        raise ConfigError(f"{folder}: cannot lock the report folder ({exc.strerror or exc})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
