"""--baseline, --history and --quotas through pipeline.run_audit on CSV exports written in the test."""

from datetime import date
from pathlib import Path

import pytest

from pipeaudit.config import Config
from pipeaudit.options import AuditOptions

from pipeaudit.pipeline import run_audit  # noqa: E402
HEAD = "商机编号,商机名称,客户,负责人,销售阶段,预计金额,预计成交日期,商机分级\n"


def export(path: Path, rows: list[str]) -> Path:
    path.write_text(HEAD + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


LAST = [
    "S1,仓储系统,华东物流,张伟,商务谈判,100000,2026-12-01,A",
    "S2,财务云,宁波银行,张伟,商务谈判,200000,2026-12-20,B",
    ",数据中台,海天集团,李娜,方案论证,300000,2027-01-10,B",
    "S4,HR云,东方集团,李娜,方案论证,50000,2027-02-01,C",
]
NOW = [
    "S1,仓储系统,华东物流,张伟,商务谈判,100000,2026-12-15,A",  # slipped
    "S2,财务云,宁波银行,张伟,方案论证,150000,2026-12-20,B",  # regressed, cut 25%
    ",数据中台 ,海天集团,李娜,赢单,300000,2027-01-10,B",  # matched by name+account, won
    "S5,新商机,新客户,李娜,确认商机,80000,2027-03-01,D",  # new; S4 gone
]


def opts(path, **kw):
    return AuditOptions(path=path, select=kw.pop("select", []), as_of=kw.pop("as_of", date(2026, 11, 23)), **kw)


def test_baseline_rules_and_waterfall(tmp_path):
    last, now = export(tmp_path / "last.csv", LAST), export(tmp_path / "now.csv", NOW)
    result = run_audit(
        opts(now, baseline=last, select=["close-date-slipped", "stage-regressed", "amount-dropped"]), Config()
    )
    got = sorted(zip(result.findings["rule"], result.findings["deal_id"]))
    assert got == [("amount-dropped", "S2"), ("close-date-slipped", "S1"), ("stage-regressed", "S2")]
    ch = result.extras["changes"]
    assert ch["baseline"]["source"] == str(last) and ch["baseline"]["matched"] == 3
    t = ch["team"]
    assert (t["start"], t["new"], t["decreased"], t["won"], t["removed"], t["end"]) == (650000, 80000, 50000, 300000, 50000, 330000)
    assert t["counts"]["won_deals"] == 1 and t["counts"]["gone_deals"] == 1 and t["counts"]["slipped"] == 1
    assert ch["by_owner"]["李娜"]["won"] == 300000


def test_history_week_two_compares_with_the_stored_week(tmp_path):
    db = tmp_path / "h.sqlite"
    last, now = export(tmp_path / "last.csv", LAST), export(tmp_path / "now.csv", NOW)
    first = run_audit(opts(last, history=db, as_of=date(2026, 11, 16)), Config())
    assert (first.findings["rule"] == "history-too-short").sum() == 1
    assert "changes" not in first.extras
    second = run_audit(opts(now, history=db), Config())
    assert "history-too-short" not in set(second.findings["rule"])
    assert second.extras["changes"]["baseline"]["as_of"] == "2026-11-16"
    assert {"close-date-slipped", "stage-regressed"} <= set(second.findings["rule"])
    assert second.extras["history"]["weeks"] == 2 and "class_since" in second.extras["history"]["filled"]


def test_quotas_raise_funnel_short_per_rep(tmp_path):
    now = export(tmp_path / "now.csv", NOW)
    cfg = Config(quotas={"张伟": 1_000_000.0, "李娜": 1.0})
    result = run_audit(opts(now, select=["funnel-short"]), cfg)
    rows = result.findings[result.findings["rule"] == "funnel-short"]
    # any target needs one contract: 李娜 has no open deal in closing, so even a target of 1 is short
    assert rows["owner"].tolist() == ["张伟", "李娜"]
    assert result.extras["plan"]["李娜"]["contracts"] == {"need": 1, "have": 0}
    assert rows["row"].isna().all() and rows["deal_index"].isna().all()
    plan = result.extras["plan"]["张伟"]
    # avg open amount 125000 -> 8 contracts -> 16, 32, 96, 480; two open deals reached each of the lower steps
    assert plan["contracts"] == {"need": 8, "have": 0} and plan["leads"] == {"need": 480, "have": 2}
    assert "480" in rows["message"].iloc[0]
    assert run_audit(opts(now, select=["funnel-short"]), Config()).findings.empty  # no quotas: silent


def test_quota_of_a_rep_with_no_deals_is_short_everywhere_and_named_in_a_note(tmp_path):
    now = export(tmp_path / "now.csv", NOW)
    # 王芳 has a quota and an empty funnel: the team's mean open amount sizes her plan
    cfg = Config(quotas={"张伟": 1.0, "王芳": 500_000.0, "张玮": 1.0})
    result = run_audit(opts(now, select=["funnel-short"]), cfg)
    plan = result.extras["plan"]
    assert plan["王芳"]["contracts"] == {"need": 5, "have": 0}  # mean of 100000, 150000, 80000 = 110000
    assert "王芳" in set(result.findings["owner"])
    notes = "\n".join(result.notes)
    assert "王芳" in notes and "张玮" in notes and "张伟" in notes.split("张玮", 1)[1]  # typo hint names the owner


def test_quotas_under_rep_plan_only_that_rep(tmp_path):
    now = export(tmp_path / "now.csv", NOW)
    cfg = Config(quotas={"张伟": 1_000_000.0, "李娜": 1_000_000.0})
    result = run_audit(opts(now, select=["funnel-short"], rep="李娜"), cfg)
    assert set(result.extras["plan"]) == {"李娜"}
    assert result.findings["owner"].tolist() == ["李娜"]


def test_history_baseline_names_the_database_and_the_week_once(tmp_path):
    # the summary prints source and as_of side by side: "h.sqlite @ 2026-11-16 2026-11-16" said the week twice
    db = tmp_path / "h.sqlite"
    last, now = export(tmp_path / "last.csv", LAST), export(tmp_path / "now.csv", NOW)
    run_audit(opts(last, history=db, as_of=date(2026, 11, 16)), Config())
    base = run_audit(opts(now, history=db), Config()).extras["changes"]["baseline"]
    assert base["source"] == str(db) and base["as_of"] == "2026-11-16"


@pytest.mark.parametrize("content", [None, b"", b"a,b,c\n1,2,3\n"])
def test_an_unreadable_baseline_is_named_as_the_baseline(tmp_path, content):
    from pipeaudit.errors import PipeauditError

    now = export(tmp_path / "now.csv", NOW)
    last = tmp_path / "last.csv"
    if content is not None:
        last.write_bytes(content)
    with pytest.raises(PipeauditError, match=r"^--baseline .*last\.csv.*上周的导出文件"):
        run_audit(opts(now, baseline=last), Config())


def test_stage_since_from_history_feeds_stuck_in_stage(tmp_path):
    # issue 5 derives "since when in its stage"; stuck-in-stage is the rule that reads it
    db = tmp_path / "h.sqlite"
    now = export(tmp_path / "now.csv", NOW)
    alone = run_audit(opts(now, select=["stuck-in-stage"]), Config())
    assert alone.findings.empty and [s.rule for s in alone.skipped] == ["stuck-in-stage"]
    run_audit(opts(export(tmp_path / "old.csv", LAST), history=db, as_of=date(2026, 9, 28)), Config())
    result = run_audit(opts(now, history=db, select=["stuck-in-stage"]), Config())
    # S1 has been in 商务谈判 since the stored week of 2026-09-28 (56 days); S2 moved back this week
    assert result.findings["deal_id"].tolist() == ["S1"]
    assert "2026-09-28" in result.findings["message"].iloc[0] and "56" in result.findings["message"].iloc[0]


def test_a_deal_changing_hands_keeps_each_reps_row_adding_up(tmp_path):
    """Summary and rep pages: the transfer columns appear and every rep's row reconciles."""
    import re

    from typer.testing import CliRunner

    from pipeaudit.cli import app

    moved = [r.replace("S2,财务云,宁波银行,张伟", "S2,财务云,宁波银行,李娜") for r in LAST]
    last, now = export(tmp_path / "last.csv", LAST), export(tmp_path / "now.csv", moved)
    out = tmp_path / "r"
    result = CliRunner().invoke(app, ["report", str(now), "--baseline", str(last), "--out", str(out),
                                      "--format", "md", "--lang", "en", "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    summary = (out / "summary.md").read_text(encoding="utf-8")
    section = summary.split("### ")[-1]
    header = next(line for line in section.splitlines() if line.startswith("| "))
    labels = [c.strip().replace("\\", "") for c in header.strip("|").split("|")][1:]
    assert "+ transferred in" in labels and "− transferred out" in labels
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] in ("张伟", "李娜"):
            rows[cells[0]] = dict(zip(labels, (float(re.sub(r"[^\d.]", "", c) or 0) for c in cells[1:])))
    for rep, row in rows.items():
        values = list(row.values())
        start, end = values[0], values[-1]
        signed = sum(-v if label.startswith("−") else v for label, v in list(row.items())[1:-1])
        assert start + signed == end, (rep, row)
    assert rows["李娜"]["+ transferred in"] == 200000 and rows["张伟"]["− transferred out"] == 200000
