"""Deterministic CRM exports for `make bench`, one file per shape of benchmarks/matrix.py.

Everything is generated column-wise with numpy (no per-deal Python loop), so a million deals take
seconds. Distinct values come from a permutation of the row numbers through an affine bijection,
split into mixed-radix digits that index small word pools: distinct by construction, in no visible
order, and the same on every run. The workbook is written by a minimal OOXML writer (shared
strings, date-styled serials, a merged title row, fixed zip timestamps) because openpyxl's
write_only mode needs ~40 s for 100k rows; `--openpyxl` keeps that path for comparison. Files are
cached under benchmarks/data/ keyed by the shape's factors, size, seed and GENERATOR_VERSION:
bump the version whenever the output changes.

    python benchmarks/generate.py --shape xlsx-worst            # default size of its format
    python benchmarks/generate.py --shape csv-base --rows 100000
    python benchmarks/generate.py --list
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import zipfile
from functools import reduce
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd  # the bench runs this module in a child process; the import is paid there

from matrix import QUICK_SIZES, SHAPES, SHEETS, SIZES, Shape  # noqa: F401  (benchmarks/ is on sys.path)

GENERATOR_VERSION = 2
DATA_DIR = Path(__file__).resolve().parent / "data"
SEED = 20261123
AS_OF = np.datetime64("2026-11-23")


#: Share of deals generated "messy" (stale, blanks, vague steps, overdue classes ...), by findings level.
MESSY_SHARE = {"few": 0.1, "many": 1.0}

#: The columns in export order: key, Chinese header, English header.
COLUMNS = [
    ("id", "商机编号", "Opportunity ID"),
    ("deal", "商机名称", "Opportunity Name"),
    ("account", "客户名称", "Account Name"),
    ("owner", "负责人", "Opportunity Owner"),
    ("stage", "销售阶段", "Stage"),
    ("amount", "预计成交金额(万元)", "Amount"),
    ("close", "预计成交日期", "Close Date"),
    ("created", "创建日期", "Created Date"),
    ("last", "最后跟进时间", "Last Activity"),
    ("next_step", "下一步计划", "Next Step"),
    ("decision_maker", "决策人", "Economic Buyer"),
    ("insider", "内线", "Champion"),
    ("class", "商机分级", "Deal Class"),
    ("class_since", "分级日期", "Class Since"),
    ("quote_date", "报价日期", "Quote Sent Date"),
    ("quote_amount", "报价金额(万元)", "Quote Amount"),
    ("confirmed", "需求确认", "Requirements Confirmed"),
    ("confirmed_date", "需求确认日期", "Requirements Confirmed Date"),
    ("competitors", "竞争对手", "Competitors"),
    ("needs", "客户需求", "Customer Needs"),
    ("budget", "预算", "Budget"),
    ("timeline", "采购时间", "Timeline"),
    ("probability", "赢率", "Probability (%)"),
]
KEYS = [c[0] for c in COLUMNS]
DATE_KEYS = {"close", "created", "last", "class_since", "quote_date", "confirmed_date"}
NUMBER_KEYS = {"amount", "quote_amount"}
#: The columns that hold a new value on every row in the distinct shapes (the id always does).
DISTINCT_KEYS = ("deal", "account", "decision_maker", "insider", "next_step")


def headers(lang: str) -> list[str]:
    return [c[1] if lang == "zh" else c[2] for c in COLUMNS]


VOCAB: dict[str, dict] = {
    "zh": {
        "sheet": SHEETS["zh"],
        "notes_sheet": "说明",
        "notes": "本文件由CRM系统导出，仅供内部使用。",
        "title": "商机列表（导出时间：2026-11-23 09:00，导出人：系统管理员）",
        "total": "合计",
        "stages": ["E确认商机", "D进程确定", "C方案论证", "B商务谈判", "A销售成交", "赢单", "输单",
                   "B阶段-商务谈判", "C阶段"],
        "surnames": list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"),
        "given": ["伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "勇", "军", "杰", "涛", "明", "超", "霞"],
        "cities": ["北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "武汉", "西安", "苏州", "天津", "重庆"],
        "trades": ["智能制造", "医疗科技", "物流", "能源", "电子", "化工", "食品", "建设", "信息技术", "汽车零部件"],
        "brand": list("华信达联新恒泰丰源盛科瑞通宏远安康博创立德嘉和中天海宁永祥金鼎伟业兴隆明光凯益诚汇"),
        "products": ["ERP升级", "MES实施", "CRM替换", "数据中台", "供应链协同", "财务共享", "云迁移", "安全加固"],
        "steps": ["安排技术交流", "约决策人拜访", "提交方案书", "演示产品", "确认预算来源", "发送报价", "推动合同评审",
                  "邀请参观样板客户", "与采购部沟通商务条款"],
        "vague": ["跟进", "再联系", "待定"],
        "vague_lead": ["继续跟进", "再联系", "等客户回复"],
        "roles": ["总经理", "CIO", "财务总监", "副总裁", "IT经理", "采购经理", "董事长"],
        "depts": ["信息中心", "IT部", "采购部", "财务部", "生产部", "总经办", "技术部"],
        "yes": "是", "no": "否",
        "competitors": ["金蝶", "用友", "SAP", "Oracle", "鼎捷", "浪潮", "无", "未知"],
        "needs": ["降低库存", "提升交付效率", "统一数据口径", "合规审计", "替换老旧系统", "移动办公"],
        "budgets": ["已立项", "50-100万", "100万以上", "未明确", "预算申请中"],
        "timelines": ["本季度", "下季度", "年底前", "明年上半年", "未定"],
        "unreadable": {"close": "下月底", "amount": "约十五万", "confirmed": "看情况", "probability": "高"},
    },
    "en": {
        "sheet": SHEETS["en"],
        "notes_sheet": "Notes",
        "notes": "Exported from the CRM for internal use only.",
        "title": "Opportunities report (exported 2026-11-23 09:00 by admin)",
        "total": "Total",
        "stages": ["Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review",
                   "Closed Won", "Closed Lost", "Value Proposition", "Id. Decision Makers"],
        "first": ["Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Irene", "Jack", "Karen",
                  "Liam", "Maria", "Noah", "Olivia", "Paul", "Quinn", "Rachel", "Sam", "Tina", "Umar", "Vera",
                  "Will", "Xena", "Yusuf", "Zoe", "Aaron", "Bella", "Chris", "Diana", "Ethan", "Fiona", "George",
                  "Hana", "Ivan", "Julia", "Kevin", "Laura", "Mike", "Nina"],
        "last": ["Smith", "Chen", "Martinez", "Patel", "Johnson", "Kim", "Garcia", "Brown", "Nguyen", "Lopez",
                 "Wilson", "Khan", "Taylor", "Sato", "Anderson", "Thomas", "Moore", "Jackson", "White", "Harris",
                 "Clark", "Lewis", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker",
                 "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans",
                 "Turner"],
        "cities": ["Boston", "Austin", "Denver", "Seattle", "Chicago", "Atlanta", "Phoenix", "Dallas", "Portland",
                   "Miami", "Detroit", "Toronto"],
        "trades": ["Manufacturing", "Medical", "Logistics", "Energy", "Electronics", "Chemicals", "Foods",
                   "Construction", "IT Services", "Auto Parts"],
        "syllables": [
            ["Nor", "Vel", "Cas", "Bri", "Tor", "Lum", "Ast", "Ker", "Dal", "Fen", "Gal", "Hal", "Jun", "Kal",
             "Mer", "Nex", "Ori", "Pax", "Quin", "Ros", "Sol", "Tal", "Ul", "Vor", "Wes", "Xan", "Yor", "Zen",
             "Ar", "Bel"],
            ["a", "e", "i", "o", "u", "ar", "en", "is", "or", "um", "el", "an", "ex", "ia", "on", "ur", "ax",
             "ir", "ol", "yn", "ae", "ea", "io", "ou", "ra", "ri", "ro", "ta", "ti", "va"],
            ["tech", "ly", "nix", "sys", "vo", "dyn", "tra", "gen", "ton", "mark", "line", "core", "field",
             "works", "point", "ridge", "stone", "view", "wave", "bridge", "gate", "path", "port", "star",
             "vale", "wood", "worth", "ford", "crest", "dale"],
        ],
        "legal": ["Inc.", "LLC", "Ltd", "Corp.", "Group"],
        "products": ["ERP Upgrade", "MES Rollout", "CRM Replacement", "Data Platform", "Supply Chain",
                     "Finance Shared Services", "Cloud Migration", "Security Hardening"],
        "steps": ["Schedule technical workshop", "Meet the economic buyer", "Submit proposal", "Product demo",
                  "Confirm budget source", "Send quote", "Start contract review", "Reference customer visit",
                  "Agree commercial terms with procurement"],
        "vague": ["Follow up", "Check in", "TBD"],
        "vague_lead": ["Follow up with", "Check in with", "Waiting on"],
        "roles": ["CEO", "CIO", "CFO", "VP Operations", "IT Manager", "Procurement Manager", "Chairman"],
        "depts": ["IT", "Finance", "Procurement", "Operations", "Plant", "Engineering", "PMO"],
        "yes": "Yes", "no": "No",
        "competitors": ["Microsoft", "Oracle", "SAP", "Salesforce", "Workday", "Infor", "None", "Unknown"],
        "needs": ["Reduce inventory", "Faster delivery", "One source of truth", "Compliance audit",
                  "Replace legacy system", "Mobile access"],
        "budgets": ["Approved", "50-100k", "Over 100k", "Unclear", "Requested"],
        "timelines": ["This quarter", "Next quarter", "By year end", "H1 next year", "Undecided"],
        "unreadable": {"close": "end of next month", "amount": "about 150k", "confirmed": "depends",
                       "probability": "high"},
    },
}
STAGE_P = np.array([0.22, 0.18, 0.15, 0.10, 0.07, 0.12, 0.10, 0.04, 0.02])
STAGE_RANK = np.array([0, 1, 2, 3, 4, 5, 5, 3, 2])  # 5 = closed
STAGE_PROB = np.array(["10%", "20%", "40%", "60%", "80%", "100%", "0%", "60%", "40%"])


def owner_names(count: int = 200, lang: str = "zh") -> np.ndarray:
    """Distinct, realistic owner names, the same every run."""
    v = VOCAB[lang]
    if lang == "en":
        return np.array([f"{f} {s}" for s in v["last"] for f in v["first"]][:count])
    names = [s + g for s in v["surnames"] for g in v["given"]]
    names += [s + g + h for s in v["surnames"] for g in v["given"] for h in v["given"][::3]]
    return np.array(names[:count])


# ---- distinct values ---------------------------------------------------------------------


def spread(rng: np.random.Generator, n: int, space: int) -> np.ndarray:
    """n distinct integers in [0, space), in no visible order: a permutation of 0..n-1 sent through
    x -> (a*x + b) mod space, a bijection when a and space are coprime."""
    if space < n:
        raise ValueError(f"a pool of {space:,} combinations cannot give {n:,} distinct values")
    a = 1_000_003
    while math.gcd(a, space) != 1:
        a += 2
    b = int(rng.integers(space))
    return (rng.permutation(n).astype(np.int64) * a + b) % space


def digits(k: np.ndarray, radices: list[int]) -> list[np.ndarray]:
    """Mixed-radix digits of k, least significant first (the last radix may be exceeded: no wrap)."""
    out = []
    for r in radices[:-1]:
        out.append(k % r)
        k = k // r
    out.append(k)
    return out


def _cat(*parts) -> np.ndarray:
    """Element-wise concatenation of str arrays and plain strings."""
    return reduce(np.char.add, [np.asarray(p, dtype=str) for p in parts])


def _pool(values, idx) -> np.ndarray:
    return np.asarray(values, dtype=str)[idx]


def distinct_accounts(rng: np.random.Generator, n: int, lang: str) -> np.ndarray:
    v = VOCAB[lang]
    if lang == "zh":  # 杭州 + 华信达 + 智能制造 + 有限公司: 12 * 40^3 * 10 = 7.7 M names
        b = v["brand"]
        radices = [len(v["cities"]), len(b), len(b), len(b), len(v["trades"])]
        c, b1, b2, b3, t = digits(spread(rng, n, math.prod(radices)), radices)
        return _cat(_pool(v["cities"], c), _pool(b, b1), _pool(b, b2), _pool(b, b3), _pool(v["trades"], t), "有限公司")
    s1, s2, s3 = v["syllables"]  # Norvextech Logistics Inc.: 30^3 * 10 * 5 = 1.35 M names
    radices = [len(s1), len(s2), len(s3), len(v["trades"]), len(v["legal"])]
    a, b, c, t, lg = digits(spread(rng, n, math.prod(radices)), radices)
    return _cat(_pool(s1, a), _pool(s2, b), _pool(s3, c), " ", _pool(v["trades"], t), " ", _pool(v["legal"], lg))


def distinct_contacts(rng: np.random.Generator, n: int, lang: str, roles: list[str]) -> np.ndarray:
    """A name, a role and a phone tail: 王伟强（财务总监，尾号0427） / Alice Smith (CFO x0427)."""
    v = VOCAB[lang]
    if lang == "zh":
        radices = [len(v["surnames"]), len(v["given"]), len(v["given"]), len(roles), 10_000]
        s, g1, g2, r, tail = digits(spread(rng, n, math.prod(radices)), radices)
        return _cat(_pool(v["surnames"], s), _pool(v["given"], g1), _pool(v["given"], g2), "（", _pool(roles, r),
                    "，尾号", np.char.zfill(tail.astype(str), 4), "）")
    radices = [len(v["first"]), len(v["last"]), len(roles), 10_000]
    f, la, r, tail = digits(spread(rng, n, math.prod(radices)), radices)
    return _cat(_pool(v["first"], f), " ", _pool(v["last"], la), " (", _pool(roles, r), " x",
                np.char.zfill(tail.astype(str), 4), ")")


def pool_collisions(lang: str) -> int:
    """How many whole pools' combinations print alike (0: distinct by construction); for the tests."""
    v = VOCAB[lang]
    if lang == "zh":
        b = v["brand"]
        names = [x + y + z for x in b for y in b for z in b]
    else:
        s1, s2, s3 = v["syllables"]
        names = [x + y + z for x in s1 for y in s2 for z in s3]
    return len(names) - len(set(names))


