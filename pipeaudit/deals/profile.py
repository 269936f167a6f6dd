"""Fields no header named, found in the values: the last pass of deals/columns.map_columns.

Only for the fields an audit cannot do without (stage, amount, owner, account, deal id and name,
close date), and only from columns no header pass took. Each column is profiled on its first rows:
a small vocabulary holding won/lost words or a known ladder is the stage; money is the amount;
names of people repeated across rows are the owner; company names are the account; values all
different and id-shaped are the deal id; other text all different is the deal name. When two
columns fit a field equally, neither is taken and the reason is kept (`pipeaudit columns` shows it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeaudit.i18n import both

if TYPE_CHECKING:
    import pandas as pd


SAMPLE_ROWS = 2000

#: The hundred or so commonest Chinese surnames: a 2-4 character name starting with one reads as a person.
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕"
    "单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚"
    "娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池"
    "查麻苑迟邝"
)
_CJK_NAME = re.compile(r"^[\u3400-\u9fff]{2,4}$")
_CJK_NOT_PERSON = re.compile(r"(公司|集团|部|中心|局|院|厂|店|所|处|组|科|室|行|校|会)$")
_LATIN_NAME = re.compile(r"^[A-Z][a-zA-Z'\-]+(?:\s+[A-Z]\.?)?\s+[A-Z][a-zA-Z'\-]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_COMPANY = re.compile(
    r"(\b(inc|llc|ltd|limited|gmbh|corp|corporation|co|company|plc|ag|sa|bv|pty|group|holdings|"
    r"university|hospital|bank)\.?$)|(公司|集团|有限|股份|大学|医院|银行|研究院|学院|中心|局|厂)",
    re.IGNORECASE,
)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-./#:]{0,39}$")
_DATEISH = re.compile(r"^\d{1,4}[-/.年]\d{1,2}[-/.月]\d{1,4}")
_STATUS_WORDS = {"open", "won", "lost", "active", "closed", "进行中", "跟进中", "赢单", "输单", "已成交",
                 "丢单", "onhold", "已搁置", "abandoned", "deleted", "cancelled", "canceled"}


@dataclass
class Profile:
    column: int
    header: str
    rows: int  # rows in the sample
    values: list[str]  # non-blank values as text
    distinct: list[str]
    date_like: float = 0.0
    money_like: float = 0.0
    numeric: bool = False
    person_like: float = 0.0
    company_like: float = 0.0
    id_like: bool = False
    stage_like: float = 0.0  # share of distinct values that are won/lost words or on a known ladder
    status_words: bool = False  # every distinct value is open/won/lost-like


def _profile(i: int, header: str, col: pd.Series) -> Profile | None:
    import numpy as np
    import pandas as pd

    from pipeaudit.deals.stages import known_stage_share
    from pipeaudit.deals.values import clean_text, parse_amounts, parse_dates

    sample = col.head(SAMPLE_ROWS).reset_index(drop=True).astype(object)
    text = clean_text(sample)
    filled = text.notna().to_numpy()
    values = [str(v) for v in text[filled]]
    if not values:
        return None
    distinct = list(dict.fromkeys(values))
    p = Profile(i, header, len(sample), values, distinct)
    raw = sample[filled]
    is_date_obj = raw.map(lambda v: hasattr(v, "year") and hasattr(v, "month")).to_numpy(dtype=bool)
    dateish = np.array([bool(_DATEISH.match(v)) for v in values], dtype=bool) | is_date_obj
    if dateish.mean() >= 0.8:
        _, bad = parse_dates(raw)
        p.date_like = float((~bad.to_numpy(dtype=bool) & dateish).mean())
    numeric = np.array([isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw], dtype=bool)
    amounts, bad = parse_amounts(raw)
    ok = ~bad.to_numpy(dtype=bool) & ~dateish
    if ok.mean() >= 0.9:
        a = amounts.to_numpy(dtype=float)[ok]
        marked = np.array([bool(re.search(r"[¥$€£,]|万|亿|usd|cny|rmb|eur", v, re.I)) for v in values])[ok]
        big = np.nanmedian(np.abs(a)) >= 100 if len(a) else False
        p.money_like = float(ok.mean()) if (marked.mean() >= 0.5 or big) else 0.0
        p.numeric = True
    p.numeric = p.numeric or bool(numeric.mean() >= 0.9)
    p.person_like = sum(_person(v) for v in distinct) / len(distinct)
    p.company_like = sum(bool(_COMPANY.search(v)) for v in distinct) / len(distinct)
    p.id_like = _ids(values, len(sample))
    if not p.numeric and len(distinct) <= 60:
        p.stage_like = known_stage_share(pd.Series(distinct, dtype=object))
        p.status_words = all(re.sub(r"[\s_\-]+", "", v.casefold()) in _STATUS_WORDS for v in distinct)
    return p


def _person(v: str) -> bool:
    if _EMAIL.match(v):
        return True
    if _CJK_NAME.match(v):
        return v[0] in _SURNAMES and not _CJK_NOT_PERSON.search(v)
    return bool(_LATIN_NAME.match(v)) and not _COMPANY.search(v)


def _ids(values: list[str], rows: int) -> bool:
    """All different, nearly every row filled, shaped like an id: letters and digits
    (006Dn000004VtHxIAK, OPP-1001) or whole numbers of one length or counting up."""
    if len(values) < max(2, 0.9 * rows) or len(set(values)) != len(values):
        return False
    if not all(_ID.match(v) and any(ch.isdigit() for ch in v) for v in values):
        return False
    if all(v.isdigit() for v in values):
        nums = [int(v) for v in values]
        same_len = len({len(v) for v in values}) == 1 and len(values[0]) >= 5
        return same_len or max(nums) - min(nums) + 1 <= 2 * len(nums)
    return any(ch.isalpha() for v in values[:50] for ch in v)


def _owner(p: Profile) -> bool:
    if p.person_like < 0.8:
        return False
    n, d = len(p.values), len(p.distinct)
    return d <= 0.5 * n if n >= 6 else (d < n or n <= 2)


def _mean_len(p: Profile) -> float:
    return sum(len(v) for v in p.distinct) / len(p.distinct)


#: field -> (test of a profile, what the values showed, confidence); tried in this order.
def _tests():
    return (
        ("stage", lambda p: p.stage_like >= 0.5 and not p.status_words and len(p.distinct) <= 40,
         both("profile.stage"), 0.7),
        ("deal_status", lambda p: p.status_words, both("profile.deal_status"), 0.7),
        ("amount", lambda p: p.money_like >= 0.9 and not p.id_like, both("profile.amount"), 0.6),
        ("owner", _owner, both("profile.owner"), 0.6),
        ("account", lambda p: p.company_like >= 0.5 and p.person_like < 0.5, both("profile.account"), 0.6),
        ("deal_id", lambda p: p.id_like and p.date_like < 0.5, both("profile.deal_id"), 0.6),
        ("deal", lambda p: not p.numeric and p.date_like < 0.5 and p.person_like < 0.5 and not p.id_like
         and len(p.distinct) >= 0.9 * len(p.values) and len(p.values) >= 0.9 * p.rows and 3 <= _mean_len(p) <= 80,
         both("profile.deal"), 0.5),
    )


def map_by_values(mapped: set[str], undecided: list[tuple[str, str]], headers: list[str], cells: pd.DataFrame,
                  taken: set[int]):
    """(field, column, confidence, detail) for each field the values settle, given the fields already
    `mapped`; a tie is appended to `undecided` as (field, why) and maps nothing."""
    blocked = {f for f, _ in undecided if f in _FIELDS_BY_VALUES}
    wanted = [f for f in _FIELDS_BY_VALUES if f not in mapped and f not in blocked]
    if not wanted or len(cells) == 0:
        return []
    profiles: list[Profile] = []
    for i in range(min(len(headers), cells.shape[1])):
        if i in taken:
            continue
        p = _profile(i, str(headers[i]), cells.iloc[:, i])
        if p is not None:
            profiles.append(p)
    out = []
    used: set[int] = set()
    for name, test, detail, conf in _tests():
        if name not in wanted:
            continue
        fits = [p for p in profiles if p.column not in used and test(p)]
        if len(fits) == 1:
            out.append((name, fits[0].column, conf, detail))
            used.add(fits[0].column)
        elif len(fits) > 1:
            names = ", ".join(f"'{p.header}'" for p in fits)
            undecided.append((name, both("profile.all_look_like", columns=names, field=name) + f"; --map {name}=HEADER"))
    if "close_date" in wanted:
        dates = [p for p in profiles if p.column not in used and p.date_like >= 0.9]
        if len(dates) == 1 and "created" in mapped:
            out.append(("close_date", dates[0].column, 0.5, both("profile.only_date_left")))
        elif dates:
            names = ", ".join(f"'{p.header}'" for p in dates)
            undecided.append(("close_date", both("profile.which_date", columns=names) + "; --map close_date=HEADER"))
    return out


_FIELDS_BY_VALUES = ("stage", "deal_status", "amount", "owner", "account", "deal_id", "deal", "close_date")
