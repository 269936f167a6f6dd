"""Human-readable output: findings grouped by rep, then by deal, each with the question to ask.

Fixed words follow the run's language (result.lang). Control, bidi and line/paragraph-separator
characters from the data (and rule texts) are shown as visible escapes (errors.visible, as the
terminal module does), so an export cannot inject terminal escape sequences or reorder a heading.
Colour is plain ANSI and only used when the caller says so (a terminal without NO_COLOR); files
and pipes never get escape codes.
"""

from __future__ import annotations

import re
from typing import TextIO

from pipeaudit.errors import UNSAFE_PATTERN, visible
from pipeaudit.result import AuditResult

_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")
_FLUSH_EVERY = 5000

WORDS = {
    "en": {
        "no_owner": "(no owner)",
        "no_deal": "(unnamed deal)",
        "row": "row {}",
        "rep_row": "rep",
        "export_row": "export",
        "whole": "Whole export",
        "q": "? ",
        "severity": {"error": "error", "warning": "warning", "info": "info"},
        "notes": "Notes:",
        "none": "No findings.",
        "deals": "{deals} deal{s} ({open} open)",
        "changes": "Since last week:",
        "kinds": {"new": "new", "gone": "gone from the export", "won": "won", "lost": "lost",
                  "slipped": "close date slipped", "advanced": "moved forward", "regressed": "moved back"},
        "days": "+{} days",
        "more": "… and {} more",
    },
    "zh": {
        "no_owner": "（无负责人）",
        "no_deal": "（未命名商机）",
        "row": "第 {} 行",
        "rep_row": "负责人",
        "export_row": "全局",
        "whole": "整个导出文件",
        "q": "问：",
        "severity": {"error": "错误", "warning": "警告", "info": "提示"},
        "notes": "说明：",
        "none": "没有发现问题。",
        "deals": "{deals} 个商机（{open} 个进行中）",
        "changes": "与上周相比：",
        "kinds": {"new": "新增", "gone": "从导出中消失", "won": "赢单", "lost": "输单",
                  "slipped": "成交日期推迟", "advanced": "阶段前进", "regressed": "阶段倒退"},
        "days": "推迟 {} 天",
        "more": "……另有 {} 个",
    },
}

_ANSI = {"error": "\x1b[1;31m", "warning": "\x1b[33m", "info": "\x1b[36m", "head": "\x1b[1m", "dim": "\x1b[2m"}
_RESET = "\x1b[0m"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 or word == "info" else f"{n} {word}s"


def counts_line(counts: dict[str, int], lang: str) -> str:
    """'2 errors, 1 warning, 0 info' / '2 个错误，1 个警告，0 条提示'."""
    if lang == "zh":
        return f"{counts['error']} 个错误，{counts['warning']} 个警告，{counts['info']} 条提示"
    return ", ".join(_plural(counts[s], s) for s in ("error", "warning", "info"))


_COVERAGE_WORDS = {
    "zh": {"columns": "缺少列", "stage_order": "阶段顺序未知", "last_week": "缺上周数据（--baseline/--history）",
           "history": "缺历史（--history）"},
    "en": {"columns": "for lack of columns", "stage_order": "for lack of a stage order",
           "last_week": "for lack of last week (--baseline/--history)", "history": "for lack of stored weeks (--history)"},
}


def coverage_line(coverage: dict, lang: str) -> str:
    """'14 of 26 rules ran; 12 skipped: 9 for lack of columns, 3 for lack of last week (--baseline/--history)
    (see the notes)'."""
    words = _COVERAGE_WORDS["zh" if lang == "zh" else "en"]
    parts = [f"{n} {words[k]}" if lang != "zh" else f"{words[k]} {n} 条" for k, n in coverage["skipped_because"].items() if n]
    if lang == "zh":
        line = f"{coverage['rules']} 条规则中 {coverage['ran']} 条已运行"
        return line + (f"；跳过 {coverage['skipped']} 条：{'，'.join(parts)}（见说明）" if coverage["skipped"] else "")
    line = f"{coverage['ran']} of {coverage['rules']} rules ran"
    return line + (f"; {coverage['skipped']} skipped: {', '.join(parts)} (see the notes)" if coverage["skipped"] else "")


