"""The workbook: a summary sheet, then one sheet per rep, written with openpyxl in write-only mode.

Nothing from the data may become a formula, so every text cell is typed as a string explicitly
(openpyxl would otherwise turn "=..." into a formula) and marked quote-prefixed for Excel.
"""

from __future__ import annotations

import contextlib
import os
from copy import copy
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pipeaudit.errors import PipeauditError

MAX_WIDTH = 60
WIDTH_SAMPLE = 100  # rows looked at when sizing columns
FILLS = {"error": "F8C9C4", "warning": "FCE3B0", "info": "CFE0F5"}
_FORMULA_LEADS = ("=", "+", "-", "@")
_NUMBER_FORMATS = {"amount": "#,##0", "int": "0", "float": "0.0"}


def _ensure_safe_xml() -> None:
    try:
        from pipeaudit.read.safety import ensure_defusedxml
    except ImportError:
        return
    ensure_defusedxml()


def _width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, (date, datetime)):
        return 10
    if isinstance(value, float):
        return len(f"{value:,.0f}")
    s = str(value).split("\n", 1)[0]
    return (len(s) + len(s.encode("utf-8"))) // 2  # CJK (3 bytes in UTF-8) counts as two columns


class _Sheet:
    """A write-only sheet plus the styles it needs; `cell` does all the typing in one place."""

    def __init__(self, wb, title: str, styles: dict):
        self.ws = wb.create_sheet(title=title)
        self.styles = styles

    def cell(self, value: Any, kind: str = "text", severity: str | None = None):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        if value is None and severity is None:
            return None
        fmt = wrap = quote = None
        if kind == "date" and isinstance(value, (date, datetime)):
            fmt = "yyyy-mm-dd"
        elif kind in ("amount", "int", "float") and isinstance(value, (int, float)) and value == value:
            fmt = _NUMBER_FORMATS[kind]
        elif value is None or (isinstance(value, float) and value != value):
            value = None
        else:
            value = ILLEGAL_CHARACTERS_RE.sub("", str(value))[:32000]
            quote = value.startswith(_FORMULA_LEADS) or None
            wrap = "\n" in value or None
        c = WriteOnlyCell(self.ws, value=value)
        if isinstance(value, str):
            c.data_type = "s"  # never "f", whatever the text starts with
        if fmt or wrap or quote or severity in FILLS:
            c._style = copy(self._style(fmt, wrap, quote, severity if severity in FILLS else None))
        return c

    def _style(self, fmt, wrap, quote, severity):
        """Styles are looked up once per combination: setting them cell by cell hashes every time."""
        from openpyxl.cell import WriteOnlyCell

        key = (fmt, wrap, quote, severity)
        cached = self.styles["_cache"].get(key)
        if cached is None:
            c = WriteOnlyCell(self.ws)
            if fmt:
                c.number_format = fmt
            if wrap:
                c.alignment = self.styles["wrap"]
            if quote:
                c.quotePrefix = True
            if severity:
                c.fill = self.styles[severity]
            cached = self.styles["_cache"][key] = copy(c._style)
        return cached

    def header(self, labels: list[str]):
        from openpyxl.cell import WriteOnlyCell

        row = []
        for label in labels:
            c = WriteOnlyCell(self.ws, value=label)
            c.data_type = "s"
            c.font, c.fill = self.styles["bold"], self.styles["head"]
            row.append(c)
        self.ws.append(row)

    def layout(self, labels: list[str], sample: list[list[Any]], n_rows: int):
        """Widths, frozen header and filter must be set before rows are streamed in write-only mode."""
        from openpyxl.utils import get_column_letter

        for i, label in enumerate(labels):
            w = max([_width(label)] + [_width(r[i]) for r in sample[:WIDTH_SAMPLE] if i < len(r)])
            self.ws.column_dimensions[get_column_letter(i + 1)].width = min(MAX_WIDTH, max(8, w + 2))
        self.ws.freeze_panes = "A2"
        self.ws.auto_filter.ref = f"A1:{get_column_letter(len(labels))}{max(1, n_rows) + 1}"


def _styles() -> dict:
    from openpyxl.styles import Alignment, Font, PatternFill

    out = {k: PatternFill("solid", fgColor=v) for k, v in FILLS.items()}
    out["head"] = PatternFill("solid", fgColor="E8ECF0")
    out["bold"] = Font(bold=True)
    out["wrap"] = Alignment(wrap_text=True, vertical="top")
    out["_cache"] = {}
    return out


REP_KINDS = ("int", "text", "text", "text", "text", "text", "amount", "date", "float", "text", "text", "text",
             "text", "text", "text", "text", "text")
SEV_COL = 12


