"""Turn an AuditResult into plain data for the templates and the workbook writer.

All counting and grouping happens here, on whole columns; templates only lay the result out, and
never see pandas. Values reach the templates as str / int / float / date / None.
"""

from __future__ import annotations

import math
from typing import Any

from pipeaudit.funnel import STEPS, step_label
from pipeaudit.i18n import t
from pipeaudit.model import FINDING_COLUMNS, SEVERITIES
from pipeaudit.report.changes import changes_tables
from pipeaudit.report.meeting import (
    class_limits,
    ladder_words,
    name_key,
    named_for,
    plan_rows,
    risk_scores,
    sharp_questions,
    unit_of,
)
from pipeaudit.report.texts import EDCBA, Texts
from pipeaudit.result import AuditResult

CHANGE_KINDS = ("new", "gone", "won", "lost", "slipped", "advanced", "regressed")
NAMED_ON_SUMMARY = 10  # deals named per kind on the summary (the rep sheets name theirs)
NAMED_ON_REP = 20
HELP_ON_SUMMARY = 30  # deals that need the manager, riskiest first

DEAL_COLUMNS = (
    "row", "deal_id", "deal", "account", "owner", "stage", "amount", "close_date", "deal_class",
    "class_since", "next_step", "insider", "decision_maker", "probability", "phase", "stage_rank",
)


def _shown_questions(filled: Any, _seen: dict = {}) -> tuple[str, ...]:  # noqa: B006 (a memo on purpose)
    """A finding's questions as the engine filled them, blank ones left out. Findings of one rule
    share their filled tuple (engine.template), so each distinct tuple is cleaned once."""
    if not filled:
        return ()
    try:
        found = _seen.get(filled)
    except TypeError:  # not hashable (a list from some other producer)
        found = None
        filled = tuple(filled)
    if found is None:
        if len(_seen) > 100_000:
            _seen.clear()
        found = _seen[filled] = tuple(q.strip() for q in filled if q and q.strip())
    return found


def _plain(value: Any) -> Any:
    """numpy / pandas scalars -> Python; NA -> None."""
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()
    if hasattr(value, "item"):
        return value.item()
    return value


def _columns(df) -> list[list[Any]]:
    """Each column of a DataFrame as a list of Python values (dates as date, NA as None)."""
    import numpy as np
    import pandas as pd

    columns = []
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            values = s.dt.date.astype(object).where(s.notna(), None).tolist()
        else:
            values = s.astype(object).where(s.notna(), None).tolist()
            if s.dtype == object:  # may hold numpy scalars, which to_dict turned into Python ones
                values = [_native(v) if isinstance(v, np.generic) else v for v in values]
        columns.append(values)
    return columns


def _records(df) -> list[dict[str, Any]]:
    """DataFrame -> list of dicts of Python values (dates as date, NA as None).

    Built column by column, then zipped: DataFrame.to_dict("records") boxes every value through
    a Python call and took half of build_model on a 100,000-deal export.
    """
    names = list(df.columns)
    return [dict(zip(names, row)) for row in zip(*_columns(df))]


def _native(value: Any) -> Any:
    """A numpy scalar as the Python value DataFrame.to_dict gives for it."""
    import numpy as np
    import pandas as pd

    if isinstance(value, np.datetime64):
        return pd.Timestamp(value)
    if isinstance(value, np.timedelta64):
        return pd.Timedelta(value)
    return value.item()


def _owner_series(frame):
    import pandas as pd

    if "owner" not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame["owner"].astype(object).where(frame["owner"].notna(), "").astype(str).str.strip()


def _class_letter(frame):
    """'A', 'B'... from values like 'A', 'a类', 'B级'; None otherwise."""
    import pandas as pd

    if "deal_class" not in frame.columns:
        return pd.Series(None, index=frame.index, dtype=object)
    s = frame["deal_class"].astype(object).where(frame["deal_class"].notna(), "").astype(str).str.strip()
    letter = s.str.upper().str.extract(r"^([ABCDX])(?:类|级|CLASS)?$", expand=False)
    return letter.astype(object).where(letter.notna(), None)


