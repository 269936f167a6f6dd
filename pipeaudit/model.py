"""The shapes each stage of the pipeline hands to the next.

read → RawTable → (map + normalise) → Deals → (rules) → findings → AuditResult (pipeaudit.result) → (render)

Keeping these in one small module lets the reader, the engine and the renderers
be written and tested apart: each only agrees on what is defined here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pipeaudit.i18n import Lang

if TYPE_CHECKING:  # pandas is imported lazily so that `pipeaudit --help` stays instant
    import pandas as pd

# --------------------------------------------------------------------------------------
# Canonical deal fields
# --------------------------------------------------------------------------------------

FieldKind = Literal["id", "text", "date", "amount", "bool", "probability", "stage", "class", "count"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: FieldKind
    zh: str
    en: str

    def label(self, lang: Lang) -> str:
        """The field's name for a person: data beside the field, like its aliases, so it lives here
        and not in the text catalogue (deals/columns also matches headers against both labels)."""
        return {"zh": self.zh, "en": self.en}[lang]


#: Every field a rule may name. Aliases (the headers that map to each) live in deals/columns.py.
#: Kinds decide the dtype in Deals.frame:
#:   id, text, stage, class -> object (str or None; stripped, blank -> None)
#:   date                   -> datetime64[ns] (NaT when blank or unreadable)
#:   amount                 -> float64 in base currency units, header unit applied (NaN when blank/unreadable)
#:   bool                   -> pandas "boolean" (<NA> when blank or unreadable)
#:   probability            -> float64 in 0..1 (75, 75% and 0.75 all give 0.75)
#:   count                  -> Int64, whole and non-negative (<NA> when blank or unreadable)
#: deal_status / is_closed / is_won, when the export has them, decide a deal's status (open, won,
#: lost) over its stage. close_date_changes is the CRM's own count of close-date moves (Salesforce
#: "Push Count"); close_slips (DERIVED) is the count --history saw, a rule may read either.
FIELDS: dict[str, FieldSpec] = {
    f.name: f
    for f in (
        FieldSpec("deal_id", "id", "商机编号", "Deal ID"),
        FieldSpec("deal", "text", "商机名称", "Deal"),
        FieldSpec("account", "text", "客户", "Account"),
        FieldSpec("owner", "text", "负责人", "Owner"),
        FieldSpec("stage", "stage", "销售阶段", "Stage"),
        FieldSpec("amount", "amount", "预计金额", "Amount"),
        FieldSpec("close_date", "date", "预计成交日期", "Close date"),
        FieldSpec("created", "date", "创建日期", "Created"),
        FieldSpec("last_activity", "date", "最近跟进", "Last activity"),
        FieldSpec("next_step", "text", "下一步", "Next step"),
        FieldSpec("decision_maker", "text", "决策人", "Decision maker"),
        FieldSpec("insider", "text", "内线", "Insider"),
        FieldSpec("insider_level", "text", "内线级别", "Insider level"),
        FieldSpec("deal_class", "class", "商机分级", "Deal class"),
        FieldSpec("class_since", "date", "分级日期", "Class since"),
        FieldSpec("stage_since", "date", "进入阶段日期", "Stage since"),
        FieldSpec("quote_date", "date", "报价日期", "Quote date"),
        FieldSpec("quote_amount", "amount", "报价金额", "Quote amount"),
        FieldSpec("confirmed", "bool", "需求确认", "Requirements confirmed"),
        FieldSpec("confirmed_date", "date", "需求确认日期", "Confirmation date"),
        FieldSpec("competitors", "text", "竞争对手", "Competitors"),
        FieldSpec("needs", "text", "客户需求", "Needs"),
        FieldSpec("budget", "text", "预算", "Budget"),
        FieldSpec("timeline", "text", "采购时间", "Timeline"),
        FieldSpec("probability", "probability", "赢率", "Probability"),
        FieldSpec("forecast_category", "text", "预测类别", "Forecast category"),
        FieldSpec("deal_status", "text", "商机状态", "Deal status"),
        FieldSpec("is_closed", "bool", "是否关闭", "Is closed"),
        FieldSpec("is_won", "bool", "是否赢单", "Is won"),
        FieldSpec("next_step_date", "date", "下次跟进时间", "Next step date"),
        FieldSpec("close_date_changes", "count", "成交日期变更次数", "Close-date changes"),
        FieldSpec("days_in_stage", "count", "阶段停留天数", "Days in stage"),
        FieldSpec("contact_count", "count", "联系人数", "Contact count"),
        FieldSpec("ignore", "text", "忽略规则", "pipeaudit-ignore"),
    )
}

#: Columns the pipeline adds from last week's export (--baseline) or the history database
#: (--history). Rules may name them like fields; they are absent unless that input is given, so a
#: rule needing one is skipped with a note otherwise. History may also fill class_since and
#: stage_since when the export lacks them.
DERIVED: dict[str, FieldSpec] = {
    f.name: f
    for f in (
        FieldSpec("prev_stage", "stage", "上周阶段", "Stage last week"),
        FieldSpec("prev_phase", "count", "上周阶段序号", "Phase last week"),
        FieldSpec("prev_stage_rank", "count", "上周阶段位次", "Stage rank last week"),
        FieldSpec("prev_amount", "amount", "上周金额", "Amount last week"),
        FieldSpec("prev_close_date", "date", "上周预计成交日期", "Close date last week"),
        FieldSpec("prev_deal_class", "class", "上周分级", "Class last week"),
        FieldSpec("close_slips", "count", "成交日期推迟次数", "Close-date slips"),
        FieldSpec("weeks_of_history", "count", "历史周数", "Weeks of history"),
        FieldSpec("last_push_days", "count", "最近一次推迟天数", "Last push (days)"),
        FieldSpec("max_push_days", "count", "单次最大推迟天数", "Largest push (days)"),
        FieldSpec("pushed_days", "count", "累计推迟天数", "Days pushed in total"),
        FieldSpec("slip_recovered", "bool", "推迟后已恢复", "Recovered from its slips"),
    )
}

# --------------------------------------------------------------------------------------
# Ladder-neutral stage phases
# --------------------------------------------------------------------------------------

#: Every ladder's open stages map onto these five phases, so that one rule ("past the first
#: stage", "from the solution phase on") works on EDCBA, T6, Salesforce and HubSpot exports.
#: Deals.frame["phase"] holds 1..5 (index in this tuple + 1). Their names for a person are the text
#: catalogue's phase.<name> (pipeaudit.i18n).
PHASES: tuple[str, ...] = ("lead", "discovery", "solution", "negotiation", "closing")

#: Columns of Deals.frame that are not fields: the engine and renderers may rely on them.
META_COLUMNS = {
    "row": "int64: the row number a person sees (Excel row, or CSV line with the header as line 1)",
    "status": "object: 'open' | 'won' | 'lost' (blank or unknown stage counts as open)",
    "stage_rank": "Int64: 0-based position among the ladder's open stages; <NA> if closed/blank/unknown",
    "phase": "Int64: 1..5, see PHASES; <NA> if closed/blank/unknown",
    "stage_known": "bool: False when a stage value is present but on no known ladder",
    "on_hold": "bool: True when the stage or status says the deal is on hold (已搁置); it stays 'open'",
}
#: stage_rank and phase are left out of the frame when the export has a stage column but no order
#: for its open stages could be found (Deals.stage_order.how == "none"): rules that need the order
#: are then skipped with a note instead of silently finding nothing.
ORDER_COLUMNS = ("stage_rank", "phase")


@dataclass
class RawTable:
    """A sheet or CSV as found: header row located, title/blank/total rows gone, nothing typed yet.

    Column-oriented so that a million-row CSV never becomes a million Python lists.
    `cells` has one column per header, named 0..len(headers)-1, holding the values as the reader
    got them: str, int, float, bool, datetime/date, or None/NaN for an empty cell. For CSV every
    value is str or None. `row_numbers[i]` (numpy int64) is the visible row of cells.iloc[i]:
    the Excel row, or the CSV line on which the record starts (line 1 = the file's first line).
    """

    source: Path
    sheet: str | None
    header_row: int
    headers: list[str]
    cells: pd.DataFrame
    row_numbers: Any  # numpy.ndarray[int64], same length as cells
    skipped_total_rows: list[int] = field(default_factory=list)
    dropped_blank_rows: int = 0
    notes: list[str] = field(default_factory=list)
    skipped_hint_rows: list[int] = field(default_factory=list)  # 必填/选填 instruction rows under the header


#: How a header became a field (ColumnInfo.how), strongest first.
MAPPING_HOWS: dict[str, tuple[str, str]] = {
    "config": ("配置/--map", "config or --map"),
    "alias": ("别名", "alias"),
    "api": ("API 字段名", "API field name"),
    "words": ("词义", "words"),
    "values": ("取值", "values"),
}


@dataclass(frozen=True)
class ColumnInfo:
    """How one field was found: the header, how it was decided, how sure, and what decided it."""

    field: str
    header: str
    how: str  # a key of MAPPING_HOWS
    confidence: float  # 0..1
    detail: str = ""  # e.g. "Salesforce Opportunity.StageName", "owner ← rep + name"


@dataclass(frozen=True)
class StageOrder:
    """How the open stages were put in order, and what the export's stage values turned out to be.

    how: "config" (the config names the ladder), "ladder" (a known ladder covers the values),
    "probability" (ordered by the deals' probability column), "numbered" ("1 - Prospect"),
    or "none" (no order: rules that need one are skipped).
    """

    how: str
    name: str | None = None  # built-in or config ladder name; None when inferred
    label: str = ""
    open: tuple[str, ...] = ()  # open stages in order (the ladder's names, or the export's spellings)
    won: tuple[str, ...] = ()  # export spellings read as won
    lost: tuple[str, ...] = ()
    on_hold: tuple[str, ...] = ()
    covered: int = 0  # distinct open stage values the order places
    distinct: int = 0  # distinct open stage values in the export
    status_from: str | None = None  # the field that decided open/won/lost when not the stage
    status_disagrees: int = 0  # deals whose stage says open/won/lost otherwise than that field


@dataclass(frozen=True)
class DateReading:
    """How one date column was read: day-first or month-first, and whether the values settled it."""

    order: str  # "dmy" | "mdy" | "mixed" (each separator its own) | "ymd" (no year-last dates: nothing to decide)
    how: str  # "config" | "values" | "export" (another column settled it) | "default"
    evidence: str = ""  # a value that settled it, e.g. "13/04/2026"
    settled: bool = True
    no_date: int = 0  # 9999-12-31 placeholders read as "no date"


@dataclass
class Deals:
    """One clean, typed table of deals, with what is needed to explain how it was built.

    frame: one row per deal; a column per mapped field (see FIELDS for dtypes) plus META_COLUMNS.
           Fields the export does not supply are absent (not all-NA), so a rule can tell
           "not in this export" from "blank on this deal".
    problems: values that could not be read, one row each, never dropped:
           columns index (frame index), row, field, column (the header), raw (the text as found).
    """

    frame: pd.DataFrame
    problems: pd.DataFrame
    source: Path
    sheet: str | None = None
    header_row: int = 1
    mapping: dict[str, str] = field(default_factory=dict)  # field -> header it came from
    units: dict[str, float] = field(default_factory=dict)  # field -> multiplier from its header
    unmapped: list[str] = field(default_factory=list)  # headers no field took
    ladder: str | None = None  # detected ladder name, e.g. "edcba", "t6", "salesforce", "hubspot"
    language: Lang = "zh"  # of the export's headers
    skipped_total_rows: list[int] = field(default_factory=list)
    dropped_blank_rows: int = 0
    notes: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)  # every header, in the export's order
    columns: dict[str, ColumnInfo] = field(default_factory=dict)  # field -> how it was found
    unmapped_why: dict[str, str] = field(default_factory=dict)  # unmapped header -> why no field took it
    undecided: list[tuple[str, str]] = field(default_factory=list)  # (header or field, why no mapping was made)
    stage_order: StageOrder | None = None  # None: no stage column
    unknown_stages: dict[str, int] = field(default_factory=dict)  # stage value on no order -> open deals
    dates: dict[str, DateReading] = field(default_factory=dict)  # date field -> how it was read
    skipped_hint_rows: list[int] = field(default_factory=list)

    @property
    def fields(self) -> set[str]:
        return {c for c in self.frame.columns if c in FIELDS}

    def has(self, name: str) -> bool:
        return name in self.frame.columns


# --------------------------------------------------------------------------------------
# Findings: the one shape every output consumes
# --------------------------------------------------------------------------------------

SEVERITIES: tuple[str, ...] = ("error", "warning", "info")  # most severe first

#: Columns of AuditResult.findings, in this order. `row`/`deal_index` are <NA> for rep-level
#: findings (e.g. funnel-short), which name an owner but no deal. `row`/`deal_index` are Int64, the
#: rest object (str or None); the engine makes equal values share one str object (a few rules,
#: owners and messages over millions of findings), which pipeaudit.codes uses to group them fast.
#: Any frame with these columns works with every output; sharing only makes it faster.
FINDING_COLUMNS: tuple[str, ...] = (
    "rule",
    "severity",
    "row",
    "deal_id",
    "deal",
    "owner",
    "stage",
    "message",
    "question",
    "deal_index",
    "questions",  # every question of the rule, filled for this finding (a tuple of str)
)


@dataclass(frozen=True)
class RunFacts:
    """What a run learned beside the deals, for the checks that judge a rep or the whole export."""

    weeks_stored: int | None = None  # weeks in the history up to the as-of date; None without --history
    quota_funnels: dict[str, Any] | None = None  # pipeaudit.quotas.funnel_vs_quota; None without quotas
    #: per-stage aging norms that override the aging rule's per-phase defaults:
    #: ladder -> stage rank -> (days, "config" | "learned"); None when there are none
    stage_norms: dict[str, dict[int, tuple[float, str]]] | None = None
    fiscal_year_start: int = 1  # month the fiscal year starts; quarters follow it (pipeaudit.fiscal)
    #: rep -> won against the plan for the stored weeks (weekly.learn.results_vs_plan); None
    #: without quotas or with too short a history
    plan_results: dict[str, dict[str, Any]] | None = None
    #: how last week was matched (weekly.match.match_quality), None without --baseline/--history
    week_match: dict[str, Any] | None = None


@dataclass
class SkippedRule:
    rule: str
    missing: list[str]  # fields the export lacks
