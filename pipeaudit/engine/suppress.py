"""Suppressions: findings a team has decided not to hear about, and why, with an end date.

Two sources: the config's `suppress:` list (deal id or name, rule name or code, reason, optional
`until`), and an `ignore` column in the export (rule names or codes, or `all`, per deal). Muted
findings are kept with their reason, counted in summaries, never reported. An entry that names no
loaded rule, has expired, or muted nothing this run says so in a note, so a typo or a stale entry
is seen instead of silently muting nothing.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from pipeaudit.config import Config
from pipeaudit.i18n import both, in_both, t
from pipeaudit.model import Deals

if TYPE_CHECKING:
    import pandas as pd

    from pipeaudit.engine.schema import Rule


_IGNORE_SPLIT = r"[,;，；、\s]+"


def apply_suppressions(
    findings: "pd.DataFrame", deals: Deals, cfg: Config, as_of: date, lang: str, rules: "list[Rule]"
) -> tuple["pd.DataFrame", "pd.DataFrame", list[str]]:
    """Split findings into (reported, muted with a reason); expired config entries stop muting and say so.

    Texts are compared once per distinct value (findings repeat a few rules and deals millions of
    times); with nothing to mute the findings are returned as they are, not copied.
    """
    import numpy as np
    import pandas as pd

    from pipeaudit.yamlsafe import did_you_mean

    notes: list[str] = []
    n = len(findings)
    reason = np.full(n, None, dtype=object)
    codes = {r.code: r.name for r in rules if getattr(r, "code", None)}
    names = {r.name for r in rules}
    live = []
    for s in cfg.suppress:
        rule = codes.get(s.rule, s.rule)
        target = s.deal.strip()
        if rule not in names:  # a typo would otherwise mute nothing, silently
            notes.append(in_both(lambda lang: t(
                "suppress.no_such_rule", lang, rule=rule, target=target, hint=did_you_mean(rule, sorted(names), lang)
            )))
            continue
        if s.until is not None and s.until < as_of:
            notes.append(both("suppress.expired", rule=rule, target=target, until=s.until.isoformat()))
            continue
        live.append((rule, target, s.reason))
    if n == 0:
        notes.extend(_muted_nothing(rule, target) for rule, target, _ in live)
        return findings, findings.assign(reason=pd.Series([], dtype=object)), notes
    if live:
        rule_is = _text_matcher(findings["rule"], strip=False)
        id_is = _text_matcher(findings["deal_id"], strip=True)
        name_is = _text_matcher(findings["deal"], strip=True)
        for rule, target, why in live:
            hit = rule_is(rule) & (id_is(target) | name_is(target))
            if not hit.any():
                notes.append(_muted_nothing(rule, target))
            reason = np.where(hit & pd.isna(reason), why, reason)
    if "ignore" in deals.frame.columns:
        idx = findings["deal_index"]
        has = idx.notna().to_numpy()
        ign = deals.frame["ignore"]
        if ign.notna().any() and has.any():
            sub = findings.loc[has, ["deal_index", "rule"]]
            tokens = (
                ign.reindex(sub["deal_index"].astype("int64").to_numpy())
                .astype("str").str.strip().str.casefold()
                .str.split(_IGNORE_SPLIT, regex=True)
            )
            pairs = pd.DataFrame({"pos": np.flatnonzero(has), "token": tokens.to_numpy()}).explode("token")
            pairs = pairs[pairs["token"].notna() & (pairs["token"] != "")]
            at = pairs["pos"].to_numpy(dtype=np.int64)
            rules_at = findings["rule"].iloc[at].astype("str").str.casefold().to_numpy()
            code_of = {v: k.casefold() for k, v in codes.items()}
            code_at = findings["rule"].iloc[at].map(code_of).fillna("").to_numpy(dtype=object)
            tok = pairs["token"].to_numpy(dtype=object)
            match = (tok == rules_at) | (tok == "all") | (tok == "*") | ((tok == code_at) & (code_at != ""))
            pos = np.unique(at[match])
            label = t("suppress.ignore_column", lang)
            fill = np.zeros(n, dtype=bool)
            fill[pos] = True
            reason = np.where(fill & pd.isna(reason), label, reason)
    muted_mask = ~pd.isna(reason)
    if not muted_mask.any():
        return findings, findings.iloc[:0].assign(reason=pd.Series([], dtype=object)), notes
    muted = findings[muted_mask].assign(reason=reason[muted_mask]).reset_index(drop=True)
    return findings[~muted_mask].reset_index(drop=True), muted, notes


def _muted_nothing(rule: str, target: str) -> str:
    """The note for a live config suppression that matched no finding of this run."""
    return both("suppress.muted_nothing", rule=rule, target=target)


def _text_matcher(values: "pd.Series", *, strip: bool):
    """A function text -> bool mask of the cells equal to it (as str, trimmed if `strip`; missing never
    matches), comparing the column's distinct values only."""
    import numpy as np
    import pandas as pd

    from pipeaudit.codes import factorized_text

    found = factorized_text(values)
    if found is None:  # not text: compare every cell, as str
        cells = values.astype("str")
        cells = cells.str.strip() if strip else cells

        def per_cell(text: str):
            return (cells == text).to_numpy(dtype=bool, na_value=False)

        return per_cell
    codes, distinct = found
    texts = pd.Series(distinct, dtype="str")
    texts = texts.str.strip() if strip else texts

    def per_value(text: str):
        return np.append((texts == text).to_numpy(dtype=bool, na_value=False), False)[codes]

    return per_value
