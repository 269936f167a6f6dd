"""The SQLite history: safe on foreign/corrupt files, idempotent, concurrent, and what it derives."""

import multiprocessing
import os
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app
from pipeaudit.deals.build import deals_from_records
from pipeaudit.engine.evaluate import evaluate
from pipeaudit.engine.schema import parse_pack
from pipeaudit.errors import HistoryError
from pipeaudit.model import RunFacts
from pipeaudit.weekly.derive import derive
from pipeaudit.weekly.store import APPLICATION_ID, SCHEMA_VERSION, HistoryStore

MONDAYS = [date(2026, 11, 2) + timedelta(weeks=i) for i in range(5)]
RULES = Path(__file__).resolve().parent.parent / "rules"


def week(cls_a="A", close_a="2026-12-01", stage_a="商务谈判", amount_a=100000):
    return deals_from_records(
        [
            {"deal_id": "D1", "deal": "仓储", "owner": "张伟", "stage": stage_a, "deal_class": cls_a,
             "close_date": close_a, "amount": amount_a},
            {"deal_id": "D2", "deal": "财务", "owner": "李娜", "stage": "方案论证", "deal_class": "B",
             "close_date": "2027-01-10", "amount": 50000},
        ]
    )


def test_new_database_has_our_ids_and_wal(tmp_path):
    db = tmp_path / "h.sqlite"
    with HistoryStore(db) as s:
        s.store(week(), MONDAYS[0])
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_schema_1_database_is_migrated_in_place(tmp_path):
    """A file written before deliveries existed gains the table on open, and keeps its weeks."""
    db = tmp_path / "h.sqlite"
    with HistoryStore(db) as s:
        s.store(week(), MONDAYS[0])
    con = sqlite3.connect(db)  # make it what schema 1 wrote
    con.execute("DROP TABLE deliveries")
    con.execute("PRAGMA user_version = 1")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with HistoryStore(db, create=False) as s:
        assert s.as_of_dates() == [MONDAYS[0]]
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "2"
    assert con.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0
    con.close()


def test_a_schema_1_database_that_cannot_be_written_now_can_still_be_read(tmp_path, monkeypatch):
    """history list/show (read_only=True) read an older file they cannot migrate (here: another
    writer holds the lock); a writer is told."""
    import pipeaudit.weekly.store as store

    db = tmp_path / "h.sqlite"
    with HistoryStore(db) as s:
        s.store(week(), MONDAYS[0])
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("DROP TABLE deliveries")
    con.execute("PRAGMA user_version = 1")
    con.execute("BEGIN IMMEDIATE")  # hold the write lock
    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 0)  # give up at once instead of waiting a minute
    try:
        with HistoryStore(db, read_only=True) as s:
            assert s.as_of_dates() == [MONDAYS[0]]
        with pytest.raises(HistoryError, match="busy"):
            HistoryStore(db)
    finally:
        con.execute("ROLLBACK")
        con.close()


def test_same_as_of_twice_is_one_snapshot(tmp_path):
    db = tmp_path / "h.sqlite"
    with HistoryStore(db) as s:
        s.store(week(amount_a=1), MONDAYS[0])
        s.store(week(amount_a=2), MONDAYS[0])
        assert [w["as_of"] for w in s.weeks()] == ["2026-11-02"]
        assert s.weeks()[0]["deals"] == 2
        assert sorted(s.snapshot(MONDAYS[0])["amount"].tolist()) == [2.0, 50000.0]
        assert s.con.execute("SELECT COUNT(*) FROM deals").fetchone()[0] == 2


def test_random_bytes_are_refused_and_left_unchanged(tmp_path):
    db = tmp_path / "h.sqlite"
    data = os.urandom(4096)
    db.write_bytes(data)
    with pytest.raises(HistoryError, match="not a pipeaudit history database"):
        HistoryStore(db)
    assert db.read_bytes() == data


