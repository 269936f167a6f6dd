"""What report.xlsx shows: the summary sheet and each rep's sheet, section by section.

The summary opens with the reps riskiest first (each name a link to the rep's sheet), then the deals
that need the manager, the week's changes (the waterfall, as numbers and as a chart that adds up,
and the deals by name), the rules that fire most, the team funnel with its chart, and the trends.
A rep's sheet opens with a link back and the rep's money at risk, then the deals riskiest first
(findings and at most three questions each), the week's changes, the pre-filled plan and the
appendix of stage checklists. Cells and formats are report.xlsx's (Sheet, Book).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeaudit.report.environment import amount_text
from pipeaudit.report.xlsx import FILLS, HEAD_FILL, MAX_SHEET_DEALS, Book, Sheet


def _in_unit(value: Any, div: float) -> float | None:
    return None if value is None or value != value else float(value) / div


def _head(sheet: Sheet, labels: list[str]) -> int:
    return sheet.write(labels, fill=HEAD_FILL, bold=True)


def _named_rows(sheet: Sheet, groups: list[dict], L: dict, div: float, layout: dict[str, int]) -> None:
    """The week's named changes, a row per deal; `layout` puts each field in a column of the
    sheet's own widths (kind, deal, owner, amount, detail), so long details wrap where there is room."""
    if not groups:
        return
    width = max(layout.values()) + 1

    def row(values: dict[str, Any]) -> tuple[list, list]:
        cells, kinds = [None] * width, ["text"] * width
        for key, col in layout.items():
            cells[col] = values.get(key)
            if key == "amount":
                kinds[col] = "amount"
        return cells, kinds

    head, _ = row({"kind": L["change_kind"], "deal": L["deal"], "owner": L["rep"], "amount": L["amount_head"],
                   "detail": L["detail_head"]})
    _head(sheet, head)
    for g in groups:
        for d in g["deals"]:
            if g["kind"] == "slipped":
                detail = f"{d.get('prev_close_date') or '—'} → {d.get('close_date') or '—'} (+{d.get('days')})"
            elif g["kind"] in ("advanced", "regressed"):
                detail = f"{d.get('prev_stage') or '—'} → {d.get('stage') or '—'}"
            else:
                detail = d.get("stage")
            cells, kinds = row({"kind": L[f"kind_{g['kind']}"], "deal": d.get("deal") or d.get("deal_id"),
                                "owner": d.get("owner") or L["no_owner"], "amount": _in_unit(d.get("amount"), div),
                                "detail": detail})
            sheet.write(cells, kinds)
        if g["more"]:
            cells, _ = row({"kind": L[f"kind_{g['kind']}"], "deal": f"+{g['more']} {L['more_deals']}"})
            sheet.write(cells)


SUMMARY_NAMED = {"kind": 0, "deal": 1, "owner": 2, "amount": 3, "detail": 6}
REP_NAMED = {"deal": 0, "kind": 2, "amount": 3, "detail": 8}
HELPER_COLUMN = 12  # the waterfall chart's helper numbers: right of the printed columns, hidden


def _waterfall(book: Book, sheet: Sheet, model: dict, L: dict, div: float) -> None:
    """The waterfall as rows (item, amount, then the chart's helper columns: base, total, up,
    down) and a stacked column chart whose invisible base makes each change float where the
    previous one ended: it adds up because the rows do."""
    from pipeaudit.report.changes import waterfall_steps

    steps = waterfall_steps(model.get("changes_raw"), L)
    if not steps:
        return
    sheet.title(L["waterfall"])
    _head(sheet, [L["change_kind"], L["amount_head"]])
    first = sheet.row
    pad = [None] * (HELPER_COLUMN - 2)
    running = 0.0
    for s in steps:
        value = s["value"] / div
        if s["total"]:
            running = value
            helpers = [0.0, value, 0.0, 0.0]
        else:
            after = running + s["sign"] * value
            helpers = [min(running, after), 0.0, value if s["sign"] > 0 else 0.0, value if s["sign"] < 0 else 0.0]
            running = after
        sheet.write([s["label"], value if s["total"] else s["sign"] * value, *pad, *helpers],
                    ["text", "amount", *["text"] * len(pad), *["amount"] * 4])
    last = sheet.row - 1
    ws_name = sheet.ws.get_name()
    chart = book.wb.add_chart({"type": "column", "subtype": "stacked"})
    colours = (None, "#1F5F99", "#2E7D32", "#C62828")  # base (invisible), totals, up, down
    for i, colour in enumerate(colours):
        col = HELPER_COLUMN + i
        series = {"categories": [ws_name, first, 0, last, 0], "values": [ws_name, first, col, last, col], "gap": 40}
        series.update({"fill": {"none": True}, "border": {"none": True}} if colour is None else {"fill": {"color": colour}})
        chart.add_series(series)
    chart.set_title({"name": L["waterfall"]})
    chart.set_legend({"none": True})
    chart.show_hidden_data()  # its numbers sit in hidden columns
    chart.set_size({"width": 520, "height": 260})
    sheet.ws.insert_chart(first - 2, 3, chart)
    sheet.gap(max(0, 13 - (last - first)))  # room under the chart before the next block


