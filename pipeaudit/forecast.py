"""The forecast view: open deals by forecast category per rep and team, and the risky commits.

When the export has a forecast category (Salesforce's Commit / Best Case / Pipeline / Omitted /
Closed, or 承诺 / 有把握 / 有可能 in a Chinese CRM), the Monday call starts from the number each rep
stands behind. This rolls the open deals up by category (count and amount) and lists the commits
a manager should question first: a commit flagged by an error or warning rule, still in an early or
middle phase (solution or before), or past its close date. Computed once in the pipeline and kept in
AuditResult.extras["forecast"] for check JSON, the text output and the report.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from pipeaudit.model import Deals

CATEGORIES: tuple[str, ...] = ("commit", "best_case", "pipeline", "omitted", "closed", "other")
#: Labels of the categories and of the section (zh, en), kept together for the i18n move.
LABELS: dict[str, tuple[str, str]] = {
    "commit": ("承诺", "Commit"),
    "best_case": ("有把握", "Best Case"),
    "pipeline": ("有可能", "Pipeline"),
    "omitted": ("不计入", "Omitted"),
    "closed": ("已成交", "Closed"),
    "other": ("其他", "Other"),
    "title": ("预测（进行中商机按预测类别）", "Forecast (open deals by forecast category)"),
    "team": ("团队", "Team"),
    "rep": ("销售", "Rep"),
    "risky": ("有风险的承诺", "Risky commits"),
    "none_risky": ("没有有风险的承诺。", "No risky commits."),
    "flagged": ("被规则标记", "flagged"),
    "early_stage": ("阶段尚早（方案论证及以前）", "early or middle stage (solution or before)"),
    "past_close": ("预计成交日期已过", "past its close date"),
    "unrecognised": ("无法识别的预测类别", "forecast categories not recognised"),
}
#: Spellings of each category, compared after NFKC, case folding and dropping spaces, _ and -.
WORDS: dict[str, tuple[str, ...]] = {
    "commit": ("commit", "committed", "commitforecast", "承诺", "已承诺", "确定", "必成", "确定成交"),
    "best_case": ("bestcase", "best", "upside", "有把握", "较有把握", "最佳", "最佳情况", "乐观"),
    "pipeline": ("pipeline", "probable", "有可能", "可能", "漏斗", "管道", "一般"),
    "omitted": ("omitted", "omit", "excluded", "不计入", "排除", "不预测"),
    "closed": ("closed", "closedwon", "won", "已成交", "成交", "已关闭", "赢单"),
}
_DROP = re.compile(r"[\s_\-/.]+")
_LOOKUP = {word: cat for cat, words in WORDS.items() for word in words}


def category_of(value: Any) -> str | None:
    """The canonical category of a forecast-category value; None when blank, "other" when unknown."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = _DROP.sub("", unicodedata.normalize("NFKC", str(value)).casefold())
    if not text:
        return None
    return _LOOKUP.get(text, "other")


def categories(values: "pd.Series") -> "pd.Series":
    """category_of for a column, computed once per distinct value."""
    import pandas as pd

    import numpy as np

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = [category_of(u) for u in uniques] + [None]
    return pd.Series(np.array(table, dtype=object)[codes], index=values.index, dtype=object)


def _cell(count: int, amount: float) -> dict[str, Any]:
    return {"count": int(count), "amount": round(float(amount), 2)}


