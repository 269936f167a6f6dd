"""Turn an AuditResult into plain data for the templates and the workbook writer.

All counting and grouping happens here, on whole columns; templates only lay the result out, and
never see pandas. Values reach the templates as str / int / float / date / None.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from pipeaudit.funnel import STEP_LABELS, STEPS
from pipeaudit.model import FINDING_COLUMNS, SEVERITIES
from pipeaudit.result import AuditResult
from pipeaudit.report.texts import EDCBA, Texts

DEAL_COLUMNS = (
    "row", "deal_id", "deal", "account", "owner", "stage", "amount", "close_date", "deal_class",
    "class_since", "next_step", "insider", "decision_maker", "probability", "phase", "stage_rank",
)


def _shown_questions(filled: Any) -> list[str]:
    """A finding's questions as the engine filled them, blank ones left out."""
    return [q.strip() for q in filled or () if q and q.strip()]


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
        deals["weeks_in_class"] = ((as_of - since).dt.days / 7.0).round(1)
    else:
        deals["weeks_in_class"] = float("nan")
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
    sev_counts = (
        pd.crosstab(f["owner"], f["severity"]) if not f.empty else pd.DataFrame()
    ).reindex(columns=list(SEVERITIES), fill_value=0)
    owners = sorted(set(per_owner.index) | set(f["owner"].unique()))
    has_probability = "probability" in frame.columns and frame["probability"].notna().any()

    # ---- flagged open deals and their findings
    flagged_f = deal_f.loc[deal_f["deal_index"].isin(open_deals.index),
                           ["deal_index", "rule", "severity", "message", "questions"]].copy()
    # numeric even when no finding is flagged (mapping an empty text column keeps its text dtype)
    flagged_f["_sev"] = pd.to_numeric(flagged_f["severity"].map(sev_rank), errors="coerce").fillna(9)
    worst_of = flagged_f.groupby("deal_index")["_sev"].min()
    wanted = open_deals.loc[open_deals.index.isin(worst_of.index) | open_deals["deal_class"].isin(["A", "B"])]
    # The records are built in the order the pages and sheets read them (rep by rep, worst deals
    # first), each deal's findings right after it: built in index order, the same records made
    # every page hop around a heap of half a gigabyte and render a third slower.
    wanted = wanted.assign(_worst=worst_of.reindex(wanted.index).fillna(99).to_numpy())
    wanted = wanted.sort_values(["owner", "_worst"], kind="stable").drop(columns="_worst")
    position = pd.Series(np.arange(len(wanted)), index=wanted.index)
    flagged_f["_pos"] = position.reindex(flagged_f["deal_index"]).to_numpy()
    flagged_f = flagged_f.sort_values(["_pos", "_sev", "rule"], kind="stable")  # most severe first per deal
    f_deal, f_rule, f_severity, f_message, f_questions = _columns(
        flagged_f[["deal_index", "rule", "severity", "message", "questions"]])
    error_deals = set(flagged_f.loc[flagged_f["severity"].eq("error"), "deal_index"])
    del flagged_f, deal_f  # sorted copies of 100,000s of findings: the columns above are all we need

    deal_recs = {}
    edcba_names, edcba_questions = texts.stage_names, texts.stage_questions
    k, n_findings = 0, len(f_deal)
    for idx, rec in zip(wanted.index.tolist(), _records(wanted)):
        idx = int(idx)
        phase = rec.get("phase")
        letter = EDCBA[int(phase) - 1] if isinstance(phase, (int, float)) and 1 <= phase <= 5 else None
        rec["index"] = idx
        rec["edcba"] = letter
        rec["edcba_name"] = edcba_names.get(letter) if letter else None
        rec["stage_questions"] = edcba_questions.get(letter, []) if letter else []
        findings = rec["findings"] = []
        while k < n_findings and f_deal[k] == idx:
            rule = f_rule[k]
            findings.append({"rule": rule, "severity": f_severity[k], "message": f_message[k] or "",
                             "questions": _shown_questions(f_questions[k])})
            k += 1
        # findings come most severe first (sorted above), so the first one is the worst
        rec["worst"] = sev_rank.get(findings[0]["severity"], 9) if findings else None
        deal_recs[idx] = rec
    if k != n_findings:  # every flagged deal is in `wanted`, in the findings' order
        raise RuntimeError(f"report: {n_findings - k} findings did not line up with their deals")

    plan = result.extras.get("plan") if isinstance(result.extras, dict) else None
    reps = []
    stats_by = per_owner.to_dict("index")
    sev_by = sev_counts.to_dict("index") if not sev_counts.empty else {}
    funnels = _funnels(open_deals, L, stage_names, by_owner=True)
    labels_of = open_deals.index.to_numpy()
    open_by = {o: labels_of[pos].tolist() for o, pos in open_deals.groupby("owner", sort=False).indices.items()}
    rep_level_by: dict[str, list] = {}
    for o, rec in zip(rep_f["owner"], _records(rep_f[["rule", "severity", "message", "question"]])):
        rep_level_by.setdefault(o, []).append(rec)
    empty_funnel = _funnels(open_deals.iloc[0:0], L, stage_names, by_owner=False)[""]
    for name in owners:
        stats = stats_by.get(name)
        counts = sev_by.get(name, {})
        mine = [deal_recs[i] for i in open_by.get(name, ()) if i in deal_recs]
        ab = sorted((d for d in mine if d["deal_class"] in ("A", "B")),
                    key=lambda r: (r["deal_class"], r["close_date"] or date.max, r["row"] or 0))
        flagged = sorted((d for d in mine if d["findings"]), key=lambda r: (r["worst"], r["row"] or 0))
        reps.append({
            "owner": name,
            "display": name or L["no_owner"],
            "open_deals": int(stats["open_deals"]) if stats else 0,
            "open_amount": _num(stats["open_amount"]) if stats else None,
            "weighted": _num(stats["weighted"]) if stats and has_probability else None,
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
        })
    changes = _changes(result.extras.get("changes") if isinstance(result.extras, dict) else None, L)
    if changes and changes.get("by_owner") is not None:
        mine = {c["owner"]: c for c in changes["by_owner"]}
        for rep in reps:
            rep["changes"] = mine.get(rep["owner"])

    top = []
    if not f.empty:
        t = f.groupby("rule").agg(count=("rule", "size"), severity=("severity", "first")).reset_index()
        t["_sev"] = t["severity"].map(sev_rank).fillna(9)
        t = t.sort_values(["count", "_sev", "rule"], ascending=[False, True, True]).head(15)
        top = _records(t[["rule", "count", "severity"]])

    help_deals = []
    for rec in sorted((deal_recs[i] for i in error_deals if i in deal_recs and deal_recs[i]["deal_class"] in ("A", "B")),
                      key=lambda r: (r["owner"], r["deal_class"], r["row"] or 0)):
        help_deals.append({**rec, "rules": [x["rule"] for x in rec["findings"] if x["severity"] == "error"]})

    # issue 13: the forecast view, learned norms and results vs plan, laid out by report.sections
    from pipeaudit.report.sections import sections

    extra_sections = sections(result, lang)
    forecast = extra_sections["forecast"]
    for rep in reps:
        rep["forecast"] = forecast["by_owner"].get(rep["owner"]) if forecast else None

    source = result.deals.source
    return {
        **extra_sections,
        "lang": lang,
        "L": L,
        "standing": texts.standing,
        "as_of": result.as_of,
        "source": getattr(source, "name", str(source)),
        "sheet": result.deals.sheet,
        "ladder": result.deals.ladder,
        "has_probability": has_probability,
        "reps": reps,
        "team_funnel": _funnels(open_deals, L, stage_names, by_owner=False)[""],
        "totals": {
            "open_deals": int(is_open.sum()),
            "open_amount": _num(amount.sum(min_count=1)),
            "weighted": _num(open_deals["weighted"].sum(min_count=1)) if has_probability else None,
            "a": sum(r["a"] for r in reps), "b": sum(r["b"] for r in reps),
            "error": sum(r["error"] for r in reps), "warning": sum(r["warning"] for r in reps),
            "info": sum(r["info"] for r in reps),
        },
        "top_rules": top,
        "help_deals": help_deals,
        "changes": changes,
    }


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
        label = STEP_LABELS.get(step, (step, step))
        need, have = cell.get("need"), cell.get("have")
        rows.append({
            "step": label[0] if lang == "zh" else label[1],
            "need": need, "have": have,
            "short": isinstance(need, (int, float)) and isinstance(have, (int, float)) and have < need,
        })
    return rows


