"""`pipeaudit history list|show|prune`: look into and trim the week-over-week database.

No export, so no language: messages say both ("english / 中文", the text catalogue's both()), and
table headings and labels are "english 中文", the English being the column's name in the database.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipeaudit.errors import ConfigError, visible
from pipeaudit.i18n import both, in_both, t
from pipeaudit.terminal import echo, tolerant


def _en_zh(key: str, **values: str | int) -> str:
    """'deals 商机': a catalogue text in English then Chinese, as history's headings and labels are."""
    return f"{t(key, 'en', **values)} {t(key, 'zh', **values)}"


def _db(db: Path | None, config: Path | None) -> Path:
    from pipeaudit.config import load_config

    path = db or load_config(config).history
    if path is None:
        raise ConfigError(both("history.no_db"))
    return Path(path)


def _heads(*keys: str) -> list[str]:
    """Table headings from catalogue keys, each 'english 中文'."""
    return [_en_zh(key) for key in keys]


def _table(head: list[str], rows: list[tuple]) -> str:
    """The rows as a table; every cell from the store shown safely (escapes, bidi, line breaks visible)."""
    from tabulate import tabulate

    rows = [tuple(visible(c) for c in r) for r in rows]
    return tabulate(rows, headers=head, tablefmt="simple", disable_numparse=True)


def run_list(db: Path | None = None, config: Path | None = None) -> int:
    from pipeaudit.weekly.store import HistoryStore

    with HistoryStore(_db(db, config), read_only=True) as store:
        weeks = store.weeks()
    if not weeks:
        echo(both("history.no_weeks"))
        return 0
    rows = [(w["as_of"], w["deals"], w["open"], f"{w['pipeline']:,.0f}", w["source"] or "") for w in weeks]
    echo(_table(_heads("history.as_of", "history.deals", "history.open", "history.pipeline", "history.source"), rows))
    return 0


def run_show(deal: str, db: Path | None = None, config: Path | None = None) -> int:
    import pandas as pd

    from pipeaudit.weekly.store import HistoryStore

    with HistoryStore(_db(db, config), read_only=True) as store:
        frame = store.deal_rows(deal)
    if frame.empty:
        raise ConfigError(f"{deal!r}: " + both("history.no_such_deal"))

    def cell(v: object, kind: str = "") -> str:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return "—"
        if kind == "date":
            return pd.Timestamp(v).strftime("%Y-%m-%d")
        if kind == "amount":
            return f"{float(v):,.0f}"
        return str(v)

    rows = [
        (
            cell(r.as_of, "date"), cell(r.deal_id), cell(r.deal), cell(r.owner), cell(r.stage),
            cell(r.deal_class), cell(r.amount, "amount"), cell(r.close_date, "date"),
        )
        for r in frame.itertuples(index=False)
    ]
    head = _heads("history.as_of", "history.id", "history.deal", "history.owner", "history.stage", "history.class",
                  "history.amount", "history.close")
    echo(_table(head, rows))
    return 0


def run_prune(before: str | None = None, week: str | None = None, db: Path | None = None,
              config: Path | None = None) -> int:
    from pipeaudit.options import parse_date
    from pipeaudit.weekly.store import HistoryStore

    if (before is None) == (week is None):
        raise ConfigError("history prune: " + both("history.prune_which"))
    cutoff = parse_date(before, "--before") if before is not None else None
    with HistoryStore(_db(db, config), create=False) as store:
        n = store.prune(before=cutoff, week=week)
    if cutoff is not None:
        echo(both("history.removed", weeks=n, before=cutoff.isoformat()))
    else:
        echo(both("history.removed_week", weeks=n, week=repr(week)))
    return 0


# ---- what history teaches: norms, funnel, accuracy, backtest ---------------------------------
# Column heads and verdicts carry both languages, as `history list` does; the figures come from
# pipeaudit.weekly.learn / backtest, which hold no printing.

FORMATS = ("text", "json")
#: The catalogue key of each verdict of weekly.learn.forecast_accuracy.
VERDICTS = {
    "over-calling": "history.over_calling", "under-calling": "history.under_calling", "mixed": "history.mixed",
    "on target": "history.on_target", "nothing called": "history.nothing_called",
}


