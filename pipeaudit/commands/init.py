"""`pipeaudit init EXPORT`: write what was inferred from an export as a commented pipeaudit.yaml.

Every header and the field it became (or none, commented out, with the reason), the stage ladder
(open order, won, lost) and the date order, for the user to correct. The file round-trips: loaded
by the config loader it maps the export the same way. An existing file is never overwritten
without --force.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from pipeaudit.errors import ConfigError, one_line
from pipeaudit.options import ReadOptions

DEFAULT_NAME = "pipeaudit.yaml"
CUSTOM_LADDER = "export"


def run(opts: ReadOptions, *, output: Path | None = None, force: bool = False) -> int:
    import typer

    from pipeaudit import pipeline
    from pipeaudit.config import Config, load_config
    from pipeaudit.outputs import atomic_write

    target = Path(output) if output is not None else Path(DEFAULT_NAME)
    if target.exists() and not force:
        raise ConfigError(f"{target}: already exists; --force overwrites it / 文件已存在，用 --force 覆盖")
    if target.is_dir():
        raise ConfigError(f"{target}: is a folder / 是文件夹")
    # What the export says by itself: a config found upwards is not applied unless named.
    cfg = load_config(opts.config) if opts.config is not None else Config()
    deals = pipeline.load_deals(opts, cfg)
    atomic_write(target, render(deals, cfg))
    typer.echo(f"pipeaudit: wrote {target} / 已写入 {target} — check it with `pipeaudit columns {opts.path}`")
    return 0


_NOT_YAML = re.compile("[^\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


def _q(text: object) -> str:
    """A YAML double-quoted scalar: a JSON string, with every character YAML would not take as is
    (C1 controls, line/paragraph separators, a BOM) written as a \\u escape, which both read alike."""
    quoted = json.dumps(str(text), ensure_ascii=False)
    return _NOT_YAML.sub(lambda m: "\\u%04x" % ord(m.group()) if ord(m.group()) < 0x10000 else m.group(), quoted)


def _c(text: object) -> str:
    """Text safe inside a comment: one line."""
    return one_line(str(text))


def render(deals, cfg=None) -> str:
    """The config text for these deals."""
    from pipeaudit.commands.columns import facts
    from pipeaudit.model import FIELDS

    f = facts(deals, cfg)
    lines = [
        f"# pipeaudit.yaml — written by `pipeaudit init` from {_c(Path(str(deals.source)).name)} on {date.today()}",
        "# What pipeaudit inferred from the export. Check it, correct what is wrong, delete what you do not need.",
        "# pipeaudit init 根据导出文件推断生成：请核对、改正，不需要的可删除。",
        "# Each line: field: header  # how it was decided (config/alias/API/words/values) and how sure (0..1)",
        "",
        "columns:",
    ]
    width = max([len(n) for n in FIELDS] + [6])
    for row in f["headers"]:
        if row["field"]:
            how = row["how"] + (f": {row['detail']}" if row.get("detail") else "")
            left = f"  {row['field']}:".ljust(width + 4) + f" {_q(row['header'])}"
            lines.append(f"{left.ljust(44)}  # {_c(how)} ({row['confidence']:.2f})")
        else:
            why = f" — {row['why']}" if row.get("why") else ""
            lines.append(f"  # (no field / 无字段): {_c(_q(row['header']))}{_c(why)}")
    if f["undecided"]:
        lines.append("  # Not decided / 未决定 (map one yourself):")
        for u in f["undecided"]:
            lines.append(f"  #   {_c(u['what'])}: {_c(u['why'])}")
    missing = [n for n in f["fields_missing"] if n != "ignore"]
    if missing:
        lines.append(f"  # Fields no header gave / 没有对应表头的字段: {', '.join(missing)}")
    lines.append("")
    lines.extend(_ladder(deals, f))
    lines.extend(_dates(deals, f))
    return "\n".join(lines).rstrip() + "\n"


def _ladder(deals, f: dict) -> list[str]:
    order = deals.stage_order
    if order is None:
        return ["# No stage column: no ladder / 没有阶段列", ""]
    lines = ["# Stage ladder / 阶段体系"]
    if order.how in ("config", "ladder"):
        lines.append(f"ladder: {order.name}  # {_c(order.label)}; covers {order.covered}/{order.distinct} open stage values")
        lines.append(f"#   open: {_c(' → '.join(order.open))}")
        if order.won or order.lost:
            lines.append(f"#   won: {_c(', '.join(order.won)) or '-'}   lost: {_c(', '.join(order.lost)) or '-'}")
    elif order.how in ("probability", "numbered"):
        by = "the probability column" if order.how == "probability" else "numbered stages"
        lines.append(f"# Inferred from {by}: check the order / 由{'赢率' if order.how == 'probability' else '阶段编号'}推断，请核对顺序")
        lines.append(f"ladder: {CUSTOM_LADDER}")
        lines.extend(_custom(list(order.open), order))
    else:
        opens = sorted(f["unknown_stages"], key=lambda v: -f["unknown_stages"][v])
        lines.append("# The stage order is unknown: put the open stages in order and uncomment /")
        lines.append("# 阶段顺序未知：请把进行中的阶段按顺序排好，再去掉注释")
        lines.append(f"# ladder: {CUSTOM_LADDER}")
        lines.extend("# " + line for line in _custom(opens, order))
    if order.on_hold:
        lines.append(f"# on hold (count as open, on no stage) / 已搁置: {_c(', '.join(order.on_hold))}")
    lines.append("")
    return lines


def _custom(opens: list[str], order) -> list[str]:
    out = ["ladders:", f"  {CUSTOM_LADDER}:", f"    open: [{', '.join(_q(s) for s in opens)}]"]
    if order.won:
        out.append(f"    won: [{', '.join(_q(s) for s in order.won)}]")
    if order.lost:
        out.append(f"    lost: [{', '.join(_q(s) for s in order.lost)}]")
    return out


def _dates(deals, f: dict) -> list[str]:
    readings = deals.dates
    if not readings:
        return []
    settled = {r.order for r in readings.values() if r.order in ("dmy", "mdy") and r.settled and r.how != "config"}
    config = {r.order for r in readings.values() if r.how == "config"}
    lines = ["# Dates: day-first (dmy) or month-first (mdy) for 4/8/2026 / 日期的日月顺序"]
    for name, r in readings.items():
        state = "year first, nothing to decide" if r.order == "ymd" else (
            f"{r.order}, {'settled by ' + r.evidence if r.settled and r.evidence else r.how}"
            + ("" if r.settled else " — NOT SETTLED"))
        lines.append(f"#   {name} ({_c(deals.mapping.get(name, name))}): {_c(state)}")
    if config:
        lines.append(f"date_order: {sorted(config)[0]}")
    elif len(settled) == 1:
        lines.append(f"date_order: {settled.pop()}")
    elif any(not r.settled for r in readings.values()):
        lines.append("# date_order: mdy   # or dmy: the values did not settle it / 数据无法判断，请选择")
    return lines
