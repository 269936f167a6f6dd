"""Names that become paths: file names from owners are bounded in bytes (with the temporary name's
room), every Windows device name is refused in every form, a report is written all or nothing (the
summary never links a page that is not there), and a report has at most MAX_REPS reps.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from pipeaudit.errors import PipeauditError
from pipeaudit.report import write_report
from pipeaudit.report.naming import (
    FILE_STEM_MAX_BYTES,
    LONGEST_NAME_BYTES,
    file_names,
    safe_file_stem,
    windows_reserved,
)
from test_report_render import FINDINGS, RECORDS, finding, make_result

LONG_OWNERS = ["王" * 300, "王" * 299 + "伟", "😀" * 200, "👩‍👩‍👧‍👦" * 60, "e\u0301" * 300, "a" * 400]


@pytest.mark.parametrize("owner", LONG_OWNERS)
def test_file_stems_are_bounded_in_bytes(owner: str) -> None:
    stem = safe_file_stem(owner)
    assert stem and len(stem.encode("utf-8")) <= FILE_STEM_MAX_BYTES
    stem.encode("utf-8").decode("utf-8")  # never cut inside a character


def test_the_longest_name_fits_every_filesystem() -> None:
    """stem + clash suffix + extension + temporary name: within 255 bytes (most filesystems), and the
    stem alone within eCryptfs' 143."""
    assert LONGEST_NAME_BYTES <= 255
    assert FILE_STEM_MAX_BYTES + len("-999999.html") <= 143


def test_clashing_long_names_stay_bounded_and_distinct() -> None:
    owners = ["王" * 300 + str(i) for i in range(30)] + ["😀" * 200 + str(i) for i in range(30)]
    names = file_names(owners)
    assert len(set(n.casefold() for n in names.values())) == len(owners)
    for stem in names.values():
        assert len(stem.encode("utf-8")) <= FILE_STEM_MAX_BYTES, stem


RESERVED = [
    "CON", "con", "Con.txt", "CON .txt", "con.", "con. . ", "NUL", "nul.tar.gz", "PRN", "AUX  ", "aux.md",
    "COM0", "COM1", "com9.log", "LPT0", "lpt5", "LPT9.x", "COM¹", "com²", "COM³.txt", "LPT¹", "lpt²", "LPT³ .md",
    "CONIN$", "conin$.txt", "CONOUT$", "ConOut$ .log", "CLOCK$",
]


@pytest.mark.parametrize("name", RESERVED)
def test_every_windows_device_name_is_refused(name: str) -> None:
    assert windows_reserved(name)
    stem = safe_file_stem(name)
    for ext in ("html", "md"):
        assert not windows_reserved(f"{stem}.{ext}"), stem


@pytest.mark.parametrize("name", ["COM10", "LPT", "console", "CONINX", "nul-owner", "王CON", "COM⁴", "CON_IN$"])
def test_names_that_only_look_reserved_are_kept(name: str) -> None:
    assert not windows_reserved(name)
    assert safe_file_stem(name) == name


def _links(html: str) -> list[str]:
    return [unquote(h) for h in re.findall(r'href="([^"#]+)"', html) if not h.startswith(("http", "mailto"))]


def test_long_cjk_and_emoji_owners_get_every_page_the_summary_links(tmp_path: Path) -> None:
    records = [{"deal_id": f"D{i}", "deal": f"deal {i}", "owner": owner, "stage": "C方案论证", "amount": 10}
               for i, owner in enumerate(LONG_OWNERS + ["CON", "conout$", "COM¹"])]
    findings = [finding("no-insider", "error", i, rec, "没有内线", "内线是谁？") for i, rec in enumerate(records)]
    out = tmp_path / "out"
    write_report(make_result(records, findings), out, ["html", "md"])
    for ext in ("html", "md"):
        summary = (out / f"summary.{ext}").read_text(encoding="utf-8")
        links = set(_links(summary)) if ext == "html" else set(unquote(m) for m in re.findall(r"\]\((reps/[^)]+)\)", summary))
        pages = {f"reps/{p.name}" for p in (out / "reps").glob(f"*.{ext}")}
        assert len(pages) == len(records)
        assert {link for link in links if link.startswith("reps/")} == pages
    for page in (out / "reps").iterdir():
        assert len(page.name.encode("utf-8")) <= 255 - len(".0123456789ab.tmp") - 1
        assert not windows_reserved(page.name)


