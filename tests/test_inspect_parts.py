"""Issue 13's smaller parts: the matches_any operator, fiscal quarters, the new config keys, and a
schema-1 history read and upgraded."""

import sqlite3
import time
from datetime import date

import pandas as pd
import pytest

from pipeaudit.config import load_config
from pipeaudit.engine.columns import Env
from pipeaudit.engine.conditions import mask, parse_condition
from pipeaudit.engine.parsing import ParseContext
from pipeaudit.engine.phrases import compile_batches
from pipeaudit.errors import ConfigError, RuleError
from pipeaudit.fiscal import quarter_of, year_start


def _mask(spec, values, params=None):
    node = parse_condition(spec, ParseContext("t.yaml", "r", params or {}, RuleError))
    return mask(node, Env(pd.DataFrame({"next_step": values}), pd.Timestamp("2026-11-23"), dict(params or {}))).tolist()


def test_phrases_match_at_word_edges_in_both_languages():
    spec = {"matches_any": {"field": "next_step", "phrases": ["ping them", "sync soon", "跟进中"]}}
    values = ["Ping them!", "mapping them out", "SYNC   soon", "ＳＹＮＣ ＳＯＯＮ", "合同跟进中", None, "synced soonish"]
    assert _mask(spec, values) == [True, False, True, True, True, False, False]


def test_patterns_are_a_tiny_glob():
    spec = {"matches_any": {"field": "next_step", "patterns": ["touch base after *", "等*回复", "#/#", "q? review"]}}
    values = ["touch base after the holidays", "touch base", "等客户回复", "等回复", "demo 12/2", "12 / 2", "Q1 review", "q10 review"]
    assert _mask(spec, values) == [True, False, True, True, True, False, True, False]


def test_regex_characters_are_literal():
    spec = {"matches_any": {"field": "next_step", "phrases": ["a.b", "(x)"], "patterns": ["[*]"]}}
    assert _mask(spec, ["a.b", "axb", "(x)", "x", "[anything]", "anything"]) == [True, False, True, False, True, False]


def test_phrases_from_a_param():
    spec = {"matches_any": {"field": "next_step", "phrases": "{vague}"}}
    assert _mask(spec, ["follow up", "demo"], {"vague": ["follow up"]}) == [True, False]


@pytest.mark.parametrize("entry, problem", [
    ({"patterns": ["*"]}, "needs a literal character"),
    ({"patterns": ["a*b*c*d*e"]}, "more than 3 '*'"),
    ({"phrases": ["x" * 101]}, "longer than 100 characters"),
    ({"phrases": ["  "]}, "empty phrase"),
])
def test_unusable_entries_are_refused_at_load(entry, problem):
    with pytest.raises(RuleError, match=problem):
        parse_condition({"matches_any": {"field": "next_step", **entry}}, ParseContext("t.yaml", "r", {}, RuleError))


def test_a_long_list_is_matched_in_batches_and_text_cannot_blow_it_up():
    words = [f"word{i} phrase" for i in range(2000)]
    batches = compile_batches(words, ["*a*a*a"])
    assert len(batches) >= 20 and all(len(b) < 8000 for b in batches)
    spec = {"matches_any": {"field": "next_step", "phrases": words[-1:], "patterns": ["*a*a*a?b"]}}
    start = time.perf_counter()
    got = _mask(spec, ["a" * 200_000, "x word1999 phrase y"])
    assert got == [False, True] and time.perf_counter() - start < 5  # RE2: linear in the text


@pytest.mark.parametrize("day, start, label, first, last", [
    (date(2026, 11, 23), 1, "FY2026 Q4", date(2026, 10, 1), date(2026, 12, 31)),
    (date(2026, 11, 23), 4, "FY2027 Q3", date(2026, 10, 1), date(2026, 12, 31)),
    (date(2026, 2, 10), 4, "FY2026 Q4", date(2026, 1, 1), date(2026, 3, 31)),
    (date(2026, 7, 1), 7, "FY2027 Q1", date(2026, 7, 1), date(2026, 9, 30)),
    (date(2026, 11, 23), 12, "FY2026 Q4", date(2026, 9, 1), date(2026, 11, 30)),  # Dec 2025 - Nov 2026
    (date(2027, 1, 5), 2, "FY2027 Q4", date(2026, 11, 1), date(2027, 1, 31)),
])
def test_fiscal_quarters(day, start, label, first, last):
    q = quarter_of(day, start)
    assert (q.label(), q.start, q.end) == (label, first, last) and day in q


def test_fiscal_year_start():
    assert year_start(date(2026, 2, 10), 4) == date(2025, 4, 1) and year_start(date(2026, 11, 23), 1) == date(2026, 1, 1)


