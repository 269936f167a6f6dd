"""Small charts as geometry: the template (_charts.html.j2) draws them as inline SVG.

Why geometry and not SVG text: every label here comes from the data (stage names, rep names), and
the template prints each one through Jinja's autoescape, so no string is ever marked safe. The
shapes are plain dicts (rect, line, polyline, circle, text) with numbers formatted here.

Sizes: a chart's viewBox is about as wide as a phone (360), so on a 390 px screen its 12-13 px
labels stay 12-13 px; on a desktop it is drawn larger (CSS max-width), and in print it scales to
the column. No JavaScript, no fonts of its own, no network.
"""

from __future__ import annotations

import math
from typing import Any, Callable

BLUES = ("#1f5f99", "#2a73b5", "#3b87c9", "#5a9bd5", "#7cb0de", "#9cc4e6", "#b9d5ee", "#d3e4f4")
GREY, UP, DOWN, INK = "#9aa0a6", "#2e7d32", "#c62828", "#1d2329"


def _f(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, text: str, anchor: str = "start", cls: str = "cl") -> dict[str, Any]:
    return {"kind": "text", "x": _f(x), "y": _f(y), "text": str(text), "anchor": anchor, "cls": cls}


def _rect(x: float, y: float, w: float, h: float, fill: str, title: str = "") -> dict[str, Any]:
    return {"kind": "rect", "x": _f(x), "y": _f(y), "w": _f(max(w, 0.5)), "h": _f(max(h, 0.5)), "fill": fill,
            "title": title}


def funnel_chart(rows: list[dict], fmt: Callable[[Any], str], label: str) -> dict[str, Any] | None:
    """Centred bars, one per stage, width by deal count; each row says stage, count and amount."""
    if not rows:
        return None
    width, bar_h, gap, top_pad = 360, 22, 20, 4
    top = max(r["deals"] for r in rows) or 1
    shapes = []
    y = top_pad
    for i, r in enumerate(rows):
        colour = GREY if r.get("unknown") else BLUES[min(i, len(BLUES) - 1)]
        caption = f"{r['stage']} · {r['deals']} · {fmt(r.get('amount'))}"
        shapes.append(_text(4, y + 13, caption, "start", "cl"))
        y += 17
        w = max(3.0, (width - 8) * r["deals"] / top)
        shapes.append(_rect((width - w) / 2, y, w, bar_h - 8, colour, caption))
        y += bar_h - 8 + gap - 14
    return {"w": width, "h": _f(y + 4), "label": label, "shapes": shapes, "cls": "funnel"}


def waterfall_chart(steps: list[dict], fmt: Callable[[Any], str], label: str) -> dict[str, Any] | None:
    """Floating bars that add up: totals (start, end) from zero, each change from where the last
    one ended, up in green and down in red. steps: [{short, value, total, sign}] with sign +1 or
    -1 for changes (values are positive amounts)."""
    if not steps:
        return None
    width, height, pad_top, pad_bottom = 360, 190, 22, 34
    levels, running = [], 0.0
    for s in steps:
        if s["total"]:
            running = float(s["value"])
            levels.append((0.0, running))
        else:
            start = running
            running += s["sign"] * float(s["value"])
            levels.append((start, running))
    high = max([max(a, b) for a, b in levels] + [1.0])
    low = min([min(a, b) for a, b in levels] + [0.0])
    span = (high - low) or 1.0
    plot = height - pad_top - pad_bottom
    y_of = lambda v: pad_top + (high - v) / span * plot  # noqa: E731
    slot = width / len(steps)
    shapes = [{"kind": "line", "x1": "0", "y1": _f(y_of(0)), "x2": _f(width), "y2": _f(y_of(0)), "cls": "axis"}]
    for i, (s, (a, b)) in enumerate(zip(steps, levels)):
        x = i * slot + slot * 0.15
        colour = BLUES[0] if s["total"] else (UP if s["sign"] > 0 else DOWN)
        value_text = ("" if s["total"] else ("+" if s["sign"] > 0 else "−")) + fmt(s["value"])
        shapes.append(_rect(x, y_of(max(a, b)), slot * 0.7, abs(y_of(a) - y_of(b)), colour,
                            f"{s['label']}: {value_text}"))
        shapes.append(_text(x + slot * 0.35, y_of(max(a, b)) - 4, value_text, "middle", "cv"))
        shapes.append(_text(x + slot * 0.35, height - pad_bottom + 15, s["short"], "middle", "cl"))
        if i + 1 < len(steps):  # a thin connector from this bar's end to the next bar
            shapes.append({"kind": "line", "x1": _f(x + slot * 0.7), "y1": _f(y_of(b)), "x2": _f(x + slot),
                           "y2": _f(y_of(b)), "cls": "link"})
    return {"w": width, "h": height, "label": label, "shapes": shapes, "cls": "waterfall"}


def trend_chart(title: str, weeks: list[str], values: list[float | None], fmt: Callable[[Any], str],
                kind: str = "line") -> dict[str, Any] | None:
    """One small multiple: a line (or bars) over the weeks, the last value written out; a week
    with no value (None) leaves a gap. None when no week has a value."""
    points = [(i, v) for i, v in enumerate(values) if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not points:
        return None
    width, height, pad_l, pad_r, pad_top, pad_bottom = 170, 92, 6, 6, 22, 18
    high = max(max(v for _, v in points), 0.0)
    low = min(min(v for _, v in points), 0.0)
    span = (high - low) or 1.0
    n = max(len(weeks), 2)
    step = (width - pad_l - pad_r) / (n - 1)
    x_of = lambda i: pad_l + i * step  # noqa: E731
    y_of = lambda v: pad_top + (high - v) / span * (height - pad_top - pad_bottom)  # noqa: E731
    last_i, last_v = points[-1]
    shapes = [_text(0, 13, title, "start", "ct"), _text(width, 13, fmt(last_v), "end", "cv"),
              {"kind": "line", "x1": _f(pad_l), "y1": _f(y_of(0)), "x2": _f(width - pad_r), "y2": _f(y_of(0)),
               "cls": "axis"}]
    if kind == "bars":
        bw = max(2.0, step * 0.6) if n > 1 else 10.0
        for i, v in points:
            shapes.append(_rect(x_of(i) - bw / 2, y_of(max(v, 0)), bw, abs(y_of(v) - y_of(0)), BLUES[2],
                                f"{weeks[i]}: {fmt(v)}"))
    else:
        run: list[str] = []
        for i in range(len(values)):
            v = values[i]
            if v is None:
                if len(run) > 1:
                    shapes.append({"kind": "polyline", "points": " ".join(run), "cls": "trend"})
                run = []
                continue
            run.append(f"{_f(x_of(i))},{_f(y_of(v))}")
        if len(run) > 1:
            shapes.append({"kind": "polyline", "points": " ".join(run), "cls": "trend"})
        for i, v in points:
            shapes.append({"kind": "circle", "cx": _f(x_of(i)), "cy": _f(y_of(v)), "r": "2.5",
                           "title": f"{weeks[i]}: {fmt(v)}"})
    shapes.append(_text(pad_l, height - 3, weeks[0][5:], "start", "cx"))
    shapes.append(_text(width - pad_r, height - 3, weeks[-1][5:], "end", "cx"))
    return {"w": width, "h": height, "label": f"{title}: {fmt(last_v)}", "shapes": shapes, "cls": "trend"}