def summary_line(summary: dict, lang: str) -> str:
    """The closing line, e.g. '12 errors, 30 warnings, 5 info in 80 deals (60 open) — 3 muted'."""
    counts = counts_line(summary["findings"], lang)
    if lang == "zh":
        line = f"{counts}，共 {summary['deals']} 个商机（{summary['open_deals']} 个进行中）"
        return line + (f" — {summary['muted']} 条已屏蔽" if summary["muted"] else "")
    deals = "deal" if summary["deals"] == 1 else "deals"
    line = f"{counts} in {summary['deals']} {deals} ({summary['open_deals']} open)"
    return line + (f" — {summary['muted']} muted" if summary["muted"] else "")


def _clean(value: object) -> str:
    """One line of text from the data: line breaks folded, unsafe characters made visible."""
    return "" if value is None else visible(_BREAKS.sub(" ", str(value)))


def write(result: AuditResult, stream: TextIO, *, color: bool = False) -> None:
    from pipeaudit.findings import notes, ordered, summarize

    lang = result.lang if result.lang in WORDS else "en"
    w = WORDS[lang]

    def paint(text: str, style: str) -> str:
        return f"{_ANSI[style]}{text}{_RESET}" if color else text

    summary = summarize(result)
    findings = ordered(result.findings)
    cols = _clean_columns(findings)
    sev_label = {s: paint(w["severity"][s], s) for s in ("error", "warning", "info")}
    out: list[str] = []
    current_owner: object = object()
    current_deal: object = object()
    first_rep = True
    for rule, severity, row, deal_id, deal, owner, stage, message, question, deal_index in zip(
        *(cols[c] for c in (*_COLUMNS, "deal_index"))
    ):
        owner_key = (owner or "").strip()
        # a finding with neither owner nor deal is about the export itself: a group of its own
        group = owner_key if owner_key or deal_index is not None else _WHOLE_EXPORT
        if group != current_owner:
            current_owner, current_deal = group, object()
            if not first_rep:
                out.append("")
            first_rep = False
            out.append(paint(w["whole"], "head") if group is _WHOLE_EXPORT
                       else _rep_heading(owner_key, summary, w, lang, paint))
        if deal_index is not None and deal_index != current_deal:
            current_deal = deal_index
            out.append("  " + _deal_heading(deal, deal_id, row, stage, w))
        indent = "    " if deal_index is not None else "  "
        where = w["row"].format(row) if row is not None else w["rep_row"] if owner_key else w["export_row"]
        sev = sev_label.get(severity) or paint(severity or "", "head")
        out.append(f"{indent}{where}  {sev}  {rule or ''}  {message or ''}")
        if question:
            for line in question.split("\n"):
                if line.strip():
                    out.append(f"{indent}    {paint(w['q'] + line.strip(), 'dim')}")
        if len(out) >= _FLUSH_EVERY:
            stream.write("\n".join(out) + "\n")
            out.clear()
    if not len(findings):
        out.append(w["none"])
    view = result.extras.get("forecast") if isinstance(result.extras, dict) else None
    if view:
        from pipeaudit.forecast import text_lines

        out.append("")
        out.extend(text_lines(view, lang, _clean))
    changes = result.extras.get("changes") if isinstance(result.extras, dict) else None
    reliable = not isinstance(changes, dict) or (changes.get("baseline") or {}).get("reliable", True)
    if isinstance(changes, dict) and isinstance(changes.get("deals"), dict) and reliable:  # else: the warning said why
        out.append("")
        out.extend(changes_lines(changes["deals"], lang))
    extra = notes(result)
    if extra:
        out.append("")
        out.append(w["notes"])
        out.extend(f"  - {_clean(n)}" for n in extra)
    out.append("")
    out.append(coverage_line(summary["coverage"], lang))
    out.append(paint(summary_line(summary, lang), "head"))
    stream.write("\n".join(out) + "\n")