# ---- the frame ---------------------------------------------------------------------------


def make_frame(rows: int, seed: int = SEED, *, text: str = "repeated", lang: str = "zh",
               findings: str = "many", owners: int = 200) -> pd.DataFrame:
    """The deal table as an export has it (keyed by KEYS): strings, None for blanks, datetimes, floats.

    Each deal is "messy" with probability MESSY_SHARE[findings]: a messy deal has the old bench's
    distributions (follow-ups months old, close dates passed or far out, blanks, vague next steps,
    overdue classes, quotes before confirmation); a clean one has none of that.
    """
    rng = np.random.default_rng(seed)
    n = rows
    v = VOCAB[lang]
    messy = rng.random(n) < MESSY_SHARE[findings]

    def pick(values, p=None) -> np.ndarray:
        values = np.asarray(values, dtype=object)
        return values[rng.choice(len(values), size=n, p=p)]

    def blank(arr: np.ndarray, share: float) -> np.ndarray:
        arr = np.asarray(arr).astype(object)
        arr[messy & (rng.random(n) < share)] = None
        return arr

    def days(base, low: int, high: int) -> np.ndarray:
        return base + rng.integers(low, high, size=n).astype("timedelta64[D]")

    idx = np.arange(1, n + 1)
    if text == "distinct":
        account = distinct_accounts(rng, n, lang)
    else:
        accounts = [c + t + "有限公司" for c in v["cities"] for t in v["trades"]] if lang == "zh" else \
            [f"{c} {t} Inc." for c in v["cities"] for t in v["trades"]]
        account = _pool(accounts, rng.integers(0, len(accounts), n))
    product = _pool(v["products"], rng.integers(0, len(v["products"]), n))
    stage_i = rng.choice(len(STAGE_P), size=n, p=STAGE_P)
    rank = STAGE_RANK[stage_i]
    deal_class = pick(["A", "B", "C", "D", "X"], [0.12, 0.25, 0.3, 0.2, 0.13])
    created = days(np.full(n, AS_OF), -540, -7)
    close = np.where(messy, days(AS_OF, -60, 300),
                     np.where(deal_class == "A", days(AS_OF, 3, 27), days(AS_OF, 5, 120)))
    last = np.where(messy, created + (rng.random(n) * (AS_OF - created).astype(int)).astype("timedelta64[D]"),
                    days(AS_OF, -6, 1))
    amount = np.round(rng.lognormal(3.0, 1.0, n), 1)  # 万元
    if lang == "en":
        amount = np.round(amount * 1000, 0)  # dollars, roughly
    class_since = np.where(messy, days(AS_OF, -120, 0),
                           np.where(deal_class == "A", days(AS_OF, -25, 0),
                                    np.where(deal_class == "B", days(AS_OF, -85, 0), days(AS_OF, -120, 0))))
    quoted = (rank >= 3) | (rng.random(n) < 0.08)
    quote_date = np.where(quoted, days(AS_OF, -90, 0), np.datetime64("NaT"))
    quote_amount = np.where(quoted, np.round(amount * rng.uniform(0.85, 1.2, n), 1), np.nan)
    confirmed = np.where(~messy | (rng.random(n) < 0.75), v["yes"], v["no"]).astype(object)
    confirmed_date = np.where(
        confirmed == v["yes"],
        np.where(messy | ~quoted, days(AS_OF, -120, 0), quote_date - rng.integers(1, 30, n).astype("timedelta64[D]")),
        np.datetime64("NaT"))
    vague = messy & (rng.random(n) < 0.25)
    if text == "distinct":
        person = distinct_contacts(rng, n, lang, v["roles"])
        insider = distinct_contacts(rng, n, lang, v["depts"])
        contact = distinct_contacts(rng, n, lang, v["roles"] + v["depts"])
        sep = "：" if lang == "zh" else " with "
        step = _cat(_pool(v["steps"], rng.integers(0, len(v["steps"]), n)), sep, contact)
        lead_sep = "：" if lang == "zh" else " "
        vague_step = _cat(_pool(v["vague_lead"], rng.integers(0, len(v["vague_lead"]), n)), lead_sep, contact)
        next_step = np.where(vague, vague_step, step)
    else:
        if lang == "zh":
            person = _cat(_pool(v["surnames"], rng.integers(0, len(v["surnames"]), n)),
                          _pool(v["roles"], rng.integers(0, len(v["roles"]), n)))
            insider = _cat(_pool(v["surnames"], rng.integers(0, len(v["surnames"]), n)), "工")
        else:
            person = _cat(_pool(v["last"], rng.integers(0, len(v["last"]), n)), " (",
                          _pool(v["roles"], rng.integers(0, len(v["roles"]), n)), ")")
            insider = _cat(_pool(v["first"], rng.integers(0, len(v["first"]), n)), " in ",
                           _pool(v["depts"], rng.integers(0, len(v["depts"]), n)))
        next_step = np.where(vague, _pool(v["vague"], rng.integers(0, len(v["vague"]), n)),
                             _pool(v["steps"], rng.integers(0, len(v["steps"]), n)))
    sep = "-" if lang == "zh" else " - "
    columns = {
        "id": _cat("OPP-", np.char.zfill(idx.astype(str), 7)),
        "deal": _cat(account, sep, product),
        "account": account,
        "owner": owner_names(owners, lang)[rng.integers(0, owners, n)],
        "stage": np.asarray(v["stages"])[stage_i],
        "amount": amount,
        "close": close,
        "created": created,
        "last": last,
        "next_step": blank(next_step, 0.2),
        "decision_maker": blank(person, 0.25),
        "insider": blank(insider, 0.3),
        "class": deal_class,
        "class_since": np.where(rng.random(n) < 0.9, class_since, np.datetime64("NaT")),
        "quote_date": quote_date,
        "quote_amount": quote_amount,
        "confirmed": blank(confirmed, 0.05),
        "confirmed_date": confirmed_date,
        "competitors": blank(pick(v["competitors"]), 0.3),
        "needs": blank(pick(v["needs"]), 0.15),
        "budget": blank(pick(v["budgets"]), 0.2),
        "timeline": blank(pick(v["timelines"]), 0.2),
        "probability": STAGE_PROB[stage_i],
    }
    frame = pd.DataFrame({k: (c.astype(object) if c.dtype.kind == "U" else c) for k, c in columns.items()})
    # A few values a person typed that no reader can parse: about one in two thousand deals.
    for key, word in v["unreadable"].items():
        bad = rng.random(n) < 0.0005
        values = frame[key].astype(object)
        values[bad] = word
        frame[key] = values
    return frame


