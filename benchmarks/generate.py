"""Deterministic large CRM exports for `make bench`: a Chinese .xlsx and a UTF-8 .csv.

Everything is generated column-wise with numpy (no per-deal Python loop), so a million deals take
seconds. The workbook is written by a minimal OOXML writer (shared strings, date-styled serials,
a merged title row) because openpyxl's write_only mode needs ~40 s for 100k rows; `--openpyxl`
keeps that path for comparison. Files are cached under benchmarks/data/ keyed by size, seed and
GENERATOR_VERSION: bump the version whenever the output changes.

    python benchmarks/generate.py --rows 100000 --format xlsx
    python benchmarks/generate.py --rows 1000000 --format csv
"""

from __future__ import annotations

import argparse
import sys
import time
import zipfile
from functools import reduce
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd  # the bench imports only dataset_path; the cost is paid once

GENERATOR_VERSION = 1
DATA_DIR = Path(__file__).resolve().parent / "data"
AS_OF = np.datetime64("2026-11-23")
TITLE = "商机列表（导出时间：2026-11-23 09:00，导出人：系统管理员）"

HEADERS = [
    "商机编号", "商机名称", "客户名称", "负责人", "销售阶段", "预计成交金额(万元)", "预计成交日期",
    "创建日期", "最后跟进时间", "下一步计划", "决策人", "内线", "商机分级", "分级日期", "报价日期",
    "报价金额(万元)", "需求确认", "需求确认日期", "竞争对手", "客户需求", "预算", "采购时间", "赢率",
]
DATE_COLUMNS = {"预计成交日期", "创建日期", "最后跟进时间", "分级日期", "报价日期", "需求确认日期"}
NUMBER_COLUMNS = {"预计成交金额(万元)", "报价金额(万元)"}

STAGES = np.array(["E确认商机", "D进程确定", "C方案论证", "B商务谈判", "A销售成交", "赢单", "输单",
                   "B阶段-商务谈判", "C阶段"])
