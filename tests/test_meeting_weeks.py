"""Four weeks of history through the real CLI: the trends and the named changes are right.

Weeks are the Mondays 2026-11-02 .. 2026-11-23; amounts in 万元. Deals, week by week:

    S1 张伟 ERP升级  C C C B   30  close 12-20 until week 4, then 2027-01-10 (slipped 21 days), class B
    S2 张伟 MES一期  D D D 赢单 20
    S3 李娜 CRM实施  B B B C   50  (regressed in week 4), class A
    S4 李娜 数据中台 E E E -   10  (gone in week 4)
    S5 李娜 OA替换   C C C 输单 15
    S6 张伟 BI报表   - - - E    8  (new in week 4)

Open pipeline: 125万 in weeks 1-3 (S1..S5), 88万 in week 4 (S1 30 + S3 50 + S6 8). A/B: 1 and 1 every
week. Close dates slipped: none until week 4, when S1 moved 21 days.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app

MONDAYS = [date(2026, 11, 2) + timedelta(weeks=i) for i in range(4)]
HEAD = ["商机编号", "商机名称", "客户名称", "负责人", "销售阶段", "预计成交金额(万元)", "预计成交日期", "商机分级",
        "决策人", "内线", "下一步计划", "最后跟进时间"]
STAGES = {"E": "E确认商机", "D": "D进程确定", "C": "C方案论证", "B": "B商务谈判", "W": "赢单", "L": "输单"}
DEALS = [
    ("S1", "ERP升级", "宏达机械", "张伟", "CCCB", 30, ["2026-12-20"] * 3 + ["2027-01-10"], "B"),
    ("S2", "MES一期", "新源电子", "张伟", "DDDW", 20, ["2026-12-31"] * 4, ""),
    ("S3", "CRM实施", "云帆物流", "李娜", "BBBC", 50, ["2026-12-15"] * 4, "A"),
    ("S4", "数据中台", "恒通医药", "李娜", "EEE-", 10, ["2027-03-01"] * 4, ""),
    ("S5", "OA替换", "海天塑业", "李娜", "CCCL", 15, ["2027-01-31"] * 4, ""),
    ("S6", "BI报表", "华光科技", "张伟", "---E", 8, ["2027-04-30"] * 4, ""),
]


def write_week(folder: Path, week: int) -> Path:
    path = folder / f"week{week + 1}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEAD)
        for deal_id, name, account, owner, stages, amount, closes, cls in DEALS:
            if stages[week] == "-":
                continue
            w.writerow([deal_id, name, account, owner, STAGES[stages[week]], amount, closes[week], cls, "王总",
                        "李工", "周三演示", (MONDAYS[week] - timedelta(days=2)).isoformat()])
    return path


@pytest.fixture(scope="module")
def weeks(tmp_path_factory):
    root = tmp_path_factory.mktemp("weeks")
    db = root / "history.sqlite"
    outs = []
    for i, monday in enumerate(MONDAYS):
        export = write_week(root, i)
        out = root / f"report{i + 1}"
        res = CliRunner().invoke(app, ["report", str(export), "--history", str(db), "--as-of", monday.isoformat(),
                                       "--out", str(out), "--format", "html,md,xlsx"])
        assert res.exit_code == 0, (res.output, res.exception)
        outs.append((out, res.stdout))
    return root, db, outs


def _json(root: Path, db: Path, *extra: str) -> dict:
    res = CliRunner().invoke(app, ["check", str(root / "week4.csv"), "--history", str(db), "--as-of",
                                   MONDAYS[3].isoformat(), "--format", "json", "--fail-on", "never", *extra])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_the_trend_over_four_weeks(weeks):
    root, db, _ = weeks
    data = _json(root, db)
    trends = data["trends"]
    assert trends["weeks"] == [m.isoformat() for m in MONDAYS]
    team = trends["team"]
    assert team["open_amount"] == [1_250_000.0, 1_250_000.0, 1_250_000.0, 880_000.0]
    assert team["open_deals"] == [5, 5, 5, 3]
    assert team["a"] == [1, 1, 1, 1] and team["b"] == [1, 1, 1, 1]
    assert team["slips"] == [None, 0, 0, 1]
    assert all(isinstance(n, int) for n in team["errors"])  # every week was recorded by `report`
    assert team["errors"][-1] == data["summary"]["findings"]["error"]
    assert team["coverage"] == [None] * 4  # no quotas, no coverage
    zhang, li = trends["by_owner"]["张伟"], trends["by_owner"]["李娜"]
    assert zhang["open_amount"] == [500_000.0, 500_000.0, 500_000.0, 380_000.0]
    assert li["open_amount"] == [750_000.0, 750_000.0, 750_000.0, 500_000.0]
    assert zhang["slips"] == [None, 0, 0, 1] and li["slips"] == [None, 0, 0, 0]


def test_the_named_changes_of_week_four(weeks):
    root, db, _ = weeks
    named = _json(root, db)["changes"]["deals"]
    by_kind = {k: [(d["deal"], d["owner"], d["amount"]) for d in v["deals"]] for k, v in named.items()}
    assert by_kind["new"] == [("BI报表", "张伟", 80_000.0)]
    assert by_kind["gone"] == [("数据中台", "李娜", 100_000.0)]
    assert by_kind["won"] == [("MES一期", "张伟", 200_000.0)]
    assert by_kind["lost"] == [("OA替换", "李娜", 150_000.0)]
    assert by_kind["slipped"] == [("ERP升级", "张伟", 300_000.0)]
    assert named["slipped"]["deals"][0]["days"] == 21
    assert named["slipped"]["deals"][0]["prev_close_date"] == "2026-12-20"
    assert by_kind["advanced"] == [("ERP升级", "张伟", 300_000.0)]
    assert by_kind["regressed"] == [("CRM实施", "李娜", 500_000.0)]
    assert named["regressed"]["deals"][0]["prev_stage"] == "B商务谈判"
    assert {k: v["count"] for k, v in named.items()} == {
        "new": 1, "gone": 1, "won": 1, "lost": 1, "slipped": 1, "advanced": 1, "regressed": 1}


def test_check_text_names_the_same_deals(weeks):
    root, db, _ = weeks
    res = CliRunner().invoke(app, ["check", str(root / "week4.csv"), "--history", str(db), "--as-of",
                                   MONDAYS[3].isoformat(), "--fail-on", "never"])
    text = res.stdout.split("与上周相比：")[1]
    assert "成交日期推迟: 1 · 300,000" in text and "ERP升级 (张伟, 300,000, 2026-12-20 → 2027-01-10 (推迟 21 天))" in text
    assert "输单: 1 · 150,000" in text and "OA替换" in text and "阶段倒退: 1" in text and "B商务谈判 → C方案论证" in text


def test_the_reports_show_them_by_name_and_as_charts(weeks):
    _, _, outs = weeks
    out, _ = outs[3]
    summary = (out / "summary.html").read_text("utf-8")
    for name in ("BI报表", "数据中台", "MES一期", "OA替换", "ERP升级", "CRM实施"):
        assert name in summary.split("本周变化的商机")[1], name
    assert 'class="chart waterfall"' in summary and summary.count('class="chart trend"') >= 4
    zhang = next((out / "reps").glob("张伟.html")).read_text("utf-8")
    changes = zhang.split("周环比变化")[1].split("</table>")[0]
    assert "BI报表" in changes and "ERP升级" in changes and "数据中台" not in changes
    assert "+21" in changes  # the days pushed
    assert 'class="chart trend"' in zhang
    md = (out / "summary.md").read_text("utf-8")
    assert "| 成交日期推迟 | 张伟 | ERP升级 | 30 |" in md
    assert "| 在途金额 | 125 | 125 | 125 | 88 |" in md  # the trend, in 万


def test_week_one_has_no_phantom_rep_and_the_right_hint(weeks):
    _, _, outs = weeks
    out, stdout = outs[0]
    pages = sorted(p.stem for p in (out / "reps").glob("*.html"))
    assert pages == ["张伟", "李娜"]  # history-too-short is about the whole export: no "未分配" sheet
    summary = (out / "summary.html").read_text("utf-8")
    assert "未分配" not in summary and "--baseline" not in summary
    assert "历史库从本周开始记录" in summary
    assert "历史太短" in summary  # the export-level finding is shown once, on the summary
    first, last = stdout.strip().splitlines()[0], stdout.strip().splitlines()[-1]
    assert re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", first)  # the cron log line starts with the time
    assert last.startswith("summary 2026-11-02: 2 reps") and "history: week stored" in last


def test_a_config_history_is_read_by_check_and_kept_only_by_report_or_record(tmp_path):
    db = tmp_path / "h.sqlite"
    config = tmp_path / "pipeaudit.yaml"
    config.write_text(f"history: {db.name}\n", encoding="utf-8")
    export = write_week(tmp_path, 0)
    base = ["--config", str(config), "--as-of", MONDAYS[0].isoformat(), "--fail-on", "never"]
    from pipeaudit.weekly.store import HistoryStore

    def stored() -> list[date]:
        if not db.exists():
            return []
        with HistoryStore(db, read_only=True) as store:
            return store.as_of_dates()

    assert CliRunner().invoke(app, ["check", str(export), *base]).exit_code == 0
    assert stored() == []  # an exploratory check stores nothing
    assert CliRunner().invoke(app, ["check", str(export), *base, "--record"]).exit_code == 0
    assert stored() == [MONDAYS[0]]
    export2 = write_week(tmp_path, 1)
    res = CliRunner().invoke(app, ["report", str(export2), "--config", str(config), "--as-of", MONDAYS[1].isoformat(),
                                   "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    assert stored() == MONDAYS[:2]  # the cron job's report keeps its week