def _template_failing_for(owner: str) -> str:
    """A rep page template that fails (ZeroDivisionError) on one owner's page: after other pages."""
    return "{% if rep.owner == '" + owner + "' %}{{ 1 // 0 }}{% endif %}{{ rep.display }}\n"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_failed_report_leaves_the_previous_one_intact(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = make_result(RECORDS, FINDINGS)
    write_report(result, out, ["html", "md", "xlsx"])
    before = _snapshot(out)
    assert "summary.html" in before and any(k.startswith("reps/") for k in before)
    mine = tmp_path / "tpl"
    mine.mkdir()
    (mine / "rep.html.j2").write_text(_template_failing_for("李四"), encoding="utf-8")
    with pytest.raises(PipeauditError, match="ZeroDivisionError"):
        write_report(result, out, ["md", "html", "xlsx"], templates=mine)
    assert _snapshot(out) == before  # not one page replaced, nothing added
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tpl"]  # no temporary folder left


def test_a_failed_first_report_leaves_nothing(tmp_path: Path) -> None:
    mine = tmp_path / "tpl"
    mine.mkdir()
    (mine / "rep.html.j2").write_text(_template_failing_for("李四"), encoding="utf-8")
    with pytest.raises(PipeauditError):
        write_report(make_result(RECORDS, FINDINGS), tmp_path / "out", ["html"], templates=mine)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tpl"]


def test_a_second_report_replaces_the_pages_it_writes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_report(make_result(RECORDS, FINDINGS), out, ["html"])
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    old = (out / "summary.html").read_text(encoding="utf-8")
    write_report(make_result(RECORDS, FINDINGS, lang="en"), out, ["html", "md"])
    assert (out / "summary.html").read_text(encoding="utf-8") != old
    assert (out / "summary.md").is_file() and (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_reps_per_report_are_bounded(tmp_path: Path, monkeypatch) -> None:
    from pipeaudit.read import limits

    assert limits.MAX_REPS == 2_000
    monkeypatch.setenv("PIPEAUDIT_MAX_REPS", "2")
    with pytest.raises(PipeauditError, match="PIPEAUDIT_MAX_REPS") as exc:
        write_report(make_result(RECORDS, FINDINGS), tmp_path / "out", ["html", "xlsx"])
    assert "3 reps" in str(exc.value)
    assert not (tmp_path / "out").exists() and list(tmp_path.iterdir()) == []


def test_a_hundred_thousand_owners_are_refused_at_once(tmp_path: Path) -> None:
    """The export of 100,000 distinct owners that once ran for minutes writing 200,000 files."""
    from test_hostile_support import assert_refused, cli, needs_check

    if needs_check.args[0]:
        pytest.skip("check not implemented yet")
    src = tmp_path / "owners.csv"
    lines = ["商机编号,商机名称,负责人,销售阶段,预计成交金额(万元)"]
    lines += [f"OPP-{i},deal {i},owner {i},C方案论证,1" for i in range(100_000)]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = cli("report", str(src), "--out", str(tmp_path / "out"), "--as-of", "2026-11-23", timeout=120)
    assert_refused(out, "100,000 reps", "PIPEAUDIT_MAX_REPS")
    assert not (tmp_path / "out").exists()
    assert sorted(os.listdir(tmp_path)) == ["owners.csv"]


def test_an_os_error_while_moving_into_place_is_one_line(tmp_path: Path, monkeypatch) -> None:
    import errno

    import pipeaudit.report as report_module

    out = tmp_path / "out"
    write_report(make_result(RECORDS, FINDINGS), out, ["html"])

    def full_disk(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(report_module.os, "replace", full_disk)
    with pytest.raises(PipeauditError, match="No space left on device"):
        write_report(make_result(RECORDS, FINDINGS), out, ["html"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
