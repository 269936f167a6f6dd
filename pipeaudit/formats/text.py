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

from pipeaudit.arrowtext import arrow_of
from pipeaudit.errors import UNSAFE_PATTERN, visible
from pipeaudit.i18n import Lang, t
from pipeaudit.model import SEVERITIES
from pipeaudit.result import AuditResult

_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")
_FLUSH_EVERY = 5000

_ANSI = {"error": "\x1b[1;31m", "warning": "\x1b[33m", "info": "\x1b[36m", "head": "\x1b[1m", "dim": "\x1b[2m"}
_RESET = "\x1b[0m"


def counts_line(counts: dict[str, int], lang: Lang) -> str:
    """'2 errors, 1 warning, 0 info' / '2 个错误，1 个警告，0 条提示'."""
    return t(
        "text.counts", lang,
        errors=t("text.errors", lang, n=int(counts["error"])),
        warnings=t("text.warnings", lang, n=int(counts["warning"])),
        infos=t("text.infos", lang, n=int(counts["info"])),
    )


def coverage_line(coverage: dict, lang: Lang) -> str:
    """'14 of 26 rules ran; 12 skipped: 9 for lack of columns, 3 for lack of last week (--baseline/--history)
    (see the notes)'."""
    line = t("coverage.ran", lang, ran=int(coverage["ran"]), rules=int(coverage["rules"]))
    if not coverage["skipped"]:
        return line
    reasons = t("coverage.sep", lang).join(
        t("coverage." + k, lang, n=int(n)) for k, n in coverage["skipped_because"].items() if n
    )
    return line + t("coverage.skipped", lang, skipped=int(coverage["skipped"]), reasons=reasons)


def summary_line(summary: dict, lang: Lang) -> str:
    """The closing line, e.g. '12 errors, 30 warnings, 5 info in 80 deals (60 open) — 3 muted'."""
    line = t("text.summary", lang, counts=counts_line(summary["findings"], lang), n=int(summary["deals"]),
             open=int(summary["open_deals"]))
    return line + (t("text.muted", lang, n=int(summary["muted"])) if summary["muted"] else "")


def _clean(value: object) -> str:
    """One line of text from the data: line breaks folded, unsafe characters made visible."""
    return "" if value is None else visible(_BREAKS.sub(" ", str(value)))


def write(result: AuditResult, stream: TextIO, *, color: bool = False) -> None:
    from pipeaudit.findings import notes, ordered, summarize

    lang = result.lang

    def paint(text: str, style: str) -> str:
        return f"{_ANSI[style]}{text}{_RESET}" if color else text

    summary = summarize(result)
    findings = ordered(result.findings)
    cols = _clean_columns(findings)
    sev_label = {s: paint(t("severity." + s, lang), s) for s in SEVERITIES}
    ask = t("words.ask", lang)
    rep_level, export_level = t("text.rep_level", lang), t("text.export_level", lang)
    out: list[str] = []
    current_owner: object = object()
    current_deal: object = object()
    last_row, row_text = None, ""  # "第 12 行": built once per deal, not once per finding
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
            out.append(paint(t("text.whole_export", lang), "head") if group is _WHOLE_EXPORT
                       else _rep_heading(owner_key, summary, lang, paint))
        if row is not None and row != last_row:
            last_row, row_text = row, t("text.row", lang, row=str(row))
        if deal_index is not None and deal_index != current_deal:
            current_deal = deal_index
            out.append("  " + _deal_heading(deal, deal_id, row_text if row is not None else None, stage, lang))
        indent = "    " if deal_index is not None else "  "
        where = row_text if row is not None else rep_level if owner_key else export_level
        sev = sev_label.get(severity) or paint(severity or "", "head")
        out.append(f"{indent}{where}  {sev}  {rule or ''}  {message or ''}")
        if question:
            for line in question.split("\n"):
                if line.strip():
                    out.append(f"{indent}    {paint(ask + line.strip(), 'dim')}")
        if len(out) >= _FLUSH_EVERY:
            stream.write("\n".join(out) + "\n")
            out.clear()
    if not len(findings):
        out.append(t("text.no_findings", lang))
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
        out.append(t("text.notes", lang))
        out.extend(f"  - {_clean(n)}" for n in extra)
    out.append("")
    out.append(coverage_line(summary["coverage"], lang))
    out.append(paint(summary_line(summary, lang), "head"))
    stream.write("\n".join(out) + "\n")