def _funnels(open_df, labels: dict[str, str], stage_names: dict[int, str], by_owner: bool) -> dict[str, list]:
    """Open deals and amount by stage in ladder order (unknown or blank stage last), per owner or
    for the team under the key "", from one groupby over the whole table."""
    import pandas as pd

    rank = (pd.to_numeric(open_df["stage_rank"], errors="coerce") if "stage_rank" in open_df.columns
            else pd.Series(float("nan"), index=open_df.index))
    amount = (pd.to_numeric(open_df["amount"], errors="coerce") if "amount" in open_df.columns
              else pd.Series(float("nan"), index=open_df.index))
    owner = open_df["owner"] if by_owner else pd.Series("", index=open_df.index, dtype=object)
    g = pd.DataFrame({"owner": owner, "key": rank.fillna(-1).astype("int64"), "amount": amount})
    grouped = g.groupby(["owner", "key"], sort=True)
    counts, sums = grouped.size().to_dict(), grouped["amount"].sum(min_count=1).to_dict()
    owners = sorted(set(g["owner"].unique())) if by_owner else [""]
    seen: dict[str, set] = {}
    for o, k in counts:
        seen.setdefault(o, set()).add(k)
    out: dict[str, list] = {}
    for o in owners:
        keys = seen.get(o, set())
        known = sorted(set(stage_names) | {k for k in keys if k >= 0})
        rows = []
        for k in known + ([-1] if -1 in keys else []):
            total = sums.get((o, k))
            rows.append({
                "stage": labels["unknown_stage"] if k < 0 else stage_names.get(int(k), str(k + 1)),
                "unknown": bool(k < 0),
                "deals": int(counts.get((o, k), 0)),
                "amount": None if total is None or total != total else float(total),
            })
        out[o] = rows
    return out


def _stage_names(frame, ladder: str | None) -> dict[int, str]:
    """stage_rank -> the ladder's own name for it, else the spelling most deals use."""
    import pandas as pd

    try:
        from pipeaudit.deals.stages import all_ladders

        found = all_ladders(None).get(ladder) if ladder else None
    except Exception:  # a ladder module in flux must not break the report
        found = None
    if found is not None:
        return dict(enumerate(found.open))
    if "stage_rank" not in frame.columns or "stage" not in frame.columns:
        return {}
    df = pd.DataFrame({
        "rank": pd.to_numeric(frame["stage_rank"], errors="coerce"),
        "stage": frame["stage"].astype(object),
    }).dropna()
    if df.empty:
        return {}
    counts = df.groupby(["rank", "stage"]).size().reset_index(name="n")
    counts = counts.sort_values(["rank", "n", "stage"], ascending=[True, False, True])
    first = counts.drop_duplicates("rank")
    return {int(r): str(s) for r, s in zip(first["rank"], first["stage"])}