def _rep_rows(rep: dict, sev_label: dict) -> list[tuple[list[Any], str | None]]:
    """One row per flagged deal (its findings joined, worst severity shown), then unflagged A/B deals,
    then rep-level findings: a row per deal keeps big exports fast to write and easy to filter."""
    rows = []
    for d in rep["flagged"] + [d for d in rep["ab"] if not d["findings"]]:
        fs = d["findings"]
        worst = fs[0]["severity"] if fs else None  # findings are sorted most severe first
        rows.append(([
            d.get("row"), d.get("deal_id"), d.get("deal"), d.get("account"), d.get("stage"), d.get("deal_class"),
            d.get("amount"), d.get("close_date"), d.get("weeks_in_class"), d.get("next_step"), d.get("insider"),
            d.get("decision_maker"),
            sev_label.get(worst, worst) if worst else None,
            "\n".join(x["rule"] for x in fs) or None,
            "\n".join(x["message"] for x in fs) or None,
            "\n".join(q for x in fs for q in x["questions"]) or None,
            ("\n".join([d["edcba_name"] or ""] + d["stage_questions"]) if d.get("stage_questions") else None),
        ], worst))
    for x in rep["rep_findings"]:
        rows.append(([None] * 12 + [sev_label.get(x["severity"], x["severity"]), x["rule"], x["message"],
                                    x.get("question"), None], x["severity"]))
    return rows


def write_workbook(model: dict, path: Path) -> Path:
    """Write report.xlsx to a temporary file beside `path`, then rename it into place."""
    _ensure_safe_xml()
    from openpyxl import Workbook

    from pipeaudit.report.naming import sheet_names

    L = model["L"]
    sev_label = {s: L.get(f"sev_{s}", s) for s in ("error", "warning", "info")}
    wb = Workbook(write_only=True)
    styles = _styles()
    summary_title = L["summary_sheet"][:31]
    titles = sheet_names([r["owner"] for r in model["reps"]], reserved={summary_title}, blank=L["no_owner"])

    # ---- summary sheet first
    s = _Sheet(wb, summary_title, styles)
    labels = [L["rep"], L["sheet"], L["open_deals"], L["open_amount"], L["weighted_amount"], L["a_count"],
              L["b_count"], L["errors"], L["warnings"], L["infos"]]
    kinds = ["text", "text", "int", "amount", "amount", "int", "int", "int", "int", "int"]
    data = [[r["display"], titles[r["owner"]], r["open_deals"], r["open_amount"], r["weighted"], r["a"], r["b"],
             r["error"], r["warning"], r["info"]] for r in model["reps"]]
    s.layout(labels, data, len(data))
    s.header(labels)
    for row in data:
        s.ws.append([s.cell(v, k, "error" if i == 7 and v else ("warning" if i == 8 and v else None))
                     for i, (v, k) in enumerate(zip(row, kinds))])
    t = model["totals"]
    s.ws.append([s.cell(L["total"]), None, s.cell(t["open_deals"], "int"), s.cell(t["open_amount"], "amount"),
                 s.cell(t["weighted"], "amount"), s.cell(t["a"], "int"), s.cell(t["b"], "int"),
                 s.cell(t["error"], "int"), s.cell(t["warning"], "int"), s.cell(t["info"], "int")])
    if model["top_rules"]:
        s.ws.append([])
        s.ws.append([s.cell(L["top_rules"])])
        s.ws.append([s.cell(L["rule"]), s.cell(L["count"]), s.cell(L["severity"])])
        for r in model["top_rules"]:
            s.ws.append([s.cell(r["rule"]), s.cell(r["count"], "int"),
                         s.cell(sev_label.get(r["severity"], r["severity"]), severity=r["severity"])])
    if model["team_funnel"]:
        s.ws.append([])
        s.ws.append([s.cell(L["team_funnel"])])
        s.ws.append([s.cell(L["stage"]), s.cell(L["deals"]), s.cell(L["amount"])])
        for f in model["team_funnel"]:
            s.ws.append([s.cell(f["stage"]), s.cell(f["deals"], "int"), s.cell(f["amount"], "amount")])

    # ---- one sheet per rep
    labels = [L["row"], L["deal_id"], L["deal"], L["account"], L["stage"], L["deal_class"], L["amount"],
              L["close_date"], L["weeks_in_class"], L["next_step"], L["insider"], L["decision_maker"],
              L["severity"], L["rule"], L["message"], L["rule_questions"], L["stage_questions"]]
    for rep in model["reps"]:
        rows = _rep_rows(rep, sev_label)
        r = _Sheet(wb, titles[rep["owner"]], styles)
        r.layout(labels, [v for v, _ in rows], len(rows))
        r.header(labels)
        cell = r.cell
        for values, sev in rows:
            r.ws.append([cell(v, k, sev if i == SEV_COL else None) for i, (v, k) in enumerate(zip(values, REP_KINDS))])
        r.ws.append([])
        r.ws.append([r.cell(L["next_week_plan"])])
        r.ws.append([r.cell(L["deal"]), r.cell(L["action"]), r.cell(L["date"]), r.cell(L["help"])])
        for _ in range(6):
            r.ws.append([None, None, None, None])

    folder = path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        os.close(fd)
    except OSError as exc:
        raise PipeauditError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
