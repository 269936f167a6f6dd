"""The audit of one export, step by step, in the order the data flows:

    settings → read → deals → one rep → week over week → quotas → what history teaches
             → evaluate → suppress → forecast view → result

Each step is a plain function called explicitly by `run_audit`; commands call `run_audit` and
renderers receive its AuditResult and nothing else. Nothing is looked up by name or skipped when
a module is missing: a renamed step breaks the import, loudly.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from pipeaudit.config import Config, load_config
from pipeaudit.errors import ConfigError, InputError
from pipeaudit.i18n import both, in_both, t
from pipeaudit.model import Deals, RunFacts
from pipeaudit.result import AuditResult
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
    return build_deals(raw, cfg, maps, as_of=opts.as_of)


def select_rules(ruleset: Any, opts: AuditOptions, cfg: Config) -> list:
    """--select / --ignore (and the config's select / ignore), by name or code."""
    select = ruleset.resolve([*cfg.select, *opts.select], "--select")
    ignore = ruleset.resolve([*cfg.ignore, *opts.ignore], "--ignore")
    return [r for r in ruleset.rules if (not select or r.name in select) and r.name not in ignore]


def only_rep(deals: Deals, rep: str | None) -> Deals:
    """--rep: only that owner's deals (pipeaudit.owners decides who is who); nobody is an error."""
    from pipeaudit.owners import select_rep, unknown_rep

    if rep is None:
        return deals
    if "owner" not in deals.frame.columns:
        raise ConfigError(f"--rep {rep!r}: " + both("owners.no_owner_column"))
    selected = select_rep(deals, rep)
    if len(selected.frame) == 0:
        raise unknown_rep(rep, deals.frame["owner"].dropna().unique())
    return selected


def read_baseline(opts: AuditOptions, cfg: Config) -> Deals:
    """Last week's export, read and normalised exactly like this week's, of the same rep."""
    from pipeaudit.owners import select_rep
    from pipeaudit.read import EXCEL_SUFFIXES

    # --sheet names this week's sheet; last week's export may be a CSV, which has none
    sheet = opts.sheet if Path(opts.baseline).suffix.lower() in EXCEL_SUFFIXES else None
    prev_opts = ReadOptions(path=opts.baseline, sheet=sheet, maps=dict(opts.maps), config=opts.config, as_of=opts.as_of)
    try:
        previous = load_deals(prev_opts, cfg)
    except (InputError, ConfigError) as exc:  # say it is last week's file that failed, not this week's
        raise type(exc)(f"--baseline {exc} — " + both("options.baseline_unreadable")) from None
    return select_rep(previous, opts.rep)


def week_over_week(deals: Deals, opts: AuditOptions, cfg: Config, as_of: date) -> tuple[Deals, dict[str, Any], list[str], int | None]:
    """History first (it may fill class_since), then the baseline, which wins over the stored week.

    Returns the enriched deals, the extras for the outputs ("history", "changes"), notes, and the
    number of stored weeks (None without a history).
    """
    from pipeaudit.weekly.baseline import compare
    from pipeaudit.weekly.history import with_history

    extras: dict[str, Any] = {}
    notes: list[str] = []
    weeks = None
    db = opts.history or cfg.history
    if db:
        from pipeaudit.outputs import resolve_output

        db = resolve_output(Path(db), "--history", follow_symlinks=opts.follow_symlinks)
        record = opts.record if opts.record is not None else opts.history is not None
        deals, run = with_history(deals, db, as_of, rep=opts.rep, compare_previous=not opts.baseline, record=record)
        extras["history"] = run.info
        if run.changes is not None:
            extras["changes"] = run.changes
        notes.extend(run.notes)
        weeks = run.weeks
    if opts.baseline:
        deals, extras["changes"] = compare(deals, read_baseline(opts, cfg), source=str(opts.baseline), as_of=None)
    return deals, extras, notes, weeks


def quota_facts(deals: Deals, opts: AuditOptions, cfg: Config) -> tuple[dict[str, Any] | None, list[str]]:
    """Each rep's quota worked back through the funnel and set against the open deals, with notes."""
    from pipeaudit.quotas import quota_funnels, quota_notes

    funnels = quota_funnels(deals.frame, opts.quotas, cfg, opts.rep)
    if funnels is None:
        return None, []
    owners = deals.frame["owner"].dropna().astype(str) if "owner" in deals.frame.columns else []
    return funnels, quota_notes(funnels, owners)


def history_facts(
    deals: Deals, opts: AuditOptions, cfg: Config, as_of: date, funnels: dict[str, Any] | None, rule_names: set[str],
) -> tuple[dict[str, dict[int, tuple[float, str]]], dict[str, Any] | None, dict[str, Any], list[str]]:
    """Stage norms (the config's, and learned ones under `norms: learned`) and each rep's results
    against plan (with quotas), from the history store after this week was kept.

    Returns (stage norms for RunFacts, plan results or None, extras "norms" / "review", notes).
    When the history is missing or too short for what was asked, a note says so and the rules
    fall back to the config's or their own norms; nothing is guessed.
    """
    from pipeaudit.weekly.learn import (
        LEARN_MIN_WEEKS, REVIEW_MIN_WEEKS, config_stage_norms, dwell_norms, learned_stage_norms, results_vs_plan,
    )

    norms = config_stage_norms(cfg)
    extras: dict[str, Any] = {}
    notes: list[str] = []
    learn = cfg.norms_learned and "stuck-in-stage" in rule_names
    review = funnels is not None and "review-due" in rule_names
    db = opts.history or cfg.history
    if not db:
        if learn:
            notes.append(both("learn.norms_need_history"))
        if review:
            notes.append(both("learn.review_needs_history"))
        return norms, None, extras, notes
    if not (learn or review):
        return norms, None, extras, notes
    from pipeaudit.weekly.store import HistoryStore

    with HistoryStore(Path(db), read_only=True) as store:
        rows = store.rows_up_to(as_of)
        weeks = [w for w in store.snapshots() if w["as_of"] <= as_of]
    results = None
    if learn:
        learned = dwell_norms(rows, weeks)
        extras["norms"] = learned
        for ladder, table in learned_stage_norms(learned).items():
            norms.setdefault(ladder, {}).update(table)  # learned wins over the config where it suffices
        if not learned["enough_weeks"]:
            notes.append(both("learn.norms_few_weeks", weeks=int(learned["weeks"]), needs=LEARN_MIN_WEEKS))
        else:
            thin = [f"{s['stage']} ({s['samples']})" for s in learned["ladders"].get(deals.ladder or "", []) if not s["enough"]]
            if thin:
                notes.append(in_both(lambda lang: t("learn.norms_few_stays", lang, needs=int(learned["min_samples"]),
                                                    stages=t("list.items", lang).join(thin))))
    if review:
        targets = {rep: e["_target"] for rep, e in funnels.items() if not rep.startswith("_") and isinstance(e, dict)}
        results, n = results_vs_plan(rows, deals.frame, as_of, targets)
        if results is None:
            notes.append(both("learn.review_few_weeks", weeks=int(n), needs=REVIEW_MIN_WEEKS))
        else:
            extras["review"] = results
    return norms, results, extras, notes


def history_trends(deals: Deals, findings: Any, history: dict[str, Any] | None, as_of: date,
                   funnels: dict[str, Any] | None) -> dict[str, Any] | None:
    """The weeks' trends for the report (weekly.trends), this week's counts recorded first when the
    week itself was stored; None without a history or with a single week."""
    if not history or not history.get("db"):
        return None
    db, recorded = history["db"], bool(history.get("recorded"))
    from pipeaudit.model import SEVERITIES
    from pipeaudit.weekly.store import HistoryStore
    from pipeaudit.weekly.trends import MAX_WEEKS, weekly_trends

    counts: dict[str, list[int]] = {}
    if len(findings):
        owner = findings["owner"].astype(object).where(findings["owner"].notna(), "").astype(str).str.strip()
        for (o, sev), n in findings.groupby([owner, findings["severity"]]).size().items():
            if sev in SEVERITIES:
                counts.setdefault(o, [0, 0, 0])[SEVERITIES.index(sev)] += int(n)
    this_week = {o: tuple(c) for o, c in counts.items()} or {"": (0, 0, 0)}
    path = Path(db)
    if recorded:
        with HistoryStore(path) as store:
            store.record_counts(as_of, this_week)
    if not path.exists():
        return None
    with HistoryStore(path, read_only=True) as store:
        earlier = [d for d in store.as_of_dates() if d < as_of][-(MAX_WEEKS - 1):]
        if not earlier:
            return None
        rows = store.rows_between(earlier[0], earlier[-1])
        stored = store.week_counts(earlier[0], earlier[-1])
    stored.update({(as_of, o): c for o, c in this_week.items()})
    targets = {rep: e["_target"] for rep, e in (funnels or {}).items()
               if not str(rep).startswith("_") and isinstance(e, dict) and "_target" in e}
    return weekly_trends(rows, deals.frame, as_of, stored, targets)


def run_audit(opts: AuditOptions, cfg: Config | None = None, deals: Deals | None = None) -> AuditResult:
    """The whole audit of one export, as one AuditResult for any renderer."""
    from pipeaudit.engine import empty_findings, evaluate, load_rules
    from pipeaudit.engine.suppress import apply_suppressions
    from pipeaudit.forecast import forecast_view

    if cfg is None:
        cfg = load_settings(opts)
    if deals is None:
        deals = load_deals(opts, cfg)
    # Rules first: a bad rule file or option fails before any work on the data.
    ruleset = load_rules(list(opts.rules), default_rules=opts.default_rules, cfg=cfg)
    rules = select_rules(ruleset, opts, cfg)
    deals = only_rep(deals, opts.rep)
    as_of = opts.as_of or date.today()
    lang = opts.lang or cfg.lang or deals.language or "zh"
    deals, extras, notes, weeks = week_over_week(deals, opts, cfg, as_of)
    funnels, quota_notes = quota_facts(deals, opts, cfg)
    if funnels is not None:
        extras["plan"] = funnels
    enabled = {r.name for r in rules if r.enabled}
    norms, results, learned, history_notes = history_facts(deals, opts, cfg, as_of, funnels, enabled)
    extras.update(learned)
    week_match = extras["changes"]["baseline"] if "changes" in extras else None
    facts = RunFacts(
        weeks_stored=weeks, quota_funnels=funnels, stage_norms=norms or None,
        fiscal_year_start=cfg.fiscal_year_start, plan_results=results, week_match=week_match,
    )
    findings, skipped = evaluate(deals, rules, as_of, lang, facts)
    check_required(ruleset, rules, skipped, opts, cfg)
    reported, muted, suppress_notes = apply_suppressions(findings, deals, cfg, as_of, lang, ruleset.rules)
    if len(muted) == 0:
        muted = empty_findings(["reason"])
    trends = history_trends(deals, reported, extras.get("history"), as_of, funnels)
    if trends is not None:
        extras["trends"] = trends
    view = forecast_view(deals, reported, as_of)
    if view is not None:
        extras["forecast"] = view
    warnings = [poor_match_warning(week_match)] if week_match and not week_match["reliable"] else []
    return AuditResult(
        deals=deals, findings=reported, muted=muted, as_of=as_of, lang=lang, rules=rules,
        skipped=skipped, notes=[*warnings, *notes, *quota_notes, *history_notes, *suppress_notes], extras=extras,
        warnings=warnings,
        config=cfg,
    )


def poor_match_warning(quality: dict[str, Any]) -> str:
    """The stderr line for a last week that matched too few deals to compare with."""
    from pipeaudit.engine.checks.week_match_poor import key_text

    return in_both(lambda lang: t("week_match.warning", lang, matched=int(quality["matched_open"]),
                                  previous=int(quality["previous_open"]), key=key_text(quality.get("key"), lang)))


def check_required(ruleset: Any, rules: list, skipped: list, opts: AuditOptions, cfg: Config) -> None:
    """--require (and the config's require:): a CI gate that must not pass because a rule it relies
    on silently could not run. A named rule that is not selected, disabled, or cannot be fed by
    this export stops the run with exit 2, saying why."""
    wanted = ruleset.resolve([*cfg.require, *opts.require], "--require")
    if not wanted:
        return
    ran = {r.name: r for r in rules}
    why_skipped = {s.rule: s.missing for s in skipped}
    for name in sorted(wanted):
        rule = ran.get(name)
        if rule is None:
            raise ConfigError(f"--require {name}: " + both("require.not_selected"))
        if not rule.enabled:
            raise ConfigError(f"--require {name}: " + both("require.disabled"))
        if name in why_skipped:
            raise InputError(f"--require {name}: " + in_both(
                lambda lang: t("require.cannot_feed", lang, fields=t("list.items", lang).join(why_skipped[name]))))