def as_text_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """The date columns as ISO text (what a CSV holds, and a workbook whose dates were typed as text)."""
    out = frame.copy()
    for key in DATE_KEYS:
        values = frame[key].astype(object)
        dates = _as_dates(values)
        text = pd.Series(np.datetime_as_string(dates.to_numpy(), unit="D"), dtype=object, index=frame.index)
        out[key] = text.where(dates.notna(), values)
    return out


def _as_dates(obj: pd.Series) -> pd.Series:
    """Datetimes of a date column that also holds a few typed-in words (those become NaT)."""
    return pd.to_datetime(obj.where(obj.map(type) != str, None), errors="coerce")


# ---- CSV ---------------------------------------------------------------------------------


def write_csv(frame: pd.DataFrame, path: Path, lang: str = "zh") -> None:
    """UTF-8 with BOM (what Chinese CRMs export), a title line above the header, a total line."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    v = VOCAB[lang]
    text = as_text_dates(frame)
    columns = {}
    for key in KEYS:
        values = text[key].astype(object)
        present = values.notna()
        columns[key] = pa.array(values.where(present, None).astype(str).where(present, None), type=pa.string())
    total = round(float(pd.to_numeric(frame["amount"], errors="coerce").sum()), 1)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        fh.write(("\ufeff" + v["title"] + "\r\n" + ",".join(headers(lang)) + "\r\n").encode("utf-8"))
        # Generated values hold no comma, quote or newline; "none" raises if that ever changes.
        options = pacsv.WriteOptions(include_header=False, quoting_style="none", eol="\r\n")
        pacsv.write_csv(pa.table(columns), fh, options)
        fh.write((v["total"] + ",,,,," + str(total) + "," * (len(KEYS) - 6) + "\r\n").encode("utf-8"))
    tmp.replace(path)


# ---- XLSX (minimal writer) ---------------------------------------------------------------


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


_EXCEL_EPOCH = np.datetime64("1899-12-30")
_ZIP_TIME = (2026, 11, 23, 9, 0, 0)  # fixed, so the same frame gives the same bytes


def _text_mask(obj: pd.Series, key: str, excel_dates: bool) -> np.ndarray:
    """Which cells of a column are text (not numbers or dates, except the unreadable ones)."""
    if key in DATE_KEYS and excel_dates:
        return (_as_dates(obj).isna() & obj.notna()).to_numpy()
    if key in NUMBER_KEYS:
        return (pd.to_numeric(obj, errors="coerce").isna() & obj.notna()).to_numpy()
    return obj.notna().to_numpy()


def _cells(values: pd.Series, key: str, letter: str, rows: np.ndarray, strings: dict, excel_dates: bool) -> pd.Series:
    """One column's <c> elements as a string Series ('' for a blank cell)."""
    ref = '<c r="' + letter + pd.Series(rows.astype(str))
    obj = values.astype(object).reset_index(drop=True)
    out = pd.Series([""] * len(obj), dtype=object)
    blank = obj.isna().to_numpy()
    str_mask = _text_mask(obj, key, excel_dates)
    num_mask = ~blank & ~str_mask
    if key in DATE_KEYS and excel_dates:
        arr = _as_dates(obj).to_numpy()
        serial = pd.Series(((arr - _EXCEL_EPOCH) / np.timedelta64(1, "D")).astype(object)).astype(str)
        out[num_mask] = ref[num_mask] + '" s="1"><v>' + serial[num_mask] + "</v></c>"
        num_mask = np.zeros_like(num_mask)
    if num_mask.any():
        out[num_mask] = ref[num_mask] + '"><v>' + obj[num_mask].astype(str) + "</v></c>"
    if str_mask.any():
        codes = obj[str_mask].map(strings).astype(str)
        out[str_mask] = ref[str_mask] + '" t="s"><v>' + codes.to_numpy() + "</v></c>"
    return out


