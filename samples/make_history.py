"""A four-week history for the demo: the week-over-week and trend sections as they look in week 4.

Run: python samples/make_history.py OUT_DIR   (make demo does it, into out/history_demo)

Writes four weekly exports of one small team (Mondays 2026-11-02 .. 2026-11-23) into a temporary
folder, runs `pipeaudit report --history` on each in turn (the way the weekly cron job would), and
keeps the report of the last Monday in OUT_DIR: changes by name, the waterfall, the trends. Fixed
data, no randomness: the same report every run.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

MONDAYS = [date(2026, 11, 2) + timedelta(weeks=i) for i in range(4)]
HEAD = ["商机编号", "商机名称", "客户名称", "负责人", "销售阶段", "预计成交金额(万元)", "预计成交日期", "商机分级",
        "分级日期", "决策人", "内线", "竞争对手", "下一步计划", "最后跟进时间"]
STAGES = {"E": "E确认商机", "D": "D进程确定", "C": "C方案论证", "B": "B商务谈判", "A": "A销售成交", "W": "赢单",
          "L": "输单"}
# id, name, account, owner, stage per week ("-" absent), amount per week, close per week, class, insider
DEALS = [
    ("H1", "ERP升级", "宏达机械", "张伟", "CCCB", [30, 30, 30, 30], ["2026-12-20"] * 3 + ["2027-01-10"], "B", "IT部小王"),
    ("H2", "MES一期", "新源电子", "张伟", "DDDW", [20] * 4, ["2026-12-31"] * 4, "", "采购李工"),
    ("H3", "CRM实施", "云帆物流", "李娜", "BBBC", [50] * 4, ["2026-12-15"] * 4, "A", ""),
    ("H4", "数据中台", "恒通医药", "李娜", "EEE-", [10] * 4, ["2027-03-01"] * 4, "", ""),
    ("H5", "OA替换", "海天塑业", "李娜", "CCCL", [15] * 4, ["2027-01-31"] * 4, "", "总经办秘书"),
    ("H6", "BI报表", "华光科技", "张伟", "--EE", [8] * 4, ["2027-04-30"] * 4, "", ""),
    ("H7", "供应链协同", "启明教育", "陈静", "DCCB", [40, 40, 45, 45], ["2027-01-20", "2027-01-20", "2027-02-10",
                                                                      "2027-02-28"], "B", "财务部陈姐"),
    ("H8", "仓储WMS", "金盾安防", "陈静", "BBAA", [60] * 4, ["2026-12-10"] * 4, "A", "信息中心刘工"),
    ("H9", "HR云", "绿洲食品", "陈静", "-DDD", [12, 12, 12, 9], ["2027-02-15"] * 4, "", ""),
    ("H10", "财务共享", "东方阀门", "李娜", "DDDD", [25, 25, 25, 25], ["2027-01-05", "2027-01-26", "2027-01-26",
                                                                   "2027-02-16"], "", "生产部赵工"),
]


def write_week(folder: Path, week: int) -> Path:
    path = folder / f"week{week + 1}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEAD)
        for deal_id, name, account, owner, stages, amounts, closes, cls, insider in DEALS:
            if stages[week] == "-":
                continue
            since = (MONDAYS[0] - timedelta(days=10)).isoformat() if cls else ""
            w.writerow([deal_id, name, account, owner, STAGES[stages[week]], amounts[week], closes[week], cls, since,
                        "王总" if stages[week] in "BA" else "", insider, "用友" if stages[week] in "CBA" else "",
                        "周三演示" if week % 2 == 0 else "跟进", (MONDAYS[week] - timedelta(days=3 + week)).isoformat()])
    return path


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip())
        return 2
    out = Path(argv[0])
    with tempfile.TemporaryDirectory(prefix="pipeaudit-history-demo-") as tmp:
        db = Path(tmp) / "history.sqlite"
        for i, monday in enumerate(MONDAYS):
            export = write_week(Path(tmp), i)
            target = out if i == len(MONDAYS) - 1 else Path(tmp) / f"report{i + 1}"
            proc = subprocess.run([sys.executable, "-m", "pipeaudit", "report", str(export), "--history", str(db),
                                   "--as-of", monday.isoformat(), "--out", str(target), "--format", "html,md,xlsx"],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return proc.returncode
        print(proc.stdout, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
