"""Write the sample exports in samples/ deterministically (fixed seed, fixed dates around 2026-11-23).

Run: python samples/make_samples.py   (rewrites the files next to this script)

Each sample imitates a real CRM export, warts included (title rows, notes sheet, 万元 units, total
rows, text dates), and plants a few deals that the built-in rules must flag.
"""

from __future__ import annotations

import csv
import io
import random
import re
from datetime import date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = date(2026, 11, 23)
SEED = 20261123

ZH_REPS = ["张伟", "李娜", "王/五", "刘洋", "陈静", "赵磊"]
ZH_ACCOUNTS = [
    "上海宏达机械有限公司", "苏州新源电子股份", "杭州云帆物流", "南京恒通医药", "宁波海天塑业", "无锡华光科技",
    "合肥启明教育集团", "常州金盾安防", "嘉兴绿洲食品", "温州东方阀门", "绍兴纺织进出口", "扬州润泽水务",
]
ZH_PROJECTS = ["ERP升级", "MES一期", "CRM实施", "数据中台", "供应链协同", "财务共享", "HR云", "仓储WMS", "BI报表", "OA替换"]
ZH_COMPETITORS = ["用友", "金蝶", "SAP", "浪潮", "鼎捷", "Oracle", ""]
ZH_NAMES = ["周总", "吴总", "郑副总", "孙经理", "钱主任", "冯总监", "褚处长", "卫厂长"]
ZH_INSIDERS = ["IT部小王", "采购李工", "财务部陈姐", "信息中心刘工", "总经办秘书", "生产部赵工"]
# EDCBA ladder, written the ways real exports write it.
ZH_STAGES = {
    "E": ["E确认商机", "E阶段-确认商机"],
    "D": ["D进程确定", "D阶段"],
    "C": ["C方案论证", "C阶段-方案论证"],
    "B": ["B阶段-商务谈判", "B商务谈判"],
    "A": ["A阶段-销售成交", "A销售成交"],
}
ZH_HEADERS = [
    "商机编号", "商机名称", "客户名称", "负责人", "销售阶段", "预计成交金额(万元)", "预计成交日期", "创建日期",
    "最后跟进时间", "下一步计划", "决策人", "内线", "内线级别", "商机分级", "分级日期", "报价日期", "报价金额(万元)",
    "需求确认", "需求确认日期", "竞争对手", "客户需求", "预算", "采购时间", "赢率",
]
NEXT_STEPS = [
    "周三约信息中心做需求调研", "下周二方案汇报，请老板参加", "本周五提交正式报价", "安排参观样板客户",
    "与决策人确认签约时间", "补充技术答疑材料", "约采购部谈合同条款", "产品演示（生产模块）",
]


def d(days: int) -> date:
    """A date `days` before the demo as-of date (negative = after)."""
    return AS_OF - timedelta(days=days)


