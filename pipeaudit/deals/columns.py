"""Headers → canonical fields: built-in aliases, units in headers, user overrides.

Matching is exact after normalisation (then a looser pass that ignores spaces and punctuation),
never by substring: "Quote Amount" must not become `amount`, "Created By" must not become
`created`. One header maps to one field and one field takes one header; the first wins.
No pandas here: the reader calls the header scorer on candidate rows before any typing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pipeaudit.errors import ConfigError
from pipeaudit.model import FIELDS

#: field -> built-in aliases (English, Chinese, and the default export headers of common CRMs).
#: The canonical field name and FIELDS' zh/en labels are aliases too (added below).
ALIASES: dict[str, tuple[str, ...]] = {
    "deal_id": (
        "Opportunity ID", "Deal ID", "Record ID", "ID", "Deal - ID", "Opportunity Number",
        "商机编号", "商机ID", "商机编码", "项目编号", "机会编号", "编号",
    ),
    "deal": (
        "Opportunity Name", "Opportunity", "Deal Name", "Deal", "Deal - Title", "Title", "Project",
        "Project Name", "商机名称", "商机", "项目名称", "项目", "机会名称", "销售机会",
    ),
    "account": (
        "Account Name", "Account", "Company", "Company Name", "Customer", "Customer Name",
        "Organization", "Deal - Organization", "Organization Name", "Associated Company",
        "客户名称", "客户", "公司名称", "单位名称", "客户单位",
    ),
    "owner": (
        "Opportunity Owner", "Deal owner", "Deal - Owner", "Owner", "Sales Rep", "Salesperson",
        "Sales Person", "Rep", "Assigned To", "负责人", "销售", "业务员", "销售人员", "销售代表",
        "商机负责人", "跟进人", "所有人", "销售负责人", "客户经理",
    ),
    "stage": (
        "Stage", "Deal Stage", "Deal - Stage", "Sales Stage", "Opportunity Stage", "Pipeline Stage",
        "销售阶段", "阶段", "商机阶段", "项目阶段", "当前阶段",
    ),
    "amount": (
        "Amount", "Deal Value", "Deal - Value", "Value", "Opportunity Amount", "Deal Amount",
        "Expected Amount", "预计成交金额", "金额", "商机金额", "预计金额", "项目金额", "合同金额",
        "预计签约金额", "成交金额",
    ),
    "close_date": (
        "Close Date", "Expected close date", "Deal - Expected close date", "Closing Date",
        "Expected Close", "Estimated Close Date", "预计成交日期", "结单日期", "预计签约日期",
        "预计成交时间", "预计结单日期", "预计签单日期", "成交日期", "签约日期",
    ),
    "created": (
        "Created Date", "Create Date", "Created Time", "Created", "Created On", "Date Created",
        "Deal - Add time", "Deal - Deal created", "创建时间", "创建日期", "录入日期", "立项日期",
    ),
    "last_activity": (
        "Last Activity", "Last Activity Date", "Last Activity Time", "Deal - Last activity date",
        "Last Modified Date", "最后跟进时间", "最近跟进日期", "最新跟进时间", "最近跟进时间",
        "最后跟进日期", "最近跟进", "最后跟进", "最后活动时间",
    ),
    "next_step": (
        "Next Step", "Next Steps", "Next Activity", "Deal - Next activity", "下一步", "下一步计划",
        "下步计划", "下步工作计划", "下一步行动", "后续计划",
    ),
    "decision_maker": (
        "Decision Maker", "Economic Buyer", "EB", "决策人", "关键决策人", "决策者", "拍板人",
    ),
    "insider": ("Insider", "Champion", "Coach", "内线", "内部支持者", "支持者", "教练"),
    "insider_level": ("Insider Level", "Champion Level", "内线级别", "内线层级", "内线职位"),
    "deal_class": (
        "Deal Class", "Opportunity Class", "Class", "Deal Grade", "商机分级", "商机等级", "分级",
        "商机级别", "项目分级", "等级",
    ),
    "class_since": ("Class Since", "Class Date", "Class Changed", "分级日期", "定级日期", "分级时间"),
    "stage_since": (
        "Stage Since", "Stage Date", "Stage Change Date", "Last Stage Change Date",
        "Deal - Stage change time", "阶段变更日期", "进入阶段日期", "阶段变更时间", "进入阶段时间",
    ),
    "quote_date": ("Quote Date", "Quote Sent Date", "Quoted Date", "报价日期", "报价时间"),
    "quote_amount": ("Quote Amount", "Quoted Price", "Quote", "Quote Total", "报价金额", "报价"),
    "confirmed": (
        "Requirements Confirmed", "Needs Confirmed", "Confirmed", "需求确认", "方案确认",
        "需求已确认", "是否确认",
    ),
    "confirmed_date": (
        "Requirements Confirmed Date", "Confirmation Date", "Confirmed Date", "需求确认日期",
        "确认日期", "需求确认时间",
    ),
    "competitors": ("Competitors", "Competitor", "Competition", "竞争对手", "竞争者", "竞品", "友商"),
    "needs": (
        "Needs", "Need", "Pain", "Identify Pain", "Decision Criteria", "Customer Needs",
        "客户需求", "需求", "痛点",
    ),
    "budget": ("Budget", "预算", "客户预算", "预算金额"),
    "timeline": ("Timeline", "Timeframe", "Purchase Timeline", "采购时间", "采购时间表", "采购计划"),
    "probability": (
        "Probability (%)", "Probability", "Win Probability", "Deal - Probability", "赢率",
        "成交概率", "赢单率", "成交率",
    ),
    "forecast_category": ("Forecast Category", "Forecast", "预测类别", "预测分类"),
    # issue 13 (branch inspect): minimal entries; the header-inference work owns the full alias lists
    "next_step_date": ("Next Step Date", "下次跟进日期"),
    "contact_count": ("Contact Count", "联系人数"),
    "ignore": ("pipeaudit-ignore", "pipeaudit ignore", "pipeaudit_ignore", "忽略规则"),
}

#: unit word found in a header's trailing brackets -> multiplier (currency alone = 1).
UNITS: dict[str, float] = {
    "元": 1.0, "人民币": 1.0, "人民币元": 1.0, "rmb": 1.0, "cny": 1.0, "usd": 1.0, "eur": 1.0,
    "¥": 1.0, "$": 1.0, "€": 1.0, "%": 1.0, "us$": 1.0,
    "万": 1e4, "万元": 1e4, "万元人民币": 1e4, "w": 1e4,
    "千": 1e3, "千元": 1e3, "k": 1e3, "k元": 1e3,
    "百万": 1e6, "百万元": 1e6, "m": 1e6, "mm": 1e6, "mn": 1e6,
    "亿": 1e8, "亿元": 1e8,
}

_SPACE = re.compile(r"\s+")
_UNIT_TAIL = re.compile(r"\s*[(\[【]\s*(?:单位\s*[:：]?\s*)?([^()\[\]【】]{1,8}?)\s*[)\]】]\s*$")
_LOOSE_DROP = re.compile(r"[\s_\-./:：·,()\[\]【】#*]+")


def _base(text: object) -> str:
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).casefold()
    s = _SPACE.sub(" ", s).strip().strip("*").strip()
    return s.rstrip(":：").strip()


def header_unit(text: object) -> tuple[str, float | None]:
    """Split a trailing unit such as (万元) off a header: (rest, multiplier) or (text, None)."""
    s = _base(text)
    m = _UNIT_TAIL.search(s)
    if m:
        unit = m.group(1).strip()
        if unit in UNITS and m.start() > 0:
            return s[: m.start()].strip(), UNITS[unit]
    return s, None


def normalise_header(text: object) -> str:
    """Trim, casefold, full→half width, collapse spaces, and drop a unit suffix, for matching."""
    return header_unit(text)[0]


def _loose(norm: str) -> str:
    return _LOOSE_DROP.sub("", norm)


def _alias_tables() -> tuple[dict[str, tuple[str, int]], dict[str, tuple[str, int]]]:
    """(exact alias -> (field, rank), loose alias -> (field, rank)); rank 0 = most specific alias.

    Ranks let "Opportunity Owner" beat a plain "Owner" when an export carries both.
    """
    exact: dict[str, tuple[str, int]] = {}
    loose: dict[str, tuple[str, int]] = {}
    for name, spec in FIELDS.items():
        for rank, alias in enumerate((*ALIASES.get(name, ()), name, spec.zh, spec.en)):
            norm = normalise_header(alias)
            exact.setdefault(norm, (name, rank))
            loose.setdefault(_loose(norm), (name, rank))
    return exact, loose


_EXACT, _LOOSE = _alias_tables()


def _field_of(norm: str) -> str | None:
    if not norm:
        return None
    hit = _EXACT.get(norm) or _LOOSE.get(_loose(norm))
    return hit[0] if hit else None


def make_header_scorer(overrides: dict[str, str]) -> Callable[[Sequence[object]], int]:
    """How many distinct fields a candidate header row's cells name (aliases + override headers)."""
    extra = {normalise_header(h): f for f, h in (overrides or {}).items()}

    def score(cells: Sequence[object]) -> int:
        found: set[str] = set()
        for cell in cells:
            if cell is None or isinstance(cell, (int, float)) and not isinstance(cell, bool):
                continue  # numbers are data, not headers
            norm = normalise_header(cell)
            if not norm or len(norm) > 60:
                continue
            hit = extra.get(norm) or _field_of(norm)
            if hit:
                found.add(hit)
        return len(found)

    return score