def test_damaged_sqlite_file_is_corrupt_and_left_unchanged(tmp_path):
    db = tmp_path / "h.sqlite"
    with HistoryStore(db) as s:
        s.store(week(), MONDAYS[0])
    raw = bytearray(db.read_bytes())
    raw[100:] = os.urandom(len(raw) - 100)  # keep the header, wreck every page
    db.write_bytes(bytes(raw))
    with pytest.raises(HistoryError, match="corrupt|not a pipeaudit"):
        with HistoryStore(db) as s:
            s.store(week(), MONDAYS[1])
    assert db.read_bytes() == bytes(raw)


def test_foreign_sqlite_database_is_refused_and_left_unchanged(tmp_path):
    db = tmp_path / "crm.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("INSERT INTO customers (name) VALUES ('x')")
    con.commit()
    con.close()
    before = db.read_bytes()
    with pytest.raises(HistoryError, match="not a pipeaudit history database.*customers"):
        HistoryStore(db)
    assert db.read_bytes() == before
    runner = CliRunner()
    res = runner.invoke(app, ["history", "list", "--db", str(db)])
    assert res.exit_code == 2 and "not a pipeaudit history database" in res.stderr
    assert db.read_bytes() == before


def test_newer_schema_is_refused(tmp_path):
    db = tmp_path / "h.sqlite"
    with HistoryStore(db):
        pass
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    with pytest.raises(HistoryError, match="newer"):
        HistoryStore(db)


def test_missing_database_for_read_commands(tmp_path):
    with pytest.raises(HistoryError):
        HistoryStore(tmp_path / "nope.sqlite", create=False)
    assert not (tmp_path / "nope.sqlite").exists()


def test_failed_store_rolls_back(tmp_path):
    db = tmp_path / "h.sqlite"
    with HistoryStore(db) as s:
        s.store(week(), MONDAYS[0])
        with pytest.raises(RuntimeError):
            with s.transaction() as con:
                con.execute("DELETE FROM deals")
                raise RuntimeError("killed midway")
        assert s.con.execute("SELECT COUNT(*) FROM deals").fetchone()[0] == 2


def _writer(args):
    db, as_of = args
    frame = week().frame
    with HistoryStore(Path(db)) as s:
        for _ in range(5):
            s.store(frame, date.fromisoformat(as_of))
    return as_of


def test_concurrent_writers_both_stored(tmp_path):
    db = tmp_path / "h.sqlite"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        done = pool.map(_writer, [(str(db), d.isoformat()) for d in MONDAYS[:4]])
    assert len(done) == 4
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 4
    assert con.execute("SELECT COUNT(*) FROM deals").fetchone()[0] == 8


def test_derived_columns_across_four_weeks(tmp_path):
    db = tmp_path / "h.sqlite"
    weeks = [
        week(cls_a="B", close_a="2026-12-01", stage_a="方案论证"),
        week(cls_a="A", close_a="2026-12-01", stage_a="商务谈判"),
        week(cls_a="A", close_a="2026-12-15", stage_a="商务谈判"),
        week(cls_a="A", close_a="2027-01-05", stage_a="商务谈判"),
    ]
    with HistoryStore(db) as s:
        for d, monday in zip(weeks, MONDAYS):
            s.store(d, monday)
        out, info = derive(weeks[-1], s, MONDAYS[3])
    f = out.frame.set_index("deal_id")
    assert info.weeks == 4 and info.previous == MONDAYS[2]
    assert f.loc["D1", "class_since"] == pd.Timestamp(MONDAYS[1])
    assert f.loc["D1", "stage_since"] == pd.Timestamp(MONDAYS[1])
    assert f.loc["D2", "class_since"] == pd.Timestamp(MONDAYS[0])
    assert f.loc["D1", "close_slips"] == 2 and f.loc["D2", "close_slips"] == 0
    assert f.loc["D1", "weeks_of_history"] == 4


