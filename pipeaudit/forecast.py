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

from pipeaudit.i18n import Lang, t

if TYPE_CHECKING:
    import pandas as pd

    from pipeaudit.model import Deals

CATEGORIES: tuple[str, ...] = ("commit", "best_case", "pipeline", "omitted", "closed", "other")
#: The labels of the categories, of a risky commit's reasons and of the section are the text
#: catalogue's forecast.<key> (see label).
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

    # risky commits: why each commit deserves a question (column-wise: an export may hold 100,000s)
    commits = open_.loc[cat.eq("commit").to_numpy(dtype=bool)]
    idx = commits.index
    rules_of = _rules_per_deal(findings, idx)
    flagged = np.array([bool(r) for r in rules_of], dtype=bool)
    phase = pd.to_numeric(commits["phase"], errors="coerce") if "phase" in commits.columns else pd.Series(np.nan, index=idx)
    early = (phase <= 3).fillna(False).to_numpy(dtype=bool)
    close = pd.to_datetime(commits["close_date"], errors="coerce") if "close_date" in commits.columns else pd.Series(pd.NaT, index=idx)
    past = (close.dt.normalize() < pd.Timestamp(as_of).normalize()).fillna(False).to_numpy(dtype=bool)
    keep = flagged | early | past
    code = flagged.astype(np.int64) | early.astype(np.int64) << 1 | past.astype(np.int64) << 2
    patterns = [[k for b, k in enumerate(("flagged", "early_stage", "past_close")) if c >> b & 1] for c in range(8)]
    reasons = [patterns[c] for c in code[keep].tolist()]
    chosen = commits.loc[keep]

    def column(name: str) -> list:
        """A text column as str-or-None values (Deals text columns hold str or None already)."""
        if name not in chosen.columns:
            return [None] * len(chosen)
        col = chosen[name].astype(object)
        return col.where(col.notna(), None).tolist()

    amounts = pd.to_numeric(chosen["amount"], errors="coerce") if "amount" in chosen.columns else pd.Series(np.nan, index=chosen.index)
    amounts = amounts.astype(object).where(amounts.notna(), None).tolist()
    days = close.loc[keep]
    days = days.dt.strftime("%Y-%m-%d").astype(object).where(days.notna(), None).tolist()
    rows = pd.to_numeric(chosen["row"], errors="coerce").astype("Int64").astype(object).where(chosen["row"].notna(), None).tolist() \
        if "row" in chosen.columns else [None] * len(chosen)
    risky = [
        {"deal_id": d_id, "deal": deal, "owner": owner, "stage": stage, "row": row, "amount": amt, "close_date": day,
         "reasons": why, "rules": rules}
        for d_id, deal, owner, stage, row, amt, day, why, rules in zip(
            column("deal_id"), column("deal"), column("owner"), column("stage"), rows, amounts, days, reasons,
            [r for r, k in zip(rules_of, keep) if k])
    ]
    risky.sort(key=lambda r: (-(r["amount"] or 0.0), r["owner"] or "", r["row"] or 0))
    return {
        "categories": list(CATEGORIES),
        "team": {c: _cell(team.at[c, "count"], team.at[c, "amount"]) for c in CATEGORIES if c in team.index},
        "by_owner": {o: {c: by_owner[o][c] for c in CATEGORIES if c in by_owner[o]} for o in sorted(by_owner)},
        "risky_commits": risky,
        "unrecognised": {str(k): int(v) for k, v in other.items()},
        "blank": int(cat.isna().sum()),
    }


def _rules_per_deal(findings: "pd.DataFrame", idx: "pd.Index") -> list[list[str]]:
    """For each deal of `idx`, the error and warning rules that flagged it (in findings order).

    Done by pattern, not by deal: each deal's set of rules is a row of bits, and the list of names
    is built once per distinct row, so 100,000 commits cost a few array passes.
    """
    import numpy as np
    import pandas as pd

    if not len(findings) or not len(idx):
        return [[] for _ in range(len(idx))]
    mask = findings["severity"].isin(["error", "warning"]).to_numpy(dtype=bool) & findings["deal_index"].notna().to_numpy(dtype=bool)
    pos = pd.Index(idx).get_indexer(findings.loc[mask, "deal_index"].astype("int64"))
    rules = findings.loc[mask, "rule"].to_numpy(dtype=object)
    rules, pos = rules[pos >= 0], pos[pos >= 0]
    names = list(pd.unique(rules))
    if not names:
        return [[] for _ in range(len(idx))]
    bits = np.zeros((len(idx), (len(names) + 62) // 63), dtype=np.int64)
    for k, name in enumerate(names):
        np.bitwise_or.at(bits[:, k // 63], pos[rules == name], np.int64(1) << (k % 63))
    patterns, inverse = np.unique(bits, axis=0, return_inverse=True)
    lists = [[n for k, n in enumerate(names) if row[k // 63] >> (k % 63) & 1] for row in patterns.tolist()]
    return [lists[i] for i in np.asarray(inverse).reshape(-1).tolist()]


def label(key: str, lang: Lang) -> str:
    """A category's, a reason's or the section's words: forecast.<key> in the text catalogue."""
    return t("forecast." + key, lang)


def text_lines(view: dict[str, Any], lang: Lang, clean=str) -> list[str]:
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
    sep = t("list.clauses", lang)
    for r in risky:
        why = [
            t("forecast.flagged_by", lang, rules=", ".join(r["rules"])) if reason == "flagged" else label(reason, lang)
            for reason in r["reasons"]
        ]
        name = clean(r["deal"] or "") + (f" [{clean(r['deal_id'])}]" if r["deal_id"] else "")
        amount = f"{r['amount']:,.0f}" if r["amount"] is not None else "—"
        out.append(f"  {clean(r['owner'] or '') or '—'} · {name} · {amount} · {r['close_date'] or '—'} — {sep.join(why)}")
    return out
