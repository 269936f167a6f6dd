"""The summary every output shares, computed once from an AuditResult with whole-column operations.

`summarize()` is the JSON "summary" object and also what the text footer and the report's team table
read, so the numbers can never disagree between formats. Blank owners are keyed "" (the text output
shows them as "(no owner)").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeaudit.codes import ColumnCodes, factorized_text, known_codes, value_codes
from pipeaudit.errors import ConfigError
from pipeaudit.i18n import Lang, in_both, t
from pipeaudit.model import DERIVED, FIELDS, ORDER_COLUMNS, SEVERITIES
from pipeaudit.result import AuditResult

if TYPE_CHECKING:
    import pandas as pd

FAIL_ON_LEVELS: tuple[str, ...] = (*SEVERITIES, "never")

#: The finding columns every output writes, in this order (deal_index is internal).
OUTPUT_COLUMNS: tuple[str, ...] = (
    "rule", "severity", "row", "deal_id", "deal", "owner", "stage", "message", "question",
)
_INT_COLUMNS = {"row", "deal_index"}


def check_fail_on(fail_on: str) -> str:
    """Validate a --fail-on value here so the CLI and the config agree on the choices."""
    if fail_on not in FAIL_ON_LEVELS:
        from pipeaudit.yamlsafe import did_you_mean

        levels = "|".join(FAIL_ON_LEVELS)
        raise ConfigError(f"--fail-on {fail_on!r}: " + in_both(
            lambda lang: t("check.fail_on", lang, levels=levels, hint=did_you_mean(str(fail_on), FAIL_ON_LEVELS, lang))
        ))
    return fail_on


def severity_at_least(findings: pd.DataFrame, fail_on: str) -> bool:
    """True when any finding is at or above `fail_on`: the exit-code decision, one vectorized test."""
    check_fail_on(fail_on)
    if fail_on == "never" or findings is None or len(findings) == 0:
        return False
    levels = SEVERITIES[: SEVERITIES.index(fail_on) + 1]
    return bool(findings["severity"].isin(levels).any())


def column_lists(findings: pd.DataFrame, columns: tuple[str, ...] = OUTPUT_COLUMNS) -> dict[str, list]:
    """Finding columns as plain Python lists (str/int/None), converted column by column, not per cell.

    Renderers zip these lists instead of iterating DataFrame rows, which keeps 300k findings fast and
    keeps numpy scalars and NaN out of every encoder.
    """
    import pandas as pd

    n = len(findings)
    out: dict[str, list] = {}
    for name in columns:
        if name not in findings.columns:
            out[name] = [None] * n
        elif name in _INT_COLUMNS:
            values = pd.to_numeric(findings[name], errors="coerce").astype("Int64")
            out[name] = values.to_numpy(dtype=object, na_value=None).tolist()
        else:
            out[name] = text_values(findings[name]).tolist()
    return out


def text_values(values: pd.Series):
    """The column as an object array of str/None, as `astype("str")` would give, one object per
    distinct value (so repeated values share one Python string)."""
    import numpy as np

    found = factorized_text(values)
    if found is None:
        return values.astype("str").to_numpy(dtype=object, na_value=None)
    codes, distinct = found
    return np.append(distinct, None)[codes]


def order_positions(findings: pd.DataFrame, codes: ColumnCodes | None = None):
    """Positions that put findings in display order, or None when they already are (the usual case).

    Display order: named owners (alphabetical) then the blank owner; within an owner, rep-level
    findings first, then by row, then most severe first. One np.lexsort over factorized keys (stable),
    run only when a linear scan finds the frame out of order.
    """
    import numpy as np
    import pandas as pd

    n = len(findings)
    if n < 2:
        return None
    if "owner" in findings:
        owner, keys = owner_codes(findings["owner"], known_codes(findings, "owner", codes))
        blank = (keys == "")[owner]
    else:
        owner, blank = np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)
    if "deal_index" in findings:
        deal_level = pd.to_numeric(findings["deal_index"], errors="coerce").notna().to_numpy(dtype=bool)
    else:
        deal_level = np.ones(n, dtype=bool)
    if "row" in findings:
        row = pd.to_numeric(findings["row"], errors="coerce").to_numpy(dtype="float64", na_value=-1.0)
    else:
        row = np.zeros(n)
    sev_codes, sev_names = _codes_of(findings["severity"], known_codes(findings, "severity", codes))
    lookup = np.array([SEVERITIES.index(s) if s in SEVERITIES else len(SEVERITIES) for s in sev_names] + [len(SEVERITIES)])
    rank = lookup[sev_codes]  # code -1 (missing) picks the last entry
    keys = (blank, owner, deal_level, row, rank)  # most significant first
    if _non_decreasing(keys):  # a stable sort would keep every position
        return None
    return np.lexsort(keys[::-1])


def _non_decreasing(keys) -> bool:
    """Are the rows already in lexicographic order of `keys` (most significant first)? O(n)."""
    import numpy as np

    undecided = np.ones(len(keys[0]) - 1, dtype=bool)  # neighbours equal on every key so far
    for key in keys:
        a, b = key[:-1], key[1:]
        if (undecided & (a > b)).any():
            return False
        undecided &= a == b
    return True


def ordered(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings in display order (see order_positions); the frame itself when already ordered."""
    order = order_positions(findings)
    return findings if order is None else findings.take(order)