def write_xlsx(frame: pd.DataFrame, path: Path, lang: str = "zh", dates: str = "excel", notes_sheet: bool = True) -> None:
    """A workbook like a CRM export: a notes sheet first, then the deals under a merged title."""
    v = VOCAB[lang]
    excel_dates = dates == "excel"
    if not excel_dates:
        frame = as_text_dates(frame)
    heads = headers(lang)
    n = len(frame)
    rows = np.arange(3, n + 3)  # row 1 = title, row 2 = header
    all_text = pd.concat([frame[k].astype(object)[_text_mask(frame[k].astype(object), k, excel_dates)] for k in KEYS])
    uniques = pd.unique(pd.concat([pd.Series(heads + [v["title"], v["total"]]), all_text], ignore_index=True))
    strings = {s: i for i, s in enumerate(uniques)}
    letters = [_col_letter(i) for i in range(len(KEYS))]
    columns = [_cells(frame[k], k, letters[i], rows, strings, excel_dates) for i, k in enumerate(KEYS)]
    body = reduce(lambda a, b: a + b, columns)
    body = '<row r="' + pd.Series(rows.astype(str)) + '">' + body + "</row>"
    header = '<row r="2">' + "".join(
        f'<c r="{letters[i]}2" t="s"><v>{strings[h]}</v></c>' for i, h in enumerate(heads)) + "</row>"
    title = f'<row r="1"><c r="A1" t="s"><v>{strings[v["title"]]}</v></c></row>'
    total_row = n + 3
    amount = round(float(pd.to_numeric(frame["amount"], errors="coerce").sum()), 1)
    total = (f'<row r="{total_row}"><c r="A{total_row}" t="s"><v>{strings[v["total"]]}</v></c>'
             f'<c r="F{total_row}"><v>{amount}</v></c></row>')
    last = f"{letters[-1]}{total_row}"
    sheet = "".join([
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
        f'<dimension ref="A1:{last}"/><sheetData>', title, header, "".join(body.tolist()), total,
        f'</sheetData><mergeCells count="1"><mergeCell ref="A1:{letters[-1]}1"/></mergeCells></worksheet>',
    ])
    sst = "".join(["<si><t>" + escape(str(s)) + "</t></si>" for s in uniques])
    sst = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats'
           f'.org/spreadsheetml/2006/main" count="{len(uniques)}" uniqueCount="{len(uniques)}">{sst}</sst>')
    sheets = [(v["notes_sheet"], "sheet1.xml"), (v["sheet"], "sheet2.xml")] if notes_sheet else [(v["sheet"], "sheet1.xml")]
    notes = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.'
             'openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr">'
             f'<is><t>{escape(v["notes"])}</t></is></c></row></sheetData></worksheet>')
    ns = "http://schemas.openxmlformats.org"
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Types xmlns="{ns}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/{f}" ContentType="application/vnd.openxmlformats-'
                  'officedocument.spreadsheetml.worksheet+xml"/>' for _, f in sheets)
        + '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.styles+xml"/></Types>')
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
        f'Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>')
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/relationships">'
        "<sheets>" + "".join(f'<sheet name="{escape(name)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                             for i, (name, _) in enumerate(sheets)) + "</sheets></workbook>")
    wb_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{ns}/package/2006/relationships">'
        + "".join(f'<Relationship Id="rId{i + 1}" Type="{ns}/officeDocument/2006/relationships/worksheet" '
                  f'Target="worksheets/{f}"/>' for i, (_, f) in enumerate(sheets))
        + f'<Relationship Id="rId{len(sheets) + 1}" Type="{ns}/officeDocument/2006/relationships/'
        'sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId{len(sheets) + 2}" Type="{ns}/officeDocument/2006/relationships/styles" '
        'Target="styles.xml"/></Relationships>')
    styles = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<styleSheet xmlns="{ns}/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill '
        'patternType="gray125"/></fill></fills><borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        "</styleSheet>")
    parts = [("[Content_Types].xml", content_types), ("_rels/.rels", root_rels), ("xl/workbook.xml", workbook),
             ("xl/_rels/workbook.xml.rels", wb_rels), ("xl/styles.xml", styles), ("xl/sharedStrings.xml", sst)]
    if notes_sheet:
        parts.append(("xl/worksheets/sheet1.xml", notes))
    parts.append((f"xl/worksheets/{sheets[-1][1]}", sheet))
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data, compresslevel=1)
    tmp.replace(path)