def test_a_deal_overdue_fires_from_history_on_an_export_without_class_dates(tmp_path):
    method = parse_pack(RULES / "method.yaml")
    rule = next((r for r in method.rules if r.name == "a-deal-overdue"), None)
    if rule is None:
        pytest.skip("a-deal-overdue not in method.yaml yet")
    db = tmp_path / "h.sqlite"
    mondays = [date(2026, 10, 5) + timedelta(weeks=i) for i in range(8)]
    with HistoryStore(db) as s:
        for m in mondays[:-1]:
            s.store(week(cls_a="A"), m)
        current = week(cls_a="A")
        assert "class_since" not in current.frame
        before, _ = evaluate(current, [rule], mondays[-1], "zh")
        assert before.empty  # no class date: the rule cannot run
        enriched, _ = derive(current, s, mondays[-1])
    findings, skipped = evaluate(enriched, [rule], mondays[-1], "zh")
    assert findings["deal_id"].tolist() == ["D1"] and not skipped


def test_repeated_slip_rule_on_derived_slips(tmp_path):
    rule = next(r for r in parse_pack(RULES / "changes.yaml").rules if r.name == "close-date-slipped-repeatedly")
    db = tmp_path / "h.sqlite"
    closes = ["2026-12-01", "2026-12-08", "2026-12-08", "2026-12-22"]
    with HistoryStore(db) as s:
        for c, m in zip(closes[:-1], MONDAYS):
            s.store(week(close_a=c), m)
        out, _ = derive(week(close_a=closes[-1]), s, MONDAYS[3])
    findings, _ = evaluate(out, [rule], MONDAYS[3], "en")
    assert findings["deal_id"].tolist() == ["D1"]
    assert "2 times" in findings["message"].iloc[0]


def test_history_too_short_said_once_and_nothing_guessed(tmp_path):
    rules = parse_pack(RULES / "changes.yaml").rules
    db = tmp_path / "h.sqlite"
    with HistoryStore(db) as s:
        s.store(week(), MONDAYS[0])
        out, info = derive(week(), s, MONDAYS[0])
    assert info.weeks == 1 and "close_slips" not in out.frame and "class_since" not in out.frame
    short = [r for r in rules if r.name == "history-too-short"]
    notes, _ = evaluate(out, short, MONDAYS[0], "en", RunFacts(weeks_stored=1))
    assert len(notes) == 1 and notes["owner"].isna().all() and notes["row"].isna().all()
    assert notes["severity"].tolist() == ["info"]
    assert notes["message"].iloc[0].startswith("the history holds 1 week(s), fewer than 2")
    assert len(evaluate(out, short, MONDAYS[0], "en", RunFacts(weeks_stored=2))[0]) == 0
    assert len(evaluate(out, short, MONDAYS[0], "en", RunFacts())[0]) == 0  # no history: nothing to say


def test_cli_list_show_prune(tmp_path):
    db = tmp_path / "h.sqlite"
    with HistoryStore(db) as s:
        for m in MONDAYS[:3]:
            s.store(week(), m)
    runner = CliRunner()
    res = runner.invoke(app, ["history", "list", "--db", str(db)])
    assert res.exit_code == 0 and res.stdout.count("2026-11-") == 3
    res = runner.invoke(app, ["history", "show", "d1", "--history", str(db)])
    assert res.exit_code == 0 and res.stdout.count("仓储") == 3
    assert runner.invoke(app, ["history", "show", "nobody", "--db", str(db)]).exit_code == 2
    res = runner.invoke(app, ["history", "prune", "--before", "2026-11-09", "--db", str(db)])
    assert res.exit_code == 0 and "1 week" in res.stdout
    with HistoryStore(db) as s:
        assert s.as_of_dates() == MONDAYS[1:3]
    assert runner.invoke(app, ["history", "prune", "--before", "soon", "--db", str(db)]).exit_code == 2


def test_cli_without_a_database_is_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["history", "list"])
    assert res.exit_code == 2 and "--history" in res.stderr


