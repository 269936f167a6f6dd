"""`pipeaudit check` end to end on small exports written here: exit codes, formats, --output, --rep."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app

AS_OF = ["--as-of", "2026-11-23"]
DEALS_ZH = """商机编号,商机名称,负责人,销售阶段,预计金额(万元),决策人,内线,下一步,最近跟进
SJ-1,华光ERP,张三,C方案论证,15,,王总,下周演示,2026-11-20
SJ-2,"=HYPERLINK(""x"")",张三,B商务谈判,8.5,李总,,报价,2026-11-20
SJ-3,海天CRM,李四,D进程确定,20,,,,2026-11-21
SJ-4,天宇OA,李四,赢单,50,刘总,小王,,2026-11-01
SJ-5,长城MES,王五,E确认商机,3,,,,2026-11-22
"""
TWO_RULES = ["--select", "missing-decision-maker,no-insider"]


@pytest.fixture
def export(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no pipeaudit.yaml from the repo is picked up
    monkeypatch.delenv("NO_COLOR", raising=False)
    path = tmp_path / "deals.csv"
    path.write_text(DEALS_ZH, encoding="utf-8")
    return path


def invoke(*args):
    return CliRunner().invoke(app, ["check", *map(str, args)])


def test_exit_1_on_errors_and_text_by_default(export):
    res = invoke(export, *AS_OF, *TWO_RULES)
    assert res.exit_code == 1, res.output
    assert res.stdout.startswith("张三 — 2 个商机（2 个进行中），2 个错误，0 个警告，0 条提示\n  华光ERP [SJ-1] · 第 2 行 · C方案论证\n")
    assert res.stdout.rstrip().endswith("4 个错误，0 个警告，0 条提示，共 5 个商机（4 个进行中）")
    assert "\x1b[" not in res.stdout  # not a terminal: no colour


@pytest.mark.parametrize(
    ("select", "fail_on", "code"),
    [
        ("no-next-step", None, 0),  # warnings only, default gate is error
        ("no-next-step", "warning", 1),
        ("no-next-step", "info", 1),
        ("no-next-step", "error", 0),
        ("missing-decision-maker", "never", 0),
        ("missing-decision-maker", "error", 1),
    ],
)
def test_fail_on_levels(export, select, fail_on, code):
    args = [export, *AS_OF, "--select", select, "--format", "json"]
    if fail_on:
        args += ["--fail-on", fail_on]
    res = invoke(*args)
    assert res.exit_code == code, res.output
    doc = json.loads(res.stdout)
    assert {f["rule"] for f in doc["findings"]} == {select}


def test_config_fail_on_is_the_default_and_the_option_wins(export, tmp_path):
    (tmp_path / "pipeaudit.yaml").write_text("fail_on: warning\n", encoding="utf-8")
    assert invoke(export, *AS_OF, "--select", "no-next-step").exit_code == 1
    assert invoke(export, *AS_OF, "--select", "no-next-step", "--fail-on", "error").exit_code == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["missing.csv"], "missing.csv"),
        (["{export}", "--format", "yaml"], "text, json, csv, junit, github"),
        (["{export}", "--format", "jsn"], "did you mean 'json'"),
        (["{export}", "--fail-on", "warn"], "--fail-on 'warn'"),
        (["{export}", "--as-of", "23/11/2026"], "--as-of '23/11/2026'"),
        (["{export}", "--select", "no-such-rule"], "no-such-rule"),
        (["{export}", "--rep", "赵六"], "赵六"),
    ],
)
def test_exit_2_one_line_no_traceback(export, args, needle):
    res = invoke(*[a.format(export=export) for a in args])
    assert res.exit_code == 2, res.output
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1 and err.startswith("pipeaudit: ")
    assert needle in err
    assert "Traceback" not in res.output
    assert res.stdout == ""


def test_bad_config_is_exit_2(export, tmp_path):
    (tmp_path / "pipeaudit.yaml").write_text("fial_on: error\n", encoding="utf-8")
    res = invoke(export, *AS_OF)
    assert res.exit_code == 2 and "fial_on" in res.stderr


def test_json_summary_open_amount_from_wan_yuan(export):
    res = invoke(export, *AS_OF, *TWO_RULES, "--format", "json")
    doc = json.loads(res.stdout)
    assert doc["source"].endswith("deals.csv") and doc["sheet"] is None and doc["as_of"] == "2026-11-23"
    s = doc["summary"]
    assert s["deals"] == 5 and s["open_deals"] == 4
    assert s["findings"] == {"error": 4, "warning": 0, "info": 0}
    assert s["by_owner"]["张三"]["open_amount"] == 235000  # 15万 + 8.5万
    assert s["by_owner"]["李四"] == {
        "deals": 2, "open_deals": 1, "open_amount": 200000, "error": 2, "warning": 0, "info": 0, "muted": 0,
    }  # the won 50万 deal is not open


def test_rep_filter(export):
    res = invoke(export, *AS_OF, *TWO_RULES, "--format", "json", "--rep", "李四")
    doc = json.loads(res.stdout)
    assert {f["owner"] for f in doc["findings"]} == {"李四"}
    assert list(doc["summary"]["by_owner"]) == ["李四"] and doc["summary"]["deals"] == 2


def test_muted_findings_are_counted_not_reported(export, tmp_path):
    (tmp_path / "pipeaudit.yaml").write_text(
        "suppress:\n  - {deal: SJ-3, rule: no-insider, reason: 内线刚离职}\n", encoding="utf-8"
    )
    doc = json.loads(invoke(export, *AS_OF, *TWO_RULES, "--format", "json").stdout)
    assert not any(f["deal_id"] == "SJ-3" and f["rule"] == "no-insider" for f in doc["findings"])
    assert doc["summary"]["muted"] == 1 and doc["summary"]["by_owner"]["李四"]["muted"] == 1
    assert doc["summary"]["findings"]["error"] == 3
    text = invoke(export, *AS_OF, *TWO_RULES).stdout
    assert text.rstrip().endswith("— 1 条已屏蔽")


def test_a_suppression_naming_no_rule_says_so_with_a_hint(export, tmp_path):
    (tmp_path / "pipeaudit.yaml").write_text(
        "suppress:\n  - {deal: SJ-3, rule: no-insidr, reason: typo}\n", encoding="utf-8"
    )
    doc = json.loads(invoke(export, *AS_OF, *TWO_RULES, "--format", "json").stdout)
    assert doc["summary"]["muted"] == 0
    assert any("no-insidr" in n and "did you mean 'no-insider'" in n for n in doc["notes"])


def test_rep_is_matched_ignoring_case_and_spaces(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "en.csv"
    path.write_text("Deal,Owner,Stage,Decision Maker\nA,Alice Chen,Qualification,\nB,Bob,Qualification,\n", "utf-8")
    res = invoke(path, "--rep", " alice chen ", "--format", "json", "--fail-on", "never")
    assert res.exit_code == 0, res.output
    assert list(json.loads(res.stdout)["summary"]["by_owner"]) == ["Alice Chen"]


@pytest.mark.parametrize("fmt", ["text", "json", "csv", "junit", "github"])
def test_output_file_equals_stdout_and_is_atomic(export, tmp_path, fmt):
    shown = CliRunner().invoke(app, ["check", str(export), *AS_OF, *TWO_RULES, "--format", fmt])
    target = tmp_path / "out" / f"result.{fmt}"
    res = invoke(export, *AS_OF, *TWO_RULES, "--format", fmt, "--output", target)
    assert res.exit_code == shown.exit_code == 1
    assert res.stdout == ""
    data = target.read_bytes()
    if fmt == "csv":  # Excel needs the BOM to read UTF-8: a file and a redirected stdout both get it
        assert data.startswith(b"\xef\xbb\xbf") and shown.stdout_bytes.startswith(b"\xef\xbb\xbf")
        plain = CliRunner().invoke(app, ["check", str(export), *AS_OF, *TWO_RULES, "--format", fmt, "--no-bom"])
        assert plain.stdout_bytes == shown.stdout_bytes[3:]  # --no-bom: for tools that choke on one
    assert data == shown.stdout_bytes
    assert os.listdir(target.parent) == [target.name]


def test_failed_render_leaves_the_old_file(export, tmp_path, monkeypatch):
    import pipeaudit.formats as formats

    target = tmp_path / "report.json"
    target.write_text("previous run", encoding="utf-8")

    def boom(result, stream, *, color=False):
        stream.write('{"half": ')
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(formats.FORMATS, "json", boom)
    res = invoke(export, *AS_OF, "--format", "json", "--output", target)
    assert res.exit_code == 3
    assert target.read_text(encoding="utf-8") == "previous run"
    assert sorted(os.listdir(tmp_path)) == ["deals.csv", "report.json"]  # no temp file left


def test_csv_and_github_on_a_real_export(export):
    rows = list(csv.DictReader(io.StringIO(invoke(export, *AS_OF, *TWO_RULES, "--format", "csv").stdout)))
    assert rows[1]["deal"] == "'=HYPERLINK(\"x\")"
    lines = invoke(export, *AS_OF, *TWO_RULES, "--format", "github").stdout.splitlines()
    assert lines[0].startswith(f"::error file={export},line=2,title=missing-decision-maker::已进入C方案论证")
    assert all(l.startswith("::error ") for l in lines) and len(lines) == 4


def test_sample_workbook_runs_in_every_format():
    from pathlib import Path

    sample = Path(__file__).resolve().parent.parent / "samples" / "crm_export_zh.xlsx"
    if not sample.exists():
        pytest.skip("samples not generated")
    for fmt in ("text", "json", "csv", "junit", "github"):
        res = invoke(sample, *AS_OF, "--format", fmt, "--fail-on", "never")
        assert res.exit_code == 0, (fmt, res.output)
        assert res.stdout.strip()
    doc = json.loads(invoke(sample, *AS_OF, "--format", "json").stdout)
    assert doc["sheet"] and doc["summary"]["deals"] > 0 and doc["summary"]["open_amount"] > 0


def test_english_export_speaks_english():
    import re
    from pathlib import Path

    sample = Path(__file__).resolve().parent.parent / "samples" / "salesforce_export.csv"
    if not sample.exists():
        pytest.skip("samples not generated")
    res = invoke(sample, *AS_OF)
    assert res.exit_code == 1
    last = res.stdout.rstrip().splitlines()[-1]
    assert re.fullmatch(r"\d+ errors?, \d+ warnings?, \d+ info in \d+ deals \(\d+ open\)( — \d+ muted)?", last), last
    assert "\n        ? " in res.stdout and "问：" not in res.stdout


def test_output_to_a_folder_is_exit_2(export, tmp_path):
    res = invoke(export, *AS_OF, "--output", tmp_path)
    assert res.exit_code == 2 and "is a folder" in res.stderr


def test_broken_pipe_is_not_an_error(tmp_path):
    """`pipeaudit check big.csv | head -1`: the reader leaves early; no traceback, the gate still decides."""
    import subprocess
    import sys

    rows = DEALS_ZH.splitlines()
    big = tmp_path / "big.csv"
    body = [rows[0]] + [f"SJ-{i}," + rows[1 + i % 5].split(",", 1)[1] for i in range(3000)]
    big.write_text("\n".join(body) + "\n", encoding="utf-8")
    code = "from pipeaudit.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "check", str(big), *AS_OF, "--format", "csv"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    )
    proc.stdout.readline()
    proc.stdout.close()  # like `head -1`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert "Traceback" not in err and "Error" not in err


def test_output_follows_a_symlink_only_when_asked_and_writes_into_a_fifo(export, tmp_path):
    import threading

    real = tmp_path / "real.json"
    real.write_text("{}", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    refused = invoke(export, *AS_OF, "--format", "json", "--output", link)  # a link only when asked
    assert refused.exit_code == 2 and "--follow-symlinks" in refused.output
    assert real.read_text(encoding="utf-8") == "{}"
    assert invoke(export, *AS_OF, "--format", "json", "--output", link, "--follow-symlinks").exit_code == 1
    assert link.is_symlink() and json.loads(real.read_text(encoding="utf-8"))["summary"]["deals"] == 5

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, encoding="utf-8").read()))
    reader.start()
    assert invoke(export, *AS_OF, "--format", "json", "--output", fifo).exit_code == 1
    reader.join(timeout=30)
    assert json.loads(got[0])["summary"]["deals"] == 5
    assert sorted(os.listdir(tmp_path)) == ["deals.csv", "link.json", "pipe", "real.json"]


def test_the_cyclic_gc_is_back_on_after_a_check_even_a_failed_one(export, monkeypatch):
    """check pauses the cyclic collector while it audits (pipeaudit.runtime); it must come back."""
    import gc

    from pipeaudit import runtime

    seen = []
    real = runtime.cyclic_gc_paused

    def spy():
        seen.append(gc.isenabled())
        return real()

    monkeypatch.setattr(runtime, "cyclic_gc_paused", spy)
    assert gc.isenabled()
    assert invoke(export, *AS_OF, "--format", "json").exit_code == 1
    assert seen == [True] and gc.isenabled()
    assert invoke(export, *AS_OF, "--select", "no-such-rule").exit_code == 2
    assert gc.isenabled()