def build_model(result: AuditResult, texts: Texts) -> dict[str, Any]:
    """Everything the summary and the per-rep pages show, grouped by owner."""
    import numpy as np
    import pandas as pd

    lang = result.lang
    L = texts.labels
    frame = result.deals.frame
    owner = _owner_series(frame)
    status = frame["status"] if "status" in frame.columns else pd.Series("open", index=frame.index)
    is_open = status.astype(object).eq("open").fillna(False).astype(bool)
    cls = _class_letter(frame)

    deals = pd.DataFrame(index=frame.index)
    for col in DEAL_COLUMNS:
        deals[col] = frame[col] if col in frame.columns else None
    deals["owner"] = owner
    deals["deal_class"] = cls.where(cls.notna(), frame["deal_class"] if "deal_class" in frame.columns else None)
    as_of = pd.Timestamp(result.as_of)
    if "class_since" in frame.columns:
        since = pd.to_datetime(frame["class_since"], errors="coerce")
        deals["days_in_class"] = (as_of - since).dt.days.astype("float64")
    else:
        deals["days_in_class"] = float("nan")
    deals["weighted"] = (
        pd.to_numeric(deals["amount"], errors="coerce") * pd.to_numeric(deals["probability"], errors="coerce")
    )
    stage_names = _stage_names(frame, result.deals.ladder)

    # ---- findings: deal-level vs rep-level
    f = result.findings.copy()
    if f.empty:
        f = pd.DataFrame(columns=list(FINDING_COLUMNS))
    f["owner"] = f["owner"].astype(object).where(f["owner"].notna(), "").astype(str).str.strip()
    f["severity"] = f["severity"].astype(object).where(f["severity"].notna(), "info").astype(str)
    dix = pd.to_numeric(f["deal_index"], errors="coerce")
    deal_f = f.loc[dix.notna()].copy()
    deal_f["deal_index"] = dix[dix.notna()].astype("int64")
    # the owner of a deal finding is the deal's owner, whatever the finding row says
    deal_f["owner"] = owner.reindex(deal_f["deal_index"]).fillna("").to_numpy()
    rep_f = f.loc[dix.isna()]
    # A finding with neither owner nor deal is about the whole export (history-too-short, an
    # unknown stage order): the summary shows it; it makes no rep (no phantom "未分配" sheet).
    export_f = rep_f.loc[rep_f["owner"].eq("")]
    rep_f = rep_f.loc[rep_f["owner"].ne("")]

    sev_rank = {s: i for i, s in enumerate(SEVERITIES)}

    # ---- per-owner numbers, whole-table
    open_deals = deals.loc[is_open]
    amount = pd.to_numeric(open_deals["amount"], errors="coerce")
    g = pd.DataFrame({
        "owner": open_deals["owner"],
        "amount": amount,
        "weighted": open_deals["weighted"],
        "a": open_deals["deal_class"].eq("A").fillna(False).astype(int),
        "b": open_deals["deal_class"].eq("B").fillna(False).astype(int),
    }).groupby("owner")
    per_owner = pd.DataFrame({
        "open_deals": g.size(),
        "open_amount": g["amount"].sum(min_count=1),
        "weighted": g["weighted"].sum(min_count=1),
        "a": g["a"].sum(),
        "b": g["b"].sum(),
    })
    owned = pd.concat([deal_f[["owner", "severity"]], rep_f[["owner", "severity"]]])
    sev_counts = (
        pd.crosstab(owned["owner"], owned["severity"]) if not owned.empty else pd.DataFrame()
    ).reindex(columns=list(SEVERITIES), fill_value=0)
    owners = sorted(set(per_owner.index) | set(owned["owner"].unique()))
    has_probability = "probability" in frame.columns and frame["probability"].notna().any()

    # ---- flagged open deals and their findings
    flagged_f = deal_f.loc[deal_f["deal_index"].isin(open_deals.index),
                           ["deal_index", "rule", "severity", "message", "questions"]].copy()
    # numeric even when no finding is flagged (mapping an empty text column keeps its text dtype)
    flagged_f["_sev"] = pd.to_numeric(flagged_f["severity"].map(sev_rank), errors="coerce").fillna(9)
    worst_of = flagged_f.groupby("deal_index")["_sev"].min()
    # ---- risk (report.meeting, docs/risk.md), on every open deal at once
    weights = getattr(result.config, "risk", None) or _default_risk()
    worst_open = worst_of.reindex(open_deals.index)
    worst_name = [SEVERITIES[int(r)] if r == r and int(r) < len(SEVERITIES) else None for r in worst_open.tolist()]
    close = frame["close_date"].reindex(open_deals.index) if "close_date" in frame.columns else None
    risk = pd.Series(risk_scores(amount.to_numpy(dtype="float64", na_value=np.nan), worst_name,
                                 open_deals["deal_class"].tolist(), close, result.as_of, weights), index=open_deals.index)
    at_risk_amount = amount.where(worst_open.le(1).fillna(False).to_numpy(), 0.0).fillna(0.0)  # errors and warnings
    open_deals = open_deals.assign(risk=risk)
    per_owner["risk"] = risk.groupby(open_deals["owner"]).sum()
    per_owner["at_risk"] = at_risk_amount.groupby(open_deals["owner"]).sum()
    wanted = open_deals.loc[open_deals.index.isin(worst_of.index) | open_deals["deal_class"].isin(["A", "B"])]
    # The records are built in the order the pages and sheets read them (rep by rep, riskiest deals
    # first), each deal's findings right after it: built in index order, the same records made
    # every page hop around a heap of half a gigabyte and render a third slower.
    wanted = wanted.assign(_neg=-wanted["risk"].to_numpy())
    wanted = wanted.sort_values(["owner", "_neg"], kind="stable").drop(columns="_neg")
    position = pd.Series(np.arange(len(wanted)), index=wanted.index)
    flagged_f["_pos"] = position.reindex(flagged_f["deal_index"]).to_numpy()
    flagged_f = flagged_f.sort_values(["_pos", "_sev", "rule"], kind="stable")  # most severe first per deal
    f_deal, f_rule, f_severity, f_message, f_questions = _columns(
        flagged_f[["deal_index", "rule", "severity", "message", "questions"]])
    error_deals = set(flagged_f.loc[flagged_f["severity"].eq("error"), "deal_index"])
    del flagged_f, deal_f  # sorted copies of 100,000s of findings: the columns above are all we need

    deal_recs = {}
    edcba_names, edcba_questions = texts.stage_names, texts.stage_questions
    titles = {r.name: r.label(lang) for r in result.rules or ()}
    limits = class_limits(result.rules)
    class_word = L["deal_class"]
    k, n_findings = 0, len(f_deal)
    for idx, rec in zip(wanted.index.tolist(), _records(wanted)):
        idx = int(idx)
        phase = rec.get("phase")
        letter = EDCBA[int(phase) - 1] if isinstance(phase, (int, float)) and 1 <= phase <= 5 else None
        rec["index"] = idx
        rec["edcba"] = letter
        rec["edcba_name"] = edcba_names.get(letter) if letter else None
        rec["stage_questions"] = edcba_questions.get(letter, []) if letter else []
        days = rec.get("days_in_class")
        rec["days_in_class"] = int(days) if isinstance(days, (int, float)) and days == days else None
        cls_letter = rec.get("deal_class")
        rec["class_label"] = f"{class_word} {cls_letter}" if cls_letter else None
        rec["class_overdue"] = bool(rec["days_in_class"] is not None and cls_letter in limits
                                    and rec["days_in_class"] > limits[cls_letter])
        findings = rec["findings"] = []
        while k < n_findings and f_deal[k] == idx:
            rule = f_rule[k]
            findings.append({"rule": rule, "title": titles.get(rule, rule), "severity": f_severity[k],
                             "message": f_message[k] or "", "questions": _shown_questions(f_questions[k])})
            k += 1
        # findings come most severe first (sorted above), so the first one is the worst
        rec["worst"] = sev_rank.get(findings[0]["severity"], 9) if findings else None
        rec["card_questions"] = sharp_questions(findings)
        deal_recs[idx] = rec
    if k != n_findings:  # every flagged deal is in `wanted`, in the findings' order
        raise RuntimeError(f"report: {n_findings - k} findings did not line up with their deals")

    plan = result.extras.get("plan") if isinstance(result.extras, dict) else None
    extras = result.extras if isinstance(result.extras, dict) else {}
    raw_changes = extras.get("changes")
    unreliable = _unreliable_match(raw_changes, L)
    if unreliable:  # a week matched on too few deals: what looks new or gone is no news to show
        raw_changes = None
    named = raw_changes.get("deals") if isinstance(raw_changes, dict) else None
    trends = extras.get("trends") if isinstance(extras.get("trends"), dict) else None
    reps = []
    stats_by = per_owner.to_dict("index")
    sev_by = sev_counts.to_dict("index") if not sev_counts.empty else {}
    funnels = _funnels(open_deals, L, stage_names, by_owner=True)
    labels_of = open_deals.index.to_numpy()
    open_by = {o: labels_of[pos].tolist() for o, pos in open_deals.groupby("owner", sort=False).indices.items()}
    rep_level_by: dict[str, list] = {}
    for o, rec in zip(rep_f["owner"], _records(rep_f[["rule", "severity", "message", "question"]])):
        rec["title"] = titles.get(rec["rule"], rec["rule"])
        rep_level_by.setdefault(o, []).append(rec)
    empty_funnel = _funnels(open_deals.iloc[0:0], L, stage_names, by_owner=False)[""]
    for name in owners:
        stats = stats_by.get(name)
        counts = sev_by.get(name, {})
        mine = sorted((deal_recs[i] for i in open_by.get(name, ()) if i in deal_recs), key=lambda r: -r["risk"])
        ab = sorted((d for d in mine if d["deal_class"] in ("A", "B")), key=lambda r: (r["deal_class"], -r["risk"]))
        flagged = [d for d in mine if d["findings"]]
        rep = {
            "owner": name,
            "display": name or L["no_owner"],
            "open_deals": int(stats["open_deals"]) if stats else 0,
            "open_amount": _num(stats["open_amount"]) if stats else None,
            "weighted": _num(stats["weighted"]) if stats and has_probability else None,
            "risk": float(stats["risk"]) if stats and stats["risk"] == stats["risk"] else 0.0,
            "at_risk": _num(stats["at_risk"]) if stats else None,
            "a": int(stats["a"]) if stats else 0,
            "b": int(stats["b"]) if stats else 0,
            "error": int(counts.get("error", 0)),
            "warning": int(counts.get("warning", 0)),
            "info": int(counts.get("info", 0)),
            "funnel": funnels.get(name, empty_funnel),
            "ab": ab,
            "flagged": flagged,
            "rep_findings": rep_level_by.get(name, []),
            "plan": _plan_rows(plan.get(name) if isinstance(plan, dict) else None, lang),
            "changes": None,
            "named": named_for(named, name, CHANGE_KINDS, NAMED_ON_REP),
            "trend": (trends or {}).get("by_owner", {}).get(name),
        }
        rep["plan_rows"] = plan_rows(rep)
        rep["appendix_stages"] = [x for x in EDCBA if any(d["edcba"] == x for d in (*flagged, *ab))]
        rep["top_risk"] = flagged[0] if flagged else None
        reps.append(rep)
    if getattr(result.config, "sort_reps", "risk") == "name":
        reps.sort(key=lambda r: name_key(r["owner"]))
    else:  # most risk first; reps with none in plain name order (no pinyin needed for a tie)
        reps.sort(key=lambda r: (-r["risk"], r["owner"] == "", r["owner"].casefold()))
    changes = changes_tables(raw_changes, L)
    if changes and changes.get("by_owner") is not None:
        mine = {c["owner"]: c for c in changes["by_owner"]}
        for rep in reps:
            rep["changes"] = mine.get(rep["owner"])

    top = []
    if not f.empty:
        counts = f.groupby("rule").agg(count=("rule", "size"), severity=("severity", "first")).reset_index()
        counts["_sev"] = counts["severity"].map(sev_rank).fillna(9)
        counts = counts.sort_values(["count", "_sev", "rule"], ascending=[False, True, True]).head(15)
        top = _records(counts[["rule", "count", "severity"]])
        for row in top:
            row["title"] = titles.get(row["rule"], row["rule"])

    help_deals = []
    for rec in sorted((deal_recs[i] for i in error_deals if i in deal_recs and deal_recs[i]["deal_class"] in ("A", "B")),
                      key=lambda r: -r["risk"]):
        errors = [x for x in rec["findings"] if x["severity"] == "error"]
        help_deals.append({**rec, "rules": [x["rule"] for x in errors], "rule_titles": [x["title"] for x in errors]})

    # issue 13: the forecast view, learned norms and results vs plan, laid out by report.sections
    from pipeaudit.report.sections import sections

    extra_sections = sections(result, lang)
    forecast = extra_sections["forecast"]
    for rep in reps:
        rep["forecast"] = forecast["by_owner"].get(rep["owner"]) if forecast else None

    history = extras.get("history") if isinstance(extras.get("history"), dict) else None
    export_findings = _records(export_f[["rule", "severity", "message", "question"]]) if len(export_f) else []
    for x in export_findings:
        x["title"] = titles.get(x["rule"], x["rule"])
    export_counts = export_f["severity"].value_counts().to_dict() if len(export_f) else {}
    source = result.deals.source
    unit, div = unit_of(result.config, lang)
    for key in ("amount", "at_risk", "open_amount", "weighted_amount", "risk"):  # headers that say the unit
        L[f"{key}_head"] = L[key] if unit == "1" else t("report_section.with_unit", lang, label=L[key], unit=unit)
    stage_order = result.deals.stage_order
    return {
        **extra_sections,
        "lang": lang,
        "L": L,
        "standing": texts.standing,
        "stage_names": texts.stage_names,
        "stage_questions": texts.stage_questions,
        "as_of": result.as_of,
        "source": getattr(source, "name", str(source)),
        "sheet": result.deals.sheet,
        "ladder": result.deals.ladder,
        "ladder_words": ladder_words(getattr(stage_order, "label", None), result.deals.ladder, lang),
        "unit": unit,
        "unit_div": div,
        "has_probability": has_probability,
        "reps": reps,
        "team_funnel": _funnels(open_deals, L, stage_names, by_owner=False)[""],
        "totals": {
            "open_deals": int(is_open.sum()),
            "open_amount": _num(amount.sum(min_count=1)),
            "weighted": _num(open_deals["weighted"].sum(min_count=1)) if has_probability else None,
            "at_risk": sum(r["at_risk"] or 0 for r in reps),
            "risk": sum(r["risk"] for r in reps),
            "a": sum(r["a"] for r in reps), "b": sum(r["b"] for r in reps),
            "error": sum(r["error"] for r in reps) + int(export_counts.get("error", 0)),
            "warning": sum(r["warning"] for r in reps) + int(export_counts.get("warning", 0)),
            "info": sum(r["info"] for r in reps) + int(export_counts.get("info", 0)),
        },
        "top_rules": top,
        "help_deals": help_deals[:HELP_ON_SUMMARY],  # the riskiest; the rep sheets have the rest
        "help_more": max(0, len(help_deals) - HELP_ON_SUMMARY),
        "export_findings": export_findings,
        "changes": changes,
        "changes_raw": raw_changes,
        "named": named_for(named, None, CHANGE_KINDS, NAMED_ON_SUMMARY),
        "changes_hint": unreliable or (L["changes_first_week"] if history and not raw_changes else L["changes_missing"]),
        "trends": trends,
        "coverage": _coverage(result),
        "class_limits": limits,
    }