def _trend_block(book: Book, sheet: Sheet, weeks: list[str], series: dict | None, L: dict, div: float,
                 at_col: int) -> None:
    if not series or len(weeks) < 2:
        return
    keys = [("open_amount", "tr_open_amount", "amount"), ("a", "tr_a", "int"), ("b", "tr_b", "int"),
            ("errors", "tr_errors", "int"), ("slips", "tr_slips", "int")]
    sheet.title(L["trends"])
    _head(sheet, [L["date"], *(L[label] for _, label, _ in keys)])
    first = sheet.row
    for i, week in enumerate(weeks):
        row = [week]
        for key, _, kind in keys:
            v = (series.get(key) or [None] * len(weeks))[i]
            row.append(_in_unit(v, div) if kind == "amount" else v)
        sheet.write(row, ["text", *(kind for _, _, kind in keys)])
    last = sheet.row - 1
    name = sheet.ws.get_name()
    amount = book.wb.add_chart({"type": "line"})
    amount.add_series({"name": L["tr_open_amount"], "categories": [name, first, 0, last, 0],
                       "values": [name, first, 1, last, 1], "marker": {"type": "circle"}})
    amount.set_title({"name": L["tr_open_amount"]})
    amount.set_legend({"none": True})
    amount.set_size({"width": 380, "height": 220})
    sheet.ws.insert_chart(first - 2, at_col, amount)
    counts = book.wb.add_chart({"type": "line"})
    for col in (2, 3, 4, 5):
        counts.add_series({"name": [name, first - 1, col], "categories": [name, first, 0, last, 0],
                           "values": [name, first, col, last, col], "marker": {"type": "circle"}})
    counts.set_title({"name": f"{L['tr_a']} · {L['tr_b']} · {L['tr_errors']} · {L['tr_slips']}"})
    counts.set_legend({"position": "bottom"})
    counts.set_size({"width": 380, "height": 220})
    sheet.ws.insert_chart(first - 2, at_col + 5, counts)