STAGE_P = np.array([0.22, 0.18, 0.15, 0.10, 0.07, 0.12, 0.10, 0.04, 0.02])
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "勇", "军", "杰", "涛", "明", "超", "霞"]
CITIES = ["北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "武汉", "西安", "苏州", "天津", "重庆"]
TRADES = ["智能制造", "医疗科技", "物流", "能源", "电子", "化工", "食品", "建设", "信息技术", "汽车零部件"]
PRODUCTS = ["ERP升级", "MES实施", "CRM替换", "数据中台", "供应链协同", "财务共享", "云迁移", "安全加固"]
NEXT_STEPS = ["安排技术交流", "约决策人拜访", "提交方案书", "演示产品", "确认预算来源", "跟进", "再联系",
              "发送报价", "推动合同评审", "邀请参观样板客户", "待定", "与采购部沟通商务条款"]
PEOPLE_ROLES = ["总经理", "CIO", "财务总监", "副总裁", "IT经理", "采购经理", "董事长"]
COMPETITORS = ["金蝶", "用友", "SAP", "Oracle", "鼎捷", "浪潮", "无", "未知"]
NEEDS = ["降低库存", "提升交付效率", "统一数据口径", "合规审计", "替换老旧系统", "移动办公"]
BUDGETS = ["已立项", "50-100万", "100万以上", "未明确", "预算申请中"]
TIMELINES = ["本季度", "下季度", "年底前", "明年上半年", "未定"]
UNREADABLE = {"预计成交日期": "下月底", "预计成交金额(万元)": "约十五万", "需求确认": "看情况", "赢率": "高"}


def owner_names(count: int = 200) -> np.ndarray:
    """Distinct, realistic two- and three-character names, the same every run."""
    names = [s + g for s in SURNAMES for g in GIVEN]
    names += [s + g + h for s in SURNAMES for g in GIVEN for h in GIVEN[::3]]
    return np.array(names[:count])


def make_frame(rows: int, seed: int = 20261123, owners: int = 200) -> pd.DataFrame:
    """The deal table as an export has it: strings, None for blanks, datetimes, floats."""
    rng = np.random.default_rng(seed)
    n = rows
    idx = np.arange(1, n + 1)

    def pick(values, p=None) -> np.ndarray:
        values = np.asarray(values, dtype=object)
        return values[rng.choice(len(values), size=n, p=p)]

    def blank(arr: np.ndarray, share: float) -> np.ndarray:
        arr = arr.astype(object)
        arr[rng.random(n) < share] = None
        return arr

    def days(base: np.ndarray, low: int, high: int) -> np.ndarray:
        return base + rng.integers(low, high, size=n).astype("timedelta64[D]")

    accounts = np.array([c + t + "有限公司" for c in CITIES for t in TRADES], dtype=object)
    accounts = np.char.add(accounts.astype(str), "")  # numpy str for vectorised concatenation
    account = accounts[rng.integers(0, len(accounts), n)]
    product = np.asarray(PRODUCTS)[rng.integers(0, len(PRODUCTS), n)]
    stage_i = rng.choice(len(STAGES), size=n, p=STAGE_P)
    stage = STAGES[stage_i]
    rank = np.array([0, 1, 2, 3, 4, 5, 5, 3, 2])[stage_i]  # 5 = closed
    created = days(np.full(n, AS_OF), -540, -7)
    close = days(AS_OF, -60, 300)
    last = created + (rng.random(n) * (AS_OF - created).astype(int)).astype("timedelta64[D]")
    amount = np.round(rng.lognormal(3.0, 1.0, n), 1)  # 万元
    deal_class = pick(["A", "B", "C", "D", "X"], [0.12, 0.25, 0.3, 0.2, 0.13])
    class_since = days(AS_OF, -120, 0)
    quoted = (rank >= 3) | (rng.random(n) < 0.08)
    quote_date = np.where(quoted, days(AS_OF, -90, 0), np.datetime64("NaT"))
    quote_amount = np.where(quoted, np.round(amount * rng.uniform(0.85, 1.2, n), 1), np.nan)
    confirmed = np.where(rng.random(n) < 0.75, "是", "否").astype(object)
    confirmed_date = np.where(confirmed == "是", days(AS_OF, -120, 0), np.datetime64("NaT"))
    person = np.char.add(np.asarray(SURNAMES)[rng.integers(0, len(SURNAMES), n)],
                         np.asarray(PEOPLE_ROLES)[rng.integers(0, len(PEOPLE_ROLES), n)])
    insider = np.char.add(np.asarray(SURNAMES)[rng.integers(0, len(SURNAMES), n)], "工")
    prob = np.array(["10%", "20%", "40%", "60%", "80%", "100%", "0%", "60%", "40%"])[stage_i]

    frame = pd.DataFrame({
        "商机编号": np.char.add("OPP-", np.char.zfill(idx.astype(str), 7)),
        "商机名称": np.char.add(np.char.add(account, "-"), product),
        "客户名称": account,
        "负责人": owner_names(owners)[rng.integers(0, owners, n)],
        "销售阶段": stage,
        "预计成交金额(万元)": amount,
        "预计成交日期": close,
        "创建日期": created,
        "最后跟进时间": last,
        "下一步计划": blank(pick(NEXT_STEPS), 0.2),
        "决策人": blank(person, 0.25),
        "内线": blank(insider, 0.3),
        "商机分级": deal_class,
        "分级日期": np.where(rng.random(n) < 0.9, class_since, np.datetime64("NaT")),
        "报价日期": quote_date,
        "报价金额(万元)": quote_amount,
        "需求确认": blank(confirmed, 0.05),
        "需求确认日期": confirmed_date,
        "竞争对手": blank(pick(COMPETITORS), 0.3),
        "客户需求": blank(pick(NEEDS), 0.15),
        "预算": blank(pick(BUDGETS), 0.2),
        "采购时间": blank(pick(TIMELINES), 0.2),
        "赢率": prob,
    })
    # A few values a person typed that no reader can parse: about one in two thousand deals.
    for col, text in UNREADABLE.items():
        bad = rng.random(n) < 0.0005
        values = frame[col].astype(object)
        values[bad] = text
        frame[col] = values
    return frame


# ---- CSV ---------------------------------------------------------------------------------


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM (what Chinese CRMs export), a title line above the header, a total line."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    columns = {}
    for col in HEADERS:
        values = frame[col]
        if col in DATE_COLUMNS:
            values = values.astype(object)
            dates = _as_dates(values)
            text = pd.Series(np.datetime_as_string(dates.to_numpy(), unit="D"), dtype=object)
            values = text.where(dates.notna(), values)
        columns[col] = pa.array(values.astype(object).where(values.notna(), None).astype(str).where(
            values.notna(), None), type=pa.string())
    total = round(float(pd.to_numeric(frame["预计成交金额(万元)"], errors="coerce").sum()), 1)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        fh.write(("\ufeff" + TITLE + "\r\n" + ",".join(HEADERS) + "\r\n").encode("utf-8"))
        # Generated values hold no comma, quote or newline; "none" raises if that ever changes.
        options = pacsv.WriteOptions(include_header=False, quoting_style="none", eol="\r\n")
        pacsv.write_csv(pa.table(columns), fh, options)
        fh.write(("合计,,,,," + str(total) + "," * (len(HEADERS) - 6) + "\r\n").encode("utf-8"))
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


def _as_dates(obj: pd.Series) -> pd.Series:
    """Datetimes of a date column that also holds a few typed-in words (those become NaT)."""
    return pd.to_datetime(obj.where(obj.map(type) != str, None), errors="coerce")


def _text_mask(obj: pd.Series, col: str) -> np.ndarray:
    """Which cells of a column are text (not numbers or dates, except the unreadable ones)."""
    if col in DATE_COLUMNS:
        return (_as_dates(obj).isna() & obj.notna()).to_numpy()
    if col in NUMBER_COLUMNS:
        return (pd.to_numeric(obj, errors="coerce").isna() & obj.notna()).to_numpy()
    return obj.notna().to_numpy()


def _cells(values: pd.Series, col: str, letter: str, rows: np.ndarray, strings: dict) -> pd.Series:
    """One column's <c> elements as a string Series ('' for a blank cell)."""
    ref = '<c r="' + letter + pd.Series(rows.astype(str))
    obj = values.astype(object)
    out = pd.Series([""] * len(obj), dtype=object)
    blank = obj.isna().to_numpy()
    str_mask = _text_mask(obj, col)
    num_mask = ~blank & ~str_mask
    if col in DATE_COLUMNS:
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


def write_xlsx(frame: pd.DataFrame, path: Path, notes_sheet: bool = True) -> None:
    """A workbook like a Chinese CRM export: a notes sheet first, then the deals under a merged title."""
    n = len(frame)
    rows = np.arange(3, n + 3)  # row 1 = title, row 2 = header
    all_text = pd.concat([frame[c].astype(object)[_text_mask(frame[c].astype(object), c)] for c in HEADERS])
    uniques = pd.unique(pd.concat([pd.Series(HEADERS + [TITLE, "合计"]), all_text], ignore_index=True))
    strings = {s: i for i, s in enumerate(uniques)}
    letters = [_col_letter(i) for i in range(len(HEADERS))]
    columns = [_cells(frame[c], c, letters[i], rows, strings) for i, c in enumerate(HEADERS)]
    body = reduce(lambda a, b: a + b, columns)
    body = '<row r="' + pd.Series(rows.astype(str)) + '">' + body + "</row>"
    header = '<row r="2">' + "".join(
        f'<c r="{letters[i]}2" t="s"><v>{strings[h]}</v></c>' for i, h in enumerate(HEADERS)) + "</row>"
    title = f'<row r="1"><c r="A1" t="s"><v>{strings[TITLE]}</v></c></row>'
    total_row = n + 3
    amount = round(float(pd.to_numeric(frame["预计成交金额(万元)"], errors="coerce").sum()), 1)
    total = (f'<row r="{total_row}"><c r="A{total_row}" t="s"><v>{strings["合计"]}</v></c>'
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
    sheets = [("说明", "sheet1.xml"), ("商机列表", "sheet2.xml")] if notes_sheet else [("商机列表", "sheet1.xml")]
    notes = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.'
             'openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr">'
             '<is><t>本文件由CRM系统导出，仅供内部使用。</t></is></c></row></sheetData></worksheet>')
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
        "<sheets>" + "".join(f'<sheet name="{name}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
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
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", content_types)
        z.writestr("_rels/.rels", root_rels)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", wb_rels)
        z.writestr("xl/styles.xml", styles)
        z.writestr("xl/sharedStrings.xml", sst)
        if notes_sheet:
            z.writestr("xl/worksheets/sheet1.xml", notes)
        z.writestr(f"xl/worksheets/{sheets[-1][1]}", sheet)
    tmp.replace(path)


def write_xlsx_openpyxl(frame: pd.DataFrame, path: Path) -> None:
    """The slow reference writer, kept to measure the minimal writer against."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("商机列表")
    ws.append([TITLE])
    ws.append(HEADERS)
    for row in frame.astype(object).itertuples(index=False, name=None):
        ws.append([None if (v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT) else
                   (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v) for v in row])
    wb.save(path)


# ---- cache -------------------------------------------------------------------------------


def dataset_path(rows: int, fmt: str, seed: int = 20261123) -> Path:
    return DATA_DIR / f"deals_{rows}_s{seed}_v{GENERATOR_VERSION}.{fmt}"


def dataset(rows: int, fmt: str, seed: int = 20261123, refresh: bool = False) -> Path:
    """Path to the cached export of `rows` deals in `fmt` (xlsx or csv), generating it if needed."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = dataset_path(rows, fmt, seed)
    if path.exists() and not refresh:
        return path
    frame = make_frame(rows, seed)
    if fmt == "csv":
        write_csv(frame, path)
    elif fmt == "xlsx":
        write_xlsx(frame, path)
    else:
        raise SystemExit(f"unknown format {fmt!r}: expected csv or xlsx")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--refresh", action="store_true", help="regenerate even if cached")
    ap.add_argument("--openpyxl", metavar="PATH", help="also write with openpyxl write_only, to compare")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    path = dataset(args.rows, args.format, args.seed, args.refresh)
    print(f"{path}  ({path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t:.1f} s)")
    if args.openpyxl:
        t = time.perf_counter()
        write_xlsx_openpyxl(make_frame(args.rows, args.seed), Path(args.openpyxl))
        print(f"{args.openpyxl}  (openpyxl write_only, {time.perf_counter() - t:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
