"""`pipeaudit history list|show|prune`: look into and trim the week-over-week database."""

from __future__ import annotations

from pathlib import Path

from pipeaudit.errors import ConfigError, visible
from pipeaudit.terminal import echo


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

    with HistoryStore(_db(db, config), create=False) as store:
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

    with HistoryStore(_db(db, config), create=False) as store:
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


def run_prune(before: str, db: Path | None = None, config: Path | None = None) -> int:
    from pipeaudit.weekly.store import HistoryStore
    from pipeaudit.options import parse_date

    cutoff = parse_date(before, "--before")
    with HistoryStore(_db(db, config), create=False) as store:
        n = store.prune(cutoff)
    echo(f"removed {n} week(s) before {cutoff.isoformat()} / 已删除 {cutoff.isoformat()} 之前的 {n} 周")
    return 0
