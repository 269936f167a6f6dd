"""DIR/index.json: written last by every report, read back by `send` without trusting it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pipeaudit.report.index as index_mod
from pipeaudit.errors import ConfigError, InputError
from pipeaudit.report.index import INDEX_NAME, read_index
from send_support import DEALS_OF, make_report


def test_every_rep_with_their_files_and_counts(tmp_path):
    folder = make_report(tmp_path / "r")
    data = json.loads((folder / INDEX_NAME).read_text(encoding="utf-8"))
    assert data["as_of"] == "2026-11-23" and data["formats"] == ["html", "md", "xlsx"]
    reps = {r["owner"]: r for r in data["reps"]}
    assert set(reps) == set(DEALS_OF)
    for owner, rep in reps.items():
        for ext in ("html", "md"):
            assert (folder / "reps" / f"{rep['stem']}.{ext}").is_file()
        assert rep["sheet"] == owner
        assert rep["flagged"] >= 1 and rep["error"] >= 1
        for deal in rep["top"]:  # a rep's top deals are their own
            assert any(deal["deal"].startswith(d) for d in DEALS_OF[owner])
            assert deal["question"] and deal["severity"] in ("error", "warning")
    zhang = reps["张伟"]
    assert zhang["top"][0]["deal"] == "ZhangOnly-Alpha" and zhang["top"][0]["rules"][0] == "no-insider"
    loaded = read_index(folder)
    assert loaded["as_of"].isoformat() == "2026-11-23" and len(loaded["reps"]) == 4


def test_no_sheet_titles_without_a_workbook(tmp_path):
    folder = make_report(tmp_path / "r", formats=("md",))
    assert all(r["sheet"] is None for r in read_index(folder)["reps"])


def test_an_interrupted_report_leaves_last_weeks_report_and_index_whole(tmp_path, monkeypatch):
    folder = make_report(tmp_path / "r")
    before = (folder / INDEX_NAME).read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("pipeaudit.report.workbook.write_workbook", broken)
    with pytest.raises(ConfigError, match="cannot write the report"):
        make_report(folder)
    # all or nothing: the report (and the index that describes it) is last week's, untouched
    assert (folder / INDEX_NAME).read_bytes() == before
    read_index(folder)
    (folder / INDEX_NAME).unlink()
    with pytest.raises(InputError, match="write the report first"):
        read_index(folder)


def test_an_index_marked_incomplete_is_refused(tmp_path):
    from pipeaudit.report.index import mark_incomplete

    folder = make_report(tmp_path / "r")
    mark_incomplete(folder)  # what a reader sees while a new report is being moved in
    with pytest.raises(InputError, match="not written to the end"):
        read_index(folder)


def _rewrite(folder: Path, change) -> None:
    path = folder / INDEX_NAME
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize("change, words", [
    (lambda d: d["reps"][0].update(stem="../../etc/passwd"), "not a safe file name"),
    (lambda d: d["reps"][0].update(stem="..\\x"), "not a safe file name"),
    (lambda d: d["reps"][1].update(stem=d["reps"][0]["stem"].upper()), "not a safe file name"),
    (lambda d: d.update(version=99), "upgrade pipeaudit"),
    (lambda d: d.update(format="something-else"), "not written by pipeaudit report"),
    (lambda d: d.update(as_of="next monday"), "as_of is not a date"),
    (lambda d: d.update(reps="all of them"), "'reps' must be a list"),
])
def test_a_tampered_index_is_refused(tmp_path, change, words):
    folder = make_report(tmp_path / "r")
    _rewrite(folder, change)
    with pytest.raises(InputError, match=words):
        read_index(folder)


def test_a_page_that_links_out_of_the_folder_is_refused(tmp_path):
    folder = make_report(tmp_path / "r", formats=("md",))
    secret = tmp_path / "elsewhere.md"
    secret.write_text("not for reps", encoding="utf-8")
    (folder / "reps" / "sneaky.md").symlink_to(secret)
    _rewrite(folder, lambda d: d["reps"][0].update(stem="sneaky"))
    with pytest.raises(InputError, match="points outside the folder"):
        read_index(folder)


def test_size_and_syntax_are_bounded(tmp_path, monkeypatch):
    folder = make_report(tmp_path / "r")
    monkeypatch.setattr(index_mod, "MAX_INDEX_BYTES", 100)
    with pytest.raises(InputError, match="larger than"):
        read_index(folder)
    monkeypatch.undo()
    (folder / INDEX_NAME).write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="invalid JSON"):
        read_index(folder)


def test_hostile_text_is_clipped_and_typed(tmp_path):
    folder = make_report(tmp_path / "r")
    _rewrite(folder, lambda d: d["reps"][0].update(owner="x" * 10_000, open_deals="many", error=-3,
                                                    top=[{"deal": {"nested": 1}, "amount": "1e999"}] * 50))
    rep = read_index(folder)["reps"][0]
    assert len(rep["owner"]) == 500 and rep["open_deals"] == 0 and rep["error"] == 0
    assert len(rep["top"]) == 20 and rep["top"][0]["deal"] is None and rep["top"][0]["amount"] is None
