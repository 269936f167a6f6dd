"""The forecast view, the learned stage norms and results against plan as rows for the report pages.

The audit keeps them in AuditResult.extras ("forecast", "norms", "review"); this lays them out,
with their words in the page's language, so the templates only loop over rows. The words are
the catalogue's `report_section`; the layout can change without touching the figures.
"""

from __future__ import annotations

from typing import Any

from pipeaudit.forecast import CATEGORIES, label
from pipeaudit.i18n import t


def word(key: str, lang: str, **values: str) -> str:
    """A word of these sections from the catalogue's `report_section`."""
    return t("report_section." + key, lang, **values)


def _cell(cells: dict[str, Any], cat: str) -> str:
    c = cells.get(cat)
    return f"{c['count']} · {c['amount']:,.0f}" if c else ""


def _why(r: dict[str, Any], lang: str) -> str:
    parts = []
    for reason in r["reasons"]:
        text = label(reason, lang)
        if reason == "flagged":
            text = word("flagged_by", lang, reason=text, rules=", ".join(r["rules"]))
        parts.append(text)
    return word("reasons_joint", lang).join(parts)


def forecast_section(view: dict[str, Any] | None, lang: str) -> dict[str, Any] | None:
    """{title, head, rows, team, risky_title, risky, by_owner: {owner: {cells, risky}}} or None."""
    if not view:
        return None
    cats = [c for c in CATEGORIES if c in view["team"]]
    risky = [{
        "owner": r["owner"] or "", "deal": r["deal"] or r["deal_id"] or "", "amount": r["amount"],
        "close_date": r["close_date"] or "", "why": _why(r, lang),
    } for r in view["risky_commits"]]
    return {
        "title": label("title", lang),
        "head": [label("rep", lang), *(label(c, lang) for c in cats)],
        "rows": [[owner, *(_cell(cells, c) for c in cats)] for owner, cells in view["by_owner"].items()],
        "team": [label("team", lang), *(_cell(view["team"], c) for c in cats)],
        "cat_head": [label(c, lang) for c in cats],
        "risky_title": f"{label('risky', lang)} ({len(risky)})",
        "risky_head": [label("rep", lang), word("deal", lang), word("amount", lang), word("close_date", lang), word("why", lang)],
        "risky": risky,
        "by_owner": {
            owner: {"cells": [_cell(cells, c) for c in cats], "risky": [r for r in risky if r["owner"] == owner]}
            for owner, cells in view["by_owner"].items()
        },
    }


def norms_section(norms: dict[str, Any] | None, ladder: str | None, lang: str) -> dict[str, Any] | None:
    """The learned norms of the export's ladder, or None without `norms: learned`."""
    if not norms:
        return None
    stages = norms["ladders"].get(ladder or "", [])
    return {
        "title": word("norms_title", lang),
        "note": None if norms["enough_weeks"] else word("norms_short", lang, weeks=str(norms["min_weeks"])),
        "head": [word(k, lang) for k in ("stage", "stays", "median", "p80", "norm")],
        "rows": [[s["stage"], s["samples"], f"{s['median']:g}", f"{s['p80']:g}",
                  s["norm"] if s["enough"] else word("too_few", lang)] for s in stages],
    }


def review_section(review: dict[str, Any] | None, due: set[str], lang: str) -> dict[str, Any] | None:
    """Each rep's won amount against the plan for the stored weeks; `due` are the reps flagged review-due."""
    if not review:
        return None
    rows = []
    for rep, e in review.items():
        miss = "" if e["miss_pct"] is None else f"{e['miss_pct']:.0f}%"
        rows.append([rep, f"{e['won']:,.0f}", f"{e['plan']:,.0f}", miss, word("review_due", lang) if rep in due else ""])
    return {
        "title": word("review_title", lang),
        "note": None,
        "head": [label("rep", lang), word("won", lang), word("plan", lang), word("miss", lang), word("review", lang)],
        "rows": rows,
    }


def sections(result: Any, lang: str) -> dict[str, Any]:
    """The three sections of a result, for the report context."""
    extras = result.extras if isinstance(result.extras, dict) else {}
    f = result.findings
    due = set(f.loc[f["rule"] == "review-due", "owner"].dropna().astype(str)) if len(f) else set()
    return {
        "forecast": forecast_section(extras.get("forecast"), lang),
        "learned_norms": norms_section(extras.get("norms"), result.deals.ladder, lang),
        "review": review_section(extras.get("review"), due, lang),
    }
