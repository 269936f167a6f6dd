"""`pipeaudit history list|show|prune`: look into and trim the week-over-week database."""

from __future__ import annotations

import sys
from pathlib import Path

from pipeaudit.errors import ConfigError, visible
from pipeaudit.terminal import echo, tolerant


def _db(db: Path | None, config: Path | None) -> Path:
    from pipeaudit.config import load_config

    path = db or load_config(config).history
    if path is None:
        raise ConfigError("no history database: pass --history FILE (or --db) or set history: in the config / 未指定历史数据库")
    return Path(path)


def _table(head: tuple[str, ...], rows: list[tuple]) -> str:
    """The rows as a table; every cell from the store shown safely (escapes, bidi, line breaks visible)."""
    from tabulate import tabulate

    rows = [tuple(visible(c) for c in r) for r in rows]
    return tabulate(rows, headers=head, tablefmt="simple", disable_numparse=True)


def run_list(db: Path | None = None, config: Path | None = None) -> int:
    from pipeaudit.weekly.store import HistoryStore

    with HistoryStore(_db(db, config), read_only=True) as store:
        weeks = store.weeks()
    if not weeks:
        echo("no weeks stored / 尚无存储的周数据")
        return 0
    rows = [(w["as_of"], w["deals"], w["open"], f"{w['pipeline']:,.0f}", w["source"] or "") for w in weeks]
    echo(_table(("as_of 日期", "deals 商机", "open 进行中", "pipeline 金额", "source 来源"), rows))
    return 0


def run_show(deal: str, db: Path | None = None, config: Path | None = None) -> int:
    import pandas as pd

    from pipeaudit.weekly.store import HistoryStore

    with HistoryStore(_db(db, config), read_only=True) as store:
        frame = store.deal_rows(deal)
    if frame.empty:
        raise ConfigError(f"{deal!r}: no such deal id or name in the history / 历史库中没有该商机")

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
    head = ("as_of 日期", "id 编号", "deal 商机", "owner 负责人", "stage 阶段", "class 分级", "amount 金额", "close 预计成交")
    echo(_table(head, rows))
    return 0


def run_prune(before: str | None = None, week: str | None = None, db: Path | None = None,
              config: Path | None = None) -> int:
    from pipeaudit.options import parse_date
    from pipeaudit.weekly.store import HistoryStore

    if (before is None) == (week is None):
        raise ConfigError("history prune: give --before DATE or --week WEEK / 需要 --before 或 --week 之一")
    cutoff = parse_date(before, "--before") if before is not None else None
    with HistoryStore(_db(db, config), create=False) as store:
        n = store.prune(before=cutoff, week=week)
    if cutoff is not None:
        echo(f"removed {n} week(s) before {cutoff.isoformat()} / 已删除 {cutoff.isoformat()} 之前的 {n} 周")
    else:
        echo(f"removed {n} week(s) stored as {week!r} / 已删除 {n} 周")
    return 0


# ---- what history teaches: norms, funnel, accuracy, backtest ---------------------------------
# Column heads and verdicts carry both languages, as `history list` does; the figures come from
# pipeaudit.weekly.learn / backtest, which hold no printing.

FORMATS = ("text", "json")
VERDICTS = {
    "over-calling": "over-calling 高估", "under-calling": "under-calling 低估", "mixed": "mixed 高估与低估并存",
    "on target": "on target 准确", "nothing called": "nothing called 未承诺",
}


def _weeks(db: Path | None, config: Path | None, as_of: str | None, fmt: str):
    """(rows, weeks, as_of, db) of the history up to --as-of (default: its latest week)."""
    from pipeaudit.options import parse_date
    from pipeaudit.weekly.store import HistoryStore

    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r}: expected text or json / 格式应为 text 或 json")
    day = parse_date(as_of, "--as-of")
    path = _db(db, config)
    with HistoryStore(path, read_only=True) as store:
        weeks = store.snapshots()
        if day is None:
            if not weeks:
                raise ConfigError(f"{path}: no weeks stored / 尚无存储的周数据")
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
        return "no weeks stored / 尚无存储的周数据"
    return f"{len(weeks)} week(s) 周: {weeks[0]['as_of'].isoformat()} … {weeks[-1]['as_of'].isoformat()}"


