"""The week-over-week history: one SQLite file, one snapshot of normalised deals per as-of date.

Why SQLite: no server, one file a cron job can keep beside the exports, and transactions, so a run
killed midway or two runs at once (cron overlapping a manual run) never leave half a week behind.

Safety rules:
  * a file is only ever written after it is recognised as ours (SQLite header, application_id and
    user_version); random bytes, another application's database or a newer schema is a
    HistoryError and the file is left byte for byte as it was;
  * every write is one BEGIN IMMEDIATE transaction with a busy timeout; storing an as-of date that
    exists replaces it inside that transaction (never duplicates);
  * WAL journal mode, so readers never block the weekly writer.

From the stored weeks `weekly.derive` fills what an export may lack: class_since and stage_since (first
week of the current unbroken run in that class / stage; missing weeks do not break a run),
close_slips (how often the close date moved later between stored weeks), the size of the pushes
and weeks_of_history. `weekly.learn` and `backtest` read the weeks back to learn stage norms,
conversion and forecast accuracy, and to replay the rules on every stored week.

Schema 2 keeps every field of model.FIELDS (schema 1 kept only what a baseline needed) and, per
week, which fields that export had, so a replayed week skips exactly the rules its export could
not feed. A schema-1 file is read as it is (the missing columns read as blank) and upgraded in the
transaction of its next write; nothing else about it changes.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from pipeaudit.errors import HistoryError
from pipeaudit.i18n import both, in_both, t
from pipeaudit.model import FIELDS
from pipeaudit.weekly.match import deal_key

if TYPE_CHECKING:
    import pandas as pd

    from pipeaudit.model import Deals

APPLICATION_ID = 0x50415544  # "PAUD"
#: 1: the deal columns of _SCHEMA1. 2: every field of each week (a column per field, added as
#: fields appear) and the deliveries table (pipeaudit send's record of what went to whom).
SCHEMA_VERSION = 2
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 60_000
MIN_WEEKS = 2  # fewer stored weeks than this: too short to judge slips or "since when"

#: Deal columns of schema 1: enough to rebuild a baseline and derive since-dates and slips.
_SCHEMA1: dict[str, str] = {
    "deal_id": "text",
    "deal": "text",
    "account": "text",
    "owner": "text",
    "stage": "text",
    "status": "text",
    "phase": "int",
    "stage_rank": "int",
    "amount": "real",
    "close_date": "date",
    "deal_class": "text",
    "class_since": "date",
    "stage_since": "date",
}
_KIND_STORED = {"date": "date", "amount": "real", "probability": "real", "count": "int", "bool": "bool"}
#: Deal columns kept per week: schema 1's, then every other field, so rules can be replayed.
STORED: dict[str, str] = {
    **_SCHEMA1,
    **{name: _KIND_STORED.get(spec.kind, "text") for name, spec in FIELDS.items() if name not in _SCHEMA1},
}
_SQL_TYPE = {"text": "TEXT", "int": "INTEGER", "real": "REAL", "date": "TEXT", "bool": "INTEGER"}

_DELIVERIES = [
    "CREATE TABLE IF NOT EXISTS deliveries (as_of TEXT NOT NULL, recipient TEXT NOT NULL, channel TEXT NOT NULL,"
    " address TEXT, report TEXT, sent_at TEXT NOT NULL, PRIMARY KEY (as_of, recipient))",
    # each recorded week's finding counts per rep, for the report's trends (weekly.trends); a week
    # stored before this table existed simply has none
    "CREATE TABLE IF NOT EXISTS week_findings (as_of TEXT NOT NULL REFERENCES snapshots(as_of) ON DELETE CASCADE,"
    " owner TEXT NOT NULL, errors INTEGER NOT NULL, warnings INTEGER NOT NULL, infos INTEGER NOT NULL,"
    " PRIMARY KEY (as_of, owner))",
]
_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS snapshots (as_of TEXT PRIMARY KEY, source TEXT, ladder TEXT,"
    " stored_at TEXT NOT NULL, deals INTEGER NOT NULL, fields TEXT)",
    "CREATE TABLE IF NOT EXISTS deals (as_of TEXT NOT NULL REFERENCES snapshots(as_of) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL, key TEXT, "
    + ", ".join(f"{name} {_SQL_TYPE[kind]}" for name, kind in STORED.items())
    + ", PRIMARY KEY (as_of, pos))",
    "CREATE INDEX IF NOT EXISTS deals_by_key ON deals (key, as_of)",
    *_DELIVERIES,
]


def _create_with_umask(path: Path) -> None:
    """Create an absent database file as 0o666 less the umask, as other outputs are.

    SQLite would create it 0644 whatever the umask, so a team sharing one history file through
    a group-writable folder could not write to it; SQLite gives its -wal/-shm files this mode.
    """
    import os

    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666))
    except FileExistsError:
        pass  # created meanwhile (another run): SQLite and _initialise sort it out


def _not_ours(path: Path, why: str, **values: str) -> HistoryError:
    """`why` names the catalogue text of the reason (history_db.not_sqlite, .other_app)."""
    return HistoryError(f"{path}: " + in_both(lambda lang: t("history_db.not_ours", lang, why=t(why, lang, **values))))


def _corrupt(path: Path, exc: BaseException | str) -> HistoryError:
    return HistoryError(f"{path}: " + both("history_db.corrupt", error=str(exc)))


def _inspect(path: Path) -> str:
    """'new' (absent or empty: safe to initialise) or 'ours'; anything else raises, writing nothing."""
    if not path.exists():
        return "new"
    if path.is_dir():
        raise HistoryError(f"{path}: " + both("history_db.is_folder"))
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise HistoryError(f"{path}: cannot read ({exc.strerror})") from None
    if not head:
        return "new"
    if not head.startswith(SQLITE_MAGIC) or len(head) < 100:
        raise _not_ours(path, "history_db.not_sqlite")
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise _corrupt(path, exc) from None
    try:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        version = con.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if app_id == 0 and version == 0 and not tables:
            return "new"
        if app_id != APPLICATION_ID:
            raise _not_ours(path, "history_db.other_app_tables", tables=", ".join(sorted(tables)) or "-")
        if version > SCHEMA_VERSION:
            raise HistoryError(f"{path}: " + both("history_db.newer", version=int(version), supported=SCHEMA_VERSION))
        if not {"snapshots", "deals", "meta"} <= tables:
            raise HistoryError(f"{path}: " + both("history_db.tables_missing"))
        check = con.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise _corrupt(path, check)
    except sqlite3.DatabaseError as exc:
        raise _corrupt(path, exc) from None
    finally:
        con.close()
    return "ours"


class HistoryStore:
    """An open history database. Use as a context manager; every write is one transaction."""

    def __init__(self, path: Path, *, create: bool = True, read_only: bool = False):
        """Open (create=True: or create) the history at `path`. read_only: for commands that only
        read (history list/show/norms...): the file must exist, is opened read-only by SQLite, and
        is neither upgraded nor switched to WAL, so a shared file readable but not writable by this
        user still reads, and reading never changes it."""
        self.path = Path(path)
        self.read_only = read_only
        state = _inspect(self.path)
        if state == "new" and (read_only or not create):
            raise HistoryError(f"{self.path}: " + both("history_db.none_yet"))
        try:
            if read_only:
                self.con = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                           timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if state == "new":
                    _create_with_umask(self.path)
                self.con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise HistoryError(f"{self.path}: cannot open history database ({exc})") from None
        try:
            self.con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if read_only:
                return
            self.con.execute("PRAGMA foreign_keys = ON")
            if state == "new":
                self._initialise()
            else:
                self._migrate()
            self.con.execute("PRAGMA journal_mode = WAL")
        except sqlite3.DatabaseError as exc:
            self.con.close()
            raise _corrupt(self.path, exc) from None

    def _initialise(self) -> None:
        with self.transaction():
            # re-check inside the lock: another run may have created it, or something else may have
            app_id = self.con.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in self.con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if app_id not in (0, APPLICATION_ID) or (app_id == 0 and tables):
                raise _not_ours(self.path, "history_db.other_app")
            for statement in _SCHEMA:
                self.con.execute(statement)
            self.con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            self.con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self.con.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?), ('created_at', ?)",
                (str(SCHEMA_VERSION), _now()),
            )

    def _migrate(self) -> None:
        """Bring an older file up to this schema when a writer opens it (additive steps only, all
        or nothing, in one transaction)."""
        if self.con.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION and not self._missing_columns():
            return
        with self.transaction() as con:
            self._upgrade(con)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "HistoryStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking."""
        try:
            self.con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise HistoryError(f"{self.path}: history database is busy or read-only ({exc})") from None
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")

    # ---- writing ----------------------------------------------------------------------

    def store(self, deals: "Deals | pd.DataFrame", as_of: date, source: str = "", ladder: str | None = None) -> int:
        """Store (or replace) the snapshot for `as_of`; returns the number of deals stored."""
        import json

        frame = deals.frame if hasattr(deals, "frame") else deals
        ladder = ladder if ladder is not None else getattr(deals, "ladder", None)
        rows = _rows(frame, deal_key(frame), as_of)
        columns = ["as_of", "pos", "key", *STORED]
        sql = f"INSERT INTO deals ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        fields = json.dumps([name for name in FIELDS if name in frame.columns], ensure_ascii=False)
        try:
            with self.transaction() as con:
                self._upgrade(con)
                con.execute("DELETE FROM deals WHERE as_of = ?", (as_of.isoformat(),))
                con.execute("DELETE FROM snapshots WHERE as_of = ?", (as_of.isoformat(),))
                con.execute(
                    "INSERT INTO snapshots (as_of, source, ladder, stored_at, deals, fields) VALUES (?, ?, ?, ?, ?, ?)",
                    (as_of.isoformat(), str(source), ladder, _now(), len(frame), fields),
                )
                con.executemany(sql, rows)
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"{self.path}: cannot store the week of {as_of} ({exc})") from None
        return len(frame)

    def record_counts(self, as_of: date, counts: dict[str, tuple[int, int, int]]) -> None:
        """Keep the week's (errors, warnings, infos) per rep ("" for no owner), replacing any
        counts of that week; the week itself must be stored (prune removes both together)."""
        rows = [(as_of.isoformat(), str(owner), int(e), int(w), int(i)) for owner, (e, w, i) in counts.items()]
        try:
            with self.transaction() as con:
                self._upgrade(con)
                con.execute("DELETE FROM week_findings WHERE as_of = ?", (as_of.isoformat(),))
                con.executemany("INSERT INTO week_findings (as_of, owner, errors, warnings, infos) VALUES (?, ?, ?, ?, ?)", rows)
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"{self.path}: cannot store the week of {as_of} ({exc})") from None

    def week_counts(self, first: date, last: date) -> dict[tuple[date, str], tuple[int, int, int]]:
        """(as_of, owner) -> (errors, warnings, infos) of the recorded weeks from `first` to `last`."""
        if "week_findings" not in {r[0] for r in self._query("SELECT name FROM sqlite_master WHERE type='table'")}:
            return {}
        out = {}
        for as_of, owner, e, w, i in self._query(
                "SELECT as_of, owner, errors, warnings, infos FROM week_findings WHERE as_of >= ? AND as_of <= ?",
                (first.isoformat(), last.isoformat())):
            if all(isinstance(v, int) for v in (e, w, i)):
                out[(self._day(as_of), str(owner))] = (e, w, i)
        return out

    def _missing_columns(self) -> list[str]:
        have = self._columns("deals")
        return [name for name in STORED if name not in have]

    def _upgrade(self, con: sqlite3.Connection) -> None:
        """Inside a write transaction: what this schema has and the file lacks — a column per field
        (fields are added between versions too), snapshots.fields, the deliveries table."""
        for name in self._missing_columns():
            con.execute(f"ALTER TABLE deals ADD COLUMN {name} {_SQL_TYPE[STORED[name]]}")
        if "fields" not in self._columns("snapshots"):
            con.execute("ALTER TABLE snapshots ADD COLUMN fields TEXT")
        for statement in _DELIVERIES:
            con.execute(statement)
        if con.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        self._have = None

    def _columns(self, table: str) -> set[str]:
        return {r[1] for r in self.con.execute(f"PRAGMA table_info({table})")}

    def prune(self, before: date | None = None, week: str | None = None) -> int:
        """Delete every week strictly before `before`, or the one week stored as `week` (its text
        as stored, so a week holding values pipeaudit cannot read can still go); returns how many."""
        if (before is None) == (week is None):
            raise ValueError("prune: one of before or week")
        cond, arg = ("as_of < ?", before.isoformat()) if before is not None else ("as_of = ?", str(week))
        with self.transaction() as con:
            n = con.execute(f"SELECT COUNT(*) FROM snapshots WHERE {cond}", (arg,)).fetchone()[0]
            con.execute(f"DELETE FROM deals WHERE {cond}", (arg,))
            if "week_findings" in {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}:
                con.execute(f"DELETE FROM week_findings WHERE {cond}", (arg,))
            con.execute(f"DELETE FROM snapshots WHERE {cond}", (arg,))
        return int(n)

    # ---- reading ----------------------------------------------------------------------

    def weeks(self) -> list[dict[str, Any]]:
        """Every stored week: as_of, source, deals, open deals and open pipeline amount."""
        sql = (
            "SELECT s.as_of, s.source, s.deals, s.stored_at,"
            " COALESCE(SUM(CASE WHEN d.status = 'open' OR d.status IS NULL THEN 1 ELSE 0 END), 0),"
            " COALESCE(SUM(CASE WHEN d.status = 'open' OR d.status IS NULL THEN COALESCE(d.amount, 0) END), 0)"
            " FROM snapshots s LEFT JOIN deals d ON d.as_of = s.as_of GROUP BY s.as_of ORDER BY s.as_of"
        )
        return [
            {"as_of": r[0], "source": r[1], "deals": r[2], "stored_at": r[3], "open": r[4], "pipeline": r[5]}
            for r in self._query(sql)
        ]

    def as_of_dates(self) -> list[date]:
        return [self._day(r[0]) for r in self._query("SELECT as_of FROM snapshots ORDER BY as_of")]

    def latest_before(self, as_of: date) -> date | None:
        row = self._query("SELECT MAX(as_of) FROM snapshots WHERE as_of < ?", (as_of.isoformat(),))
        return self._day(row[0][0]) if row and row[0][0] else None

    def ladder(self, as_of: date) -> str | None:
        row = self._query("SELECT ladder FROM snapshots WHERE as_of = ?", (as_of.isoformat(),))
        return row[0][0] if row else None

    def snapshots(self) -> list[dict[str, Any]]:
        """Every stored week: as_of (date), ladder, source and the fields its export had.

        A week stored by schema 1 did not record its fields: it is given the fields of schema 1
        that hold a value that week, which is what such a week can feed.
        """
        import json

        with_fields = "fields" in self._stored_columns("snapshots")
        sql = f"SELECT as_of, ladder, source, {'fields' if with_fields else 'NULL'} FROM snapshots ORDER BY as_of"
        out = []
        for as_of, ladder, source, fields in self._query(sql):
            if fields:
                names = [f for f in json.loads(fields) if f in FIELDS]
            else:
                present = self._query(
                    "SELECT " + ", ".join(f"COUNT({c})" for c in _SCHEMA1 if c in FIELDS) + " FROM deals WHERE as_of = ?",
                    (as_of,),
                )[0]
                names = [c for c, n in zip((c for c in _SCHEMA1 if c in FIELDS), present) if n]
            out.append({"as_of": self._day(as_of), "ladder": ladder, "source": source, "fields": names})
        return out

    def snapshot(self, as_of: date) -> "pd.DataFrame":
        """One stored week as a frame with Deals dtypes (the shape a baseline needs)."""
        return self._frame("WHERE as_of = ? ORDER BY pos", (as_of.isoformat(),))

    def rows_between(self, first: date, last: date) -> "pd.DataFrame":
        """The stored rows of the weeks from `first` to `last` (both included), by week then row."""
        return self._frame("WHERE as_of >= ? AND as_of <= ? ORDER BY as_of, pos", (first.isoformat(), last.isoformat()))

    def rows_up_to(self, as_of: date) -> "pd.DataFrame":
        """Every stored row up to and including `as_of`, with its as_of and key."""
        return self._frame("WHERE as_of <= ? ORDER BY key, as_of, pos", (as_of.isoformat(),))

    def deal_rows(self, query: str) -> "pd.DataFrame":
        """One deal week by week, found by id, else by exact name (case-insensitive)."""
        q = query.strip()
        frame = self._frame("WHERE lower(deal_id) = lower(?) ORDER BY as_of, pos", (q,))
        if frame.empty:
            frame = self._frame("WHERE lower(deal) = lower(?) ORDER BY as_of, pos", (q,))
        return frame

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        try:
            return self.con.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise _corrupt(self.path, exc) from None

    def _stored_columns(self, table: str) -> set[str]:
        """The columns a table has (a schema-1 file lacks some until its next write), read once."""
        cache = getattr(self, "_have", None) or {}
        if table not in cache:
            try:
                cache[table] = self._columns(table)
            except sqlite3.DatabaseError as exc:
                raise _corrupt(self.path, exc) from None
            self._have = cache
        return cache[table]

    def _day(self, text: object) -> date:
        """An as-of date as stored (YYYY-MM-DD); anything else makes the store corrupt."""
        try:
            return date.fromisoformat(str(text))
        except ValueError:
            raise self._bad_value(text, "as_of", text) from None

    def _bad_value(self, week: object, column: str, value: object) -> HistoryError:
        from pipeaudit.yamlsafe import clip

        return HistoryError(f"{self.path}: " + both("history_db.bad_value", week=clip(week, 20), value=clip(repr(value), 40),
                                                    column=column))

    def _frame(self, where: str, params: tuple) -> "pd.DataFrame":
        import numpy as np
        import pandas as pd

        columns = ["as_of", "key", *STORED]
        have = self._stored_columns("deals")
        select = ", ".join(c if c in have or c in ("as_of", "key") else f"NULL AS {c}" for c in columns)
        rows = self._query(f"SELECT {select} FROM deals {where}", params)
        raw = pd.DataFrame.from_records(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
        out = {}
        for name in columns:
            kind = STORED.get(name, "date" if name == "as_of" else "text")
            col = raw[name]
            if kind == "date":  # as written: YYYY-MM-DD, within pandas' range (years 1700-2259)
                text = col.astype("string")
                written = text.str.fullmatch(r"(?:1[7-9][0-9]{2}|2[01][0-9]{2}|22[0-5][0-9])-[0-9]{2}-[0-9]{2}")
                values = pd.to_datetime(text.where(written.fillna(False)), format="%Y-%m-%d", errors="coerce")
                values = values.astype("datetime64[ns]")
            elif kind in ("int", "real", "bool"):
                number = pd.to_numeric(col, errors="coerce").astype("float64")
                ok = np.isfinite(number.to_numpy())
                if kind != "real":  # whole numbers (0/1 for a flag), as written
                    ok &= np.floor(number.to_numpy(na_value=0.5)) == number.to_numpy(na_value=0.5)
                number = number.where(ok)
                values = number if kind == "real" else number.astype("Int64")
                if kind == "bool":
                    values = values.astype("boolean")
            else:
                out[name] = col.astype(object).where(col.notna(), None)
                continue
            bad = col.notna().to_numpy() & values.isna().to_numpy()
            if bad.any():  # a value no pipeaudit wrote: say where, and how to get rid of the week
                at = int(np.flatnonzero(bad)[0])
                raise self._bad_value(raw["as_of"].iloc[at], name, col.iloc[at])
            out[name] = values
        return pd.DataFrame(out)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _rows(frame: "pd.DataFrame", keys: "pd.Series", as_of: date) -> list[tuple]:
    """The frame as plain SQLite values, column by column (no per-cell Python in pandas)."""
    import numpy as np
    import pandas as pd

    n = len(frame)
    cols: list[Any] = [[as_of.isoformat()] * n, list(range(n)), keys.tolist()]
    for name, kind in STORED.items():
        if name not in frame.columns:
            cols.append([None] * n)
            continue
        col = frame[name]
        if kind == "date":
            d = pd.to_datetime(col, errors="coerce")
            cols.append(d.dt.strftime("%Y-%m-%d").astype(object).where(d.notna(), None).tolist())
        elif kind == "int":
            v = pd.to_numeric(col, errors="coerce")
            cols.append([None if x is None else int(x) for x in v.astype(object).where(v.notna(), None).tolist()])
        elif kind == "real":
            v = pd.to_numeric(col, errors="coerce").astype("float64")
            cols.append(v.astype(object).where(np.isfinite(v.to_numpy()), None).tolist())
        elif kind == "bool":
            b = col.astype("boolean")
            cols.append([None if x is None else int(bool(x)) for x in b.astype(object).where(b.notna(), None).tolist()])
        else:
            cols.append(col.astype(object).where(col.notna(), None).map(lambda x: x if x is None else str(x)).tolist())
    return list(zip(*cols))