def write_xlsx_openpyxl(frame: pd.DataFrame, path: Path, lang: str = "zh") -> None:
    """The slow reference writer, kept to measure the minimal writer against."""
    from openpyxl import Workbook

    v = VOCAB[lang]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(v["sheet"])
    ws.append([v["title"]])
    ws.append(headers(lang))
    for row in frame[KEYS].astype(object).itertuples(index=False, name=None):
        ws.append([None if (x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NaT) else
                   (x.to_pydatetime() if isinstance(x, pd.Timestamp) else x) for x in row])
    wb.save(path)


# ---- cache -------------------------------------------------------------------------------


def default_rows(shape: Shape, quick: bool = False) -> int:
    return (QUICK_SIZES if quick else SIZES)[shape.fmt]


def dataset_path(shape: Shape, rows: int, seed: int = SEED, data_dir: Path = DATA_DIR) -> Path:
    return data_dir / f"deals_{shape.key}_{rows}_s{seed}_v{GENERATOR_VERSION}.{shape.fmt}"


def write_shape(shape: Shape, rows: int, path: Path, seed: int = SEED) -> Path:
    frame = make_frame(rows, seed, text=shape.text, lang=shape.lang, findings=shape.findings)
    if shape.fmt == "csv":
        write_csv(frame, path, shape.lang)
    else:
        write_xlsx(frame, path, shape.lang, shape.dates)
    return path