def forecast_view(deals: "Deals", findings: "pd.DataFrame", as_of: Any) -> dict[str, Any] | None:
    """The roll-up and the risky commits, or None when the export has no forecast category."""
    import numpy as np
    import pandas as pd

    frame = deals.frame
    if "forecast_category" not in frame.columns:
        return None
    open_ = frame.loc[frame["status"].eq("open").to_numpy(dtype=bool)] if "status" in frame.columns else frame
    cat = categories(open_["forecast_category"])
    amount = pd.to_numeric(open_["amount"], errors="coerce").fillna(0.0) if "amount" in open_.columns else pd.Series(0.0, index=open_.index)
    owner = open_["owner"].astype(object).where(open_["owner"].notna(), "") if "owner" in open_.columns else pd.Series("", index=open_.index)
    rolled = pd.DataFrame({"owner": owner, "cat": cat, "amount": amount}).dropna(subset=["cat"])
    sums = rolled.groupby(["owner", "cat"]).agg(count=("amount", "size"), amount=("amount", "sum"))
    team = rolled.groupby("cat").agg(count=("amount", "size"), amount=("amount", "sum"))
    by_owner: dict[str, dict[str, Any]] = {}
    for (o, c), row in sums.iterrows():
        by_owner.setdefault(str(o), {})[c] = _cell(row["count"], row["amount"])
    raw = open_["forecast_category"]
    other = raw[cat.eq("other").to_numpy(dtype=bool)].astype(str).value_counts()

    # risky commits: why each commit deserves a question
    commits = open_.loc[cat.eq("commit").to_numpy(dtype=bool)]
    rules_of: dict[int, list[str]] = {}
    if len(findings):
        serious = findings.loc[findings["severity"].isin(["error", "warning"]) & findings["deal_index"].notna()]
        for idx, rule in zip(serious["deal_index"].tolist(), serious["rule"].tolist()):
            mine = rules_of.setdefault(int(idx), [])
            if rule not in mine:
                mine.append(rule)
    as_of_ts = pd.Timestamp(as_of)
    risky = []
    for idx, rec in commits.iterrows():
        reasons = []
        rules = rules_of.get(int(idx), [])
        if rules:
            reasons.append("flagged")
        phase = rec.get("phase")
        if phase is not None and not pd.isna(phase) and int(phase) <= 3:
            reasons.append("early_stage")
        close = rec.get("close_date")
        if close is not None and not pd.isna(close) and pd.Timestamp(close).normalize() < as_of_ts.normalize():
            reasons.append("past_close")
        if not reasons:
            continue
        amt = rec.get("amount")
        risky.append({
            "deal_id": _text(rec.get("deal_id")), "deal": _text(rec.get("deal")), "owner": _text(rec.get("owner")),
            "stage": _text(rec.get("stage")), "row": int(rec["row"]) if "row" in rec and not pd.isna(rec["row"]) else None,
            "amount": None if amt is None or pd.isna(amt) else float(amt),
            "close_date": None if close is None or pd.isna(close) else pd.Timestamp(close).date().isoformat(),
            "reasons": reasons, "rules": rules,
        })
    risky.sort(key=lambda r: (-(r["amount"] or 0.0), r["owner"] or "", r["row"] or 0))
    return {
        "categories": list(CATEGORIES),
        "team": {c: _cell(team.at[c, "count"], team.at[c, "amount"]) for c in CATEGORIES if c in team.index},
        "by_owner": {o: {c: by_owner[o][c] for c in CATEGORIES if c in by_owner[o]} for o in sorted(by_owner)},
        "risky_commits": risky,
        "unrecognised": {str(k): int(v) for k, v in other.items()},
        "blank": int(cat.isna().sum()),
    }


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value)


def label(key: str, lang: str) -> str:
    return LABELS[key][0 if lang == "zh" else 1]


def text_lines(view: dict[str, Any], lang: str, clean=str) -> list[str]:
    """The short text section: one line per rep and the team, then the risky commits."""
    from tabulate import tabulate

    cats = [c for c in CATEGORIES if c in view["team"]]
    rows = []
    for owner, cells in [*view["by_owner"].items(), (label("team", lang), view["team"])]:
        rows.append([clean(owner) or "—", *(
            f"{cells[c]['count']} · {cells[c]['amount']:,.0f}" if c in cells else "" for c in cats
        )])
    out = [label("title", lang)]
    table = tabulate(rows, headers=[label("rep", lang), *(label(c, lang) for c in cats)], tablefmt="simple", disable_numparse=True)
    out.extend("  " + line for line in table.splitlines())
    if view["unrecognised"]:
        values = ", ".join(f"{clean(k)} ({v})" for k, v in view["unrecognised"].items())
        out.append(f"  {label('unrecognised', lang)}: {values}")
    risky = view["risky_commits"]
    out.append(f"{label('risky', lang)} ({len(risky)})" if risky else label("none_risky", lang))
    sep = "；" if lang == "zh" else "; "
    for r in risky:
        why = []
        for reason in r["reasons"]:
            text = label(reason, lang)
            if reason == "flagged":
                text += (": " if lang == "en" else "：") + ", ".join(r["rules"])
            why.append(text)
        name = clean(r["deal"] or "") + (f" [{clean(r['deal_id'])}]" if r["deal_id"] else "")
        amount = f"{r['amount']:,.0f}" if r["amount"] is not None else "—"
        out.append(f"  {clean(r['owner'] or '') or '—'} · {name} · {amount} · {r['close_date'] or '—'} — {sep.join(why)}")
    return out
