"""The one direction of data flow, wired: read → normalise → evaluate → AuditResult.

Commands call these functions; renderers receive their result and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Callable

from pipeaudit.config import Config, load_config
from pipeaudit.errors import ConfigError
from pipeaudit.model import AuditResult, Deals
from pipeaudit.options import AuditOptions, ReadOptions


def load_settings(opts: ReadOptions) -> Config:
    """The config named by --config, else the nearest one found upwards."""
    return load_config(opts.config)


def load_deals(opts: ReadOptions, cfg: Config) -> Deals:
    """Read the export and turn it into typed Deals, honouring config `columns:` and --map."""
    from pipeaudit.deals.build import build_deals
    from pipeaudit.deals.columns import make_header_scorer
    from pipeaudit.read import read_table

    maps = {**cfg.columns, **opts.maps}
    raw = read_table(opts.path, sheet=opts.sheet, header_score=make_header_scorer(maps))
    return build_deals(raw, cfg, maps, as_of=getattr(opts, "as_of", None))  # as-of places two-digit years


# --------------------------------------------------------------------------------------
# The audit: settings → deals → (enrichers) → rules → findings → suppressions → AuditResult
# --------------------------------------------------------------------------------------


if TYPE_CHECKING:
    import pandas as pd


@dataclass
class AuditContext:
    """What a hook sees: the options, config, as-of date and language; it may add extras and notes."""

    opts: AuditOptions
    cfg: Config
    as_of: date
    lang: str
    rules: list[Any] = field(default_factory=list)  # the selected rules of this run
    extras: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Hook:
    """A function `module.function(deals, ctx)` called when `when(ctx)` holds and the module exists.

    Enrichers return Deals (e.g. with prev_* or class_since filled) or None to keep them;
    producers return a findings DataFrame (model.FINDING_COLUMNS; rep-level rows may have no row).
    A missing module or function is skipped, so the pipeline works before the feature lands.
    """

    name: str
    module: str
    function: str
    when: Callable[[AuditContext], Any]

    def resolve(self) -> Callable | None:
        import importlib

        try:
            mod = importlib.import_module(self.module)
        except ModuleNotFoundError as exc:
            if exc.name == self.module:
                return None
            raise
        return getattr(mod, self.function, None)


#: Run in order on Deals before evaluation (history first: it may fill class_since, then baseline).
ENRICHERS: list[Hook] = [
    Hook("history", "pipeaudit.history", "pipeline_enrich", lambda c: c.opts.history or c.cfg.history),
    Hook("baseline", "pipeaudit.changes", "pipeline_enrich", lambda c: c.opts.baseline),
]
#: Run after evaluation; their findings join the rules' findings (and go through suppressions).
PRODUCERS: list[Hook] = [
    Hook("history", "pipeaudit.history", "pipeline_findings", lambda c: c.opts.history or c.cfg.history),
    Hook("quotas", "pipeaudit.plan", "pipeline_findings", lambda c: c.opts.quotas or c.cfg.quotas),
]


def choose_lang(opts: AuditOptions, cfg: Config, deals: Deals) -> str:
    return opts.lang or cfg.lang or deals.language or "zh"


def filter_rep(deals: Deals, rep: str | None) -> Deals:
    """Only `rep`'s deals (owner equal after trimming and case-folding, as findings.restrict_to_rep
    compares); an unknown rep names the close owners."""
    import dataclasses

    if rep is None:
        return deals
    want = rep.strip()
    if "owner" not in deals.frame.columns:
        raise ConfigError(f"--rep {rep!r}: the export has no owner column / 导出文件没有负责人列")
    owners = deals.frame["owner"].astype("str").str.strip()
    keep = (owners.str.casefold() == want.casefold()).to_numpy(dtype=bool, na_value=False)
    if not keep.any():
        names = sorted(set(owners.dropna().tolist()))
        import difflib

        close = difflib.get_close_matches(want, names, n=5, cutoff=0.4) or names[:5]
        hint = f"; close names / 相近的名字: {', '.join(close)}" if close else ""
        raise ConfigError(f"--rep {rep!r}: no deal has this owner / 没有该负责人的商机{hint}")
    frame = deals.frame[keep]
    problems = deals.problems
    if problems is not None and len(problems) and "index" in problems.columns:
        problems = problems[problems["index"].isin(frame.index)]
    return dataclasses.replace(deals, frame=frame, problems=problems)


def select_rules(ruleset, opts: AuditOptions, cfg: Config):
    """--select / --ignore (and the config's select / ignore), by name or code."""
    select = ruleset.resolve([*cfg.select, *opts.select], "--select")
    ignore = ruleset.resolve([*cfg.ignore, *opts.ignore], "--ignore")
    return [r for r in ruleset.rules if (not select or r.name in select) and r.name not in ignore]


_IGNORE_SPLIT = r"[,;，；、\s]+"


def apply_suppressions(findings: "pd.DataFrame", deals: Deals, cfg: Config, as_of: date, lang: str, rules) -> tuple["pd.DataFrame", "pd.DataFrame", list[str]]:
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
            notes.append(
                f"suppression of {rule} for {target} matches no loaded rule{did_you_mean(rule, sorted(names))} / "
                f"屏蔽项中的规则 {rule} 不存在"
            )
            continue
        if s.until is not None and s.until < as_of:
            notes.append(
                f"suppression of {rule} for {target} expired on {s.until.isoformat()} / "
                f"{target} 的 {rule} 屏蔽已于 {s.until.isoformat()} 到期"
            )
            continue
        live.append((rule, target, s.reason))
    if n == 0:
        return findings, findings.assign(reason=pd.Series([], dtype=object)), notes
    if live:
        rule_is = _text_matcher(findings["rule"], strip=False)
        id_is = _text_matcher(findings["deal_id"], strip=True)
        name_is = _text_matcher(findings["deal"], strip=True)
        for rule, target, why in live:
            hit = rule_is(rule) & (id_is(target) | name_is(target))
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
            label = "导出文件的忽略列" if lang == "zh" else "ignore column in the export"
            fill = np.zeros(n, dtype=bool)
            fill[pos] = True
            reason = np.where(fill & pd.isna(reason), label, reason)
    muted_mask = ~pd.isna(reason)
    if not muted_mask.any():
        return findings, findings.iloc[:0].assign(reason=pd.Series([], dtype=object)), notes
    muted = findings[muted_mask].assign(reason=reason[muted_mask]).reset_index(drop=True)
    return findings[~muted_mask].reset_index(drop=True), muted, notes


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


def run_audit(opts: AuditOptions, cfg: Config | None = None, deals: Deals | None = None) -> AuditResult:
    """The whole audit of one export, as one AuditResult for any renderer."""
    import pandas as pd

    from pipeaudit.engine import empty_findings, evaluate, load_rules, sort_findings
    from pipeaudit.model import FINDING_COLUMNS

    if cfg is None:
        cfg = load_settings(opts)
    if deals is None:
        deals = load_deals(opts, cfg)
    # Rules first: a bad rule file or option fails before any work on the data.
    ruleset = load_rules(list(opts.rules), default_rules=opts.default_rules, cfg=cfg)
    rules = select_rules(ruleset, opts, cfg)
    deals = filter_rep(deals, opts.rep)
    as_of = opts.as_of or date.today()
    lang = choose_lang(opts, cfg, deals)
    ctx = AuditContext(opts, cfg, as_of, lang, rules)
    for hook in ENRICHERS:
        if hook.when(ctx):
            fn = hook.resolve()
            if fn is not None:
                deals = fn(deals, ctx) or deals
    findings, skipped = evaluate(deals, rules, as_of, lang)
    extra = []
    for hook in PRODUCERS:
        if hook.when(ctx):
            fn = hook.resolve()
            if fn is not None:
                produced = fn(deals, ctx)
                if produced is not None and len(produced):
                    extra.append(produced.reindex(columns=list(FINDING_COLUMNS)))
    if extra:
        findings = sort_findings(pd.concat([findings, *extra], ignore_index=True))
    reported, muted, notes = apply_suppressions(findings, deals, cfg, as_of, lang, ruleset.rules)
    if len(muted) == 0:
        muted = empty_findings(["reason"])
    return AuditResult(
        deals=deals, findings=reported, muted=muted, as_of=as_of, lang=lang, rules=rules,
        skipped=skipped, notes=[*ctx.notes, *notes], extras=ctx.extras,
    )
