"""Apply rules to Deals: one O(n) mask per rule, findings built from the flagged positions at once."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Iterable

from pipeaudit.engine.checks import get_checks
from pipeaudit.engine.conditions import KIND_OF, Env, days_from, mask
from pipeaudit.model import FINDING_COLUMNS, PHASE_LABELS, PHASES, SEVERITIES, Deals, SkippedRule

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from pipeaudit.engine.schema import Rule, Template

_DEAL_COLUMNS = ("deal_id", "deal", "owner", "stage")


def empty_findings(extra: Iterable[str] = ()) -> "pd.DataFrame":
    import pandas as pd

    cols = {c: pd.Series([], dtype=object) for c in FINDING_COLUMNS}
    cols["row"] = pd.Series([], dtype="Int64")
    cols["deal_index"] = pd.Series([], dtype="Int64")
    for c in extra:
        cols[c] = pd.Series([], dtype=object)
    return pd.DataFrame(cols)


def applies_mask(rule: "Rule", env: Env) -> "np.ndarray":
    import numpy as np

    key = ("applies", rule.applies)
    if key in env.cache:
        return env.cache[key]
    frame = env.frame
    n = len(frame)
    m = np.ones(n, dtype=bool)
    a = rule.applies
    if set(a.statuses) != {"open", "won", "lost"}:
        if "status" in frame.columns:
            m &= frame["status"].isin(list(a.statuses)).to_numpy(dtype=bool, na_value=False)
        elif "open" not in a.statuses:
            m[:] = False
    if a.needs_stage:
        if "phase" in frame.columns:
            from pipeaudit.engine.conditions import _numbers

            phase = _numbers(env, "phase")
            with np.errstate(invalid="ignore"):
                if a.min_phase is not None:
                    m &= phase >= a.min_phase
                if a.max_phase is not None:
                    m &= phase <= a.max_phase
        else:
            m[:] = False
    env.cache[key] = m
    return m


def _format_column(env: Env, name: str, pos: "np.ndarray", lang: str) -> "np.ndarray":
    """The field's values at `pos` as display text (dates ISO, amounts with separators)."""
    import numpy as np
    import pandas as pd

    if name not in env.frame.columns:
        return np.full(len(pos), "—", dtype=object)
    s = env.frame[name].iloc[pos]
    kind = KIND_OF.get(name, "text")
    if name == "phase":
        labels = {i + 1: PHASE_LABELS[p][0 if lang == "zh" else 1] for i, p in enumerate(PHASES)}
        out = s.map(labels)
    elif kind == "date":
        out = pd.to_datetime(s, errors="coerce").dt.strftime("%Y-%m-%d")
    elif kind == "amount":
        num = pd.to_numeric(s, errors="coerce")
        out = num.map(lambda v: f"{v:,.0f}" if v == int(v) else f"{v:,.2f}", na_action="ignore")
    elif kind == "probability":
        num = pd.to_numeric(s, errors="coerce") * 100
        out = num.round(0).map(lambda v: f"{v:.0f}%", na_action="ignore")
    elif kind == "bool":
        words = {True: "是", False: "否"} if lang == "zh" else {True: "yes", False: "no"}
        out = s.astype("boolean").astype(object).map(words)
    elif kind == "count":
        num = pd.to_numeric(s, errors="coerce")
        out = num.map(lambda v: f"{v:.0f}", na_action="ignore")
    else:
        out = s.astype("str")
    return out.astype(object).where(out.notna(), "—").to_numpy(dtype=object)