def _owner_key(series: pd.Series) -> pd.Series:
    return series.astype("str").fillna("").str.strip()


def owner_codes(series: pd.Series, found=None):
    """(codes, keys): keys[codes] equals _owner_key(series), keys sorted and distinct.

    Trims and compares the distinct owners only, not every finding.
    """
    import numpy as np
    import pandas as pd

    found = factorized_text(series) if found is None else found
    if found is None:
        keys, codes = _owner_key(series), None
    else:
        codes, distinct = found
        keys = pd.Series(np.append(distinct, ""), dtype="str").str.strip()
    key_codes, key_names = pd.factorize(keys, sort=True)
    key_names = np.asarray(key_names, dtype=object)
    if codes is None:
        return key_codes, key_names
    return key_codes[codes], key_names  # code -1 (missing) picks the appended "" key


def _codes_of(values: pd.Series, found=None):
    """(codes, distinct values) by value, code -1 = missing: value_codes, or pd.factorize for non-text."""
    import pandas as pd

    by_value = value_codes(values, found)
    return by_value if by_value is not None else pd.factorize(values, use_na_sentinel=True)


def _value_counts(values: pd.Series, found=None) -> dict:
    """Non-missing value -> count, like Series.value_counts(), counted on codes."""
    import numpy as np

    codes, distinct = _codes_of(values, found)
    counts = np.bincount(codes[codes >= 0], minlength=len(distinct))
    return {value: int(c) for value, c in zip(distinct, counts) if c}


def _severity_counts(frame: pd.DataFrame, codes: ColumnCodes | None = None) -> dict[str, int]:
    counts = _value_counts(frame["severity"], known_codes(frame, "severity", codes)) if len(frame) else {}
    return {s: int(counts.get(s, 0)) for s in SEVERITIES}


#: Why a skipped rule could not run, in the order a reason is counted (a rule counts once).
COVERAGE_REASONS: tuple[str, ...] = ("columns", "stage_order", "last_week", "history")


def coverage(result: AuditResult) -> dict[str, Any]:
    """How much of the rule set could judge this export: the enabled rules of the run, how many
    ran, and the skipped ones by reason (see COVERAGE_REASONS). Every output states it, so a gate
    that passes because most rules could not run is seen as such."""
    total = sum(1 for r in result.rules if r.enabled)
    by_reason = dict.fromkeys(COVERAGE_REASONS, 0)
    for s in result.skipped:
        export, week, stored = sort_missing([m for m in s.missing if m not in ORDER_COLUMNS])
        if export:
            by_reason["columns"] += 1
        elif any(m in ORDER_COLUMNS for m in s.missing):
            by_reason["stage_order"] += 1
        elif week:
            by_reason["last_week"] += 1
        else:
            by_reason["history"] += 1
    skipped = len(result.skipped)
    return {"rules": total, "ran": total - skipped, "skipped": skipped, "skipped_because": by_reason}


def _skipped(result: AuditResult) -> list[dict[str, Any]]:
    return [{"rule": s.rule, "missing": list(s.missing)} for s in result.skipped]


def summarize(result: AuditResult, codes: ColumnCodes | None = None) -> dict:
    """The JSON "summary" object: totals, severity counts and one entry per owner.

    open_amount sums the open deals' amounts as the Deals builder normalised them (万元 already
    multiplied out); 0 when the export has no amount column. Owners with only rep-level findings
    (no deals) still get an entry. `codes` may carry the findings' factorized columns.
    """
    import numpy as np
    import pandas as pd

    frame = result.deals.frame
    findings = result.findings
    muted = result.muted if result.muted is not None else pd.DataFrame(columns=["owner", "rule", "severity"])
    n = len(frame)
    status = frame["status"] if "status" in frame else pd.Series("open", index=frame.index)
    is_open = (status == "open").fillna(False).astype(bool)
    amount = (
        pd.to_numeric(frame["amount"], errors="coerce").where(is_open).fillna(0.0)
        if "amount" in frame
        else pd.Series(0.0, index=frame.index)
    )
    # Grouped on integer owner codes (the trimmed owner of each distinct value), not on strings.
    if "owner" in frame:
        deal_owner, deal_keys = owner_codes(frame["owner"])
    else:
        deal_owner, deal_keys = np.zeros(n, dtype=np.int64), np.array([""], dtype=object)
    grouped = pd.DataFrame({"open": is_open.to_numpy(), "amount": amount.astype("float64").to_numpy()}).groupby(
        deal_owner, sort=True
    ).agg(deals=("open", "size"), open_deals=("open", "sum"), open_amount=("amount", "sum"))
    per_owner = {deal_keys[k]: row for k, row in zip(grouped.index, grouped.itertuples(index=False))}

    sev = _owner_severity_counts(findings, codes)
    muted_by_owner: dict[str, int] = {}
    if len(muted) and "owner" in muted:
        muted_owner, keys = owner_codes(muted["owner"])
        counts = np.bincount(muted_owner, minlength=len(keys))
        muted_by_owner = {keys[k]: int(c) for k, c in enumerate(counts) if c}

    owners = sorted(set(per_owner) | set(sev))
    by_owner: dict[str, dict[str, Any]] = {}
    for name in owners:  # one entry per owner (hundreds at most), not per deal
        stats = per_owner.get(name)
        entry: dict[str, Any] = {
            "deals": int(stats.deals) if stats else 0,
            "open_deals": int(stats.open_deals) if stats else 0,
            "open_amount": _number(stats.open_amount) if stats else 0,
        }
        counts = sev.get(name)
        for i, s in enumerate(SEVERITIES):
            entry[s] = int(counts[i]) if counts is not None else 0
        entry["muted"] = int(muted_by_owner.get(name, 0))
        by_owner[name] = entry

    rules = _value_counts(findings["rule"], known_codes(findings, "rule", codes)) if len(findings) else {}
    return {
        "deals": n,
        "open_deals": int(is_open.sum()),
        "open_amount": _number(amount.sum()),
        "findings": _severity_counts(findings, codes),
        "by_owner": by_owner,
        "muted": len(muted),
        "rules": {str(k): int(v) for k, v in sorted(rules.items())},
        "skipped_rules": _skipped(result),
        "coverage": coverage(result),
    }


