"""What turns the audit into a ten-minute 过堂: risk order, the sharpest questions, the plan rows.

The report context (report.context) calls these on plain records; nothing here reads pandas
except `risk_scores`, which works on whole columns. The risk model is documented in
docs/risk.md and its weights come from the config's `risk:` (config.RISK_DEFAULTS):

    risk = amount x severity weight (worst finding) x class weight x closeness
    closeness = close_days / (close_days + days until the close date); 1 when due or past;
                no_close_date when the deal has none

A deal with no amount is weighed at the team's median open amount, so a blank amount (itself a
finding) cannot hide a deal at the bottom of the list.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

CARD_QUESTIONS = 3  # questions on a deal's card; the stage checklist goes to the appendix
PLAN_ROWS_MAX = 15  # deals pre-filled in the next-week plan (the riskiest first)
PLAN_BLANK_ROWS = 2  # blank rows left for what comes up in the room
#: Days a class may last before it is overdue, when the run's rules do not say (a-deal-overdue's
#: weeks, b-deal-overdue's days): A signs within 4 weeks, B within 3 months.
CLASS_LIMIT_DAYS = {"A": 28, "B": 90}


def risk_scores(amount, worst, deal_class, close, as_of: date, weights: dict[str, Any]):
    """Risk of each deal (numpy float array) from whole columns: amount (float, NaN blank),
    worst severity (str or None), class letter (str or None), close date (datetime64, NaT blank)."""
    import numpy as np
    import pandas as pd

    amount = np.asarray(amount, dtype="float64")
    finite = np.isfinite(amount) & (amount > 0)
    usual = float(np.median(amount[finite])) if finite.any() else 1.0
    base = np.where(finite, amount, usual)
    sev_w = weights["severity"]
    sev = pd.Series(worst, dtype=object).map(lambda s: sev_w.get(s, sev_w.get("none", 0.0)) if s else sev_w.get("none", 0.0))
    cls_w = weights["class"]
    cls = pd.Series(deal_class, dtype=object).map(lambda c: cls_w.get(c, cls_w.get("other", 0.5)) if c else cls_w.get("other", 0.5))
    if close is None:  # the export has no close date column
        close = pd.Series(pd.NaT, index=range(len(amount)), dtype="datetime64[ns]")
    close = pd.to_datetime(pd.Series(close).reset_index(drop=True), errors="coerce")
    days = (close - pd.Timestamp(as_of)).dt.days.to_numpy(dtype="float64", na_value=np.nan)
    horizon = float(weights["close_days"])
    closeness = np.where(np.isnan(days), float(weights["no_close_date"]), horizon / (horizon + np.clip(days, 0, None)))
    return base * sev.to_numpy(dtype="float64") * cls.to_numpy(dtype="float64") * closeness


def sharp_questions(findings: list[dict], limit: int = CARD_QUESTIONS) -> list[str]:
    """The questions a card shows: the first question of each finding (most severe first, as the
    findings come), then the second ones, and so on, without repeats, at most `limit`."""
    if len(findings) == 1:  # the usual card: one rule's questions as they are
        return list(dict.fromkeys(findings[0]["questions"]))[:limit]
    out: list[str] = []
    depth = max((len(f["questions"]) for f in findings), default=0)
    for i in range(depth):
        for f in findings:
            if i < len(f["questions"]):
                q = f["questions"][i]
                if q not in out:
                    out.append(q)
                    if len(out) == limit:
                        return out
    return out


def class_limits(rules: list) -> dict[str, int]:
    """Days each class may last, from the run's a-deal-overdue / b-deal-overdue params."""
    limits = dict(CLASS_LIMIT_DAYS)
    for rule in rules or ():
        params = getattr(rule, "params", {}) or {}
        try:
            if rule.name == "a-deal-overdue" and "weeks" in params:
                limits["A"] = int(float(params["weeks"]) * 7)
            elif rule.name == "b-deal-overdue" and "days" in params:
                limits["B"] = int(float(params["days"]))
        except (TypeError, ValueError):
            continue
    return limits


def name_key(name: str) -> tuple:
    """Sort key for a rep's name: pinyin for Chinese characters (pypinyin), so 陈静 comes before 张伟;
    without pypinyin, the name's NFKC case-folded text (code-point order, documented fallback)."""
    text = unicodedata.normalize("NFKC", str(name or "")).strip()
    try:
        from pypinyin import Style, lazy_pinyin
    except ImportError:  # pragma: no cover - pypinyin is a dependency; this keeps a stripped install working
        return (text == "", text.casefold())
    return (text == "", " ".join(lazy_pinyin(text, style=Style.NORMAL, errors="default")).casefold(), text)


def plan_rows(rep: dict, limit: int = PLAN_ROWS_MAX) -> list[dict[str, Any]]:
    """The next-week plan pre-filled: the rep's A/B and flagged deals, riskiest first, each with
    its next step; action, date and help are left for the room."""
    seen: set[int] = set()
    rows = []
    for d in sorted([*rep["flagged"], *rep["ab"]], key=lambda r: -r["risk"]):
        if d["index"] in seen:
            continue
        seen.add(d["index"])
        rows.append({"deal": d["deal"], "deal_class": d["deal_class"], "next_step": d["next_step"],
                     "amount": d["amount"], "href": f"#deal-{d['index']}" if d["findings"] else None})
        if len(rows) == limit:
            break
    return rows


def ladder_words(label: str | None, name: str | None, lang: str) -> str | None:
    """A ladder's name in words ("EDCBA 项目阶段" / "EDCBA ladder"), not its key ("edcba")."""
    if label:
        parts = [p.strip() for p in str(label).split(" / ")]
        if len(parts) == 2:
            return parts[0] if lang == "zh" else parts[1]  # i18n: the ladder's own label, "中文 / English"
        return parts[0]
    return name


def named_for(named: dict | None, owner: str | None, kinds: tuple[str, ...], limit: int) -> list[dict[str, Any]]:
    """The named changes (weekly.baseline.named_changes) of one rep (owner) or the team (None), as
    [{kind, count, amount, deals}] for the kinds that happened, each list cut to `limit`."""
    if not isinstance(named, dict):
        return []
    out = []
    for kind in kinds:
        entry = named.get(kind)
        if not isinstance(entry, dict):
            continue
        deals = [d for d in entry.get("deals") or () if owner is None or (d.get("owner") or "") == owner]
        if owner is None:
            count, total = int(entry.get("count") or 0), float(entry.get("amount") or 0)
        else:
            count, total = len(deals), float(sum(d.get("amount") or 0 for d in deals))
        if count:
            out.append({"kind": kind, "count": count, "amount": total, "deals": deals[:limit],
                        "more": max(0, count - min(len(deals), limit))})
    return out


def unit_of(config: Any, lang: str) -> tuple[str, float]:
    """(unit name, divisor) for amounts: the config's `report: unit:`, else 万 in Chinese, 1 otherwise."""
    from pipeaudit.config import REPORT_UNITS

    name = getattr(config, "report_unit", None) or ("万" if lang == "zh" else "1")  # i18n: a default, not a word
    return name, REPORT_UNITS.get(name, 1.0)
