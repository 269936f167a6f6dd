"""`pipeaudit columns FILE`: show how the export was understood, before any rule runs.

Plain text (tabulate "simple"), so it reads the same on a terminal, in a pipe or in a CI log;
`--format json` gives the same facts to scripts (facts() below; `pipeaudit init` writes them
as a config). Each label is printed in both languages, "中文 English", from the text catalogue:
this is the check of a new export, run before anyone has chosen a language, and the Chinese label
is the one a Chinese export's headers use.
"""

from __future__ import annotations

import sys
from typing import Any

from pipeaudit.errors import ConfigError, visible
from pipeaudit.i18n import in_both, t
from pipeaudit.options import AuditOptions

FORMATS = ("text", "json")
#: How a column was found (ColumnInfo.how), each named by columns.how_<how> in the catalogue.
_HOWS = ("config", "alias", "api", "words", "values")


def _zh_en(key: str, sep: str = " ") -> str:
    """'文件 File': the catalogue's text for `key` in both languages, Chinese first (once when the
    two are the same word, as "API")."""
    chinese, english = t(key, "zh"), t(key, "en")
    return chinese if chinese == english else f"{chinese}{sep}{english}"


def run(opts: AuditOptions, fmt: str = "text") -> int:
    from pipeaudit.terminal import echo

    from pipeaudit import pipeline
    from pipeaudit.engine import load_rules, skipped_rules

    if fmt not in FORMATS:
        from pipeaudit.yamlsafe import did_you_mean

        raise ConfigError(f"--format {fmt!r}: " + in_both(
            lambda lang: t("format.text_or_json", lang, hint=did_you_mean(fmt, FORMATS, lang))))
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
        return [f"{_zh_en('columns.skipped')}: - ({_zh_en('columns.none_skipped')})"]
    out = [f"{_zh_en('columns.skipped')} ({len(skipped)}):"]
    width = max(len(s.rule) for s in skipped)
    for s in skipped:
        export, week, stored = sort_missing([m for m in s.missing if m not in ORDER_COLUMNS])
        parts = []
        if any(m in ORDER_COLUMNS for m in s.missing) and "stage" not in export:
            parts.append(_zh_en("columns.order_unknown"))
        if export:
            fillable = f" ({_zh_en('columns.or')} --history)" if set(export) <= HISTORY_FILLS else ""
            parts.append(f"{_zh_en('columns.no_column')}: {', '.join(export)}{fillable}")
        if week:
            parts.append(f"{_zh_en('columns.needs')} --baseline/--history: {', '.join(week)}")
        if stored:
            parts.append(f"{_zh_en('columns.needs')} --history: {', '.join(stored)}")
        out.append(f"  {s.rule.ljust(width)}  {'; '.join(parts)}")
    if any(m not in DERIVED and m not in ORDER_COLUMNS for s in skipped for m in s.missing):
        out.append(f"  {_zh_en('columns.to_feed')}")
    return out


def render(deals, cfg=None, skipped=None) -> str:
    """The report as one string (kept separate from run() so it can be tested without a file)."""
    from tabulate import tabulate

    from pipeaudit.model import FIELDS

    f = facts(deals, cfg, skipped)
    out: list[str] = []
    sheet = visible(deals.sheet) if deals.sheet is not None else "-"
    out.append(f"{_zh_en('columns.file')}: {visible(deals.source)}")
    out.append(f"{_zh_en('columns.sheet')}: {sheet}    {_zh_en('columns.header_row')}: {deals.header_row}")
    out.append("")

    rows = []
    for name in FIELDS:
        if name in deals.mapping:
            info = deals.columns.get(name)
            spec = FIELDS[name]
            how = info.how if info else "alias"
            how = _zh_en("columns.how_" + how) if how in _HOWS else how
            if info and info.detail:
                how = f"{how}: {info.detail}"
            conf = f"{info.confidence:.2f}" if info else "1.00"
            rows.append([visible(deals.mapping[name]), name, f"{spec.zh} / {spec.en}", visible(how), conf,
                         _unit(deals.units.get(name))])
    if rows:
        headers = [_zh_en("columns." + k) for k in ("header", "field", "meaning", "how", "sure", "unit")]
        out.append(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))
    else:
        out.append(_zh_en("columns.none_mapped", " / "))
    out.append("")

    if deals.unmapped:
        shown = [visible(h) + (f" ({visible(deals.unmapped_why[h])})" if deals.unmapped_why.get(h) else "")
                 for h in deals.unmapped]
        out.append(f"{_zh_en('columns.unmapped')}: {', '.join(shown)}")
    else:
        out.append(f"{_zh_en('columns.unmapped')}: -")
    for what, why in deals.undecided:
        out.append(f"  {_zh_en('columns.not_decided')}: {visible(what)} — {visible(why)}")
    missing = f["fields_missing"]
    out.append(f"{_zh_en('columns.not_supplied')}: {', '.join(missing) if missing else '-'}")
    if deals.unmapped and missing:
        out.append(f"  {_zh_en('columns.to_map')}")
    out.append("")
    out.extend(_ladder_lines(deals, f))
    out.extend(_date_lines(deals))
    out.append("")

    problems = deals.problems
    counts = [
        [_zh_en("columns.deal_rows"), len(deals.frame)],
        [_zh_en("columns.total_rows"), _count_rows(deals.skipped_total_rows)],
        [_zh_en("columns.hint_rows"), _count_rows(deals.skipped_hint_rows)],
        [_zh_en("columns.blank_rows"), deals.dropped_blank_rows],
        [_zh_en("columns.unreadable"), len(problems)],
    ]
    out.append(tabulate(counts, tablefmt="plain"))
    if len(problems):
        by_field = problems.groupby("column", sort=False).size()
        out.append("  " + ", ".join(f"{visible(col)}: {n}" for col, n in by_field.items()))
        first = problems.head(5)
        for row, col, raw in zip(first["row"], first["column"], first["raw"]):
            out.append(f"    {_zh_en('columns.row')} {row}, {visible(col)}: {visible(raw)}")
    if skipped is not None:
        out.append("")
        out.extend(visible(line) for line in render_skipped(skipped))
    for note in deals.notes:
        out.append(f"{_zh_en('columns.note')}: {visible(note)}")
    return "\n".join(out)