def _owner_severity_counts(table: pd.DataFrame, codes: ColumnCodes | None = None) -> dict[str, Any]:
    """Trimmed owner -> counts per SEVERITIES, for every owner with a finding of some severity."""
    import numpy as np

    if len(table) == 0:
        return {}
    owner, keys = owner_codes(table["owner"], known_codes(table, "owner", codes))
    sev_codes, sev_names = _codes_of(table["severity"], known_codes(table, "severity", codes))
    lookup = np.array([SEVERITIES.index(s) if s in SEVERITIES else -1 for s in sev_names] + [-1], dtype=np.int64)
    level = lookup[sev_codes]
    known = level >= 0
    width = len(SEVERITIES)
    counts = np.bincount(owner[known] * width + level[known], minlength=len(keys) * width).reshape(len(keys), width)
    present = np.unique(owner[sev_codes >= 0])  # an unknown severity still lists its owner, with zeros
    return {keys[k]: counts[k] for k in present}


def _number(value: Any) -> int | float:
    """Whole amounts as int (150000, not 150000.0); otherwise a float rounded to cents.

    Past 2**53 a float no longer holds every whole number, and past int64 no JSON encoder takes an
    int: such amounts stay floats (1e+300), and an infinite sum is 0 like a missing one."""
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):  # NaN, or a sum past the float range
        return 0
    return int(value) if value.is_integer() and abs(value) < 2**53 else round(value, 2)


#: Export fields that `--history` derives from the stored weeks when the export lacks them.
HISTORY_FILLS = frozenset({"class_since", "stage_since"})


def sort_missing(missing: list[str]) -> tuple[list[str], list[str], list[str]]:
    """A skipped rule's missing fields by where they can come from: (a column of the export,
    last week's values from --baseline or --history, what only --history keeps)."""
    export = [m for m in missing if m not in DERIVED]
    week = [m for m in missing if m in DERIVED and m.startswith("prev_")]
    stored = [m for m in missing if m in DERIVED and not m.startswith("prev_")]
    return export, week, stored


def skipped_reason(missing: list[str], lang: Lang) -> str:
    """Why a rule could not run, pointing at the option that would feed it when one would."""

    def names(fields: list[str]) -> str:
        return t("list.items", lang).join(_field_ref(m, lang) for m in fields)

    order = [m for m in missing if m in ORDER_COLUMNS]  # phase/stage_rank: absent when no order is known
    export, week, stored = sort_missing([m for m in missing if m not in ORDER_COLUMNS])
    parts: list[str] = []
    if order and "stage" not in export:
        parts.append(t("skip.no_order", lang))
    if export:
        fill = t("skip.history_can_fill", lang) if set(export) <= HISTORY_FILLS else ""
        parts.append(t("skip.no_column", lang, fields=names(export), n=len(export)) + fill)
    if week:
        parts.append(t("skip.needs_week", lang, fields=names(week)))
    if stored:
        parts.append(t("skip.needs_history", lang, fields=names(stored)))
    return t("list.clauses", lang).join(parts)


def notes(result: AuditResult) -> list[str]:
    """Notes for the reader of any output: skipped rules, then the run's and the reader's notes."""
    lines: list[str] = []
    for s in result.skipped:
        reason = skipped_reason(s.missing, result.lang)
        lines.append(t("skip.note", result.lang, rule=s.rule, reason=reason))
    lines.extend(result.notes)
    lines.extend(result.deals.notes)
    return list(dict.fromkeys(lines))  # keep order, drop duplicates


def _field_ref(name: str, lang: Lang) -> str:
    """A field as a note names it: '预测类别（forecast_category）', 'forecast_category'."""
    spec = FIELDS.get(name) or DERIVED.get(name)
    return t("skip.field", lang, label=spec.label(lang), name=name) if spec else name
