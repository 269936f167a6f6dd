"""Headers no alias names, read by their words: `opp_name`, `RepName`, `Deal - Title`, `预计签单日期`.

A header is split into words (snake_case, camelCase, PascalCase, "Deal - Title", "Opportunity:
Name", API suffixes `__c`/`__r`, run-together lower case such as `estimatedclosedate`, Chinese by
the longest known word), each word becomes a concept (opp/opportunity/deal/商机 → DEAL), and a
field matches when its pattern's concepts are all there and every other word is one the field
allows. A word nobody knows stops the match: "Deal Type" is not the deal, "Created By" is not the
created date. No pandas here: the reader scores candidate header rows with this.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

#: concept -> the words (English lower case, Chinese as written) that mean it.
CONCEPTS: dict[str, tuple[str, ...]] = {
    "DEAL": ("deal", "deals", "opp", "opps", "oppty", "oppo", "opportunity", "opportunities", "商机", "机会",
             "销售机会", "项目", "project"),
    "ID": ("id", "ids", "key", "number", "no", "nr", "code", "uuid", "guid", "编号", "编码", "号", "代码", "单号"),
    "NAME": ("name", "title", "subject", "topic", "名称", "名字", "标题", "主题"),
    "ACCOUNT": ("account", "accounts", "company", "customer", "client", "organization", "organisation",
                "org", "partner", "客户", "公司", "单位", "企业", "客户单位"),
    "OWNER": ("owner", "rep", "reps", "agent", "assigned", "assignee", "salesperson", "salesrep", "seller",
              "ae", "负责人", "跟进人", "归属人", "所有人", "业务员", "销售员", "销售人员", "销售代表", "客户经理"),
    "SALES": ("sales", "sale", "销售"),
    "CURRENCY": ("usd", "eur", "cny", "rmb", "gbp", "jpy", "hkd", "元", "万元"),
    "STAGE": ("stage", "phase", "阶段"),
    "PIPELINE": ("pipeline", "funnel", "漏斗"),
    "STATUS": ("status", "state", "状态"),
    "AMOUNT": ("amount", "value", "acv", "arr", "tcv", "revenue", "worth", "money", "monetary", "金额", "价值",
               "总额"),
    "CLOSE": ("close", "closing", "结单", "签单", "成交", "签约"),
    "CLOSED": ("closed", "关闭", "已关闭", "结束"),
    "WON": ("won", "赢单", "已赢单"),
    "EXPECTED": ("expected", "estimated", "est", "planned", "projected", "target", "预计", "预期"),
    "DATE": ("date", "dt", "day", "time", "timestamp", "ts", "at", "on", "日期", "时间", "日"),
    "CREATE": ("create", "created", "creation", "add", "added", "创建", "新建", "录入", "建立"),
    "LAST": ("last", "latest", "recent", "最后", "最近", "最新", "上次"),
    "ACTIVITY": ("activity", "activities", "contacted", "touch", "touched", "engagement", "engaged",
                 "interaction", "followup", "跟进", "活动", "联系"),
    "MODIFIED": ("modified", "updated", "update", "edited", "修改", "更新"),
    "NEXT": ("next", "upcoming", "下次", "下步", "下一次"),
    "STEP": ("step", "steps", "action", "步", "计划", "行动"),
    "PROBABILITY": ("probability", "prob", "likelihood", "chance", "winrate", "赢率", "概率", "成功率", "胜率"),
    "PERCENT": ("percent", "percentage", "pct", "%"),
    "FORECAST": ("forecast", "预测"),
    "CATEGORY": ("category", "类别", "分类"),
    "COUNT": ("count", "num", "cnt", "数", "数量", "次数", "个数"),
    "CONTACT": ("contact", "contacts", "联系人"),
    "ASSOCIATED": ("associated", "related", "关联"),
    "PUSH": ("push", "pushed", "pushes", "slip", "slips", "slipped", "推迟", "延期", "改期"),
    "CHANGE": ("change", "changes", "changed", "moved", "变更", "变化", "变动"),
    "SINCE": ("since", "entered", "entry", "进入"),
    "DAYS": ("days", "天数", "天", "停留天数"),
    "DM": ("decisionmaker", "决策人", "拍板人", "决策者"),
    "COMPETITOR": ("competitor", "competitors", "competition", "竞争对手", "竞品", "友商"),
    "QUOTE": ("quote", "quoted", "quotation", "报价"),
    "IS": ("is", "has", "flag", "是否"),
    "BY": ("by", "人"),
    "CURRENT": ("current", "当前"),
    "DURATION": ("duration", "age", "停留"),
    "TOTAL": ("total", "合计"),
}

#: Words that never decide anything: articles, API noise (hs_, v2, __c), "所属" (belonging to).
NEUTRAL = frozenset({"the", "of", "a", "an", "in", "for", "to", "hs", "v2", "c", "r", "x", "field",
                     "property", "properties", "所属", "的", "record", "记录"})

#: Word pairs that are one word: "sales person", "win rate", "next step"...
PAIRS: dict[tuple[str, str], str] = {
    ("sales", "person"): "salesperson", ("sales", "rep"): "salesrep", ("account", "executive"): "ae",
    ("win", "rate"): "winrate", ("win", "probability"): "probability", ("decision", "maker"): "decisionmaker",
    ("follow", "up"): "followup", ("number", "of"): "num", ("no", "of"): "num", ("nr", "of"): "num",
    ("date", "entered"): "entered", ("assigned", "to"): "assigned",
}

#: field -> patterns: (required concepts, other concepts allowed, confidence).
PATTERNS: dict[str, tuple[tuple[frozenset[str], frozenset[str], float], ...]] = {}


def _p(field: str, *patterns: tuple[str, str, float]) -> None:
    PATTERNS[field] = tuple(
        (frozenset(req.split()), frozenset(opt.split()), conf) for req, opt, conf in patterns
    )


_p("deal_id", ("DEAL ID", "", 0.9), ("ID", "", 0.6))
_p("deal", ("DEAL NAME", "", 0.9), ("DEAL", "", 0.75), ("NAME", "", 0.55))
_p("account", ("ACCOUNT", "NAME DEAL", 0.85), ("ACCOUNT ID", "DEAL", 0.5))
_p("owner", ("OWNER", "NAME DEAL SALES", 0.85), ("OWNER ID", "DEAL SALES", 0.55))
_p("stage", ("STAGE", "DEAL SALES NAME PIPELINE CURRENT", 0.85), ("STAGE ID", "DEAL SALES PIPELINE", 0.5))
_p("deal_status", ("STATUS", "DEAL NAME CURRENT", 0.75), ("STATUS ID", "DEAL", 0.45))
_p("is_closed", ("CLOSED", "IS DEAL", 0.8))
_p("is_won", ("WON", "IS CLOSED DEAL", 0.8))
_p("amount", ("AMOUNT", "DEAL EXPECTED SALES TOTAL CURRENCY", 0.85), ("AMOUNT CLOSE", "DEAL EXPECTED CURRENCY", 0.75))
_p("close_date", ("CLOSE DATE", "EXPECTED DEAL", 0.9), ("EXPECTED CLOSE", "DEAL", 0.85), ("CLOSE", "", 0.6))
_p("created", ("CREATE", "DATE DEAL", 0.85))
_p("last_activity", ("LAST ACTIVITY", "DATE DEAL", 0.85), ("ACTIVITY DATE", "", 0.6),
   ("LAST MODIFIED", "DATE", 0.5))
_p("next_step", ("NEXT STEP", "DEAL", 0.85), ("NEXT ACTIVITY", "", 0.7))
_p("next_step_date", ("NEXT STEP DATE", "", 0.9), ("NEXT ACTIVITY DATE", "", 0.85), ("NEXT DATE", "", 0.6))
_p("probability", ("PROBABILITY", "DEAL CLOSE STAGE PERCENT WON", 0.85))
_p("forecast_category", ("FORECAST CATEGORY", "NAME", 0.9), ("FORECAST", "", 0.6))
_p("stage_since", ("STAGE SINCE", "DATE CURRENT", 0.85), ("STAGE CHANGE DATE", "LAST DEAL", 0.85),
   ("LAST STAGE CHANGE", "DEAL", 0.75), ("STAGE MODIFIED", "DATE LAST", 0.7))
_p("days_in_stage", ("DAYS STAGE", "CURRENT", 0.85), ("STAGE DURATION", "DAYS CURRENT", 0.7))
_p("close_date_changes", ("PUSH", "COUNT CLOSE DATE", 0.85), ("CLOSE DATE CHANGE", "COUNT", 0.85),
   ("CLOSE CHANGE", "COUNT", 0.7))
_p("contact_count", ("CONTACT COUNT", "DEAL ASSOCIATED", 0.85))
_p("decision_maker", ("DM", "NAME", 0.8))
_p("competitors", ("COMPETITOR", "NAME", 0.8))
_p("quote_amount", ("QUOTE AMOUNT", "TOTAL CURRENCY", 0.85))
_p("quote_date", ("QUOTE DATE", "", 0.85))

_WORD_CONCEPT: dict[str, str] = {w: c for c, words in CONCEPTS.items() for w in words}
#: Run-together lower-case words ("dealname", "estimatedclosedate") are cut into these.
_LATIN_VOCAB = frozenset(w for w in _WORD_CONCEPT if w.isascii() and len(w) > 1) | frozenset(
    {"in", "of", "is", "hs", "v2", "person", "rate", "win", "decision", "maker", "follow", "up"}
)
#: A word that means two things at once.
MULTI: dict[str, tuple[str, ...]] = {"下一步": ("NEXT", "STEP"), "nextstep": ("NEXT", "STEP")}
_CJK_VOCAB = sorted(
    {w for w in (*_WORD_CONCEPT, *NEUTRAL, *MULTI) if not w.isascii()}, key=len, reverse=True
)
_CJK = re.compile(r"[\u3400-\u9fff]")
_UNIT_TAIL = re.compile(r"\s*[(\[（【][^()\[\]（）【】]{0,12}[)\]）】]\s*$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def split_words(header: object) -> list[str]:
    """The words of a header, lower case: `OwnerId` → owner id, `hs_v2_date_entered_current_stage`
    → hs v2 date entered current stage, `Deal - Title` → deal title, `预计签单日期` → 预计 签单 日期."""
    text = unicodedata.normalize("NFKC", str(header or "")).strip()
    text = _UNIT_TAIL.sub("", text)
    text = re.sub(r"__[a-z]$", "", text, flags=re.I)  # Salesforce custom field / relationship suffix
    words: list[str] = []
    for chunk in re.split(r"[^0-9A-Za-z%\u3400-\u9fff]+", text):
        if not chunk:
            continue
        for part in re.split(r"([\u3400-\u9fff]+)", chunk):
            if not part:
                continue
            if _CJK.match(part):
                words.extend(_cut_cjk(part))
            else:
                for w in _CAMEL.split(part):
                    if w:
                        words.extend(_cut_latin(w.lower()))
    return words


def _cut_latin(word: str) -> list[str]:
    """`estimatedclosedate` → estimated close date when known words cover it exactly, else as is."""
    if word in _LATIN_VOCAB or len(word) < 6 or not word.isalpha():
        return [word]
    best: list[list[str] | None] = [None] * (len(word) + 1)
    best[0] = []
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 16), end):
            prev = best[start]
            piece = word[start:end]
            if prev is not None and piece in _LATIN_VOCAB and len(piece) > 1:
                cand = prev + [piece]
                if best[end] is None or len(cand) < len(best[end]):
                    best[end] = cand
    return best[-1] if best[-1] else [word]


def _cut_cjk(text: str) -> list[str]:
    """Longest known word first, left to right; an unknown character is a word of its own."""
    out: list[str] = []
    i = 0
    while i < len(text):
        for w in _CJK_VOCAB:
            if text.startswith(w, i):
                out.append(w)
                i += len(w)
                break
        else:
            out.append(text[i])
            i += 1
    return out


def concepts_of(words: list[str]) -> tuple[set[str], list[str]]:
    """(concepts, unknown words) of a header's words, after joining pairs like "sales person"."""
    joined: list[str] = []
    i = 0
    while i < len(words):
        pair = (words[i], words[i + 1]) if i + 1 < len(words) else None
        if pair in PAIRS:
            joined.append(PAIRS[pair])
            i += 2
        else:
            joined.append(words[i])
            i += 1
    concepts: set[str] = set()
    unknown: list[str] = []
    for w in joined:
        if w in NEUTRAL:
            continue
        if w in MULTI:
            concepts.update(MULTI[w])
            continue
        c = _WORD_CONCEPT.get(w)
        if c is None:
            unknown.append(w)
        else:
            concepts.add(c)
    return concepts, unknown


@dataclass(frozen=True)
class WordMatch:
    field: str
    confidence: float
    words: tuple[str, ...]  # the header's words, for the explanation

    @property
    def detail(self) -> str:
        return " + ".join(self.words)


@lru_cache(maxsize=4096)
def match_words(header: str) -> tuple[WordMatch, ...]:
    """Every field the header's words fit, best first (ties keep PATTERNS' order)."""
    words = split_words(header)
    if not words:
        return ()
    concepts, unknown = concepts_of(words)
    if unknown or not concepts:
        return ()
    found: list[WordMatch] = []
    for field, patterns in PATTERNS.items():
        best = 0.0
        for required, optional, conf in patterns:
            if required <= concepts and concepts <= required | optional:
                best = max(best, conf)
        if best:
            found.append(WordMatch(field, best, tuple(w for w in words if w not in NEUTRAL)))
    found.sort(key=lambda m: -m.confidence)
    return tuple(found)
