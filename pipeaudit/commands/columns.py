"""`pipeaudit columns FILE`: show how the export was understood, before any rule runs.

Plain text (tabulate "simple"), so it reads the same on a terminal, in a pipe or in a CI log.
"""

from __future__ import annotations

from pipeaudit.errors import visible
from pipeaudit.options import AuditOptions


def run(opts: AuditOptions) -> int:
    from pipeaudit.terminal import echo

    from pipeaudit import pipeline
    from pipeaudit.engine import load_rules, skipped_rules

    cfg = pipeline.load_settings(opts)
    # Rules first, as in check: a bad --rules file fails before the (possibly slow) read.
    ruleset = load_rules(list(opts.rules), default_rules=opts.default_rules, cfg=cfg)
    rules = pipeline.select_rules(ruleset, opts, cfg)
    deals = pipeline.load_deals(opts, cfg)
    echo(render(deals, cfg, skipped=skipped_rules(deals, rules)))
    return 0


def render_skipped(skipped) -> list[str]:
    """The rules this export cannot feed, and the fields each lacks. Fields only --baseline or
    --history supply (prev_*, close_slips) are said to come from there, not from the export."""
    from pipeaudit.findings import HISTORY_FILLS, sort_missing
    from pipeaudit.model import DERIVED

    if not skipped:
        return ["将被跳过的规则 Rules skipped: - (每条规则所需的列都有 every rule has the columns it needs)"]
    out = [f"将被跳过的规则 Rules skipped ({len(skipped)}):"]
    width = max(len(s.rule) for s in skipped)
    for s in skipped:
        export, week, stored = sort_missing(s.missing)
        parts = []
        if export:
            fillable = " (或 or --history)" if set(export) <= HISTORY_FILLS else ""
            parts.append(f"缺少 no column: {', '.join(export)}{fillable}")
        if week:
            parts.append(f"需要 needs --baseline/--history: {', '.join(week)}")
        if stored:
            parts.append(f"需要 needs --history: {', '.join(stored)}")
        out.append(f"  {s.rule.ljust(width)}  {'; '.join(parts)}")
    if any(m not in DERIVED for s in skipped for m in s.missing):
        out.append("  映射方法 To feed one: --map field=表头 (or `columns:` in pipeaudit.yaml)")
    return out


def render(deals, cfg=None, skipped=None) -> str:
    """The report as one string (kept separate from run() so it can be tested without a file)."""
    from tabulate import tabulate

    from pipeaudit.deals.stages import all_ladders
    from pipeaudit.model import FIELDS

    out: list[str] = []
    sheet = visible(deals.sheet) if deals.sheet is not None else "-"
    out.append(f"文件 File: {visible(deals.source)}")
    out.append(f"工作表 Sheet: {sheet}    表头行 Header row: {deals.header_row}")
    out.append("")

    rows = []
    for name in FIELDS:
        if name in deals.mapping:
            unit = deals.units.get(name)
            spec = FIELDS[name]
            rows.append([visible(deals.mapping[name]), name, f"{spec.zh} / {spec.en}", _unit(unit)])
    if rows:
        out.append(tabulate(rows, headers=["表头 Header", "字段 Field", "含义 Meaning", "单位 Unit"], tablefmt="simple"))
    else:
        out.append("没有表头被识别为字段 / No header was recognised as a field")
    out.append("")

    unmapped = ", ".join(visible(h) for h in deals.unmapped) if deals.unmapped else "-"
    out.append(f"未映射的表头 Unmapped headers: {unmapped}")
    missing = [n for n in FIELDS if n not in deals.mapping]
    out.append(f"缺少的字段 Fields not supplied: {', '.join(missing) if missing else '-'}")
    if deals.unmapped and missing:
        out.append("  映射方法 To map one: --map field=表头 (or `columns:` in pipeaudit.yaml)")
    out.append("")

    ladders = all_ladders(cfg)
    if deals.ladder and deals.ladder in ladders:
        ladder = ladders[deals.ladder]
        out.append(f"阶段体系 Stage ladder: {ladder.name} ({ladder.label})")
        out.append(f"  进行中阶段 Open stages: {' → '.join(ladder.open)}")
    elif "stage" in deals.mapping:
        out.append("阶段体系 Stage ladder: 未识别 not detected (only won/lost or unknown stage values)")
    else:
        out.append("阶段体系 Stage ladder: - (无阶段列 no stage column)")
    frame = deals.frame
    if "stage" in deals.mapping and len(frame):
        unknown = frame.loc[~frame["stage_known"], "stage"]
        if len(unknown):
            shown = ", ".join(visible(v) for v in unknown.unique()[:10])
            out.append(f"  未知阶段 Unknown stage values ({len(unknown)}): {shown}")
        status = frame["status"].value_counts()
        out.append(
            "  进行中/赢单/输单 Open/won/lost: "
            f"{int(status.get('open', 0))}/{int(status.get('won', 0))}/{int(status.get('lost', 0))}"
        )
    out.append("")

    problems = deals.problems
    counts = [
        ["商机行 Deal rows", len(frame)],
        ["跳过的合计行 Total rows skipped", _count_rows(deals.skipped_total_rows)],
        ["删除的空行 Blank rows dropped", deals.dropped_blank_rows],
        ["无法读取的值 Unreadable values", len(problems)],
    ]
    out.append(tabulate(counts, tablefmt="plain"))
    if len(problems):
        by_field = problems.groupby("column", sort=False).size()
        out.append("  " + ", ".join(f"{visible(col)}: {n}" for col, n in by_field.items()))
        first = problems.head(5)
        for row, col, raw in zip(first["row"], first["column"], first["raw"]):
            out.append(f"    行 row {row}, {visible(col)}: {visible(raw)}")
    if skipped is not None:
        out.append("")
        out.extend(visible(line) for line in render_skipped(skipped))
    for note in deals.notes:
        out.append(f"注 Note: {visible(note)}")
    return "\n".join(out)


def _count_rows(rows: list[int]) -> str:
    if not rows:
        return "0"
    shown = ", ".join(str(r) for r in rows[:10]) + (", ..." if len(rows) > 10 else "")
    return f"{len(rows)} (行 rows {shown})"


def _unit(mult: float | None) -> str:
    if mult is None:
        return ""
    if mult == 1:
        return "×1"
    names = {1e3: "千 thousand", 1e4: "万 ten thousand", 1e6: "百万 million", 1e8: "亿 hundred million"}
    return f"×{mult:,.0f} ({names[mult]})" if mult in names else f"×{mult:g}"