def _weeks(db: Path | None, config: Path | None, as_of: str | None, fmt: str):
    """(rows, weeks, as_of, db) of the history up to --as-of (default: its latest week)."""
    from pipeaudit.options import parse_date
    from pipeaudit.weekly.store import HistoryStore

    if fmt not in FORMATS:
        from pipeaudit.yamlsafe import did_you_mean

        raise ConfigError(f"--format {fmt!r}: " + in_both(
            lambda lang: t("format.text_or_json", lang, hint=did_you_mean(fmt, FORMATS, lang))))
    day = parse_date(as_of, "--as-of")
    path = _db(db, config)
    with HistoryStore(path, read_only=True) as store:
        weeks = store.snapshots()
        if day is None:
            if not weeks:
                raise ConfigError(f"{path}: " + both("history.no_weeks"))
            day = weeks[-1]["as_of"]
        weeks = [w for w in weeks if w["as_of"] <= day]
        rows = store.rows_up_to(day)
    return rows, weeks, day, path


def _json(obj) -> None:
    from pipeaudit.formats.json import dumps

    tolerant(sys.stdout).write(dumps(obj, indent=True).decode() + "\n")


def _pct(x) -> str:
    return "—" if x is None else f"{x * 100:.0f}%"


def _days(x) -> str:
    return "—" if x is None else f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def _span(weeks: list) -> str:
    if not weeks:
        return both("history.no_weeks")
    return f"{len(weeks)} {_en_zh('history.weeks')}: {weeks[0]['as_of'].isoformat()} … {weeks[-1]['as_of'].isoformat()}"


def run_norms(db: Path | None = None, config: Path | None = None, as_of: str | None = None, fmt: str = "text") -> int:
    from pipeaudit.weekly.learn import NORM_PERCENTILE, dwell_norms

    rows, weeks, day, _ = _weeks(db, config, as_of, fmt)
    norms = dwell_norms(rows, weeks)
    if fmt == "json":
        _json({"as_of": day.isoformat(), **norms})
        return 0
    echo(both("history.norms_title", span=_span(weeks)))
    if not norms["enough_weeks"]:
        echo(both("history.norms_short", weeks=int(norms["weeks"]), needs=int(norms["min_weeks"])))
    if not norms["ladders"]:
        echo(both("history.no_stays"))
        return 0
    head = [*_heads("history.stage", "history.stays", "history.median"),
            _en_zh("history.percentile", pct=NORM_PERCENTILE), _en_zh("history.norm")]
    too_few = f"— ({_en_zh('history.too_few')})"
    for ladder, stages in norms["ladders"].items():
        echo(f"\n{_en_zh('history.ladder')}: {ladder}")
        rows_ = [(s["stage"], s["samples"], _days(s["median"]), _days(s["p80"]), s["norm"] if s["enough"] else too_few)
                 for s in stages]
        echo(_table(head, rows_))
    echo("\n" + both("history.norms_used", samples=int(norms["min_samples"]), weeks=int(norms["min_weeks"])))
    return 0


def run_funnel(db: Path | None = None, config: Path | None = None, as_of: str | None = None, fmt: str = "text") -> int:
    from pipeaudit.weekly.learn import conversion, time_to_close

    rows, weeks, day, _ = _weeks(db, config, as_of, fmt)
    conv, close = conversion(rows, weeks), time_to_close(rows, weeks)
    if fmt == "json":
        _json({"as_of": day.isoformat(), "weeks": len(weeks), "conversion": conv, "time_to_close": close})
        return 0
    echo(both("history.funnel_title", span=_span(weeks)))
    if len(weeks) < 2:
        echo(both("history.one_week"))
    head = _heads("history.stage", "history.reached", "history.advanced", "history.lost", "history.still",
                  "history.conversion")

    def block(title: str, stages: list, stats: dict | None) -> None:
        echo(f"\n{title}")
        if stages:
            echo(_table(head, [(s["stage"], s["reached"], s["advanced"], s["lost"], s["still"], _pct(s["conversion"]))
                                     for s in stages]))
        if stats:
            echo(f"{_en_zh('history.won')} {stats['won']}, {_en_zh('history.lost')} {stats['lost']},"
                 f" {_en_zh('history.win_rate')} {_pct(stats['win_rate'])},"
                 f" {_en_zh('history.time_to_close')} {_days(stats['median_days'])} {_en_zh('history.days')}"
                 f" ({stats['measured']} {_en_zh('history.measured')})")

    block(_en_zh("history.team"), conv["team"], close["team"])
    for owner in sorted(set(conv["by_owner"]) | set(close["by_owner"])):
        block(f"{owner or '(' + _en_zh('history.no_owner') + ')'}", conv["by_owner"].get(owner, []),
              close["by_owner"].get(owner))
    return 0


def _bar(value: float, top: float, width: int = 24) -> str:
    return "█" * (round(width * value / top) if top > 0 else 0)


