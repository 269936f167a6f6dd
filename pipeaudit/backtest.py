"""Backtest: for each rule, did the deals it flagged go on to be lost or slip more than the others?

Every stored week is rebuilt as the Deals a run on that Monday would have seen (the fields its
export had, since-dates and slips derived from the weeks before, last week's values), and every
rule whose judgement is about a deal is replayed on it: the method's rules (decision-maker,
insider, price before confirmation, A-class age) as well as hygiene and week-over-week ones.

Each deal is one observation per rule: from the first week the rule flagged it, or, never flagged,
from the first week the rule applied to it. Its outcome is read from the stored weeks within the
horizon after that week: bad when it was lost or its close date moved later than it was that week;
good when it was won, or was still seen, not lost and not pushed, once the horizon had passed;
unknown when it vanished from the exports or the history ends too soon (left out, and counted).

Reported per rule: the bad share of flagged and of unflagged deals with Wilson 95% intervals, the
lift (flagged share / unflagged share) with a Katz log 95% interval (Haldane's +0.5 on every cell
when one is zero), the sample sizes, whether there is enough to judge, and a suggested severity.
No randomness: the same history always gives the same figures.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from pipeaudit.config import Config
    from pipeaudit.model import Deals

HORIZON_WEEKS = 4
MIN_N = 10  # deals per group before a rule is judged
MIN_BAD = 5  # bad outcomes across both groups before a rule is judged
Z95 = 1.959963984540054
#: Checks whose hits come from the export's raw cells, which the history does not keep.
NOT_REPLAYABLE = {"invalid-value": "reads the export's unreadable raw values, which the history does not keep"}


def week_deals(rows_w: "pd.DataFrame", fields: list[str], ladder: str | None, source: str) -> "Deals":
    """One stored week as the typed Deals a run would have built (only the fields its export had)."""
    import numpy as np
    import pandas as pd

    from pipeaudit.deals.build import empty_problems
    from pipeaudit.model import FIELDS, Deals

    rows_w = rows_w.reset_index(drop=True)
    n = len(rows_w)
    cols: dict[str, Any] = {"row": pd.Series(np.arange(2, n + 2, dtype=np.int64))}
    for name in fields:
        if name not in rows_w.columns:
            continue
        col, kind = rows_w[name], FIELDS[name].kind
        if kind == "date":
            cols[name] = pd.to_datetime(col, errors="coerce").astype("datetime64[ns]")
        elif kind in ("amount", "probability"):
            cols[name] = pd.to_numeric(col, errors="coerce").astype("float64")
        elif kind == "count":
            cols[name] = pd.to_numeric(col, errors="coerce").astype("Int64")
        elif kind == "bool":
            cols[name] = col.astype("boolean")
        else:
            cols[name] = col.astype(object).where(col.notna(), None)
    status = rows_w["status"].astype(object).where(rows_w["status"].notna(), "open")
    rank = pd.to_numeric(rows_w["stage_rank"], errors="coerce").astype("Int64")
    stage = rows_w["stage"].astype(object)
    cols["status"] = status
    cols["stage_rank"] = rank
    cols["phase"] = pd.to_numeric(rows_w["phase"], errors="coerce").astype("Int64")
    cols["stage_known"] = (stage.isna() | status.isin(["won", "lost"]) | rank.notna()).astype(bool)
    frame = pd.DataFrame(cols, index=pd.RangeIndex(n))
    return Deals(frame=frame, problems=empty_problems(), source=Path(source), ladder=ladder)


def outcomes(rows: "pd.DataFrame", horizon_weeks: int = HORIZON_WEEKS) -> dict[tuple[Any, Any], str | None]:
    """(key, week) of every open deal-week -> "bad", "good" or None (unknown), as the module says."""
    import numpy as np
    import pandas as pd

    r = rows.loc[rows["key"].notna()].sort_values(["key", "as_of"], kind="stable").drop_duplicates(["key", "as_of"])
    horizon = np.timedelta64(7 * horizon_weeks, "D")
    out: dict[tuple[Any, Any], str | None] = {}
    status_all = r["status"].astype(object).where(r["status"].notna(), "open").to_numpy()
    weeks_all = r["as_of"].to_numpy(dtype="datetime64[ns]")
    close_all = pd.to_datetime(r["close_date"], errors="coerce").to_numpy(dtype="datetime64[ns]")
    keys_all = r["key"].to_numpy(dtype=object)
    for pos in pd.Series(np.arange(len(r))).groupby(keys_all, sort=False).indices.values():
        t, st, cd, key = weeks_all[pos], status_all[pos], close_all[pos], keys_all[pos[0]]
        for i in range(len(t)):
            if st[i] != "open":
                continue
            result, j = None, i + 1
            while j < len(t) and t[j] <= t[i] + horizon:
                if st[j] == "lost" or (not np.isnat(cd[i]) and not np.isnat(cd[j]) and cd[j] > cd[i]):
                    result = "bad"
                    break
                if st[j] == "won":
                    result = "good"
                    break
                j += 1
            if result is None and (j < len(t) or (len(t) > i + 1 and t[-1] >= t[i] + horizon)):
                result = "good"
            out[(key, pd.Timestamp(t[i]))] = result
    return out


def wilson(k: int, n: int) -> tuple[float, float] | None:
    """The Wilson score 95% interval of k successes in n trials."""
    if n == 0:
        return None
    p, z2 = k / n, Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def lift_ci(a: int, n1: int, c: int, n2: int) -> tuple[float, float, float, bool] | None:
    """(lift, low, high, corrected): risk ratio of a/n1 over c/n2 with the Katz log 95% interval;
    +0.5 on every cell (each n grows by 1) when a or c is zero."""
    if n1 == 0 or n2 == 0:
        return None
    corrected = a == 0 or c == 0
    if corrected:
        a_, n1_, c_, n2_ = a + 0.5, n1 + 1.0, c + 0.5, n2 + 1.0
    else:
        a_, n1_, c_, n2_ = float(a), float(n1), float(c), float(n2)
    lift = (a_ / n1_) / (c_ / n2_)
    se = math.sqrt(max(1 / a_ - 1 / n1_ + 1 / c_ - 1 / n2_, 0.0))
    return lift, math.exp(math.log(lift) - Z95 * se), math.exp(math.log(lift) + Z95 * se), corrected


def suggest(lift: float, low: float) -> str:
    """error: flagged deals went bad clearly more often (interval above 1) and at least twice as
    often; warning: clearly more often; info: no clear difference, or less often."""
    if low > 1 and lift >= 2:
        return "error"
    if low > 1:
        return "warning"
    return "info"


def replay(
    rows: "pd.DataFrame", weeks: list[dict[str, Any]], rules: list, cfg: "Config", *, source: str = "",
) -> tuple[dict[str, dict[str, dict[Any, Any]]], dict[str, list[str]], dict[str, int]]:
    """Run the rules on every stored week.

    Returns, per rule: {"flagged": key -> first week flagged, "applied": key -> first week it
    applied}; per rule the fields it lacked in the last week it could not run; per rule the
    number of weeks it ran.
    """
    import pandas as pd

    from pipeaudit.engine.columns import Env
    from pipeaudit.engine.evaluate import applies_mask, evaluate
    from pipeaudit.model import RunFacts
    from pipeaudit.weekly.baseline import add_prev_columns
    from pipeaudit.weekly.derive import derive_from_rows
    from pipeaudit.weekly.learn import config_stage_norms
    from pipeaudit.weekly.match import match
    from pipeaudit.weekly.store import MIN_WEEKS

    seen: dict[str, dict[str, dict[Any, Any]]] = {r.name: {"flagged": {}, "applied": {}} for r in rules}
    missing: dict[str, list[str]] = {}
    ran: dict[str, int] = {r.name: 0 for r in rules}
    norms = config_stage_norms(cfg)
    previous = None
    for k, week in enumerate(weeks, start=1):
        ts = pd.Timestamp(week["as_of"])
        rows_w = rows.loc[rows["as_of"].eq(ts)].drop_duplicates("key")
        base = week_deals(rows_w, week["fields"], week["ladder"], source)
        deals = base
        if k >= MIN_WEEKS:  # as a run that week: since-dates and slips from the weeks before
            deals, _ = derive_from_rows(deals, rows.loc[rows["as_of"] < ts], week["as_of"])
        if previous is not None:  # and last week's values
            deals = add_prev_columns(deals, previous.frame, match(deals.frame, previous.frame).to_numpy(),
                                     same_ladder=previous.ladder == deals.ladder)
        previous = base
        facts = RunFacts(weeks_stored=k, stage_norms=norms or None, fiscal_year_start=cfg.fiscal_year_start)
        findings, skipped = evaluate(deals, rules, week["as_of"], "en", facts)
        keys = rows_w["key"].to_numpy(dtype=object)
        lacking = {s.rule: s.missing for s in skipped}
        env = Env(deals.frame, ts)
        for rule in rules:
            if rule.name in lacking:
                missing[rule.name] = lacking[rule.name]
                continue
            ran[rule.name] += 1
            env.params = rule.params
            for key in keys[applies_mask(rule, env)]:
                seen[rule.name]["applied"].setdefault(key, ts)
        hit = findings.loc[findings["deal_index"].notna(), ["rule", "deal_index"]]
        for name, idx in zip(hit["rule"].tolist(), hit["deal_index"].tolist()):
            seen[name]["flagged"].setdefault(keys[int(idx)], ts)
    return seen, missing, ran


def backtest(
    rows: "pd.DataFrame", weeks: list[dict[str, Any]], rules: list, cfg: "Config", *,
    horizon_weeks: int = HORIZON_WEEKS, min_n: int = MIN_N, source: str = "",
) -> dict[str, Any]:
    """The per-rule table described in the module docstring, with the history's span."""
    from pipeaudit.engine.checks import CHECKS

    replayable, excluded = [], []
    for rule in rules:
        if rule.check and CHECKS[rule.check].scope != "deal":
            what = "a rep" if CHECKS[rule.check].scope == "owner" else "the whole export"
            excluded.append({"rule": rule.name, "why": f"judges {what}, not a deal"})
        elif rule.check in NOT_REPLAYABLE:
            excluded.append({"rule": rule.name, "why": NOT_REPLAYABLE[rule.check]})
        else:
            replayable.append(rule)
    n_weeks = len(weeks)
    need = horizon_weeks + 2
    head = {
        "weeks": n_weeks, "from": weeks[0]["as_of"].isoformat() if weeks else None,
        "to": weeks[-1]["as_of"].isoformat() if weeks else None, "horizon_weeks": horizon_weeks,
        "min_n": min_n, "min_bad": MIN_BAD, "needs_weeks": need, "too_short": n_weeks < need, "excluded": excluded,
    }
    if not weeks:
        return {**head, "rules": []}
    seen, missing, ran = replay(rows, weeks, replayable, cfg, source=source)
    known = outcomes(rows, horizon_weeks)
    out = []
    for rule in replayable:
        flagged, applied = seen[rule.name]["flagged"], seen[rule.name]["applied"]
        groups = {"flagged": [known.get((k, w)) for k, w in flagged.items()],
                  "not_flagged": [known.get((k, w)) for k, w in applied.items() if k not in flagged]}
        stats: dict[str, Any] = {}
        for g, res in groups.items():
            n = sum(1 for x in res if x is not None)
            bad = sum(1 for x in res if x == "bad")
            ci = wilson(bad, n)
            stats[g] = {"n": n, "bad": bad, "unknown": len(res) - n, "rate": bad / n if n else None,
                        "ci": list(ci) if ci else None}
        a, n1, c, n2 = stats["flagged"]["bad"], stats["flagged"]["n"], stats["not_flagged"]["bad"], stats["not_flagged"]["n"]
        lift = lift_ci(a, n1, c, n2)
        why_not = None
        if ran[rule.name] == 0:
            why_not = "never ran: the stored weeks lack " + ", ".join(missing.get(rule.name, []))
        elif head["too_short"]:
            why_not = f"history too short: {n_weeks} weeks, needs {need}"
        elif n1 < min_n or n2 < min_n:
            why_not = f"too few deals: {n1} flagged, {n2} not flagged (needs {min_n} each)"
        elif a + c < MIN_BAD:
            why_not = f"too few bad outcomes: {a + c} (needs {MIN_BAD})"
        out.append({
            "rule": rule.name, "code": rule.code, "pack": rule.pack, "severity": rule.severity,
            "weeks_run": ran[rule.name], **stats,
            "lift": lift[0] if lift else None, "lift_ci": [lift[1], lift[2]] if lift else None,
            "corrected": lift[3] if lift else False, "judged": why_not is None, "why_not": why_not,
            "suggested": suggest(lift[0], lift[1]) if lift and why_not is None else None,
        })
    return {**head, "rules": out}
