"""`pipeaudit columns FILE`: show how the export was understood, before any rule runs.

Plain text (tabulate "simple"), so it reads the same on a terminal, in a pipe or in a CI log;
`--format json` gives the same facts to scripts (facts() below; `pipeaudit init` writes them
as a config).
"""

from __future__ import annotations

import sys
from typing import Any

from pipeaudit.errors import ConfigError, visible
from pipeaudit.options import AuditOptions

FORMATS = ("text", "json")


def run(opts: AuditOptions, fmt: str = "text") -> int:
    from pipeaudit.terminal import echo

    from pipeaudit import pipeline
    from pipeaudit.engine import load_rules, skipped_rules

    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r}: expected text or json / 格式应为 text 或 json")
    cfg = pipeline.load_settings(opts)
    # Rules first, as in check: a bad --rules file fails before the (possibly slow) read.
    ruleset = load_rules(list(opts.rules), default_rules=opts.default_rules, cfg=cfg)
    rules = pipeline.select_rules(ruleset, opts, cfg)
    deals = pipeline.load_deals(opts, cfg)
    skipped = skipped_rules(deals, rules)
    if fmt == "json":
        from pipeaudit.formats.json import dumps
        from pipeaudit.terminal import tolerant

        tolerant(sys.stdout).write(dumps(facts(deals, cfg, skipped), indent=True).decode() + "\n")
    else:
        echo(render(deals, cfg, skipped=skipped))
    return 0


def facts(deals, cfg=None, skipped=None) -> dict[str, Any]:
    """Everything `columns` knows about the export, as plain JSON-able data."""
    from pipeaudit.model import FIELDS

    by_header = {info.header: info for info in deals.columns.values()}
    headers = deals.headers or [*deals.mapping.values(), *deals.unmapped]
    rows = []
    for h in headers:
        info = by_header.get(h)
        if info is None and h in deals.mapping.values():  # built without ColumnInfo (older callers)
            name = next(f for f, hh in deals.mapping.items() if hh == h)
            rows.append({"header": h, "field": name, "how": "alias", "confidence": 1.0, "detail": "", "unit": None})
        elif info is None:
            rows.append({"header": h, "field": None, "why": deals.unmapped_why.get(h) or None})
        else:
            rows.append({"header": h, "field": info.field, "how": info.how, "confidence": info.confidence,
                         "detail": info.detail, "unit": deals.units.get(info.field)})
    frame = deals.frame
    status = frame["status"].value_counts() if "status" in frame.columns else {}
    order = deals.stage_order
    out: dict[str, Any] = {
        "source": str(deals.source),
        "sheet": deals.sheet,
        "header_row": deals.header_row,
        "language": deals.language,
        "headers": rows,
        "fields_missing": [n for n in FIELDS if n not in deals.mapping],
        "undecided": [{"what": what, "why": why} for what, why in deals.undecided],
        "ladder": None if order is None else {
            "how": order.how, "name": order.name, "label": order.label, "open": list(order.open),
            "won": list(order.won), "lost": list(order.lost), "on_hold": list(order.on_hold),
            "covered": order.covered, "distinct": order.distinct, "status_from": order.status_from,
            "status_disagrees": order.status_disagrees,
        },
        "unknown_stages": dict(deals.unknown_stages),
        "deals": {
            "rows": len(frame),
            "open": int(status.get("open", 0)), "won": int(status.get("won", 0)), "lost": int(status.get("lost", 0)),
            "on_hold": int(frame["on_hold"].sum()) if "on_hold" in frame.columns else 0,
        },
        "dates": {
            name: {"header": deals.mapping.get(name), "order": r.order, "how": r.how, "evidence": r.evidence,
                   "settled": r.settled, "no_date": r.no_date}
            for name, r in deals.dates.items()
        },
        "rows_skipped": {
            "above_header": max(0, int(deals.header_row) - 1),
            "hint_rows": list(deals.skipped_hint_rows),
            "total_rows": list(deals.skipped_total_rows),
            "blank_rows": int(deals.dropped_blank_rows),
        },
        "unreadable_values": len(deals.problems),
        "notes": list(deals.notes),
    }
    if skipped is not None:
        out["skipped_rules"] = [{"rule": s.rule, "missing": list(s.missing)} for s in skipped]
    return out


