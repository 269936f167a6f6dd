"""The report's charts, built once per report from the model: the team funnel, the waterfall, and
the trends of the team and each rep (report.charts draws geometry; _charts.html.j2 the SVG)."""

from __future__ import annotations

from typing import Any

from pipeaudit.report.changes import waterfall_steps
from pipeaudit.report.charts import funnel_chart, trend_chart, waterfall_chart
from pipeaudit.report.environment import amount_text

#: (series, label key, kind, is an amount) drawn as trends, in this order
TREND_SERIES = (("open_amount", "tr_open_amount", "line", True), ("a", "tr_a", "line", False),
                ("b", "tr_b", "line", False), ("errors", "tr_errors", "bars", False),
                ("slips", "tr_slips", "bars", False), ("coverage", "tr_coverage", "line", False))


def _trend_charts(weeks: list[str], series: dict[str, list] | None, L: dict[str, str], amount) -> list[dict]:
    if not series or len(weeks) < 2:
        return []
    out = []
    for key, label, kind, is_amount in TREND_SERIES:
        values = series.get(key)
        if not values:
            continue
        fmt = amount if is_amount else (lambda v: f"{v * 100:.0f}%") if key == "coverage" else (lambda v: f"{v:,.0f}")
        chart = trend_chart(L[label], weeks, values, fmt, kind)
        if chart is not None:
            out.append(chart)
    return out


def add_charts(model: dict[str, Any]) -> None:
    """model["funnel_chart"], ["waterfall_chart"], ["team_charts"] and each rep's ["charts"]."""
    L, div, unit = model["L"], model["unit_div"], model["unit"]
    suffix = "" if unit in ("1", "元") else unit

    def amount(v: Any) -> str:
        return amount_text(v, div) + suffix

    model["funnel_chart"] = funnel_chart(model["team_funnel"], amount, L["team_funnel"])
    model["waterfall_chart"] = waterfall_chart(waterfall_steps(model.get("changes_raw"), L), amount, L["waterfall"])
    trends = model.get("trends") or {}
    weeks = trends.get("weeks") or []
    model["team_charts"] = _trend_charts(weeks, trends.get("team"), L, amount)
    for rep in model["reps"]:
        rep["charts"] = _trend_charts(weeks, rep.get("trend"), L, amount)
