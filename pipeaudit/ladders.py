"""The stage vocabulary: won/lost/on-hold words of both languages and the catalogue of common ladders.

Data and matching forms only, below the config (which checks `norms:` and `ladder:` against these
names) and the deals builder; deals/stages.py decides which order an export's stages follow.
A stage value is matched after normalising case, width, spaces, dashes, underscores, a leading
"1." / "03 " / "Stage 2:" number and the word 阶段, so "B阶段-商务谈判", "B-商务谈判", "B阶段" and
"商务谈判" are one stage, and "closed_won", "Closed Won" and "CLOSED-WON" are one word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Mapping

#: Closed-stage words every ladder understands, in any case, with any spaces, dashes or underscores.
WON_WORDS: tuple[str, ...] = (
    "Closed Won", "Won", "赢单", "已赢单", "签约", "已签约", "成交", "已成交", "Closed - Won", "签单", "中标",
    "Signed", "Deal Won", "Win", "Contract Signed", "Booked", "已签单", "已中标", "赢得",
)
LOST_WORDS: tuple[str, ...] = (
    "Closed Lost", "Lost", "输单", "丢单", "已丢单", "失败", "已失败", "Closed - Lost", "丢标", "未中标",
    "已输单", "Dead", "Disqualified", "Unqualified", "Closed Lost to Competition", "Closed-Lost to Competition",
    "Lost to Competition", "Abandoned", "Cancelled", "Canceled", "No Decision", "Closed No Decision",
    "放弃", "已放弃", "作废", "无效", "取消", "已取消",
)
#: On hold: neither open work nor closed. Such deals stay "open" (rules on open deals see them) and
#: carry on_hold=True; they are on no stage of the order.
HOLD_WORDS: tuple[str, ...] = (
    "On Hold", "Hold", "Paused", "Parked", "Deferred", "Postponed", "已搁置", "搁置", "暂停", "挂起", "暂缓",
    "已暂停",
)
#: Status words ("商机状态", Status): open ones here, won/lost/hold as above.
OPEN_WORDS: tuple[str, ...] = (
    "Open", "Active", "In Progress", "Pending", "New", "进行中", "跟进中", "开放", "未关闭", "正常", "有效",
    "未结束",
)


@dataclass(frozen=True)
class Ladder:
    name: str
    label: str
    open: tuple[str, ...]
    phases: tuple[int, ...]  # 1..5 per open stage, see model.PHASES
    won: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # open stage -> other spellings

    def keys(self) -> dict[str, tuple[str, int]]:
        """normalised spelling -> ("open", rank) | ("won", -1) | ("lost", -1)."""
        table: dict[str, tuple[str, int]] = {}
        for word in self.won:
            table.setdefault(stage_key(word), ("won", -1))
        for word in self.lost:
            table.setdefault(stage_key(word), ("lost", -1))
        table.update({k: v for k, v in CLOSED_KEYS.items() if k not in table})
        for rank, stage in enumerate(self.open):
            for spelling in (stage, *self.aliases.get(stage, ())):
                table[stage_key(spelling)] = ("open", rank)
        return table

    def own_keys(self) -> tuple[set[str], set[str]]:
        """(open-stage spellings, this ladder's own closed words): what detection counts."""
        opens: set[str] = set()
        for stage in self.open:
            opens.update(stage_key(s) for s in (stage, *self.aliases.get(stage, ())))
        return opens, {stage_key(w) for w in (*self.won, *self.lost)} - opens


_NUM_PREFIX = re.compile(r"^(?:stage\s*|第\s*)?\d{1,3}\s*(?:阶段)?(?:[.\-_、)）:：]\s*|\s+)(?=\D)")
_DROP = re.compile(r"[\s\-_./:：·、,，()（）\[\]【】|>→]+|阶段")


def stage_key(value: object) -> str:
    """The matching form of a stage spelling."""
    s = unicodedata.normalize("NFKC", str(value)).casefold().strip()
    s = _NUM_PREFIX.sub("", s)
    return _DROP.sub("", s)


_TRAILING_NOTE = re.compile(r"\s*[(（\[【][^()（）\[\]【】]*[)）\]】]\s*$")


def stage_keys(value: object) -> tuple[str, ...]:
    """Matching forms to try in order: the whole value, then without a trailing note in brackets
    ("Appointment Scheduled (Sales Pipeline)" as HubSpot exports it, "Prospecting (10%)")."""
    key = stage_key(value)
    bare = _TRAILING_NOTE.sub("", str(value))
    if bare and bare != str(value):
        short = stage_key(bare)
        if short and short != key:
            return key, short
    return (key,)


def _edcba() -> Ladder:
    names = {"E": "确认商机", "D": "进程确定", "C": "方案论证", "B": "商务谈判", "A": "销售成交"}
    en = {"E": "Entrance", "D": "Demand", "C": "Consulting", "B": "Business", "A": "Action"}
    open_ = tuple(f"{k}{v}" for k, v in names.items())
    aliases = {f"{k}{v}": (k, v, f"{k}阶段", f"{v}{k}", f"{k}{en[k]}", f"{k} - {en[k]}") for k, v in names.items()}
    return Ladder("edcba", "EDCBA 项目阶段 / EDCBA ladder", open_, (1, 2, 3, 4, 5), ("赢单", "成交"),
                  ("输单", "丢单"), aliases)


LADDERS: dict[str, Ladder] = {
    "edcba": _edcba(),
    "t6": Ladder(
        "t6", "T6 项目漏斗 / T6 funnel", ("信息", "初访", "演示", "商务"), (1, 2, 3, 4), ("签约",), ("丢单",),
        {"信息": ("线索", "信息收集", "获取信息"), "初访": ("首次拜访", "初次拜访"), "演示": ("沟通", "演示沟通", "产品演示"),
         "商务": ("商务沟通",)},
    ),
    "salesforce": Ladder(
        "salesforce", "Salesforce default stages",
        ("Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
         "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review"),
        (1, 2, 2, 3, 3, 3, 4, 4), ("Closed Won",), ("Closed Lost",),
        {"Id. Decision Makers": ("Identify Decision Makers", "Id Decision Makers"),
         "Proposal/Price Quote": ("Proposal", "Price Quote"), "Negotiation/Review": ("Negotiation",)},
    ),
    "hubspot": Ladder(
        "hubspot", "HubSpot default pipeline",
        ("Appointment Scheduled", "Qualified To Buy", "Presentation Scheduled", "Decision Maker Bought-In",
         "Contract Sent"),
        (1, 2, 3, 4, 5), ("Closed Won",), ("Closed Lost",),
        {"Appointment Scheduled": ("appointmentscheduled",), "Qualified To Buy": ("qualifiedtobuy",),
         "Presentation Scheduled": ("presentationscheduled",),
         "Decision Maker Bought-In": ("decisionmakerboughtin",), "Contract Sent": ("contractsent",)},
    ),
}


# Catalogue beyond the four above: the default pipelines of other CRMs and two common ladders.
# Detection needs a ladder to cover at least half of an export's distinct open stage values (and
# two of them when there are two or more): one stray "Proposal" does not make an export Salesforce.
LADDERS.update({
    "zoho": Ladder(
        "zoho", "Zoho CRM default stages",
        ("Qualification", "Needs Analysis", "Value Proposition", "Identify Decision Makers",
         "Proposal/Price Quote", "Negotiation/Review"),
        (1, 2, 3, 3, 4, 4), ("Closed Won",), ("Closed Lost", "Closed-Lost to Competition"),
        {"Identify Decision Makers": ("Id. Decision Makers",), "Proposal/Price Quote": ("Proposal", "Price Quote")},
    ),
    "pipedrive": Ladder(
        "pipedrive", "Pipedrive default pipeline",
        ("Qualified", "Contact Made", "Demo Scheduled", "Proposal Made", "Negotiations Started"),
        (1, 2, 3, 4, 4), ("Won",), ("Lost",),
        {"Qualified": ("Lead In",), "Demo Scheduled": ("Needs Defined",)},
    ),
    "dynamics": Ladder(
        "dynamics", "Dynamics 365 sales stages",
        ("Qualify", "Develop", "Propose", "Close"), (1, 2, 3, 4), ("Won",), ("Lost", "Out-Sold", "Canceled"),
    ),
    "odoo": Ladder("odoo", "Odoo CRM default stages", ("New", "Qualified", "Proposition"), (1, 2, 3), ("Won",), ()),
    "saas": Ladder(
        "saas", "common SaaS ladder",
        ("Lead", "Discovery", "Qualified", "Demo", "Proposal", "Negotiation", "Commit"),
        (1, 1, 2, 3, 4, 4, 5), (), (),
        {"Lead": ("Prospecting", "New Lead", "Inbound", "Outreach"),
         "Discovery": ("Discovery Call", "Intro", "Introduction", "First Meeting", "Initial Meeting", "Engaging",
                       "Engaged"),
         "Qualified": ("Qualification", "Qualifying", "SQL", "Sales Qualified"),
         "Demo": ("Demo Scheduled", "Demonstration", "Evaluation", "Solution", "Technical Validation", "POC",
                  "Proof of Concept", "Trial", "Pilot"),
         "Proposal": ("Proposal Sent", "Quote", "Quote Sent", "Pricing", "Proposal/Quote"),
         "Negotiation": ("Negotiating", "Contract", "Contract Sent", "Legal", "Legal Review", "Procurement",
                         "Contracting", "Negotiation/Review"),
         "Commit": ("Verbal", "Verbal Commit", "Committed", "Closing")},
    ),
    "zh_crm": Ladder(
        "zh_crm", "中文 CRM 常见阶段 / common Chinese CRM ladder",
        ("初步接洽", "需求确定", "方案/报价", "谈判审核"), (1, 2, 3, 4), (), (),
        {"初步接洽": ("初步洽谈", "初次接触", "初步接触", "接洽", "验证客户", "意向客户", "初步沟通"),
         "需求确定": ("需求确认", "需求分析", "需求调研", "需求沟通"),
         "方案/报价": ("方案报价", "方案", "报价", "方案制定", "提交方案", "方案演示"),
         "谈判审核": ("谈判", "合同审核", "合同谈判", "合同审批", "商务洽谈")},
    ),
})

#: matching form -> ("won", -1) | ("lost", -1) | ("hold", -1), for every export.
CLOSED_KEYS: dict[str, tuple[str, int]] = {}
for _word in HOLD_WORDS:
    CLOSED_KEYS.setdefault(stage_key(_word), ("hold", -1))
for _word in WON_WORDS:
    CLOSED_KEYS.setdefault(stage_key(_word), ("won", -1))
for _word in LOST_WORDS:
    CLOSED_KEYS.setdefault(stage_key(_word), ("lost", -1))
#: status words (商机状态, Status) -> "open" | "won" | "lost" | "hold"
STATUS_KEYS: dict[str, str] = {**{k: v[0] for k, v in CLOSED_KEYS.items()},
                               **{stage_key(w): "open" for w in OPEN_WORDS}}


def custom_ladders(specs: Mapping[str, Any]) -> dict[str, Ladder]:
    """The config's own ladders (config.CustomLadder: open, phases, won, lost) as Ladders."""
    from pipeaudit.model import PHASES

    return {
        name: Ladder(name, name, tuple(c.open), tuple(PHASES.index(p) + 1 for p in c.phases), tuple(c.won), tuple(c.lost))
        for name, c in specs.items()
    }


def all_ladders(specs: Mapping[str, Any] | None = None) -> dict[str, Ladder]:
    """The config's ladders first (they win a tie of names), then the built-in ones."""
    custom = custom_ladders(specs or {})
    return {**custom, **{k: v for k, v in LADDERS.items() if k not in custom}}
