"""Symbolic links: a user's templates are read only from regular files inside the templates folder;
`check -o` and `report --out` refuse a link unless --follow-symlinks (outputs.resolve_output, the one
rule for everything pipeaudit writes), a dangling link never creates its target, and a linked `reps/`
folder never sends pages outside --out.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app
from pipeaudit.errors import PipeauditError
from pipeaudit.outputs import resolve_output
from pipeaudit.report import write_report
from pipeaudit.report.naming import inside
from test_report_render import FINDINGS, RECORDS, make_result

AS_OF = ["--as-of", "2026-11-23"]
SECRET = "TOP-SECRET-LINE-42"
EXPORT = "商机编号,商机名称,负责人,销售阶段,预计成交金额(万元),决策人\nOPP-1,甲,王伟,C方案论证,12,\nOPP-2,乙,李芳,B商务谈判,30,张总\n"


@pytest.fixture
def export(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "deals.csv"
    path.write_text(EXPORT, encoding="utf-8")
    return path


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    path = elsewhere / "secret.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


def invoke(*args):
    return CliRunner().invoke(app, [*map(str, args)])


def _all_text(folder: Path) -> str:
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*") if p.is_file())


# ---- templates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rep.html.j2", "summary.md.j2", "_base.html.j2", "report_labels.yaml",
                                  "stage_questions.yaml"])
def test_a_template_linking_out_of_the_folder_is_refused(tmp_path: Path, secret: Path, name: str) -> None:
    mine = tmp_path / "tpl"
    mine.mkdir()
    (mine / name).symlink_to(secret)
    out = tmp_path / "out"
    with pytest.raises(PipeauditError, match="outside the templates folder"):
        write_report(make_result(RECORDS, FINDINGS), out, ["html", "md"], templates=mine)
    assert not out.exists()


def test_an_include_through_a_link_is_refused(tmp_path: Path, secret: Path) -> None:
    mine = tmp_path / "tpl"
    mine.mkdir()
    (mine / "leak.j2").symlink_to(secret)
    (mine / "rep.md.j2").write_text("{% include 'leak.j2' %}\n", encoding="utf-8")
    with pytest.raises(PipeauditError, match="leak.j2"):
        write_report(make_result(RECORDS, FINDINGS), tmp_path / "out", ["md"], templates=mine)
    assert not (tmp_path / "out").exists()


def test_a_link_to_a_device_or_a_folder_is_refused(tmp_path: Path) -> None:
    mine = tmp_path / "tpl"
    mine.mkdir()
    (mine / "rep.md.j2").symlink_to("/dev/zero")  # would never finish reading
    with pytest.raises(PipeauditError, match="rep.md.j2"):
        write_report(make_result(RECORDS, FINDINGS), tmp_path / "out", ["md"], templates=mine)
    (mine / "rep.md.j2").unlink()
    (mine / "rep.md.j2").mkdir()
    with pytest.raises(PipeauditError, match="not a regular file"):
        write_report(make_result(RECORDS, FINDINGS), tmp_path / "out", ["md"], templates=mine)


def test_a_fifo_in_the_templates_folder_is_refused(tmp_path: Path) -> None:
    mine = tmp_path / "tpl"
    mine.mkdir()
    os.mkfifo(mine / "rep.md.j2")  # opening it would wait for a writer forever
    with pytest.raises(PipeauditError, match="not a regular file"):
        write_report(make_result(RECORDS, FINDINGS), tmp_path / "out", ["md"], templates=mine)


def test_a_link_inside_the_folder_is_fine(tmp_path: Path) -> None:
    mine = tmp_path / "tpl"
    (mine / "parts").mkdir(parents=True)
    (mine / "parts" / "rep.md").write_text("PAGE {{ rep.display }}\n", encoding="utf-8")
    (mine / "rep.md.j2").symlink_to(mine / "parts" / "rep.md")
    out = tmp_path / "out"
    write_report(make_result(RECORDS, FINDINGS), out, ["md"], templates=mine)
    assert all(p.read_text(encoding="utf-8").startswith("PAGE ") for p in (out / "reps").iterdir())


# ---- check -o --------------------------------------------------------------------------------------


def test_check_output_refuses_a_link_unless_asked(export: Path, tmp_path: Path, secret: Path) -> None:
    link = tmp_path / "findings.json"
    link.symlink_to(secret)
    res = invoke("check", export, *AS_OF, "--format", "json", "-o", link)
    assert res.exit_code == 2 and "--follow-symlinks" in res.output
    assert secret.read_text(encoding="utf-8") == SECRET + "\n" and link.is_symlink()
    res = invoke("check", export, *AS_OF, "--format", "json", "-o", link, "--follow-symlinks")
    assert res.exit_code == 1, res.output
    assert link.is_symlink() and json.loads(secret.read_text(encoding="utf-8"))["summary"]["deals"] == 2


@pytest.mark.parametrize("follow", [[], ["--follow-symlinks"]])
def test_check_output_never_creates_a_dangling_links_target(export: Path, tmp_path: Path, follow: list) -> None:
    target = tmp_path / "elsewhere" / "planted.json"
    (tmp_path / "elsewhere").mkdir(exist_ok=True)
    link = tmp_path / "findings.json"
    link.symlink_to(target)
    res = invoke("check", export, *AS_OF, "--format", "json", "-o", link, *follow)
    assert res.exit_code == 2 and "does not exist" in res.output
    assert not target.exists() and link.is_symlink()


# ---- report --out ------------------------------------------------------------------------------------


def test_report_out_refuses_a_link_unless_asked(export: Path, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "out"
    link.symlink_to(real)
    res = invoke("report", export, *AS_OF, "--out", link)
    assert res.exit_code == 2 and "--follow-symlinks" in res.output
    assert list(real.iterdir()) == []
    res = invoke("report", export, *AS_OF, "--out", link, "--follow-symlinks")
    assert res.exit_code == 0, res.output
    assert (real / "summary.html").is_file() and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deals.csv", "out", "real"]  # no temporary folder


def test_report_out_never_creates_a_dangling_links_target(export: Path, tmp_path: Path) -> None:
    link = tmp_path / "out"
    link.symlink_to(tmp_path / "nowhere" / "report")
    for follow in ([], ["--follow-symlinks"]):
        res = invoke("report", export, *AS_OF, "--out", link, *follow)
        assert res.exit_code == 2 and "does not exist" in res.output
    assert not (tmp_path / "nowhere").exists()


def test_a_linked_reps_folder_never_sends_pages_outside_out(tmp_path: Path) -> None:
    """The check that a page stays inside --out: a `reps` link planted in a previous report folder."""
    out = tmp_path / "out"
    write_report(make_result(RECORDS, FINDINGS), out, ["html"])
    outside = tmp_path / "outside"
    outside.mkdir()
    import shutil

    shutil.rmtree(out / "reps")
    (out / "reps").symlink_to(outside)
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(PipeauditError):
        write_report(make_result(RECORDS, FINDINGS), out, ["html", "md"])
    assert list(outside.iterdir()) == [], "pages were written outside --out"
    assert sorted(p.name for p in out.iterdir()) == before and (out / "reps").is_symlink()


def test_inside_refuses_every_way_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "outside").mkdir()
    (out / "reps").symlink_to(tmp_path / "outside")
    for parts in (("reps", "page.html"), ("..", "x.html"), ("/etc", "passwd"), ("a", "..", "..", "x")):
        with pytest.raises(PipeauditError, match="outside the output folder"):
            inside(out, *parts)
    assert inside(out, "summary.html") == out.resolve() / "summary.html"


# ---- the shared rule ----------------------------------------------------------------------------------


def test_resolve_output_is_the_one_rule(tmp_path: Path) -> None:
    plain = tmp_path / "plain.db"
    assert resolve_output(plain, "--history") == plain  # a new file: as given
    real = tmp_path / "real.db"
    real.write_text("x")
    link = tmp_path / "link.db"
    link.symlink_to(real)
    with pytest.raises(PipeauditError, match="--history .*symbolic link.*--follow-symlinks"):
        resolve_output(link, "--history")
    assert resolve_output(link, "--history", follow_symlinks=True) == real.resolve()
    chain = tmp_path / "chain.db"
    chain.symlink_to(link)
    assert resolve_output(chain, "--history", follow_symlinks=True) == real.resolve()
    dangling = tmp_path / "dangling.db"
    dangling.symlink_to(tmp_path / "missing" / "x.db")
    for follow in (False, True):
        with pytest.raises(PipeauditError, match="does not exist"):
            resolve_output(dangling, "--history", follow_symlinks=follow)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(PipeauditError):
        resolve_output(loop, "-o", follow_symlinks=True)