def _param_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def fill(template: "Template", rule: "Rule", env: Env, pos: "np.ndarray", extras: dict, lang: str) -> "np.ndarray":
    """Concatenate literal parts and per-hit values; data never reaches a format string."""
    import numpy as np

    out = np.full(len(pos), "", dtype=object)
    for is_ph, part in template.parts:
        if not is_ph:
            out = out + part
            continue
        if part in extras:
            out = out + np.asarray(extras[part], dtype=object)
        elif part in env.params:
            out = out + _param_text(env.params[part])
        elif part in ("age_days", "age_weeks", "until_days", "until_weeks"):
            days = days_from(env, rule.age_field)[pos]
            if part.startswith("until"):
                days = -days
            if part.endswith("weeks"):
                days = days / 7
            vals = np.where(np.isnan(days), "—", np.floor(np.nan_to_num(days)).astype(np.int64).astype(str))
            out = out + vals.astype(object)
        else:
            out = out + _format_column(env, part, pos, lang)
    return out


def evaluate(deals: Deals, rules: Iterable["Rule"], as_of: date, lang: str) -> tuple["pd.DataFrame", list[SkippedRule]]:
    """Findings (model.FINDING_COLUMNS) of every enabled rule, and the rules this export cannot feed."""
    import numpy as np
    import pandas as pd

    frame = deals.frame
    env = Env(frame, pd.Timestamp(as_of))
    columns = set(frame.columns)
    skipped: list[SkippedRule] = []
    chunks: dict[str, list] = {c: [] for c in ("rule", "severity", "pos", "message", "question")}
    checks = get_checks()
    for rule in rules:
        if not rule.enabled:
            continue
        missing = rule.missing(columns)
        if missing:
            skipped.append(SkippedRule(rule.name, missing))
            continue
        env.params = rule.params
        m = applies_mask(rule, env)
        if rule.where is not None:
            m = m & mask(rule.where, env)
        extras: dict = {}
        if rule.check:
            hits = checks[rule.check].fn(deals, m, rule.params, env, lang)
            pos, extras = np.asarray(hits.positions, dtype=np.int64), hits.values
        else:
            pos = np.flatnonzero(m)
        if len(pos) == 0:
            continue
        chunks["rule"].append(np.full(len(pos), rule.name, dtype=object))
        chunks["severity"].append(np.full(len(pos), rule.severity, dtype=object))
        chunks["pos"].append(pos)
        chunks["message"].append(fill(rule.message[lang], rule, env, pos, extras, lang))
        chunks["question"].append(fill(rule.questions[0][lang], rule, env, pos, extras, lang))
    if not chunks["pos"]:
        return empty_findings(), skipped
    pos = np.concatenate(chunks["pos"])
    data: dict[str, Any] = {
        "rule": np.concatenate(chunks["rule"]),
        "severity": np.concatenate(chunks["severity"]),
        "row": pd.array(frame["row"].to_numpy()[pos] if "row" in frame.columns else [pd.NA] * len(pos), dtype="Int64"),
    }
    for c in _DEAL_COLUMNS:
        if c in frame.columns:
            vals = frame[c].iloc[pos]
            data[c] = vals.astype(object).where(vals.notna(), None).to_numpy(dtype=object)
        else:
            data[c] = np.full(len(pos), None, dtype=object)
    data["message"] = np.concatenate(chunks["message"])
    data["question"] = np.concatenate(chunks["question"])
    data["deal_index"] = pd.array(np.asarray(frame.index)[pos], dtype="Int64")
    findings = pd.DataFrame(data, columns=list(FINDING_COLUMNS))
    return sort_findings(findings), skipped


def sort_findings(findings: "pd.DataFrame") -> "pd.DataFrame":
    """By owner, row, severity (error first), rule; rep-level findings (no row) after the owner's deals."""
    import pandas as pd

    if len(findings) == 0:
        return findings.reset_index(drop=True)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    key = pd.DataFrame({
        "owner_na": findings["owner"].isna().to_numpy(),
        "owner": findings["owner"].astype("str").fillna(""),
        "row": findings["row"].astype("Float64").fillna(float("inf")).to_numpy(dtype=float),
        "sev": findings["severity"].map(order).fillna(9).to_numpy(),
        "rule": findings["rule"].astype("str"),
    })
    idx = key.sort_values(["owner_na", "owner", "row", "sev", "rule"], kind="stable").index
    return findings.loc[idx].reset_index(drop=True)