def zh_deals(rng: random.Random) -> list[dict[str, object]]:
    deals: list[dict[str, object]] = []
    letters = ["E", "D", "C", "B", "A"]
    for i in range(60):
        rep = ZH_REPS[i % len(ZH_REPS)]
        account = ZH_ACCOUNTS[rng.randrange(len(ZH_ACCOUNTS))]
        roll = rng.random()
        if roll < 0.08:
            status, letter = "won", "A"
        elif roll < 0.14:
            status, letter = "lost", rng.choice(letters)
        else:
            status, letter = "open", rng.choices(letters, weights=[4, 4, 3, 2, 1])[0]
        rank = letters.index(letter)
        stage = "赢单" if status == "won" else "输单" if status == "lost" else rng.choice(ZH_STAGES[letter])
        created = d(rng.randint(40, 200))
        amount = rng.choice([5, 8, 12, 15, 20, 28, 35, 50, 80, 120]) * (1 + rng.randint(0, 3) / 4)
        deal_class = {0: "D", 1: "C", 2: "B", 3: "B", 4: "A"}[rank] if status == "open" else ""
        class_since = d(rng.randint(3, 25)) if deal_class else None
        confirmed = rank >= 2
        confirmed_date = d(rng.randint(20, 40)) if confirmed else None
        quoted = rank >= 3
        quote_date = (confirmed_date + timedelta(days=rng.randint(3, 12))) if quoted and confirmed_date else None
        deals.append(
            {
                "商机编号": f"SJ-2026-{i + 1:04d}",
                "商机名称": f"{account[:4]}{rng.choice(ZH_PROJECTS)}",
                "客户名称": account,
                "负责人": rep,
                "销售阶段": stage,
                "预计成交金额(万元)": amount,
                "预计成交日期": d(-rng.randint(10, 150)) if status == "open" else d(rng.randint(5, 60)),
                "创建日期": created,
                "最后跟进时间": datetime.combine(d(rng.randint(0, 12)), datetime.min.time()).replace(hour=rng.randint(9, 18)),
                "下一步计划": rng.choice(NEXT_STEPS) if status == "open" else "",
                "决策人": rng.choice(ZH_NAMES) if rank >= 1 else "",
                "内线": rng.choice(ZH_INSIDERS) if rank >= 1 else "",
                "内线级别": rng.choice(["高", "中", "低"]) if rank >= 1 else "",
                "商机分级": deal_class,
                "分级日期": class_since,
                "报价日期": quote_date,
                "报价金额(万元)": round(amount * 1.1, 1) if quote_date else None,
                "需求确认": rng.choice(["是", "已确认"]) if confirmed else rng.choice(["否", "未确认", ""]),
                "需求确认日期": confirmed_date,
                "竞争对手": rng.choice(ZH_COMPETITORS) if rank >= 1 else "",
                "客户需求": "生产计划排程与库存透明" if rank >= 1 else "",
                "预算": f"{int(amount * 1.2)}万，年度IT预算" if rank >= 1 else "",
                "采购时间": "2027年一季度" if rank >= 1 else "",
                "赢率": rng.choice(["75%", 0.5, 30, "60%", 0.2]),
            }
        )
    # Plant the problems the built-in rules must find (each on an open deal past the first stage).
    def plant(i: int, values: dict[str, object]) -> None:
        deal = deals[i]
        if deal["销售阶段"] in ("赢单", "输单") or str(deal["销售阶段"]).startswith("E"):
            deal["销售阶段"] = "C方案论证"
            deal["商机分级"] = deal["商机分级"] or "B"
        deal.update(values)

    plant(3, {"决策人": ""})  # missing decision-maker
    plant(7, {"内线": "", "内线级别": ""})  # no insider
    plant(11, {"报价日期": d(30), "报价金额(万元)": 40, "需求确认": "否", "需求确认日期": None})  # quote, no confirmation
    plant(12, {"报价日期": d(30), "报价金额(万元)": 22, "需求确认": "是", "需求确认日期": d(10)})  # quoted before confirming
    plant(15, {"销售阶段": "B阶段-商务谈判", "商机分级": "A类", "分级日期": d(45), "报价日期": d(20),
               "报价金额(万元)": 66, "需求确认": "是", "需求确认日期": d(25)})  # A-class for 6+ weeks
    plant(19, {"预计成交日期": d(13)})  # close date passed
    plant(23, {"下一步计划": "再联系"})  # vague next step
    plant(27, {"预计成交日期": "下周"})  # unreadable date
    plant(31, {"预计成交金额(万元)": "待定"})  # unreadable amount
    deals[35]["预计成交日期"] = "2026年12月5日"  # text dates a person typed
    deals[36]["预计成交日期"] = "2027年1月18日"
    deals[39]["商机名称"] = '=HYPERLINK("http://evil.example","点我")'  # formula injection attempt
    deals[43]["商机名称"] = "<script>alert('过堂')</script>门户项目"
    # The hostile names stay in every output (escaped, never run), but as small, healthy C-class
    # deals with only a missing next step: risk-first pages list them last, not on the first screen.
    for i in (39, 43):
        deals[i].update({"销售阶段": "D进程确定", "商机分级": "C", "分级日期": d(10), "预计成交金额(万元)": 3,
                         "预计成交日期": d(-150), "最后跟进时间": d(2), "决策人": "周总", "内线": "IT部小王",
                         "内线级别": "中", "下一步计划": "", "报价日期": None, "报价金额(万元)": None})
    plant(47, {"决策人": "", "内线": "", "内线级别": "", "竞争对手": ""})  # thin information
    plant(50, {k: deals[20][k] for k in ("商机名称", "客户名称", "预计成交金额(万元)")})  # entered twice
    return deals