NAMED_IN_TEXT = 10  # deals named per kind in the text output; JSON carries every named deal


#: The kinds of named change, in the order the text lists them; each is named by changes.<kind>.
CHANGE_KINDS = ("new", "gone", "won", "lost", "slipped", "advanced", "regressed")


def changes_lines(named: dict, lang: Lang) -> list[str]:
    """The week's named changes (weekly.baseline.named_changes), a line per kind that happened and
    one per deal, largest first: the same lists the report and JSON show."""
    lines = [t("changes.heading", lang)]
    for kind in CHANGE_KINDS:
        label = t("changes." + kind, lang)
        entry = named.get(kind) or {}
        count = int(entry.get("count") or 0)
        if not count:
            continue
        lines.append(f"  {label}: {count} · {float(entry.get('amount') or 0):,.0f}")
        deals = entry.get("deals") or []
        for d in deals[:NAMED_IN_TEXT]:
            name = _clean(d.get("deal") or d.get("deal_id") or t("text.no_deal", lang))
            owner = _clean(d.get("owner") or t("words.no_owner", lang))
            detail = [owner, f"{float(d.get('amount') or 0):,.0f}"]
            if kind == "slipped":
                detail.append(f"{_clean(d.get('prev_close_date'))} → {_clean(d.get('close_date'))} ({t('changes.days', lang, days=str(d.get('days')))})")
            elif kind in ("advanced", "regressed"):
                detail.append(f"{_clean(d.get('prev_stage'))} → {_clean(d.get('stage'))}")
            lines.append(f"    {name} ({', '.join(detail)})")
        if count > min(len(deals), NAMED_IN_TEXT):
            lines.append(f"    {t('changes.more', lang, n=count - min(len(deals), NAMED_IN_TEXT))}")
    if len(lines) == 1:
        lines.append("  —")
    return lines


_WHOLE_EXPORT = object()
_COLUMNS = ("rule", "severity", "row", "deal_id", "deal", "owner", "stage", "message", "question")


def _clean_columns(findings) -> dict[str, list]:
    """Text columns as lists, messages on one line and questions split on LF, unsafe characters made
    visible: one Arrow (RE2) pass per column finds the values that need it, usually none."""
    import pyarrow.compute as pc

    from pipeaudit.findings import column_lists

    cols = column_lists(findings, ("row", "deal_index"))
    for name in _COLUMNS:
        if name == "row":
            continue
        if name not in findings.columns:
            cols[name] = [None] * len(findings)
            continue
        arr = arrow_of(findings[name].astype("str").array)
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


def _rep_heading(owner: str, summary: dict, lang: Lang, paint) -> str:
    name = _clean(owner) or t("words.no_owner", lang)
    entry = summary["by_owner"].get(owner)
    if entry is None:
        return paint(name, "head")
    deals = t("text.rep_deals", lang, n=int(entry["deals"]), open=int(entry["open_deals"]))
    return paint(t("text.rep_heading", lang, owner=name, deals=deals, counts=counts_line(entry, lang)), "head")


def _deal_heading(deal: object, deal_id: object, row: str | None, stage: object, lang: Lang) -> str:
    label = deal or t("text.no_deal", lang)
    if deal_id:
        label += f" [{deal_id}]"
    parts = [label]
    if row is not None:
        parts.append(row)
    if stage:
        parts.append(stage)
    return " · ".join(parts)
