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

From the stored weeks `derive` fills what an export may lack: class_since and stage_since (first
week of the current unbroken run in that class / stage; missing weeks do not break a run),
close_slips (how often the close date moved later between stored weeks) and weeks_of_history.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from pipeaudit.errors import HistoryError

if TYPE_CHECKING:
    import pandas as pd

    from pipeaudit.model import Deals

APPLICATION_ID = 0x50415544  # "PAUD"
SCHEMA_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 60_000
MIN_WEEKS = 2  # fewer stored weeks than this: too short to judge slips or "since when"

#: Deal columns kept per week: enough to rebuild a baseline and derive since-dates and slips.
STORED: dict[str, str] = {
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
_SQL_TYPE = {"text": "TEXT", "int": "INTEGER", "real": "REAL", "date": "TEXT"}

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS snapshots (as_of TEXT PRIMARY KEY, source TEXT, ladder TEXT,"
    " stored_at TEXT NOT NULL, deals INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS deals (as_of TEXT NOT NULL REFERENCES snapshots(as_of) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL, key TEXT, "
    + ", ".join(f"{name} {_SQL_TYPE[kind]}" for name, kind in STORED.items())
    + ", PRIMARY KEY (as_of, pos))",
    "CREATE INDEX IF NOT EXISTS deals_by_key ON deals (key, as_of)",
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


def _not_ours(path: Path, why: str) -> HistoryError:
    return HistoryError(f"{path}: not a pipeaudit history database ({why}); left unchanged / 不是 pipeaudit 历史数据库，未改动")


def _corrupt(path: Path, exc: BaseException) -> HistoryError:
    return HistoryError(f"{path}: history database is corrupt ({exc}); left unchanged / 历史数据库已损坏，未改动")


def _inspect(path: Path) -> str:
    """'new' (absent or empty: safe to initialise) or 'ours'; anything else raises, writing nothing."""
    if not path.exists():
        return "new"
    if path.is_dir():
        raise HistoryError(f"{path}: is a folder, expected a history database file / 应为文件而不是文件夹")
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise HistoryError(f"{path}: cannot read ({exc.strerror})") from None
    if not head:
        return "new"
    if not head.startswith(SQLITE_MAGIC) or len(head) < 100:
        raise _not_ours(path, "not an SQLite file")
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
            raise _not_ours(path, f"another application's SQLite file, tables: {', '.join(sorted(tables)) or 'none'}")
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"{path}: written by a newer pipeaudit (schema {version} > {SCHEMA_VERSION}); upgrade pipeaudit"
                " / 由更新版本写入，请升级"
            )
        if not {"snapshots", "deals", "meta"} <= tables:
            raise _corrupt(path, "tables missing")
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

    def __init__(self, path: Path, *, create: bool = True):
        self.path = Path(path)
        state = _inspect(self.path)
        if state == "new" and not create:
            raise HistoryError(f"{self.path}: no history database here yet / 尚无历史数据库 (run check/report with --history)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if state == "new":
                _create_with_umask(self.path)
            self.con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise HistoryError(f"{self.path}: cannot open history database ({exc})") from None
        try:
            self.con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.con.execute("PRAGMA foreign_keys = ON")
            if state == "new":
                self._initialise()
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
                raise _not_ours(self.path, "another application's SQLite file")
            for statement in _SCHEMA:
                self.con.execute(statement)
            self.con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            self.con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self.con.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?), ('created_at', ?)",
                (str(SCHEMA_VERSION), _now()),
            )

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
        from pipeaudit.changes import deal_key

        frame = deals.frame if hasattr(deals, "frame") else deals
        ladder = ladder if ladder is not None else getattr(deals, "ladder", None)
        rows = _rows(frame, deal_key(frame), as_of)
        columns = ["as_of", "pos", "key", *STORED]
        sql = f"INSERT INTO deals ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        try:
            with self.transaction() as con:
                con.execute("DELETE FROM deals WHERE as_of = ?", (as_of.isoformat(),))
                con.execute("DELETE FROM snapshots WHERE as_of = ?", (as_of.isoformat(),))
                con.execute(
                    "INSERT INTO snapshots (as_of, source, ladder, stored_at, deals) VALUES (?, ?, ?, ?, ?)",
                    (as_of.isoformat(), str(source), ladder, _now(), len(frame)),
                )
                con.executemany(sql, rows)
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"{self.path}: cannot store the week of {as_of} ({exc})") from None
        return len(frame)

    def prune(self, before: date) -> int:
        """Delete every week strictly before `before`; returns how many weeks went."""
        with self.transaction() as con:
            n = con.execute("SELECT COUNT(*) FROM snapshots WHERE as_of < ?", (before.isoformat(),)).fetchone()[0]
            con.execute("DELETE FROM deals WHERE as_of < ?", (before.isoformat(),))
            con.execute("DELETE FROM snapshots WHERE as_of < ?", (before.isoformat(),))
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
        return [date.fromisoformat(r[0]) for r in self._query("SELECT as_of FROM snapshots ORDER BY as_of")]

    def latest_before(self, as_of: date) -> date | None:
        row = self._query("SELECT MAX(as_of) FROM snapshots WHERE as_of < ?", (as_of.isoformat(),))
        return date.fromisoformat(row[0][0]) if row and row[0][0] else None

    def ladder(self, as_of: date) -> str | None:
        row = self._query("SELECT ladder FROM snapshots WHERE as_of = ?", (as_of.isoformat(),))
        return row[0][0] if row else None

    def snapshot(self, as_of: date) -> "pd.DataFrame":
        """One stored week as a frame with Deals dtypes (the shape a baseline needs)."""
        return self._frame("WHERE as_of = ? ORDER BY pos", (as_of.isoformat(),))

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

    def _frame(self, where: str, params: tuple) -> "pd.DataFrame":
        import pandas as pd

        columns = ["as_of", "key", *STORED]
        rows = self._query(f"SELECT {', '.join(columns)} FROM deals {where}", params)
        raw = pd.DataFrame.from_records(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
        out = {}
        for name in columns:
            kind = STORED.get(name, "date" if name == "as_of" else "text")
            col = raw[name]
            if kind == "date":
                out[name] = pd.to_datetime(col, errors="coerce").astype("datetime64[ns]")
            elif kind == "int":
                out[name] = pd.to_numeric(col, errors="coerce").astype("Int64")
            elif kind == "real":
                out[name] = pd.to_numeric(col, errors="coerce").astype("float64")
            else:
                out[name] = col.astype(object).where(col.notna(), None)
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
        else:
            cols.append(col.astype(object).where(col.notna(), None).map(lambda x: x if x is None else str(x)).tolist())
    return list(zip(*cols))


# --------------------------------------------------------------------------------------
# Deriving since-dates and slips from the stored weeks
# --------------------------------------------------------------------------------------


@dataclass
class Derived:
    weeks: int  # stored weeks up to and including the as-of date
    previous: date | None  # the latest stored week before the as-of date
    filled: list[str]  # columns added or filled from history


def _run_start(hist: "pd.DataFrame", col: str) -> "pd.Series":
    """Per key, the first as_of of the latest unbroken run of equal `col` values."""
    import pandas as pd

    value = hist[col].astype(object).where(hist[col].notna(), "\x00")
    new_run = hist["key"].ne(hist["key"].shift()) | value.ne(value.shift())
    run = new_run.cumsum()
    start = hist["as_of"].groupby(run).transform("min")
    last = ~hist["key"].duplicated(keep="last")
    return pd.Series(start[last].to_numpy(), index=hist.loc[last, "key"].to_numpy())


def derive(deals: "Deals", store: HistoryStore, as_of: date) -> tuple["Deals", Derived]:
    """Fill class_since / stage_since (where the export lacks them), close_slips and weeks_of_history.

    The stored weeks before `as_of` plus this export (in memory, whether or not it was stored).
    With fewer than MIN_WEEKS weeks nothing is filled, so rules needing these columns are skipped
    rather than fed a guess.
    """
    import dataclasses

    import pandas as pd

    from pipeaudit.changes import deal_key

    weeks = len([d for d in store.as_of_dates() if d < as_of]) + 1
    previous = store.latest_before(as_of)
    if weeks < MIN_WEEKS:
        return deals, Derived(weeks, previous, [])
    frame = deals.frame
    keys = deal_key(frame)
    stored = store.rows_up_to(as_of)
    stored = stored.loc[stored["as_of"] < pd.Timestamp(as_of)]
    current = pd.DataFrame({"as_of": pd.Timestamp(as_of), "key": keys.to_numpy(dtype=object)})
    for col in ("deal_class", "stage", "close_date"):
        if col in frame.columns:
            current[col] = frame[col].to_numpy()
        elif col == "close_date":
            current[col] = pd.NaT
        else:
            current[col] = None
    current["close_date"] = pd.to_datetime(current["close_date"], errors="coerce").astype("datetime64[ns]")
    hist = pd.concat([stored[["as_of", "key", "deal_class", "stage", "close_date"]], current], ignore_index=True)
    hist = hist.loc[hist["key"].notna()].drop_duplicates(["key", "as_of"], keep="first")
    hist = hist.sort_values(["key", "as_of"], kind="stable").reset_index(drop=True)
    filled: list[str] = []
    new_cols: dict[str, Any] = {}
    for since, col in (("class_since", "deal_class"), ("stage_since", "stage")):
        if col not in frame.columns:
            continue
        starts = _run_start(hist, col)
        derived = pd.to_datetime(keys.map(starts), errors="coerce").astype("datetime64[ns]")
        derived = derived.where(frame[col].notna())
        if since in frame.columns:
            existing = pd.to_datetime(frame[since], errors="coerce").astype("datetime64[ns]")
            if existing.isna().any():
                new_cols[since] = existing.fillna(derived)
                filled.append(since)
        else:
            new_cols[since] = derived
            filled.append(since)
    if "close_date" in frame.columns:
        cd = hist.groupby("key")["close_date"].ffill()
        before = cd.groupby(hist["key"]).shift()
        slips = (hist["close_date"].notna() & before.notna() & (hist["close_date"] > before)).groupby(hist["key"]).sum()
        new_cols["close_slips"] = keys.map(slips).fillna(0).astype("Int64")
        filled.append("close_slips")
    counts = hist.groupby("key").size()
    new_cols["weeks_of_history"] = keys.map(counts).fillna(0).astype("Int64")
    filled.append("weeks_of_history")
    out = frame.drop(columns=[c for c in new_cols if c in frame.columns]).assign(**new_cols)
    return dataclasses.replace(deals, frame=out), Derived(weeks, previous, filled)


# --------------------------------------------------------------------------------------
# Rule hooks
# --------------------------------------------------------------------------------------

from pipeaudit.engine.checks import Hits, register_check  # noqa: E402  (pandas-free)


@register_check(
    "history-too-short",
    placeholders=("weeks",),
    params=("min_weeks",),
    doc="global note when fewer than {min_weeks} weeks are stored; raised once by the history hook, never per deal",
)
def _check_history_too_short(deals: "Deals", applies: Any, params: dict, env: Any, lang: str) -> Hits:
    import numpy as np

    return Hits(np.zeros(0, dtype=np.int64))  # rep/global-level: see history_findings()


def only_rep(deals: "Deals", rep: str | None) -> "Deals":
    """Last week's deals of one rep, so a --rep run compares like with like (none: empty)."""
    import dataclasses

    if rep is None or "owner" not in deals.frame.columns:
        return deals
    keep = (deals.frame["owner"].astype("str").str.strip() == rep.strip()).to_numpy(dtype=bool, na_value=False)
    return dataclasses.replace(deals, frame=deals.frame[keep])


def pipeline_enrich(deals: "Deals", ctx: Any) -> "Deals":
    """pipeline ENRICHERS hook for --history: store this week, derive since-dates and slips,
    and (without --baseline) compare with the latest stored week before the as-of date.

    A --rep run does not store (it would replace the team's week with one rep's deals); it only
    reads the stored weeks.
    """
    import dataclasses

    from pipeaudit.changes import compare

    db = Path(ctx.opts.history or ctx.cfg.history)
    rep = getattr(ctx.opts, "rep", None)
    with HistoryStore(db) as store:
        if rep is None:
            store.store(deals, ctx.as_of, source=str(getattr(deals, "source", "")), ladder=deals.ladder)
        else:
            ctx.notes.append(
                f"--rep: this run read {db} but did not store the week / 按销售筛选时只读取历史库，不写入"
            )
        deals, info = derive(deals, store, ctx.as_of)
        ctx.extras["history"] = {
            "db": str(db),
            "weeks": info.weeks,
            "previous": info.previous.isoformat() if info.previous else None,
            "filled": info.filled,
            "min_weeks": MIN_WEEKS,
        }
        if not ctx.opts.baseline and info.previous is not None:
            prev = dataclasses.replace(deals, frame=store.snapshot(info.previous), ladder=store.ladder(info.previous))
            deals, ctx.extras["changes"] = compare(
                deals, only_rep(prev, rep), source=str(db), as_of=info.previous  # the week is in as_of
            )
    return deals


def pipeline_findings(deals: "Deals", ctx: Any) -> Any:
    """pipeline PRODUCERS hook: the one history-too-short note."""
    from pipeaudit.plan import ctx_rules

    return history_findings(ctx.extras, ctx_rules(ctx), ctx.lang)


def history_findings(extras: dict[str, Any], rules: Any, lang: str) -> Any:
    """The one history-too-short note (global: no owner, no deal) when too few weeks are stored."""
    from pipeaudit.plan import rep_findings

    info = extras.get("history")
    rule = next((r for r in rules if r.name == "history-too-short" and getattr(r, "enabled", True)), None)
    if not info or rule is None:
        return None
    min_weeks = int(rule.params.get("min_weeks", MIN_WEEKS))
    if info["weeks"] >= min_weeks:
        return None
    return rep_findings(rule, [(None, {"weeks": str(info["weeks"]), "min_weeks": str(min_weeks)})], lang)