@dataclass
class ColumnMap:
    """Which column each field comes from, and what was left over."""

    fields: dict[str, int] = field(default_factory=dict)  # field -> column index
    headers: dict[str, str] = field(default_factory=dict)  # field -> header text
    units: dict[str, float] = field(default_factory=dict)  # amount field -> multiplier from its header
    unmapped: list[str] = field(default_factory=list)  # headers no field took
    duplicates: list[str] = field(default_factory=list)  # headers naming a field already taken
    missing_overrides: list[str] = field(default_factory=list)  # always empty: map_columns raises


def map_columns(headers: list[str], overrides: dict[str, str]) -> ColumnMap:
    """Assign headers to fields: overrides first, then exact aliases, then loose aliases."""
    cm = ColumnMap()
    norms = [header_unit(h) for h in headers]
    taken: set[int] = set()

    for name, wanted in (overrides or {}).items():
        if name not in FIELDS:
            raise ConfigError(f"columns: unknown field '{name}' / 未知字段")
        target = normalise_header(wanted)
        idx = next(
            (i for i, h in enumerate(headers) if i not in taken and str(h).strip() == str(wanted).strip()),
            None,
        )
        if idx is None:
            idx = next((i for i, (n, _) in enumerate(norms) if i not in taken and n == target), None)
        if idx is None:
            other = next((f for f, i in cm.fields.items() if norms[i][0] == target), None)
            if other is not None:
                raise ConfigError(
                    f"column '{wanted}' is mapped to both {other} and {name} / 同一列不能映射到两个字段"
                )
            from pipeaudit.yamlsafe import did_you_mean

            shown = [str(h) for h in headers if str(h).strip()]
            close = did_you_mean(str(wanted), shown)
            raise ConfigError(
                f"column '{wanted}' for field {name} is not in the export / 表头中没有该列{close}"
                f" (headers: {', '.join(shown[:30])})"
            )
        _take(cm, name, idx, headers, norms)
        taken.add(idx)

    for table, key in ((_EXACT, lambda n: n), (_LOOSE, _loose)):
        best: dict[str, tuple[int, int]] = {}  # field -> (rank, column)
        for i, (norm, _) in enumerate(norms):
            if i in taken or not norm:
                continue
            hit = table.get(key(norm))
            if hit is None:
                continue
            name, rank = hit
            if name in cm.fields:
                cm.duplicates.append(str(headers[i]))
                taken.add(i)
            elif name not in best or rank < best[name][0]:
                if name in best:
                    cm.duplicates.append(str(headers[best[name][1]]))
                    taken.add(best[name][1])
                best[name] = (rank, i)
            else:
                cm.duplicates.append(str(headers[i]))
                taken.add(i)
        for name, (_, i) in sorted(best.items(), key=lambda kv: kv[1][1]):
            _take(cm, name, i, headers, norms)
            taken.add(i)

    used = set(cm.fields.values())
    cm.unmapped = [str(h) for i, h in enumerate(headers) if i not in used and norms[i][0]]  # blank headers name nothing
    return cm


def _take(cm: ColumnMap, name: str, idx: int, headers: list[str], norms: list[tuple[str, float | None]]) -> None:
    cm.fields[name] = idx
    cm.headers[name] = str(headers[idx])
    if FIELDS[name].kind == "amount":
        cm.units[name] = norms[idx][1] or 1.0
