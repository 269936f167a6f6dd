"""Streams and the terminal: `-o -`, /dev/stdout and /dev/fd/N write to the stream that is already
open (an appending log keeps its lines, a pipe works); a stdout of any encoding works (replacement,
never exit 3); every command that prints data or rule-pack text shows control, bidi and separator
characters as visible escapes; usage errors from the parser are one line and exit 2.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeaudit import terminal
from test_hostile_support import needs_check

pytestmark = needs_check

AS_OF = ["--as-of", "2026-11-23"]
OSC52 = "\x1b]52;c;cm0gLXJmIH4K\x07"  # sets the terminal's clipboard
HOSTILE = f"名{OSC52}\u202eevil\u202c\u2028split\x1b[2J\u0085x\u061c"
RAW = ("\x1b", "\x07", "\u202e", "\u202c", "\u2028", "\u0085", "\u061c")
EXPORT = (
    "商机编号,商机名称,负责人,销售阶段,预计成交金额(万元),决策人\n"
    f'OPP-1,"{HOSTILE}","{HOSTILE}",C方案论证,12,\n'
    "OPP-2,乙,李芳,B商务谈判,30,张总\n"
)


def run(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    child_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    child_env.pop("PIPEAUDIT_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "pipeaudit", *args], env=child_env, timeout=120,
                          stdin=subprocess.DEVNULL, **kw)


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "deals.csv"
    path.write_text(EXPORT, encoding="utf-8")
    return path


def _no_raw(text: str) -> None:
    for ch in RAW:
        assert ch not in text, f"raw {ch!r} reached the output"


# ---- streams ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["-", "/dev/stdout", "/proc/self/fd/1"])
def test_output_to_stdout_appends_to_the_log(export: Path, tmp_path: Path, target: str) -> None:
    if target.startswith("/proc") and not Path("/proc/self/fd").is_dir():
        pytest.skip("no /proc here")
    log = tmp_path / "app.log"
    log.write_text("old line 1\nold line 2\n", encoding="utf-8")
    with open(log, "a", encoding="utf-8") as fh:  # `>> app.log`
        proc = run("check", str(export), *AS_OF, "--format", "json", "-o", target, stdout=fh, stderr=subprocess.PIPE)
    assert proc.returncode == 1, proc.stderr
    text = log.read_text(encoding="utf-8")
    assert text.startswith("old line 1\nold line 2\n{")
    assert json.loads(text.split("\n", 2)[2])["summary"]["deals"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.log", "deals.csv"]


@pytest.mark.parametrize("target", ["/dev/stdout"])
def test_output_to_stdout_works_into_a_pipe(export: Path, target: str) -> None:
    proc = run("check", str(export), *AS_OF, "--format", "csv", "-o", target, capture_output=True)
    assert proc.returncode == 1, proc.stderr
    # a redirected stdout is a file someone opens in Excel: csv starts with a BOM unless --no-bom
    assert proc.stdout.startswith(b"\xef\xbb\xbfrule,severity,row")
    assert not proc.stderr
    plain = run("check", str(export), *AS_OF, "--format", "csv", "-o", target, "--no-bom", capture_output=True)
    assert plain.stdout.startswith(b"rule,severity,row")


def test_output_to_another_open_descriptor(export: Path, tmp_path: Path) -> None:
    log = tmp_path / "three.log"
    log.write_text("kept\n", encoding="utf-8")
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    try:
        proc = run("check", str(export), *AS_OF, "--format", "json", "-o", f"/dev/fd/{fd}",
                   capture_output=True, pass_fds=(fd,))
    finally:
        os.close(fd)
    assert proc.returncode == 1, proc.stderr
    assert log.read_text(encoding="utf-8").startswith("kept\n{") and proc.stdout == b""


def test_output_to_a_closed_descriptor_is_one_line(export: Path) -> None:
    proc = run("check", str(export), *AS_OF, "-o", "/dev/fd/97", capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "descriptor 97" in proc.stderr


def main_in(argv: list[str], encoding: str, monkeypatch) -> tuple[int, bytes, bytes]:
    """Run the console script in this process with stdout and stderr in `encoding` (strict, as
    PYTHONIOENCODING=cp1252 gives): (exit code, stdout bytes, stderr bytes)."""
    from pipeaudit.cli import main

    out, err = io.BytesIO(), io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out, encoding=encoding, write_through=True))
    monkeypatch.setattr(sys, "stderr", io.TextIOWrapper(err, encoding=encoding, write_through=True))
    monkeypatch.setattr(sys, "argv", ["pipeaudit", *argv])
    monkeypatch.setenv("NO_COLOR", "1")
    with pytest.raises(SystemExit) as exc:
        main()
    return exc.value.code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
@pytest.mark.parametrize("args", [
    ["check", "{export}", *AS_OF],
    ["check", "{export}", *AS_OF, "--format", "json"],
    ["check", "{export}", *AS_OF, "--format", "csv"],
    ["check", "{export}", *AS_OF, "--format", "github"],
    ["check", "{export}", *AS_OF, "--format", "junit"],
    ["columns", "{export}"],
    ["rules", "list", "--lang", "zh"],
    ["rules", "show", "no-insider", "--lang", "zh"],
    ["plan", "--target", "1000000", "--avg-deal", "100000", "--lang", "zh"],
    ["check", "{missing}"],  # the one-line error itself is Chinese and English
    ["report", "{export}", *AS_OF, "--out", "{out}"],
], ids=lambda a: "-".join(a[:2]) + ("-" + a[-1] if "--format" in a else "") if isinstance(a, list) else a)
def test_any_stdout_encoding_works(export: Path, tmp_path: Path, encoding: str, args: list, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    argv = [a.format(export=export, missing=tmp_path / "缺失.csv", out=tmp_path / "报告") for a in args]
    code, out, err = main_in(argv, encoding, monkeypatch)
    assert code in (0, 1, 2), err.decode(encoding, "replace")
    assert b"Traceback" not in err and b"internal error" not in err, err
    if code == 2:
        assert err.count(b"\n") == 1, err
    if encoding == "cp1252":  # (click writes UTF-8 to a stream that claims to be ASCII: its choice)
        out.decode(encoding)
        assert out or code == 2


def test_a_cp1252_stdout_gets_replacement_characters(export: Path) -> None:
    """The real thing: PYTHONIOENCODING for the whole process, no exit 3."""
    proc = run("check", str(export), *AS_OF, env={"PYTHONIOENCODING": "cp1252"}, capture_output=True)
    assert proc.returncode == 1, proc.stderr
    assert "? ? ?".replace(" ", "") in proc.stdout.decode("cp1252")  # 负责人 etc. replaced, not a crash


# ---- the terminal ------------------------------------------------------------------------------------


def test_echo_shows_unsafe_characters_once_and_keeps_lines(monkeypatch) -> None:
    buf = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "stdout", buf)
    terminal.echo(f"a{OSC52}\nb\u2028c\u202ed\r\n中")
    buf.seek(0)
    text = buf.read()
    assert text == "a\\x1b]52;c;cm0gLXJmIH4K\\x07\nb\\u2028c\\u202ed\\x0d\n?\n"
    assert terminal.shown(terminal.shown(HOSTILE)) == terminal.shown(HOSTILE)  # one escape only


def utf8(argv: list, monkeypatch) -> tuple[int, str, str]:
    code, out, err = main_in([str(a) for a in argv], "utf-8", monkeypatch)
    return code, out.decode("utf-8"), err.decode("utf-8")


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_check_headings_show_escapes(export: Path, fmt: str, monkeypatch) -> None:
    code, out, err = utf8(["check", export, *AS_OF, "--format", fmt], monkeypatch)
    assert code == 1, err
    _no_raw(out)
    if fmt == "text":  # headings carry the owner and the deal
        assert "\\u202eevil" in out and "\\x1b]52;c;" in out  # shown, not dropped


def test_columns_shows_escapes(tmp_path: Path, monkeypatch) -> None:
    src = tmp_path / "cols.csv"
    src.write_text(f'商机编号,商机名称,负责人,销售阶段,"{HOSTILE}"\nOPP-1,甲,王伟,C方案论证,x\n', encoding="utf-8")
    code, out, err = utf8(["columns", src], monkeypatch)
    assert code == 0, err
    _no_raw(out)


def test_history_list_and_show_show_escapes(export: Path, tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "h.sqlite"
    code, _, err = utf8(["check", export, *AS_OF, "--history", db, "-o", os.devnull], monkeypatch)
    assert code == 1, err
    for args in (["history", "list"], ["history", "show", "OPP-1"]):
        code, out, err = utf8([*args, "--db", db], monkeypatch)
        assert code == 0, err
        _no_raw(out)
    assert "\\x1b]52;c;" in out


def test_rules_list_and_show_show_escapes(tmp_path: Path, monkeypatch) -> None:
    text = HOSTILE.replace("\\", "\\\\").replace('"', '\\"')
    esc = json.dumps(HOSTILE)  # a YAML double-quoted scalar may carry the escapes as \u sequences
    pack = tmp_path / "mine.yaml"
    pack.write_text(
        "pack: mine\nrules:\n  - name: evil-rule\n    severity: warning\n"
        f"    description: {{zh: {esc}, en: {esc}}}\n"
        f"    message: {{zh: {esc}, en: {esc}}}\n"
        f"    questions: [{{zh: {esc}, en: {esc}}}]\n"
        f"    why: {{zh: {esc}, en: {esc}}}\n    ref: X1\n    where: {{blank: decision_maker}}\n",
        encoding="utf-8",
    )
    assert text  # the raw text is what a pack may hold
    for args in (["rules", "list"], ["rules", "show", "evil-rule"]):
        code, out, err = utf8([*args, "--rules", pack], monkeypatch)
        assert code == 0, err
        _no_raw(out)
        assert "\\x1b]52;c;" in out or args[1] == "list"


# ---- usage errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, words", [
    (["check"], "Missing argument"),
    (["check", "x.csv", "--bogus"], "--bogus"),
    (["chek", "x.csv"], "chek"),
    (["plan", "--target", "abc"], "--target"),
    (["check", "x.csv", "--format"], "--format"),
    (["rules", "show"], "Missing argument"),
    (["history", "prune"], "--before"),
    (["report", "x.csv", "--out"], "--out"),
])
def test_usage_errors_are_one_line(args: list, words: str, monkeypatch) -> None:
    code, out, err = utf8(args, monkeypatch)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pipeaudit: ") and words in lines[0], err


def test_usage_errors_are_one_line_from_the_console_script() -> None:
    proc = run("check", "--bogus", capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--bogus" in proc.stderr


def test_help_and_version_are_unchanged(monkeypatch) -> None:
    code, out, _ = utf8(["check", "--help"], monkeypatch)
    assert code == 0 and "Usage: pipeaudit check" in out and "--follow-symlinks" in out
    code, out, _ = utf8(["--version"], monkeypatch)
    assert code == 0 and out.startswith("pipeaudit ")