def _ladder_lines(deals, f: dict) -> list[str]:
    out: list[str] = []
    order = deals.stage_order
    if order is None:
        out.append(f"{_zh_en('columns.ladder')}: - ({_zh_en('columns.no_stage_column')})")
    elif order.how in ("config", "ladder"):
        how = _zh_en("columns.set_in_config") if order.how == "config" else (
            f"{_zh_en('columns.covers')} {order.covered}/{order.distinct} {_zh_en('columns.open_values')}")
        out.append(f"{_zh_en('columns.ladder')}: {visible(order.name)} ({visible(order.label)}) — {how}")
        out.append(f"  {_zh_en('columns.open_stages')}: {' → '.join(visible(s) for s in order.open)}")
    elif order.how in ("probability", "numbered"):
        out.append(f"{_zh_en('columns.ladder')}: {_zh_en('columns.by_' + order.how)} ({_zh_en('columns.check_it')})")
        out.append(f"  {_zh_en('columns.open_stages')}: {' → '.join(visible(s) for s in order.open)}")
    elif order.distinct:
        out.append(f"{_zh_en('columns.ladder')}: {_zh_en('columns.not_detected')} — {_zh_en('columns.order_unknown')}; "
                   f"{_zh_en('columns.order_rules_skipped')}")
    else:
        out.append(f"{_zh_en('columns.ladder')}: {_zh_en('columns.not_detected')} ({_zh_en('columns.only_closed')})")
    if order is not None:
        for key, words in (("columns.won", order.won), ("columns.lost", order.lost), ("columns.on_hold", order.on_hold)):
            if words:
                out.append(f"  {_zh_en(key)}: {', '.join(visible(w) for w in words)}")
        if order.status_from:
            differ = (f" ({order.status_disagrees} {_zh_en('columns.disagree')})" if order.status_disagrees else "")
            out.append(f"  {_zh_en('columns.status_from')}: {visible(order.status_from)}{differ}")
    unknown = deals.unknown_stages
    if unknown:
        items = sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = ", ".join(f"{visible(v)} ({n})" for v, n in items[:10]) + (", ..." if len(items) > 10 else "")
        out.append(f"  {_zh_en('columns.unknown_stages')} ({len(unknown)}): {shown}")
    if "stage" in deals.mapping and len(deals.frame):
        d = f["deals"]
        out.append(f"  {_zh_en('columns.statuses')}: {d['open']}/{d['won']}/{d['lost']}"
                   + (f" ({_zh_en('columns.on_hold_count')} {d['on_hold']})" if d["on_hold"] else ""))
    return out


def _date_lines(deals) -> list[str]:
    if not deals.dates:
        return []
    parts = []
    for name, r in deals.dates.items():
        header = visible(deals.mapping.get(name, name))
        if r.order == "ymd":
            text = _zh_en("columns.year_first")
        elif r.order == "mixed":
            text = f"{_zh_en('columns.by_separator')}: {visible(r.evidence)}"
        elif not r.settled:
            as_read = f"{_zh_en('columns.read_as')} {visible(r.evidence)}" if r.how == "export" else r.how
            text = f"{r.order} {_zh_en('columns.not_settled')} ({as_read})"
        else:
            text = f"{r.order} ({_zh_en('columns.how_config') if r.how == 'config' else visible(r.evidence)})"
        if r.no_date:
            text += f", {r.no_date}× 9999 = {_zh_en('columns.no_date')}"
        parts.append(f"  {name} '{header}': {text}")
    return [f"{_zh_en('columns.dates')} ({_zh_en('columns.day_month')}):", *parts]


def _count_rows(rows: list[int]) -> str:
    if not rows:
        return "0"
    shown = ", ".join(str(r) for r in rows[:10]) + (", ..." if len(rows) > 10 else "")
    return f"{len(rows)} ({_zh_en('columns.rows')} {shown})"


def _unit(mult: float | None) -> str:
    if mult is None:
        return ""
    if mult == 1:
        return "×1"
    names = {1e3: "columns.thousand", 1e4: "columns.ten_thousand", 1e6: "columns.million", 1e8: "columns.hundred_million"}
    return f"×{mult:,.0f} ({_zh_en(names[mult])})" if mult in names else f"×{mult:g}"