def run_accuracy(
    db: Path | None = None, config: Path | None = None, as_of: str | None = None, fmt: str = "text",
    weeks_back: int = 4, basis: str = "auto",
) -> int:
    from pipeaudit.weekly.learn import forecast_accuracy

    if basis not in ("auto", "commit", "class"):
        raise ConfigError(f"--basis {basis!r}: " + both("history.basis"))
    if weeks_back < 1:
        raise ConfigError(f"--weeks {weeks_back}: " + both("history.weeks_back"))
    rows, weeks, day, _ = _weeks(db, config, as_of, fmt)
    acc = forecast_accuracy(rows, weeks, day, weeks_back=weeks_back, basis=basis)
    if fmt == "json":
        _json({"as_of": day.isoformat(), **acc})
        return 0
    if acc["too_short"]:
        echo(both("history.no_call_week", weeks=weeks_back, day=day.isoformat(), span=_span(weeks)))
        return 0
    if acc.get("missing"):
        echo(both("history.call_week_lacks", week=str(acc["call_week"]), missing=str(acc["missing"])))
        return 0
    what = _en_zh("history.basis_commit" if acc["basis"] == "commit" else "history.basis_class")
    echo(both("history.called_as", what=what, week=str(acc["call_week"]), end=str(acc["end_week"])))
    head = _heads("history.rep", "history.called", "history.called_won", "history.uncalled_won", "history.accuracy",
                  "history.verdict")

    def cells(e: dict) -> tuple:
        def ca(x: dict) -> str:
            return f"{x['count']} · {x['amount']:,.0f}"

        return (ca(e["called"]), ca(e["called_won"]), ca(e["uncalled_won"]), _pct(e["accuracy"]),
                _en_zh(VERDICTS[e["verdict"]]))

    rows_ = [(o or "—", *cells(e)) for o, e in acc["by_owner"].items()] + [(_en_zh("history.team"), *cells(acc["team"]))]
    echo(_table(head, rows_))
    top = max([e["called"]["amount"] for e in acc["by_owner"].values()]
              + [e["called_won"]["amount"] + e["uncalled_won"]["amount"] for e in acc["by_owner"].values()] + [0])
    echo("")
    for owner, e in acc["by_owner"].items():
        won = e["called_won"]["amount"] + e["uncalled_won"]["amount"]
        echo(f"{owner or '—'}")
        echo(f"  {_en_zh('history.called')} {_bar(e['called']['amount'], top):<24} {e['called']['amount']:,.0f}")
        echo(f"  {_en_zh('history.won')}    {_bar(won, top):<24} {won:,.0f}")
    return 0


def run_backtest(
    db: Path | None = None, config: Path | None = None, as_of: str | None = None, fmt: str = "text",
    horizon: int = 4, rules: list[Path] | None = None, default_rules: bool = True,
) -> int:
    from pipeaudit.config import load_config
    from pipeaudit.engine import load_rules
    from pipeaudit.backtest import backtest

    if horizon < 1:
        raise ConfigError(f"--horizon {horizon}: " + both("history.horizon"))
    cfg = load_config(config)
    ruleset = load_rules(list(rules or []), default_rules=default_rules, cfg=cfg)
    rows, weeks, day, path = _weeks(db, config, as_of, fmt)
    result = backtest(rows, weeks, [r for r in ruleset.rules if r.enabled], cfg, horizon_weeks=horizon, source=str(path))
    if fmt == "json":
        _json({"as_of": day.isoformat(), **result})
        return 0
    echo(both("history.backtest_title", span=_span(weeks), horizon=horizon))
    if result["too_short"]:
        echo(both("history.backtest_short", weeks=int(result["weeks"]), needs=int(result["needs_weeks"])))
    bad = _en_zh("history.bad")
    head = [*_heads("history.code", "history.rule", "history.severity"), f"{_en_zh('history.flagged')} ({bad})",
            f"{_en_zh('history.not_flagged')} ({bad})", f"{_en_zh('history.lift')} [95% CI]", _en_zh("history.suggested")]

    def group(g: dict) -> str:
        unknown = f" +{g['unknown']} ?" if g["unknown"] else ""
        return f"{g['n']} ({_pct(g['rate'])}){unknown}"

    rows_ = []
    for r in result["rules"]:
        lift = "—" if r["lift"] is None else f"{r['lift']:.2f} [{r['lift_ci'][0]:.2f}–{r['lift_ci'][1]:.2f}]"
        rows_.append((r["code"] or "", r["rule"], r["severity"], group(r["flagged"]), group(r["not_flagged"]), lift,
                      r["suggested"] or f"— {r['why_not']}"))
    echo(_table(head, rows_))
    for x in result["excluded"]:
        echo(f"  {_en_zh('history.not_replayed')}: {x['rule']} — {x['why']}")
    echo(both("history.lift_means", deals=int(result["min_n"]), bad=int(result["min_bad"])))
    echo(both("history.unknown_outcome"))
    return 0