def run_norms(db: Path | None = None, config: Path | None = None, as_of: str | None = None, fmt: str = "text") -> int:
    from pipeaudit.weekly.learn import NORM_PERCENTILE, dwell_norms

    rows, weeks, day, _ = _weeks(db, config, as_of, fmt)
    norms = dwell_norms(rows, weeks)
    if fmt == "json":
        _json({"as_of": day.isoformat(), **norms})
        return 0
    echo(f"stage dwell learned from {_span(weeks)} / 从历史学得的阶段停留天数")
    if not norms["enough_weeks"]:
        echo(f"history too short to learn norms: {norms['weeks']} week(s), needs {norms['min_weeks']}"
                   f" / 历史太短，至少需要 {norms['min_weeks']} 周")
    if not norms["ladders"]:
        echo("no completed stay in a stage yet / 还没有完整的阶段停留记录")
        return 0
    head = ("stage 阶段", "stays 样本", "median 中位天数", f"p{NORM_PERCENTILE} 分位天数", "norm 常规天数")
    for ladder, stages in norms["ladders"].items():
        echo(f"\nladder 阶段体系: {ladder}")
        rows_ = [(s["stage"], s["samples"], _days(s["median"]), _days(s["p80"]), s["norm"] if s["enough"] else "— (too few 样本不足)")
                 for s in stages]
        echo(_table(head, rows_))
    echo(f"\na norm is used (config `norms: learned`) once a stage has {norms['min_samples']} completed stays"
               f" in {norms['min_weeks']}+ weeks / 样本足够时才使用")
    return 0


def run_funnel(db: Path | None = None, config: Path | None = None, as_of: str | None = None, fmt: str = "text") -> int:
    from pipeaudit.weekly.learn import conversion, time_to_close

    rows, weeks, day, _ = _weeks(db, config, as_of, fmt)
    conv, close = conversion(rows, weeks), time_to_close(rows, weeks)
    if fmt == "json":
        _json({"as_of": day.isoformat(), "weeks": len(weeks), "conversion": conv, "time_to_close": close})
        return 0
    echo(f"funnel from {_span(weeks)} / 漏斗转化与成交周期")
    if len(weeks) < 2:
        echo("history too short: one stored week shows no movement / 只有一周数据，看不出转化")
    head = ("stage 阶段", "reached 到达", "advanced 推进", "lost 输单", "still 仍在", "conversion 转化率")

    def block(title: str, stages: list, stats: dict | None) -> None:
        echo(f"\n{title}")
        if stages:
            echo(_table(head, [(s["stage"], s["reached"], s["advanced"], s["lost"], s["still"], _pct(s["conversion"]))
                                     for s in stages]))
        if stats:
            echo(f"won 赢单 {stats['won']}, lost 输单 {stats['lost']}, win rate 赢率 {_pct(stats['win_rate'])},"
                       f" median time to close 成交周期中位数 {_days(stats['median_days'])} days 天"
                       f" ({stats['measured']} measured 个可测)")

    block("team 团队", conv["team"], close["team"])
    for owner in sorted(set(conv["by_owner"]) | set(close["by_owner"])):
        block(f"{owner or '(no owner 无负责人)'}", conv["by_owner"].get(owner, []), close["by_owner"].get(owner))
    return 0


def _bar(value: float, top: float, width: int = 24) -> str:
    return "█" * (round(width * value / top) if top > 0 else 0)