def test_a_value_pipeaudit_never_writes_is_a_corrupt_store_and_prune_removes_its_week(tmp_path):
    """A store edited by hand or by another tool: every reader says corrupt (exit 2, the week and
    column named), never an internal error; `prune --week` takes exactly that week away."""
    from typer.testing import CliRunner

    from pipeaudit.cli import app

    db = tmp_path / "h.sqlite"
    with HistoryStore(db) as s:
        for m in MONDAYS[:3]:
            s.store(week(), m)
    for column, value in (("close_date", "9999-12-31"), ("close_date", "garbage"), ("amount", "lots"), ("phase", 2.5)):
        con = sqlite3.connect(db)
        con.execute(f"UPDATE deals SET {column} = ? WHERE as_of = ? AND pos = 0", (value, MONDAYS[1].isoformat()))
        con.commit()
        con.close()
        with HistoryStore(db, read_only=True) as s, pytest.raises(HistoryError, match=f"corrupt.*{MONDAYS[1]}.*{column}"):
            s.rows_up_to(MONDAYS[2])
        res = CliRunner().invoke(app, ["history", "show", "D1", "--db", str(db)])
        assert res.exit_code == 2 and "history prune --week" in res.stderr and len(res.stderr.strip().splitlines()) == 1
        con = sqlite3.connect(db)
        con.execute(f"UPDATE deals SET {column} = NULL WHERE as_of = ? AND pos = 0", (MONDAYS[1].isoformat(),))
        con.commit()
        con.close()
    con = sqlite3.connect(db)
    con.execute("UPDATE snapshots SET as_of = 'not a day' WHERE as_of = ?", (MONDAYS[1].isoformat(),))
    con.execute("UPDATE deals SET as_of = 'not a day' WHERE as_of = ?", (MONDAYS[1].isoformat(),))
    con.commit()
    con.close()
    assert CliRunner().invoke(app, ["history", "list", "--db", str(db)]).exit_code == 0  # list shows the text as stored
    res = CliRunner().invoke(app, ["history", "prune", "--week", "not a day", "--db", str(db)])
    assert res.exit_code == 0, res.output
    with HistoryStore(db, read_only=True) as s:
        assert s.as_of_dates() == [MONDAYS[0], MONDAYS[2]]


def test_reading_never_changes_the_file(tmp_path):
    db = tmp_path / "h.sqlite"
    with HistoryStore(db) as s:
        s.store(week(), MONDAYS[0])
    before = db.read_bytes()
    with HistoryStore(db, read_only=True) as s:
        s.weeks()
        s.rows_up_to(MONDAYS[0])
        with pytest.raises(HistoryError, match="read-only|readonly"):
            s.store(week(), MONDAYS[1])
    assert db.read_bytes() == before


def test_history_through_a_symbolic_link_needs_follow_symlinks(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pipeaudit.cli import app

    monkeypatch.chdir(tmp_path)
    export = tmp_path / "w.csv"
    export.write_text("deal_id,owner,stage,amount\nD1,A,C方案论证,100\n", encoding="utf-8")
    real, link, dangling = tmp_path / "real.sqlite", tmp_path / "link.sqlite", tmp_path / "dangling.sqlite"
    with HistoryStore(real) as s:
        s.store(week(), MONDAYS[0])
    link.symlink_to(real)
    dangling.symlink_to(tmp_path / "elsewhere" / "h.sqlite")
    run = lambda *a: CliRunner().invoke(app, ["check", str(export), "--as-of", "2026-11-30", *map(str, a)])  # noqa: E731
    refused = run("--history", link)
    assert refused.exit_code == 2 and "symbolic link" in refused.stderr and "--follow-symlinks" in refused.stderr
    assert run("--history", link, "--follow-symlinks").exit_code in (0, 1)
    with HistoryStore(real, read_only=True) as s:
        assert date(2026, 11, 30) in s.as_of_dates()
    assert run("--history", dangling, "--follow-symlinks").exit_code == 2
    assert not (tmp_path / "elsewhere").exists()
