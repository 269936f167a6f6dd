"""Stage ladders: which ladder an export uses, and each deal's position and status on it.

A stage value is matched after normalising case, width, spaces, dashes, a leading "1." style
number and the word 阶段, so "B阶段-商务谈判", "B-商务谈判", "B阶段" and "商务谈判" are one stage.
Stage letters (E D C B A) are ladder positions, not deal classes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeaudit.config import Config
from pipeaudit.errors import ConfigError
from pipeaudit.model import PHASES

#: Closed-stage words every ladder understands.
WON_WORDS: tuple[str, ...] = (
    "Closed Won", "Won", "赢单", "已赢单", "签约", "已签约", "成交", "已成交", "Closed - Won", "签单", "中标",
)
LOST_WORDS: tuple[str, ...] = (
    "Closed Lost", "Lost", "输单", "丢单", "已丢单", "失败", "已失败", "Closed - Lost", "丢标", "未中标",
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
        for word in (*WON_WORDS, *self.won):
            table.setdefault(stage_key(word), ("won", -1))
        for word in (*LOST_WORDS, *self.lost):
            table.setdefault(stage_key(word), ("lost", -1))
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


_NUM_PREFIX = re.compile(r"^\d{1,2}(?:[.\-_、)）:：]\s*|\s+)(?=\D)")
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


def _custom(cfg: Config | None) -> dict[str, Ladder]:
    out: dict[str, Ladder] = {}
    for name, c in (cfg.ladders if cfg else {}).items():
        phases = tuple(PHASES.index(p) + 1 for p in c.phases)
        out[name] = Ladder(name, name, tuple(c.open), phases, tuple(c.won), tuple(c.lost))
    return out


def all_ladders(cfg: Config | None = None) -> dict[str, Ladder]:
    """Config ladders first (they win ties), then the built-in ones."""
    return {**_custom(cfg), **{k: v for k, v in LADDERS.items() if k not in (cfg.ladders if cfg else {})}}


def detect_ladder(values: pd.Series, cfg: Config | None) -> Ladder | None:
    """cfg.ladder if set, else the ladder whose own stage names match most non-blank values."""
    ladders = all_ladders(cfg)
    if cfg is not None and cfg.ladder:
        if cfg.ladder not in ladders:
            from pipeaudit.yamlsafe import did_you_mean

            raise ConfigError(
                f"ladder '{cfg.ladder}' is not defined / 未定义该阶段体系"
                f"{did_you_mean(cfg.ladder, ladders)} (known: {', '.join(ladders)})"
            )
        return ladders[cfg.ladder]
    counts = values.dropna().value_counts()
    if counts.empty:
        return None
    counts = counts.head(1000)  # the most frequent spellings decide; bounds the cost on junk columns
    forms = [stage_keys(v) for v in counts.index]
    best, best_score = None, (0, 0)
    for ladder in ladders.values():  # open-stage hits decide; the ladder's own closed words break ties
        opens, closed = ladder.own_keys()
        in_open = np.array([any(k in opens for k in f) for f in forms], dtype=bool)
        in_closed = np.array([any(k in closed for k in f) for f in forms], dtype=bool) & ~in_open
        score = (int(counts[in_open].sum()), int(counts[in_closed].sum()))
        if score[0] > 0 and score > best_score:
            best, best_score = ladder, score
    return best


def classify_stages(values: pd.Series, ladder: Ladder | None) -> pd.DataFrame:
    """status, stage_rank, phase, stage_known per deal (see model.META_COLUMNS)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = ladder.keys() if ladder else {stage_key(w): ("won", -1) for w in WON_WORDS} | {
        stage_key(w): ("lost", -1) for w in LOST_WORDS
    }
    n = len(uniques)
    status = np.full(n + 1, "open", dtype=object)
    rank = np.full(n + 1, -1, dtype=np.int64)
    known = np.ones(n + 1, dtype=bool)
    for i, v in enumerate(uniques):
        if v is None or (isinstance(v, float) and v != v) or not str(v).strip():
            continue
        hit = next((table[k] for k in stage_keys(v) if k in table), None)
        if hit is None:
            known[i] = False
        else:
            status[i], rank[i] = hit
    row_rank = rank[codes]
    has = row_rank >= 0
    phases = np.array(ladder.phases if ladder else (), dtype=np.int64)
    row_phase = np.zeros(len(codes), dtype=np.int64)
    if has.any():
        row_phase[has] = phases[row_rank[has]]
    return pd.DataFrame(
        {
            "status": pd.Series(status[codes], index=values.index, dtype=object),
            "stage_rank": pd.Series(pd.arrays.IntegerArray(row_rank, ~has), index=values.index),
            "phase": pd.Series(pd.arrays.IntegerArray(row_phase, ~has), index=values.index),
            "stage_known": pd.Series(known[codes], index=values.index, dtype=bool),
        },
        index=values.index,
    )