NAMED_IN_TEXT = 10  # deals named per kind in the text output; JSON carries every named deal


def changes_lines(named: dict, lang: str) -> list[str]:
    """The week's named changes (weekly.baseline.named_changes), a line per kind that happened and
    one per deal, largest first: the same lists the report and JSON show."""
    w = WORDS[lang if lang in WORDS else "en"]
    lines = [w["changes"]]
    for kind, label in w["kinds"].items():
        entry = named.get(kind) or {}
        count = int(entry.get("count") or 0)
        if not count:
            continue
        lines.append(f"  {label}: {count} · {float(entry.get('amount') or 0):,.0f}")
        deals = entry.get("deals") or []
        for d in deals[:NAMED_IN_TEXT]:
            name = _clean(d.get("deal") or d.get("deal_id") or w["no_deal"])
            owner = _clean(d.get("owner") or w["no_owner"])
            detail = [owner, f"{float(d.get('amount') or 0):,.0f}"]
            if kind == "slipped":
                detail.append(f"{_clean(d.get('prev_close_date'))} → {_clean(d.get('close_date'))} ({w['days'].format(d.get('days'))})")
            elif kind in ("advanced", "regressed"):
                detail.append(f"{_clean(d.get('prev_stage'))} → {_clean(d.get('stage'))}")
            lines.append(f"    {name} ({', '.join(detail)})")
        if count > min(len(deals), NAMED_IN_TEXT):
            lines.append(f"    {w['more'].format(count - min(len(deals), NAMED_IN_TEXT))}")
    if len(lines) == 1:
        lines.append("  —")
    return lines


_WHOLE_EXPORT = object()
_COLUMNS = ("rule", "severity", "row", "deal_id", "deal", "owner", "stage", "message", "question")


def _clean_columns(findings) -> dict[str, list]:
    """Text columns as lists, messages on one line and questions split on LF, unsafe characters made
    visible: one Arrow (RE2) pass per column finds the values that need it, usually none."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from pipeaudit.findings import column_lists

    cols = column_lists(findings, ("row", "deal_index"))
    for name in _COLUMNS:
        if name == "row":
            continue
        if name not in findings.columns:
            cols[name] = [None] * len(findings)
            continue
        arr = pa.array(findings[name].astype("str").array)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if name == "question":
            arr = pc.replace_substring_regex(arr, "\r\n?", "\n")
        else:
            arr = pc.replace_substring_regex(arr, "\\s*[\r\n\u2028\u2029]+\\s*", " ")
        values = arr.to_pylist()
        if name == "owner":  # kept as it is to look up the rep's counts; _rep_heading shows it safely
            cols[name] = values
            continue
        unsafe = pc.match_substring_regex(arr, UNSAFE_PATTERN)
        if pc.any(unsafe).as_py():
            keep_lines = name == "question"
            for i in pc.indices_nonzero(unsafe).to_pylist():
                v = values[i]
                values[i] = "\n".join(map(visible, v.split("\n"))) if keep_lines else visible(v)
        cols[name] = values
    return cols


def _rep_heading(owner: str, summary: dict, w: dict, lang: str, paint) -> str:
    name = _clean(owner) or w["no_owner"]
    entry = summary["by_owner"].get(owner)
    if entry is None:
        return paint(name, "head")
    deals = w["deals"].format(deals=entry["deals"], open=entry["open_deals"], s="" if entry["deals"] == 1 else "s")
    sep = "，" if lang == "zh" else ", "
    return paint(f"{name} — {deals}{sep}{counts_line(entry, lang)}", "head")


def _deal_heading(deal: object, deal_id: object, row: object, stage: object, w: dict) -> str:
    label = deal or w["no_deal"]
    if deal_id:
        label += f" [{deal_id}]"
    parts = [label]
    if row is not None:
        parts.append(w["row"].format(row))
    if stage:
        parts.append(stage)
    return " · ".join(parts)