def write_zh_xlsx(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    rng = random.Random(SEED)
    deals = zh_deals(rng)
    wb = Workbook()
    notes = wb.active
    notes.title = "说明"
    for r, text in enumerate(
        [
            "本文件由CRM系统导出，仅供内部过堂使用。",
            "金额单位：万元；日期为预计成交日期。",
            "销售阶段：E确认商机 → D进程确定 → C方案论证 → B商务谈判 → A销售成交。",
            "商机分级：A类=4周内签约，B类=3个月内，C/D类=更远。",
        ],
        start=1,
    ):
        notes.cell(row=r, column=1, value=text)
    ws = wb.create_sheet("商机明细")
    ncol = len(ZH_HEADERS)
    ws.cell(row=1, column=1, value="华东区商机明细 2026-11").font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    ws.cell(row=2, column=1, value="导出时间：2026-11-20 09:00")
    # row 3 stays blank
    for j, header in enumerate(ZH_HEADERS, start=1):
        ws.cell(row=4, column=j, value=header).font = Font(bold=True)
    row = 5
    for i, deal in enumerate(deals):
        if i == 30:
            row += 1  # a blank row inside the data, as hand-edited exports have
        for j, header in enumerate(ZH_HEADERS, start=1):
            value = deal.get(header)
            if value is None or value == "":
                continue
            cell = ws.cell(row=row, column=j, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # keep it text: the sample must not carry a live formula
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
        row += 1
    ws.cell(row=row, column=1, value="合计")
    total = sum(v for v in (deal["预计成交金额(万元)"] for deal in deals) if isinstance(v, (int, float)))
    ws.cell(row=row, column=ZH_HEADERS.index("预计成交金额(万元)") + 1, value=round(total, 2))
    ws.freeze_panes = "A5"
    wb.properties.creator = "pipeaudit samples"
    wb.properties.created = datetime(2026, 11, 20, 9, 0)
    wb.properties.modified = datetime(2026, 11, 20, 9, 0)
    wb.save(path)
    _fix_zip_times(path)


def _fix_zip_times(path: Path) -> None:
    """openpyxl stamps zip entries with the current time; pin them so the file is byte-identical each run."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        parts = [(info, zf.read(info.filename)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            if info.filename == "docProps/core.xml":  # openpyxl writes "modified" as now
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-11-20T09:00:00Z", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 11, 20, 9, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            zf.writestr(fixed, data)


T6_STAGES = ["信息", "初访", "演示", "商务"]
T6_HEADERS = [
    "项目编号", "项目名称", "客户", "销售人员", "阶段", "金额", "预计签约日期", "创建时间", "最近跟进日期", "下步计划",
    "关键决策人", "内部支持者", "商机等级", "定级日期", "报价日期", "报价", "方案确认", "确认日期", "竞争对手", "成交概率",
]
T6_REPS = ["孙丽", "周强", "吴敏", "郑凯", "冯雪"]


def slash(day: date) -> str:
    return f"{day.year}/{day.month}/{day.day}"


def write_gb18030_csv(path: Path) -> None:
    rng = random.Random(SEED + 1)
    rows: list[list[str]] = []
    for i in range(50):
        roll = rng.random()
        stage = "签约" if roll < 0.1 else "丢单" if roll < 0.16 else rng.choices(T6_STAGES, weights=[4, 4, 3, 2])[0]
        rank = T6_STAGES.index(stage) if stage in T6_STAGES else 3
        wan = rng.choice([3, 5, 8, 12, 15, 20, 30, 45, 60])
        amount = "1.2亿" if i == 17 else f"{wan}万" if rng.random() < 0.8 else f"{wan * 10000:,}"
        open_ = stage in T6_STAGES
        confirmed = rank >= 2
        conf_day = d(rng.randint(15, 40)) if confirmed else None
        quote_day = conf_day + timedelta(days=rng.randint(2, 10)) if rank >= 3 and conf_day else None
        klass = {0: "D", 1: "C", 2: "B", 3: "A"}[rank] if open_ else ""
        rows.append(
            [
                f"XM{2026000 + i + 1}",
                f"{rng.choice(ZH_ACCOUNTS)[:4]}{rng.choice(ZH_PROJECTS)}",
                rng.choice(ZH_ACCOUNTS),
                T6_REPS[i % len(T6_REPS)],
                stage,
                amount,
                slash(d(-rng.randint(7, 120)) if open_ else d(rng.randint(3, 50))),
                slash(d(rng.randint(30, 180))),
                slash(d(rng.randint(0, 20))),
                rng.choice(NEXT_STEPS) if open_ else "",
                rng.choice(ZH_NAMES) if rank >= 1 else "",
                rng.choice(ZH_INSIDERS) if rank >= 1 and rng.random() > 0.15 else "",
                klass,
                slash(d(rng.randint(3, 50))) if klass else "",
                slash(quote_day) if quote_day else "",
                f"{round(wan * 1.05, 1)}万" if quote_day else "",
                "有" if confirmed else "无",
                slash(conf_day) if conf_day else "",
                rng.choice(ZH_COMPETITORS) if rank >= 1 else "",
                f"{rng.choice([10, 25, 40, 60, 80])}%",
            ]
        )
    rows[5][4], rows[5][10] = "演示", ""  # past the first visit, nobody named who decides
    rows[9][4], rows[9][14], rows[9][15], rows[9][16], rows[9][17] = "商务", slash(d(12)), "18万", "无", ""
    rows[13][9] = "跟进"  # vague next step
    buf = io.StringIO(newline="")
    buf.write("2026年11月 项目漏斗明细表\r\n")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(T6_HEADERS)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode("gb18030"))


SF_STAGES = [
    ("Prospecting", 10), ("Qualification", 10), ("Needs Analysis", 20), ("Value Proposition", 50),
    ("Id. Decision Makers", 60), ("Perception Analysis", 70), ("Proposal/Price Quote", 75), ("Negotiation/Review", 90),
]
SF_HEADERS = [
    "Opportunity ID", "Opportunity Name", "Account Name", "Opportunity Owner", "Stage", "Amount", "Close Date",
    "Created Date", "Last Activity", "Next Step", "Probability (%)", "Forecast Category", "Economic Buyer", "Champion",
    "Competitors", "Quote Sent Date", "Requirements Confirmed",
]
SF_REPS = ["Alice Chen", "Bob Martinez", "Carol Nguyen", "David O'Brien", "Emma Schulz", "Frank Li", "Grace Kim"]
SF_ACCOUNTS = [
    "Acme Manufacturing", "Globex Corp", "Initech", "Umbrella Health", "Stark Logistics", "Wayne Foods",
    "Hooli Retail", "Vandelay Imports", "Soylent Systems", "Total Solutions Ltd",
]
SF_PEOPLE = ["CFO Maria Lopez", "CIO Ken Adams", "VP Ops Raj Patel", "COO Linda Park", ""]
SF_CHAMPIONS = ["IT Manager Tom Reed", "Procurement lead Sue Ito", "Director Jan Novak", ""]
SF_NEXT = ["Demo to ops team Tue", "Send revised quote", "Security review call", "Exec sponsor meeting", "Draft MSA redlines"]


def us(day: date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def write_salesforce_csv(path: Path) -> None:
    rng = random.Random(SEED + 2)
    rows: list[list[str]] = []
    total = 0.0
    for i in range(55):
        roll = rng.random()
        if roll < 0.1:
            stage, prob, forecast = "Closed Won", 100, "Closed"
        elif roll < 0.17:
            stage, prob, forecast = "Closed Lost", 0, "Omitted"
        else:
            stage, prob = SF_STAGES[rng.choices(range(8), weights=[3, 3, 3, 2, 2, 2, 2, 1])[0]]
            forecast = "Commit" if prob >= 90 else "Best Case" if prob >= 60 else "Pipeline"
        rank = next((k for k, (name, _p) in enumerate(SF_STAGES) if name == stage), 7)
        amount = rng.choice([25, 40, 60, 85, 120, 250, 400, 1200]) * 1000.0
        total += amount
        open_ = not stage.startswith("Closed")
        confirmed = rank >= 2
        quote = d(rng.randint(2, 20)) if rank >= 6 else None
        rows.append(
            [
                f"0065g00000{rng.randrange(16**5):05X}",
                f"{rng.choice(SF_ACCOUNTS)} - {rng.choice(['Renewal', 'Expansion', 'New Logo', 'Platform'])}",
                rng.choice(SF_ACCOUNTS),
                SF_REPS[i % len(SF_REPS)],
                stage,
                f"${amount:,.2f}",
                us(d(-rng.randint(5, 150)) if open_ else d(rng.randint(3, 60))),
                us(d(rng.randint(30, 200))),
                us(d(rng.randint(0, 25))),
                rng.choice(SF_NEXT) if open_ else "",
                str(prob),
                forecast,
                rng.choice(SF_PEOPLE) if rank >= 1 else "",
                rng.choice(SF_CHAMPIONS) if rank >= 1 else "",
                rng.choice(["Oracle", "SAP", "Microsoft", "NetSuite", ""]) if rank >= 1 else "",
                us(quote) if quote else "",
                "Y" if confirmed else "N",
            ]
        )
    rows[4][4], rows[4][10], rows[4][11], rows[4][12] = "Negotiation/Review", "90", "Commit", ""  # no economic buyer
    rows[8][4], rows[8][15], rows[8][16] = "Proposal/Price Quote", us(d(9)), "N"  # quote before confirmation
    rows[12][4], rows[12][11] = "Qualification", "Commit"  # Commit forecast on an early stage
    rows[16][9] = "follow up"  # vague next step
    rows[20][1] = "Total Solutions Ltd - Renewal"
    rows[21][1] = "Total"  # a real deal with an unlucky name: must stay a deal
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(SF_HEADERS)
    writer.writerows(rows)
    grand = [""] * len(SF_HEADERS)
    grand[0] = f"Grand Totals ({len(rows)} records)"
    grand[5] = f"${total:,.2f}"
    writer.writerow(grand)
    path.write_bytes(buf.getvalue().encode("utf-8"))


HS_STAGES = ["Appointment Scheduled", "Qualified To Buy", "Presentation Scheduled", "Decision Maker Bought-In", "Contract Sent"]


def write_hubspot_csv(path: Path) -> None:
    rng = random.Random(SEED + 3)
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["Record ID", "Deal Name", "Deal Stage", "Amount", "Close Date", "Deal owner", "Create Date", "Pipeline"])
    for i in range(14):
        stage = "Closed Won" if i % 7 == 6 else rng.choice(HS_STAGES)
        writer.writerow(
            [
                str(9000000000 + i * 137),
                f"{rng.choice(SF_ACCOUNTS)} deal",
                stage,
                str(rng.choice([5000, 12000, 30000, 75000])),
                d(-rng.randint(5, 90)).isoformat(),
                ["Hana Sato", "Ivan Petrov", "Julia Rossi"][i % 3],
                d(rng.randint(20, 120)).isoformat() + " 10:15",
                "Sales Pipeline",
            ]
        )
    path.write_bytes(buf.getvalue().encode("utf-8"))


# A snake_case warehouse extract (a dbt model of CRM opportunities, as a data team hands it over):
# API-style headers no alias list names, a rep column not called "owner", lower-case stages with
# closed_won/closed_lost, fractional probabilities, timestamps with zones, is_closed/is_won flags
# and the counts a CRM keeps (close-date pushes, days in stage, contacts).
WH_HEADERS = [
    "opp_id", "opp_name", "account_name", "rep_name", "stage_name", "amount_usd", "close_date", "created_at",
    "last_activity_at", "next_step", "next_step_date", "forecast_category", "probability", "economic_buyer",
    "champion", "competitor", "close_date_push_count", "days_in_stage", "num_contacts", "is_closed", "is_won",
    "region",
]
WH_STAGES = [("discovery", 0.1), ("qualified", 0.2), ("demo", 0.4), ("proposal", 0.6), ("negotiation", 0.8)]
WH_REPS = ["Priya Raman", "Tom Becker", "Ana Souza", "Kenji Mori"]


def write_warehouse_csv(path: Path) -> None:
    rng = random.Random(SEED + 4)
    rows: list[list[str]] = []
    for i in range(40):
        roll = rng.random()
        closed = roll < 0.2
        won = roll < 0.12
        stage, prob = ("closed_won", 1.0) if won else ("closed_lost", 0.0) if closed else WH_STAGES[
            rng.choices(range(5), weights=[4, 3, 3, 2, 1])[0]]
        rank = next((k for k, (name, _p) in enumerate(WH_STAGES) if name == stage), 4)
        created = datetime(2026, 11, 23, 9) - timedelta(days=rng.randint(40, 240), minutes=rng.randint(0, 900))
        activity = datetime(2026, 11, 23, 8) - timedelta(days=rng.randint(0, 20), minutes=rng.randint(0, 600))
        next_day = d(-rng.randint(1, 14)) if not closed else None
        forecast = "Closed" if won else "Omitted" if closed else "Commit" if prob >= 0.8 else (
            "Best Case" if prob >= 0.6 else "Pipeline")
        rows.append([
            f"0068c00001{i:05d}AAA",
            f"{rng.choice(SF_ACCOUNTS)} {rng.choice(['renewal', 'expansion', 'new logo', 'pilot'])}",
            rng.choice(SF_ACCOUNTS),
            WH_REPS[i % len(WH_REPS)],
            stage,
            f"{rng.choice([18, 24, 36, 55, 80, 120, 240]) * 1000:.2f}",
            (d(-rng.randint(7, 150)) if not closed else d(rng.randint(3, 60))).isoformat(),
            created.strftime("%Y-%m-%d %H:%M:%S.") + f"{rng.randint(0, 999):03d} UTC",
            activity.strftime("%Y-%m-%dT%H:%M:%SZ"),
            rng.choice(SF_NEXT) if not closed else "",
            next_day.isoformat() if next_day else "",
            forecast,
            f"{prob:.1f}",
            rng.choice(SF_PEOPLE[:4]) if rank >= 1 else "",
            rng.choice(SF_CHAMPIONS[:3]) if rank >= 1 else "",
            rng.choice(["Oracle", "SAP", "Microsoft", ""]) if rank >= 1 else "",
            str(rng.choices([0, 1, 2, 3, 5], weights=[5, 3, 2, 1, 1])[0]),
            str(rng.randint(2, 70)),
            str(rng.randint(1, 9)),
            "true" if closed else "false",
            "true" if won else "false",
            rng.choice(["EMEA", "NA", "APAC"]),
        ])
    rows[3][4], rows[3][11], rows[3][12], rows[3][13] = "negotiation", "Commit", "0.8", ""  # no economic buyer
    rows[5][4], rows[5][11], rows[5][12] = "discovery", "Commit", "0.1"  # Commit on the first stage
    rows[7][4], rows[7][9] = "demo", "follow up"  # vague next step
    rows[9][4], rows[9][6], rows[9][16] = "proposal", d(20).isoformat(), "4"  # close date passed, pushed 4 times
    rows[11][4] = "on_hold"
    for r in (rows[3], rows[5], rows[7], rows[9], rows[11]):
        r[19], r[20] = "false", "false"
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(WH_HEADERS)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8"))


def main(out: Path = HERE) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    targets = {
        "crm_export_zh.xlsx": write_zh_xlsx,
        "crm_export_gb18030.csv": write_gb18030_csv,
        "salesforce_export.csv": write_salesforce_csv,
        "hubspot_export.csv": write_hubspot_csv,
        "warehouse_opportunities.csv": write_warehouse_csv,
    }
    written = []
    for name, writer in targets.items():
        writer(out / name)
        written.append(out / name)
    return written


if __name__ == "__main__":
    for p in main():
        print(p)