def summary_sheet(book: Book, model: dict, title: str, titles: dict[str, str]) -> None:
    L, div, t = model["L"], model["unit_div"], model["totals"]
    sev = {s: L.get(f"sev_{s}", s) for s in ("error", "warning", "info")}
    widths = [16.0, 28.0, 12.0, 14.0, 14.0, 12.0, 30.0, 10.0, 10.0, 10.0, 10.0]
    sheet = book.sheet(title, widths, header_rows=(1, 1))
    ws = sheet.ws
    sheet.note(f"{L['title_summary']} · {L['as_of']} {model['as_of']} · {L['at_risk_head']}:"
               f" {amount_text(t['at_risk'], div)}", bold=True)
    ws.set_column(HELPER_COLUMN, HELPER_COLUMN + 3, None, None, {"hidden": True})
    labels = [L["rep"], L["risk_head"], L["at_risk_head"], L["open_deals"], L["open_amount_head"],
              L["weighted_amount_head"], L["a_count"], L["b_count"], L["errors"], L["warnings"], L["infos"]]
    _head(sheet, labels)
    ws.freeze_panes(2, 1)
    kinds = ["text", "amount", "amount", "int", "amount", "amount", "int", "int", "int", "int", "int"]
    for r in model["reps"]:
        fills = {8: FILLS["error"]} if r["error"] else {}
        if r["warning"]:
            fills[9] = FILLS["warning"]
        sheet.write([r["display"], _in_unit(r["risk"], div), _in_unit(r["at_risk"], div), r["open_deals"],
                     _in_unit(r["open_amount"], div), _in_unit(r["weighted"], div), r["a"], r["b"], r["error"],
                     r["warning"], r["info"]], [f"link:{titles[r['owner']]}", *kinds[1:]], fills=fills)
    if model["reps"]:
        ws.autofilter(1, 0, sheet.row - 1, len(labels) - 1)
    sheet.write([L["total"], _in_unit(t["risk"], div), _in_unit(t["at_risk"], div), t["open_deals"],
                 _in_unit(t["open_amount"], div), _in_unit(t["weighted"], div), t["a"], t["b"], t["error"], t["warning"],
                 t["info"]], kinds, bold=True)

    sheet.gap()
    sheet.title(L["help_needed"])
    if model["help_deals"]:
        more = model.get("help_more", 0)
        _head(sheet, [L["rep"], L["deal"], L["deal_class"], L["stage"], L["amount_head"], L["close_date"], L["findings"]])
        for d in model["help_deals"]:
            owner = d["owner_display"] if "owner_display" in d else d["owner"]
            link = f"link:{titles[d['owner']]}" if d["owner"] in titles else "text"
            sheet.write([owner, d["deal"], d["class_label"], d["stage"], _in_unit(d["amount"], div), d["close_date"],
                         "\n".join(d["rule_titles"])], [link, "text", "text", "text", "amount", "date", "text"])
        if more:
            sheet.note(f"+{more} {L['more_deals']}")
    else:
        sheet.note(L["none"])

    sheet.gap()
    sheet.title(L["changes"])
    if model.get("changes_raw"):
        _waterfall(book, sheet, model, L, div)
        sheet.gap()
        sheet.title(L["named_changes"])
        _named_rows(sheet, model.get("named") or [], L, div, SUMMARY_NAMED)
    else:
        sheet.note(model["changes_hint"])

    if model["top_rules"]:
        sheet.gap()
        sheet.title(L["top_rules"])
        _head(sheet, [L["rule"], L["rule_id"], L["count"], L["severity"]])
        for r in model["top_rules"]:
            sheet.write([r["title"], r["rule"], r["count"], sev.get(r["severity"], r["severity"])],
                        ["text", "text", "int", "text"], fills={3: FILLS.get(r["severity"])} if r["severity"] in FILLS else None)

    if model["team_funnel"]:
        sheet.gap()
        sheet.title(L["team_funnel"])
        _head(sheet, [L["stage"], L["deals"], L["amount_head"]])
        first = sheet.row
        for f in model["team_funnel"]:
            sheet.write([f["stage"], f["deals"], _in_unit(f["amount"], div)], ["text", "int", "amount"])
        last = sheet.row - 1
        chart = book.wb.add_chart({"type": "bar"})
        chart.add_series({"name": L["deals"], "categories": [title, first, 0, last, 0],
                          "values": [title, first, 1, last, 1], "fill": {"color": "#2A73B5"}, "gap": 30,
                          "data_labels": {"value": True}})
        chart.set_title({"name": L["team_funnel"]})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})  # the first stage on top, as a funnel reads
        chart.set_size({"width": 480, "height": 60 + 34 * (last - first + 1)})
        ws.insert_chart(first - 2, 4, chart)
        sheet.gap(max(0, 14 - (last - first)))  # room under the chart before the next block

    trends = model.get("trends") or {}
    if trends:
        sheet.gap()
        _trend_block(book, sheet, trends.get("weeks") or [], trends.get("team"), L, div, at_col=7)
    ws.print_area(0, 0, max(sheet.row, 1), len(labels) - 1)


