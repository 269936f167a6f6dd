"""Quotas against the open funnel: each rep's target worked back through the funnel ratios.

A quota sheet (csv/xlsx: rep and target columns) or the config's `quotas:` gives each rep a
target; `funnel_vs_quota` compares what that target needs at every funnel step (pipeaudit.funnel)
with the rep's open deals that have reached the step. The result is a run fact the engine's
owner-scoped check `funnel-short` reads; it is also shown as "plan vs actual" in the report.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Iterable

from pipeaudit.errors import ConfigError
from pipeaudit.funnel import PHASE_STEP, STEPS, parse_mix, parse_ratios, rep_plan
from pipeaudit.i18n import both
from pipeaudit.owners import owner_key
from pipeaudit.yamlsafe import clip


_REP_HEADERS = ("销售", "销售代表", "负责人", "rep", "owner", "sales rep", "salesperson", "name", "姓名")
_TARGET_HEADERS = ("目标", "任务", "指标", "target", "quota", "销售目标", "任务额")


def read_quotas(path: Path) -> dict[str, float]:
    """Rep targets from a csv/xlsx quota sheet: a rep column and a target column, zh/en headers.

    Read by the same guarded reader as exports (pipeaudit.read): size, zip-bomb and sheet-extent
    limits, encodings, title, blank and total rows; the header row is the one naming both columns.
    """
    from pipeaudit.errors import InputError
    from pipeaudit.read import read_table

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"--quotas {path}: " + both("quota.no_file"))
    try:
        raw = read_table(path, header_score=_quota_header_score)
    except InputError as exc:
        raise ConfigError(f"--quotas {exc}; " + both("quota.sheet_needs")) from None
    cells = [_norm_header(h) for h in raw.headers]
    rep_col = next(j for j, c in enumerate(cells) if c in _REP_HEADERS)
    tgt_col = next(j for j, c in enumerate(cells) if _is_target_header(c))
    unit = 10000.0 if "万" in str(raw.headers[tgt_col]) else 1.0
    quotas: dict[str, float] = {}
    reps, targets = raw.cells[rep_col].tolist(), raw.cells[tgt_col].tolist()
    for row, rep_cell, raw_target in zip(raw.row_numbers.tolist(), reps, targets):
        rep = "" if _blank(rep_cell) else str(rep_cell).strip()
        if not rep and _blank(raw_target):
            continue
        if rep.casefold() in ("合计", "总计", "total"):
            continue
        if not rep:
            raise ConfigError(f"--quotas {path}: " + both("quota.row_no_rep", row=row))
        text = str(raw_target).replace(",", "").replace("，", "").strip()
        try:
            value = float(text.rstrip("万").strip())
        except ValueError:
            raise ConfigError(f"--quotas {path}: " + both("quota.not_number", row=row, raw=repr(clip(raw_target)))) from None
        if not math.isfinite(value) or value < 0:
            raise ConfigError(f"--quotas {path}: " + both("quota.negative", row=row))
        quotas[rep] = value * (10000.0 if text.endswith("万") else unit)
    if not quotas:
        raise ConfigError(f"--quotas {path}: " + both("quota.no_targets"))
    return quotas


def _quota_header_score(cells: list[Any]) -> int:
    """2 for a row naming a rep column and a target column (the reader takes the best row, >= 2)."""
    norm = [_norm_header(c) for c in cells]
    return int(any(c in _REP_HEADERS for c in norm)) + int(any(_is_target_header(c) for c in norm))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""


def _norm_header(cell: Any) -> str:
    text = "" if cell is None else str(cell).strip().lower()
    return re.sub(r"[\s_]*[(（][^)）]*[)）]$", "", text)


def _is_target_header(cell: str) -> bool:
    return cell in _TARGET_HEADERS or any(cell.startswith(h) for h in ("目标", "任务")) or cell.startswith("quota")


def funnel_vs_quota(frame: Any, quotas: dict[str, float], plan_cfg: dict[str, Any]) -> dict[str, Any]:
    """{rep: {step: {"need": n, "have": m}}} for every rep with a quota.

    `have` counts the rep's open deals that have reached a step (a deal in negotiation has also
    been demoed, visited and was a lead), so the counts are comparable with the plan's. The
    average deal size is the rep's mean open amount, else plan.avg_deal, else the mix's average,
    else the team's mean open amount (a rep with a quota and an empty funnel is the shortest of
    all, not one to leave out). Reps whose size still cannot be found are listed under
    "_skipped"; reps with a quota but no deal in the export under "_no_deals". A quota's rep is
    matched to the export's owners by pipeaudit.owners and keyed by the name the export uses.
    """
    import pandas as pd

    from pipeaudit.model import PHASES

    ratios = parse_ratios(plan_cfg.get("ratios"))
    fallback = plan_cfg.get("avg_deal")
    if fallback is None and plan_cfg.get("mix") is not None:
        pairs = parse_mix(plan_cfg["mix"])
        fallback = sum(s * c for s, c in pairs) / sum(c for _, c in pairs)
    shown: dict[str, str] = {}  # owner key -> the export's own spelling (first seen)
    if "owner" in frame.columns:
        for name in frame["owner"].dropna().astype(str).unique():
            shown.setdefault(owner_key(name), name)
    if "owner" in frame.columns and "status" in frame.columns:
        open_ = frame.loc[frame["status"].eq("open").fillna(False).astype(bool)]
        owners = open_["owner"].astype(object).map(owner_key)
    else:
        open_, owners = frame.iloc[0:0], pd.Series([], dtype=object)
    phase = (
        pd.to_numeric(open_["phase"], errors="coerce") if "phase" in open_.columns else pd.Series(float("nan"), index=open_.index)
    )
    amount = (
        pd.to_numeric(open_["amount"], errors="coerce") if "amount" in open_.columns else pd.Series(float("nan"), index=open_.index)
    )
    # reached[k]: number of the rep's open deals at phase >= k+1 (deals with no phase count as leads)
    reached = {}
    phase_filled = phase.fillna(1)
    for k, name in enumerate(PHASES):
        reached[PHASE_STEP[name]] = (phase_filled >= k + 1).groupby(owners).sum()
    positive = amount.where(amount > 0)
    mean_amount = positive.groupby(owners).mean()
    if fallback is None and positive.notna().any():
        fallback = float(positive.mean())
    out: dict[str, Any] = {}
    skipped: list[str] = []
    no_deals: list[str] = [rep for rep in quotas if owner_key(rep) not in shown]
    for rep, target in quotas.items():
        key = owner_key(rep)
        avg = mean_amount.get(key)
        if avg is None or not (avg == avg) or avg <= 0:
            avg = fallback
        if avg is None or float(avg) <= 0 or target <= 0:
            skipped.append(rep)
            continue
        need = rep_plan(float(target), float(avg), ratios)
        entry: dict[str, Any] = {
            step: {"need": need[step], "have": int(reached[step].get(key, 0))} for step in STEPS
        }
        entry["_target"] = float(target)
        entry["_avg_deal"] = round(float(avg), 2)
        out[shown.get(key, rep)] = entry
    if skipped:
        out["_skipped"] = skipped
    if no_deals:
        out["_no_deals"] = no_deals
    return out


def quota_funnels(frame: Any, quotas_path: Path | None, cfg: Any, rep: str | None = None) -> dict[str, Any] | None:
    """The run's quota facts: --quotas FILE wins over config `quotas:`; None without either.
    With --rep only that rep's quota is planned (the others' deals are not in this run)."""
    quotas = read_quotas(quotas_path) if quotas_path is not None else dict(cfg.quotas or {})
    if rep is not None:
        quotas = {k: v for k, v in quotas.items() if owner_key(k) == owner_key(rep)}
    if not quotas:
        return None
    return funnel_vs_quota(frame, quotas, cfg.plan or {})


def quota_notes(extras: dict[str, Any], owners: Iterable[str]) -> list[str]:
    """Say which quotas could not be planned and which name no owner of the export (a typo in a
    quota file would otherwise pass as an empty funnel)."""
    import difflib

    notes = []
    names = sorted({str(o) for o in owners})
    for rep in extras.get("_no_deals", []):
        close = difflib.get_close_matches(rep, names, n=3, cutoff=0.4)
        hint = f"; {both('owners.close_names')}: {', '.join(close)}" if close else ""
        notes.append(both("quota.no_deals", rep=rep) + hint)
    for rep in extras.get("_skipped", []):
        notes.append(both("quota.not_planned", rep=rep))
    return notes