@pytest.mark.parametrize("text, message", [
    ("fiscal_year_start: 13\n", "c.yaml:1: fiscal_year_start must be a month number 1-12"),
    ("fiscal_year_start: April\n", "fiscal_year_start must be a month number"),
    ("norms: guess\n", "c.yaml:1: 'norms' must be 'learned' or a mapping"),
    ("norms:\n  edcbx: {C方案论证: 30}\n", "norms: unknown ladder 'edcbx' — did you mean 'edcba'"),
    ("norms:\n  hubspot:\n    Contract Signed: 30\n", "c.yaml:3: norms.hubspot: 'Contract Signed' is not an open stage of hubspot"),
    ("norms:\n  hubspot: {Contract Sent: -3}\n", "norms.hubspot.Contract Sent must be a positive number of days"),
    ("norms:\n  hubspot: {Closed Won: 3}\n", "is not an open stage"),
])
def test_bad_fiscal_or_norms_config_names_the_line(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert message in str(err.value)


def test_good_norms_config(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("fiscal_year_start: 4\nnorms:\n  learned: true\n  edcba: {B: 20, 方案论证: 40}\n"
                    "  mine: {Talk: 10}\nladders:\n  mine: {open: [Talk, Deal]}\n", encoding="utf-8")
    cfg = load_config(path)
    assert cfg.fiscal_year_start == 4 and cfg.norms_learned
    assert cfg.norms == {"edcba": {"B商务谈判": 20.0, "C方案论证": 40.0}, "mine": {"Talk": 10.0}}
    path.write_text("norms: learned\n", encoding="utf-8")
    assert load_config(path).norms_learned


def test_a_schema_1_history_is_read_then_upgraded(tmp_path):
    from pipeaudit.deals.build import deals_from_records
    from pipeaudit.weekly.store import APPLICATION_ID, SCHEMA_VERSION, HistoryStore

    db = tmp_path / "old.sqlite"
    con = sqlite3.connect(db)
    con.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE snapshots (as_of TEXT PRIMARY KEY, source TEXT, ladder TEXT, stored_at TEXT NOT NULL, deals INTEGER NOT NULL);"
        "CREATE TABLE deals (as_of TEXT NOT NULL, pos INTEGER NOT NULL, key TEXT, deal_id TEXT, deal TEXT, account TEXT,"
        " owner TEXT, stage TEXT, status TEXT, phase INTEGER, stage_rank INTEGER, amount REAL, close_date TEXT,"
        " deal_class TEXT, class_since TEXT, stage_since TEXT, PRIMARY KEY (as_of, pos));"
        "INSERT INTO snapshots VALUES ('2026-11-16', 'a.csv', 'edcba', '2026-11-16T00:00:00', 1);"
        "INSERT INTO deals VALUES ('2026-11-16', 0, 'id:s1', 'S1', '仓储', NULL, '张伟', 'B商务谈判', 'open', 4, 3,"
        " 1000.0, '2026-12-01', 'A', NULL, NULL);"
    )
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with HistoryStore(db, read_only=True) as store:
        week = store.snapshots()[0]
        assert week["fields"] == ["deal_id", "deal", "owner", "stage", "amount", "close_date", "deal_class"]
        assert store.snapshot(date(2026, 11, 16))["next_step"].isna().all()  # a column schema 1 lacks reads blank
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == 1  # reading wrote nothing
    with HistoryStore(db) as store:
        store.store(deals_from_records([{"deal_id": "S1", "stage": "B商务谈判", "next_step": "签约", "contact_count": 2}]),
                    date(2026, 11, 23))
        assert store.snapshot(date(2026, 11, 23))["contact_count"].tolist() == [2]
        assert store.snapshots()[1]["fields"] == ["deal_id", "stage", "next_step", "contact_count"]
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_rules_list_and_the_readme_show_the_new_rules():
    from pathlib import Path

    from typer.testing import CliRunner

    from pipeaudit.cli import app

    new = {"amount-not-positive": "PA004", "next-step-overdue": "PA207", "commit-without-next-step": "PA208",
           "single-threaded-big-deal": "PA209", "next-step-undated": "PA210", "slipped-not-recovered": "PA506",
           "pushed-out-of-quarter": "PA507", "pulled-into-quarter": "PA508", "review-due": "PA511"}
    out = CliRunner().invoke(app, ["rules", "list", "--lang", "en"]).output
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for name, code in new.items():
        assert any(line.split()[:2] == [name, code] for line in out.splitlines()), name
        assert f"`{name}`" in readme, name