def render_skipped(skipped) -> list[str]:
    """The rules this export cannot feed, and the fields each lacks. Fields only --baseline or
    --history supply (prev_*, close_slips) are said to come from there, not from the export."""
    from pipeaudit.findings import HISTORY_FILLS, sort_missing
    from pipeaudit.model import DERIVED, ORDER_COLUMNS

    if not skipped:
        return ["将被跳过的规则 Rules skipped: - (每条规则所需的列都有 every rule has the columns it needs)"]
    out = [f"将被跳过的规则 Rules skipped ({len(skipped)}):"]
    width = max(len(s.rule) for s in skipped)
    for s in skipped:
        export, week, stored = sort_missing([m for m in s.missing if m not in ORDER_COLUMNS])
        parts = []
        if any(m in ORDER_COLUMNS for m in s.missing) and "stage" not in export:
            parts.append("阶段顺序未知 stage order unknown")
        if export:
            fillable = " (或 or --history)" if set(export) <= HISTORY_FILLS else ""
            parts.append(f"缺少 no column: {', '.join(export)}{fillable}")
        if week:
            parts.append(f"需要 needs --baseline/--history: {', '.join(week)}")
        if stored:
            parts.append(f"需要 needs --history: {', '.join(stored)}")
        out.append(f"  {s.rule.ljust(width)}  {'; '.join(parts)}")
    if any(m not in DERIVED and m not in ORDER_COLUMNS for s in skipped for m in s.missing):
        out.append("  映射方法 To feed one: --map field=表头 (or `columns:` in pipeaudit.yaml)")
    return out


_HOW = {"config": "配置 config", "alias": "别名 alias", "api": "API", "words": "词义 words", "values": "取值 values"}