def _changes(changes: Any, L: dict[str, str]) -> dict[str, Any] | None:
    """The history engineer's shape (changes.waterfall: team/by_owner terms and counts) laid out as
    tables; anything else falls back to generic (item, value) rows."""
    if changes is None:
        return None
    team = changes.get("team") if isinstance(changes, dict) else None
    if not isinstance(team, dict) or "start" not in team or "end" not in team:
        return {"generic": _changes_rows(changes)}
    lab = lambda k: L.get(f"chg_{k}", k)  # noqa: E731
    terms = [k for k in team if k != "counts" and isinstance(team[k], (int, float))]
    owners = {o: e for o, e in (changes.get("by_owner") or {}).items() if isinstance(e, dict)}
    # A deal that changed hands leaves one rep's pipeline and joins another's: without these two
    # columns a rep's row would not add up (for the team they cancel out).
    transfers = ("transfer_in", "transfer_out")
    moved = any(e.get(k) for e in owners.values() for k in transfers)
    owner_terms = terms
    if moved and "won" in terms:
        at = terms.index("won")
        owner_terms = [*terms[:at], *transfers, *terms[at:]]
    by_owner = []
    for owner, entry in owners.items():
        by_owner.append({"owner": owner, "display": owner or L["no_owner"],
                         "terms": [entry.get(k, 0.0) for k in owner_terms],
                         "counts": [(entry.get("counts") or {}).get(k) for k in (team.get("counts") or {})]})
    baseline = changes.get("baseline") if isinstance(changes.get("baseline"), dict) else {}
    return {
        "generic": None,
        "baseline": " ".join(str(baseline[k]) for k in ("source", "as_of") if baseline.get(k)),
        "waterfall": [{"item": lab(k), "value": team[k], "total": k in ("start", "end")} for k in terms],
        "counts": [{"item": lab(k), "value": v} for k, v in (team.get("counts") or {}).items()],
        "term_labels": [lab(k) for k in owner_terms],  # the columns of a rep's row
        "count_labels": [lab(k) for k in (team.get("counts") or {})],
        "by_owner": by_owner,
    }


def _changes_rows(changes: Any) -> list[dict[str, Any]] | None:
    """Week-over-week changes flattened to (item, value) rows; None when there are none to show."""
    if changes is None:
        return None
    rows: list[dict[str, Any]] = []

    def walk(prefix: str, value: Any, depth: int) -> None:
        if isinstance(value, dict) and depth < 3:
            for k, v in value.items():
                walk(f"{prefix} · {k}" if prefix else str(k), v, depth + 1)
        elif isinstance(value, (list, tuple)):
            rows.append({"item": prefix, "value": len(value)})
        else:
            rows.append({"item": prefix, "value": _plain(value)})

    walk("", changes, 0)
    return rows