def rep_sheet(book: Book, model: dict, rep: dict, title: str, summary_title: str) -> None:
    L, div = model["L"], model["unit_div"]
    sev = {s: L.get(f"sev_{s}", s) for s in ("error", "warning", "info")}
    labels = [L["deal"], L["deal_class"], L["stage"], L["amount_head"], L["close_date"], L["days_in_class"],
              L["next_step"], L["severity"], L["findings"], L["card_questions"], L["row"], L["deal_id"],
              L["account"], L["insider"], L["decision_maker"]]
    widths = [24.0, 8.0, 12.0, 10.0, 11.0, 8.0, 22.0, 7.0, 38.0, 38.0, 6.0, 12.0, 18.0, 10.0, 10.0]
    sheet = book.sheet(title, widths, header_rows=(1, 1))
    ws = sheet.ws
    sheet.write([f"{rep['display']} · {L['title_rep']}", f"← {L['summary_sheet']}",
                 f"{L['at_risk_head']}: {amount_text(rep['at_risk'], div)}",
                 None, f"{L['flagged_count']}: {len(rep['flagged'])}"],
                ["text", f"link:{summary_title}"], bold=True, spill=True)
    _head(sheet, labels)
    ws.freeze_panes(2, 1)
    kinds = ["text", "text", "text", "amount", "date", "int", "text", "text", "text", "text", "int", "text", "text",
             "text", "text"]
    listed = [*rep["flagged"], *(d for d in rep["ab"] if not d["findings"])]
    for d in listed[:MAX_SHEET_DEALS]:
        fs = d["findings"]
        worst = fs[0]["severity"] if fs else None
        fills = {7: FILLS[worst]} if worst in FILLS else {}
        if d["class_overdue"]:
            fills[5] = FILLS["error"]
        sheet.write([
            d["deal"], d["class_label"], d["stage"], _in_unit(d["amount"], div), d["close_date"], d["days_in_class"],
            d["next_step"], sev.get(worst, worst) if worst else None,
            "\n".join(f"{x['title']}: {x['message']}" for x in fs) or None,
            "\n".join(f"{i}. {q}" for i, q in enumerate(d["card_questions"], 1)) or None,
            d["row"], d["deal_id"], d["account"], d["insider"], d["decision_maker"],
        ], kinds, fills=fills)
    for x in rep["rep_findings"]:
        sheet.write([None] * 7 + [sev.get(x["severity"], x["severity"]), f"{x['title']}: {x['message']}", x.get("question")],
                    fills={7: FILLS.get(x["severity"])} if x["severity"] in FILLS else None)
    if sheet.row > 2:
        ws.autofilter(1, 0, sheet.row - 1, len(labels) - 1)
    if len(listed) > MAX_SHEET_DEALS:
        sheet.note(f"+{len(listed) - MAX_SHEET_DEALS} {L['more_deals']} (pipeaudit check --format csv)")

    if rep["named"] or model.get("changes_raw"):
        sheet.gap()
        sheet.title(L["changes"])
        _named_rows(sheet, rep["named"], L, div, REP_NAMED)
        if not rep["named"]:
            sheet.write([L["none"]])
    trends = model.get("trends") or {}
    if rep.get("trend"):
        sheet.gap()
        _trend_block(book, sheet, trends.get("weeks") or [], rep["trend"], L, div, at_col=7)

    sheet.gap()
    sheet.title(L["next_week_plan"])
    _head(sheet, [L["deal"], L["deal_class"], L["stage"], L["amount_head"], None, None, L["next_step"], None, L["action"],
                  f"{L['date']} / {L['help']}"])
    for p in rep["plan_rows"]:
        sheet.write([p["deal"], p["deal_class"], None, _in_unit(p["amount"], div), None, None, p["next_step"]],
                    ["text", "text", "text", "amount"])
    if rep["appendix_stages"] or rep["ab"]:
        sheet.gap()
        sheet.title(L["appendix"])
        blocks = [(f"{L['stage_questions']}: {model['stage_names'][x]}", model["stage_questions"][x])
                  for x in rep["appendix_stages"]]
        if rep["ab"]:
            blocks.append((L["standing_questions"], model["standing"]))
        for head, questions in blocks:  # a stage per row: its name, then its questions in one wide cell
            sheet.wide(head, "\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1)))
    ws.print_area(0, 0, max(sheet.row, 1), 9)


def write_workbook(model: dict, path: Path) -> Path:
    """Write report.xlsx atomically (a temporary file beside `path`, renamed into place)."""
    from pipeaudit.outputs import atomic_writer
    from pipeaudit.report.naming import sheet_names

    L = model["L"]
    summary_title = L["summary_sheet"][:31]
    titles = sheet_names([r["owner"] for r in model["reps"]], reserved={summary_title}, blank=L["no_owner"])
    with atomic_writer(path, "wb", encoding=None) as fh:
        book = Book(fh, model["unit_div"])
        summary_sheet(book, model, summary_title, titles)
        for rep in model["reps"]:
            rep_sheet(book, model, rep, titles[rep["owner"]], summary_title)
        book.wb.close()
    return path