def render(deals, cfg=None, skipped=None) -> str:
    """The report as one string (kept separate from run() so it can be tested without a file)."""
    from tabulate import tabulate

    from pipeaudit.model import FIELDS

    f = facts(deals, cfg, skipped)
    out: list[str] = []
    sheet = visible(deals.sheet) if deals.sheet is not None else "-"
    out.append(f"文件 File: {visible(deals.source)}")
    out.append(f"工作表 Sheet: {sheet}    表头行 Header row: {deals.header_row}")
    out.append("")

    rows = []
    for name in FIELDS:
        if name in deals.mapping:
            info = deals.columns.get(name)
            spec = FIELDS[name]
            how = _HOW.get(info.how, info.how) if info else _HOW["alias"]
            if info and info.detail:
                how = f"{how}: {info.detail}"
            conf = f"{info.confidence:.2f}" if info else "1.00"
            rows.append([visible(deals.mapping[name]), name, f"{spec.zh} / {spec.en}", visible(how), conf,
                         _unit(deals.units.get(name))])
    if rows:
        out.append(tabulate(rows, headers=["表头 Header", "字段 Field", "含义 Meaning", "依据 How", "把握 Sure",
                                           "单位 Unit"], tablefmt="simple", disable_numparse=True))
    else:
        out.append("没有表头被识别为字段 / No header was recognised as a field")
    out.append("")

    if deals.unmapped:
        shown = [visible(h) + (f" ({visible(deals.unmapped_why[h])})" if deals.unmapped_why.get(h) else "")
                 for h in deals.unmapped]
        out.append(f"未映射的表头 Unmapped headers: {', '.join(shown)}")
    else:
        out.append("未映射的表头 Unmapped headers: -")
    for what, why in deals.undecided:
        out.append(f"  未决定 Not decided: {visible(what)} — {visible(why)}")
    missing = f["fields_missing"]
    out.append(f"缺少的字段 Fields not supplied: {', '.join(missing) if missing else '-'}")
    if deals.unmapped and missing:
        out.append("  映射方法 To map one: --map field=表头 (or `columns:` in pipeaudit.yaml)")
    out.append("")
    out.extend(_ladder_lines(deals, f))
    out.extend(_date_lines(deals))
    out.append("")

    problems = deals.problems
    counts = [
        ["商机行 Deal rows", len(deals.frame)],
        ["跳过的合计行 Total rows skipped", _count_rows(deals.skipped_total_rows)],
        ["跳过的说明行 Hint rows skipped", _count_rows(deals.skipped_hint_rows)],
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


def _ladder_lines(deals, f: dict) -> list[str]:
    out: list[str] = []
    order = deals.stage_order
    if order is None:
        out.append("阶段体系 Stage ladder: - (无阶段列 no stage column)")
    elif order.how in ("config", "ladder"):
        how = "配置指定 set in the config" if order.how == "config" else (
            f"覆盖 covers {order.covered}/{order.distinct} 个进行中阶段值 open stage values")
        out.append(f"阶段体系 Stage ladder: {visible(order.name)} ({visible(order.label)}) — {how}")
        out.append(f"  进行中阶段 Open stages: {' → '.join(visible(s) for s in order.open)}")
    elif order.how in ("probability", "numbered"):
        by = "由赢率推断 inferred from the probability column" if order.how == "probability" else (
            "由阶段编号推断 inferred from numbered stages")
        out.append(f"阶段体系 Stage ladder: {by} (未确认 check it)")
        out.append(f"  进行中阶段 Open stages: {' → '.join(visible(s) for s in order.open)}")
    elif order.distinct:
        out.append("阶段体系 Stage ladder: 未识别 not detected — 阶段顺序未知 stage order unknown; "
                   "需要顺序的规则将跳过 rules that need it are skipped")
    else:
        out.append("阶段体系 Stage ladder: 未识别 not detected (only won/lost or blank stage values)")
    if order is not None:
        for label, words in (("赢单 Won", order.won), ("输单 Lost", order.lost), ("搁置 On hold", order.on_hold)):
            if words:
                out.append(f"  {label}: {', '.join(visible(w) for w in words)}")
        if order.status_from:
            differ = (f" ({order.status_disagrees} 个与阶段不一致 disagree with the stage)"
                      if order.status_disagrees else "")
            out.append(f"  状态依据 Open/won/lost from: {visible(order.status_from)}{differ}")
    unknown = deals.unknown_stages
    if unknown:
        items = sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = ", ".join(f"{visible(v)} ({n})" for v, n in items[:10]) + (", ..." if len(items) > 10 else "")
        out.append(f"  未知阶段 Unknown stage values ({len(unknown)}): {shown}")
    if "stage" in deals.mapping and len(deals.frame):
        d = f["deals"]
        out.append(f"  进行中/赢单/输单 Open/won/lost: {d['open']}/{d['won']}/{d['lost']}"
                   + (f" (搁置 on hold {d['on_hold']})" if d["on_hold"] else ""))
    return out


def _date_lines(deals) -> list[str]:
    if not deals.dates:
        return []
    parts = []
    for name, r in deals.dates.items():
        header = visible(deals.mapping.get(name, name))
        if r.order == "ymd":
            text = "年在前 year first"
        elif r.order == "mixed":
            text = f"按分隔符 by separator: {visible(r.evidence)}"
        elif not r.settled:
            text = f"{r.order} 未确定 NOT SETTLED ({'as ' + visible(r.evidence) if r.how == 'export' else r.how})"
        else:
            text = f"{r.order} ({'配置 config' if r.how == 'config' else visible(r.evidence)})"
        if r.no_date:
            text += f", {r.no_date}× 9999 = 无日期 no date"
        parts.append(f"  {name} '{header}': {text}")
    return ["日期 Dates (日月顺序 day/month order):", *parts]


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