def dataset(shape: Shape | str, rows: int | None = None, seed: int = SEED, refresh: bool = False,
            data_dir: Path = DATA_DIR) -> Path:
    """Path to the cached export of `shape` with `rows` deals, generating it when missing."""
    shape = SHAPES[shape] if isinstance(shape, str) else shape
    rows = rows or default_rows(shape)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = dataset_path(shape, rows, seed, data_dir)
    if path.exists() and not refresh:
        return path
    return write_shape(shape, rows, path, seed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", action="append", metavar="NAME", help=f"repeatable; one of {', '.join(SHAPES)}")
    ap.add_argument("--rows", type=int, help="deals (default: 100,000 for xlsx, 1,000,000 for csv)")
    ap.add_argument("--quick", action="store_true", help="default sizes of --quick: 10,000 xlsx, 100,000 csv")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--refresh", action="store_true", help="regenerate even if cached")
    ap.add_argument("--list", action="store_true", help="print the shapes and exit")
    ap.add_argument("--openpyxl", metavar="PATH", help="also write the (first) xlsx shape with openpyxl, to compare")
    args = ap.parse_args(argv)
    if args.list:
        for s in SHAPES.values():
            print(f"{s.name:<15} {s.fmt:<4} {s.factors:<45} {s.why}")
        return 0
    names = args.shape or list(SHAPES)
    unknown = [n for n in names if n not in SHAPES]
    if unknown:
        ap.error(f"unknown shape {unknown[0]!r}; expected one of {', '.join(SHAPES)}")
    for name in names:
        shape = SHAPES[name]
        rows = args.rows or default_rows(shape, args.quick)
        t = time.perf_counter()
        path = dataset(shape, rows, args.seed, args.refresh)
        print(f"{path}  ({path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t:.1f} s)", flush=True)
        if args.openpyxl and shape.fmt == "xlsx":
            t = time.perf_counter()
            frame = make_frame(rows, args.seed, text=shape.text, lang=shape.lang, findings=shape.findings)
            write_xlsx_openpyxl(frame, Path(args.openpyxl), shape.lang)
            print(f"{args.openpyxl}  (openpyxl write_only, {time.perf_counter() - t:.1f} s)")
            args.openpyxl = None
    return 0


if __name__ == "__main__":
    sys.exit(main())
