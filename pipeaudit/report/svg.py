"""The funnel as inline SVG: no JavaScript, no network, no fonts beyond the page's own."""

from __future__ import annotations

from html import escape

from pipeaudit.report.environment import money

_COLOURS = ("#1f5f99", "#2a73b5", "#3b87c9", "#5a9bd5", "#7cb0de", "#9cc4e6", "#b9d5ee", "#d3e4f4")
_UNKNOWN = "#9aa0a6"


def funnel_svg(rows: list[dict], deals_label: str, amount_label: str, width: int = 640) -> str:
    """Centred bars, one per stage, width by deal count; the label carries count and amount."""
    if not rows:
        return ""
    bar_h, gap, label_w = 30, 6, 190
    area = width - label_w - 10
    top = max(r["deals"] for r in rows) or 1
    height = len(rows) * (bar_h + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="funnel" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(deals_label)}">'
    ]
    for i, r in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = max(4.0, area * r["deals"] / top)
        x = label_w + (area - w) / 2
        last_unknown = r is rows[-1] and r.get("unknown")
        colour = _UNKNOWN if last_unknown else _COLOURS[min(i, len(_COLOURS) - 1)]
        stage = escape(str(r["stage"]))
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h / 2 + 5:.1f}" text-anchor="end" class="fl">{stage}</text>'
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3" fill="{colour}">'
            f"<title>{stage}: {r['deals']} {escape(deals_label)} · {escape(amount_label)} {escape(money(r.get('amount')))}</title></rect>"
            f'<text x="{label_w + area / 2:.1f}" y="{y + bar_h / 2 + 5:.1f}" text-anchor="middle" class="fv">'
            f"{r['deals']} · {escape(money(r.get('amount')))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