def run_accuracy(
    db: Path | None = None, config: Path | None = None, as_of: str | None = None, fmt: str = "text",
    weeks_back: int = 4, basis: str = "auto",
) -> int:
    from pipeaudit.weekly.learn import forecast_accuracy

    if basis not in ("auto", "commit", "class"):
        raise ConfigError(f"--basis {basis!r}: expected auto, commit or class / 依据应为 auto、commit 或 class")
    if weeks_back < 1:
        raise ConfigError(f"--weeks {weeks_back}: must be 1 or more / 周数须至少为 1")
    rows, weeks, day, _ = _weeks(db, config, as_of, fmt)
    acc = forecast_accuracy(rows, weeks, day, weeks_back=weeks_back, basis=basis)
    if fmt == "json":
        _json({"as_of": day.isoformat(), **acc})
        return 0
    if acc["too_short"]:
        echo(f"history too short: no stored week {weeks_back} weeks before {day.isoformat()}"
                   f" ({_span(weeks)}) / 历史太短，没有 {weeks_back} 周前的数据")
        return 0
    if acc.get("missing"):
        echo(f"the week of {acc['call_week']} has no {acc['missing']} to judge the call by / 该周没有所需字段")
        return 0
    what = "Commit 承诺" if acc["basis"] == "commit" else "A-class A 类"
    echo(f"called as {what} on {acc['call_week']}, won by {acc['end_week']} / 当时承诺的与之后赢单的对比")
    head = ("rep 销售", "called 承诺", "won of called 承诺中赢单", "won not called 未承诺赢单", "accuracy 准确率", "verdict 判断")

    def cells(e: dict) -> tuple:
        def ca(x: dict) -> str:
            return f"{x['count']} · {x['amount']:,.0f}"

        return (ca(e["called"]), ca(e["called_won"]), ca(e["uncalled_won"]), _pct(e["accuracy"]), VERDICTS[e["verdict"]])

    rows_ = [(o or "—", *cells(e)) for o, e in acc["by_owner"].items()] + [("team 团队", *cells(acc["team"]))]
    echo(_table(head, rows_))
    top = max([e["called"]["amount"] for e in acc["by_owner"].values()]
              + [e["called_won"]["amount"] + e["uncalled_won"]["amount"] for e in acc["by_owner"].values()] + [0])
    echo("")
    for owner, e in acc["by_owner"].items():
        won = e["called_won"]["amount"] + e["uncalled_won"]["amount"]
        echo(f"{owner or '—'}")
        echo(f"  called 承诺 {_bar(e['called']['amount'], top):<24} {e['called']['amount']:,.0f}")
        echo(f"  won 赢单    {_bar(won, top):<24} {won:,.0f}")
    return 0


def run_backtest(
    db: Path | None = None, config: Path | None = None, as_of: str | None = None, fmt: str = "text",
    horizon: int = 4, rules: list[Path] | None = None, default_rules: bool = True,
) -> int:
    from pipeaudit.config import load_config
    from pipeaudit.engine import load_rules
    from pipeaudit.backtest import backtest

    if horizon < 1:
        raise ConfigError(f"--horizon {horizon}: must be 1 or more weeks / 观察期至少 1 周")
    cfg = load_config(config)
    ruleset = load_rules(list(rules or []), default_rules=default_rules, cfg=cfg)
    rows, weeks, day, path = _weeks(db, config, as_of, fmt)
    result = backtest(rows, weeks, [r for r in ruleset.rules if r.enabled], cfg, horizon_weeks=horizon, source=str(path))
    if fmt == "json":
        _json({"as_of": day.isoformat(), **result})
        return 0
    echo(f"backtest over {_span(weeks)}; outcome within {horizon} weeks: lost or close date pushed = bad"
               f" / 回测：被标记的商机在 {horizon} 周内输单或推迟的比例")
    if result["too_short"]:
        echo(f"history too short to judge: {result['weeks']} week(s), needs {result['needs_weeks']}"
                   f" / 历史太短，至少需要 {result['needs_weeks']} 周")
    head = ("code 编号", "rule 规则", "severity 级别", "flagged 被标记 (bad 变差)", "not flagged 未标记 (bad 变差)",
            "lift 倍数 [95% CI]", "suggested 建议级别")

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
        echo(f"  not replayed 未回测: {x['rule']} — {x['why']}")
    echo(f"lift = bad share of flagged / bad share of the others; judged with {result['min_n']}+ deals in each"
               f" group and {result['min_bad']}+ bad outcomes / 每组至少 {result['min_n']} 个商机才下结论")
    echo("+N ? = deals whose outcome is not known yet (too recent, or gone from the export) / 结果未知的商机数")
    return 0
