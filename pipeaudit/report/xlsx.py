"""The workbook: a summary sheet, then one sheet per rep, streamed by report.sheetml.

Nothing from the data may become a formula: sheetml has no way to write one, stores all text as
shared strings and quote-prefixes text that starts like a formula (see its docstring).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

MAX_WIDTH = 60
WIDTH_SAMPLE = 100  # rows looked at when sizing columns
FILLS = {"error": "F8C9C4", "warning": "FCE3B0", "info": "CFE0F5"}
HEAD_FILL = "E8ECF0"


def _width(value: Any) -> int:
    if type(value) is str:
        end = value.find("\n")
        s = value if end < 0 else value[:end]
    elif value is None:
        return 0
    elif isinstance(value, (date, datetime)):
        return 10
    elif isinstance(value, float):
        return len(f"{value:,.0f}")
    else:
        s = str(value).split("\n", 1)[0]
    return (len(s) + len(s.encode("utf-8"))) // 2  # CJK (3 bytes in UTF-8) counts as two columns


def _widths(labels: list[str], sample: list[list[Any]]) -> list[int]:
    """Column widths from the header and the first rows: wide enough to read, capped for long text."""
    out = []
    sample = sample[:WIDTH_SAMPLE]
    for i, label in enumerate(labels):
        # stages, classes, severities repeat a lot; by type too, as True == 1 but is wider
        values = {(type(r[i]), r[i]) for r in sample if i < len(r)}
        w = max([_width(label)] + [_width(v) for _, v in values])
        out.append(min(MAX_WIDTH, max(8, w + 2)))
    return out


def _filter_ref(columns: int, n_rows: int) -> str:
    from pipeaudit.report.sheetml import column_letter

    return f"A1:{column_letter(columns - 1)}{max(1, n_rows) + 1}"


REP_KINDS = ("int", "text", "text", "text", "text", "text", "amount", "date", "float", "text", "text", "text",
             "text", "text", "text", "text", "text")
SEV_COL = 12


def _rep_rows(rep: dict, sev_label: dict) -> list[tuple[list[Any], str | None]]:
    """One row per flagged deal (its findings joined, worst severity shown), then unflagged A/B deals,
    then rep-level findings: a row per deal keeps big exports fast to write and easy to filter."""
    rows = []
    stage_texts: dict[tuple, str] = {}  # one per EDCBA stage: its deals share the question list
    for d in rep["flagged"] + [d for d in rep["ab"] if not d["findings"]]:
        fs = d["findings"]
        worst = fs[0]["severity"] if fs else None  # findings are sorted most severe first
        get = d.get
        stage_qs = get("stage_questions")
        if stage_qs:
            key = (d["edcba_name"], id(stage_qs))
            stage_text = stage_texts.get(key)
            if stage_text is None:
                stage_text = stage_texts[key] = "\n".join([d["edcba_name"] or ""] + stage_qs)
        else:
            stage_text = None
        rows.append(([
            get("row"), get("deal_id"), get("deal"), get("account"), get("stage"), get("deal_class"),
            get("amount"), get("close_date"), get("weeks_in_class"), get("next_step"), get("insider"),
            get("decision_maker"),
            sev_label.get(worst, worst) if worst else None,
            "\n".join([x["rule"] for x in fs]) or None,
            "\n".join([x["message"] for x in fs]) or None,
            "\n".join([q for x in fs for q in x["questions"]]) or None,
            stage_text,
        ], worst))
    for x in rep["rep_findings"]:
        rows.append(([None] * 12 + [sev_label.get(x["severity"], x["severity"]), x["rule"], x["message"],
                                    x.get("question"), None], x["severity"]))
    return rows


def write_workbook(model: dict, path: Path) -> Path:
    """Write report.xlsx atomically (a temporary file beside `path`, renamed into place)."""
    from pipeaudit.outputs import atomic_writer
    from pipeaudit.report.naming import sheet_names
    from pipeaudit.report.sheetml import Workbook

    L = model["L"]
    sev_label = {s: L.get(f"sev_{s}", s) for s in ("error", "warning", "info")}
    summary_title = L["summary_sheet"][:31]
    titles = sheet_names([r["owner"] for r in model["reps"]], reserved={summary_title}, blank=L["no_owner"])

    with atomic_writer(path, "wb", encoding=None) as fh, Workbook(fh) as book:
        head = book.styles.get(fill=HEAD_FILL, bold=True)
        fill = {k: book.styles.get(fill=v) for k, v in FILLS.items()}

        # ---- summary sheet first
        labels = [L["rep"], L["sheet"], L["open_deals"], L["open_amount"], L["weighted_amount"], L["a_count"],
                  L["b_count"], L["errors"], L["warnings"], L["infos"]]
        kinds = ["text", "text", "int", "amount", "amount", "int", "int", "int", "int", "int"]
        data = [[r["display"], titles[r["owner"]], r["open_deals"], r["open_amount"], r["weighted"], r["a"], r["b"],
                 r["error"], r["warning"], r["info"]] for r in model["reps"]]
        with book.sheet(summary_title, _widths(labels, data), autofilter=_filter_ref(len(labels), len(data))) as s:
            s.row(labels, styles=[head] * len(labels))
            for row in data:
                s.row(row, kinds, [None] * 7 + [fill["error"] if row[7] else None,
                                                fill["warning"] if row[8] else None])
            t = model["totals"]
            s.row([L["total"], None, t["open_deals"], t["open_amount"], t["weighted"], t["a"], t["b"], t["error"],
                   t["warning"], t["info"]], kinds)
            if model["top_rules"]:
                s.row([])
                s.row([L["top_rules"]])
                s.row([L["rule"], L["count"], L["severity"]])
                for r in model["top_rules"]:
                    s.row([r["rule"], r["count"], sev_label.get(r["severity"], r["severity"])], ["text", "int", "text"],
                          [None, None, fill.get(r["severity"])])
            if model["team_funnel"]:
                s.row([])
                s.row([L["team_funnel"]])
                s.row([L["stage"], L["deals"], L["amount"]])
                for f in model["team_funnel"]:
                    s.row([f["stage"], f["deals"], f["amount"]], ["text", "int", "amount"])

        # ---- one sheet per rep
        labels = [L["row"], L["deal_id"], L["deal"], L["account"], L["stage"], L["deal_class"], L["amount"],
                  L["close_date"], L["weeks_in_class"], L["next_step"], L["insider"], L["decision_maker"],
                  L["severity"], L["rule"], L["message"], L["rule_questions"], L["stage_questions"]]
        sev_styles = {sev: [None] * SEV_COL + [fill[sev]] for sev in FILLS}
        for rep in model["reps"]:
            rows = _rep_rows(rep, sev_label)
            widths = _widths(labels, [v for v, _ in rows])
            with book.sheet(titles[rep["owner"]], widths, autofilter=_filter_ref(len(labels), len(rows))) as r:
                r.row(labels, styles=[head] * len(labels))
                for values, sev in rows:
                    r.row(values, REP_KINDS, sev_styles.get(sev))
                r.row([])
                r.row([L["next_week_plan"]])
                r.row([L["deal"], L["action"], L["date"], L["help"]])
                for _ in range(6):
                    r.row([])
    return path