def _default_risk() -> dict[str, Any]:
    from pipeaudit.config import RISK_DEFAULTS

    return RISK_DEFAULTS


def _coverage(result: AuditResult) -> dict[str, Any] | None:
    """Rule coverage ({ran, total, skipped}) when findings.summarize reports it (it is being added
    there); None while it does not, and the summary page simply leaves the line out."""
    from pipeaudit.findings import summarize

    found = summarize(result).get("coverage")
    if isinstance(found, dict) and "ran" in found and "total" in found:
        return {"ran": found["ran"], "total": found["total"], "skipped": list(found.get("skipped") or [])}
    return None


def _num(value: Any) -> float | None:
    value = _plain(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _plan_rows(entry: Any, lang: str) -> list[dict[str, Any]]:
    """Plan vs actual for one rep: [{step, need, have, short}] from quotas.funnel_vs_quota's shape."""
    if not isinstance(entry, dict):
        return []
    order = [s for s in reversed(STEPS) if s in entry] + [k for k in entry if k not in STEPS and not str(k).startswith("_")]
    rows = []
    for step in order:
        cell = entry[step]
        if not isinstance(cell, dict):
            continue
        need, have = cell.get("need"), cell.get("have")
        rows.append({
            "step": step_label(step, lang) if step in STEPS else step,
            "need": need, "have": have,
            "short": isinstance(need, (int, float)) and isinstance(have, (int, float)) and have < need,
        })
    return rows


def _unreliable_match(changes: Any, L: dict[str, str]) -> str | None:
    """The note shown in place of the changes when last week matched too few deals to compare."""
    baseline = changes.get("baseline") if isinstance(changes, dict) else None
    if not isinstance(baseline, dict) or baseline.get("reliable", True):
        return None
    return (f"{L['changes_unreliable']} ({baseline.get('matched_open')}/{baseline.get('previous_open')},"
            f" {baseline.get('key') or '—'})")
