"""The short digest each rep (and manager) reads before the meeting, in the report's language.

One digest, four renderings: plain text and HTML for e-mail, Markdown for the Chinese chat bots
(WeCom, DingTalk, Feishu) and Slack's mrkdwn. Everything shown comes from the report's index.json,
so a rep's digest holds only that rep's deals. Text from the data is escaped for each format:
it is shown, never interpreted (no link, mention or tag can be smuggled in through a deal name).
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any
from urllib.parse import quote

from pipeaudit import i18n

CHAT_MAX_BYTES = 4000  # under the smallest chat limit we rely on; deals are dropped to fit
TEXT_MAX = 160  # characters of one deal name, message or question

#: The digest's words are the text catalogue's digest.<key>, in the report's language (see word).

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_CHAT_MD = str.maketrans({"<": "＜", ">": "＞", "[": "［", "]": "］", "*": "＊", "`": "｀", "~": "～", "|": "｜",
                          "#": "＃", "@": "＠"})


def word(key: str, lang: str, **kw: Any) -> str:
    """digest.<key> in the report's language (index.json says zh or en; anything else reads as zh)."""
    values = {k: v if isinstance(v, int) and not isinstance(v, bool) else str(v) for k, v in kw.items()}
    return i18n.t("digest." + key, lang if lang in i18n.LANGS else "zh", **values)  # type: ignore[arg-type]


def clean(value: Any, limit: int = TEXT_MAX) -> str:
    """One line of text from the data: no control, bidi or zero-width characters, clipped."""
    if value is None:
        return ""
    text = _UNSAFE.sub(" ", unicodedata.normalize("NFC", str(value)))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def money(value: Any) -> str:
    return "—" if not isinstance(value, (int, float)) or value != value else f"{value:,.0f}"


def link(base_url: str | None, folder_name: str, *parts: str) -> str | None:
    """The published address of a file of the report: base_url/<report folder>/<parts>, each part quoted."""
    if not base_url:
        return None
    return "/".join([base_url, quote(folder_name, safe=""), *(quote(p, safe="") for p in parts)])


def rep_link(index: dict, rep: dict, base_url: str | None) -> str | None:
    ext = next((e for e in ("html", "md") if e in index["formats"]), None)
    return link(base_url, index["folder"].name, "reps", f"{rep['stem']}.{ext}") if ext else None


def summary_link(index: dict, base_url: str | None) -> str | None:
    ext = next((e for e in ("html", "md") if e in index["formats"]), None)
    if ext:
        return link(base_url, index["folder"].name, f"summary.{ext}")
    return link(base_url, index["folder"].name, "report.xlsx") if "xlsx" in index["formats"] else None


# ---- the content, format-neutral ----------------------------------------------------


def _deal_parts(d: dict, lang: str) -> tuple[str, str, str, str]:
    """(name, facts, message, question) of one flagged deal, cleaned."""
    facts = [clean(d.get("stage"), 40), money(d.get("amount"))]
    if d.get("close_date"):
        facts.append(f"{word('close', lang)} {clean(d['close_date'], 10)}")
    name = clean(d.get("deal") or d.get("deal_id") or "?")
    return name, ", ".join(f for f in facts if f), clean(d.get("message")), clean(d.get("question"))


def rep_content(index: dict, rep: dict) -> dict:
    lang = index["lang"]
    return {
        "title": word("subject_rep", lang, name=clean(rep["display"], 60), as_of=index["as_of"].isoformat()),
        "lead": word("greeting", lang, name=clean(rep["display"], 60)),
        "counts": word("counts", lang, open=rep["open_deals"], amount=money(rep["open_amount"]), error=rep["error"],
                       warning=rep["warning"], risk=rep["at_risk"]),
        "deals": [_deal_parts(d, lang) for d in rep["top"]],
        "more": max(0, rep["flagged"] - len(rep["top"])),
    }


def summary_content(index: dict, no_address: list[str], failed: list[str]) -> dict:
    lang, t = index["lang"], index["totals"]
    return {
        "title": word("subject_summary", lang, as_of=index["as_of"].isoformat()),
        "lead": word("team", lang, open=_int(t.get("open_deals")), amount=money(t.get("open_amount")),
                     error=_int(t.get("error")), warning=_int(t.get("warning"))),
        "reps": [word("rep_line", lang, name=clean(r["display"], 60), open=r["open_deals"], error=r["error"],
                      warning=r["warning"], risk=r["at_risk"]) for r in index["reps"]],
        "help": [f"{clean(d['owner'], 60)} · {clean(d.get('deal'))} ({clean(d.get('deal_class'), 4)}, "
                 f"{clean(d.get('stage'), 40)}): {', '.join(clean(x, 60) for x in d['rules'][:4])}" for d in index["help"]],
        "no_address": [clean(n, 60) for n in no_address],
        "failed": [clean(n, 80) for n in failed],
    }


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and value == value else 0


# ---- renderings ----------------------------------------------------------------------


def text_rep(c: dict, lang: str, url: str | None, attached: bool) -> str:
    lines = [c["lead"], "", c["counts"], ""]
    if c["deals"]:
        lines.append(word("top", lang) + ":")
        for name, facts, message, question in c["deals"]:
            lines.append(f"- {name} ({facts}): {message}")
            if question:
                lines.append(f"  {word('ask', lang)}: {question}")
        if c["more"]:
            lines.append(word("more", lang, n=c["more"]))
    else:
        lines.append(word("none", lang))
    lines.append("")
    if attached:
        lines.append(word("attached", lang))
    if url:
        lines.append(f"{word('sheet', lang)}: {url}")
    lines += ["", "-- ", word("footer", lang)]
    return "\n".join(lines) + "\n"


def html_rep(c: dict, lang: str, url: str | None, attached: bool) -> str:
    e = html.escape
    parts = [f"<p>{e(c['lead'])}</p>", f"<p><strong>{e(c['counts'])}</strong></p>"]
    if c["deals"]:
        parts.append(f"<h3>{e(word('top', lang))}</h3><ul>")
        for name, facts, message, question in c["deals"]:
            ask = f"<br><em>{e(word('ask', lang))}:</em> {e(question)}" if question else ""
            parts.append(f"<li><strong>{e(name)}</strong> ({e(facts)}): {e(message)}{ask}</li>")
        parts.append("</ul>")
        if c["more"]:
            parts.append(f"<p>{e(word('more', lang, n=c['more']))}</p>")
    else:
        parts.append(f"<p>{e(word('none', lang))}</p>")
    if attached:
        parts.append(f"<p>{e(word('attached', lang))}</p>")
    if url:
        parts.append(f'<p><a href="{e(url)}">{e(word("sheet", lang))}</a></p>')
    return _page(c["title"], parts, lang)


def text_summary(c: dict, lang: str, url: str | None) -> str:
    lines = [c["lead"], "", word("by_rep", lang) + ":", *(f"- {r}" for r in c["reps"])]
    if c["help"]:
        lines += ["", word("help", lang) + ":", *(f"- {h}" for h in c["help"])]
    for key in ("no_address", "failed"):
        if c[key]:
            lines += ["", f"{word(key, lang)}: {', '.join(c[key])}"]
    if url:
        lines += ["", f"{word('summary', lang)}: {url}"]
    lines += ["", "-- ", word("footer", lang)]
    return "\n".join(lines) + "\n"


def html_summary(c: dict, lang: str, url: str | None) -> str:
    e = html.escape
    parts = [f"<p><strong>{e(c['lead'])}</strong></p>", f"<h3>{e(word('by_rep', lang))}</h3><ul>",
             *(f"<li>{e(r)}</li>" for r in c["reps"]), "</ul>"]
    if c["help"]:
        parts += [f"<h3>{e(word('help', lang))}</h3><ul>", *(f"<li>{e(h)}</li>" for h in c["help"]), "</ul>"]
    for key in ("no_address", "failed"):
        if c[key]:
            parts.append(f"<p><strong>{e(word(key, lang))}:</strong> {e(', '.join(c[key]))}</p>")
    if url:
        parts.append(f'<p><a href="{e(url)}">{e(word("summary", lang))}</a></p>')
    return _page(c["title"], parts, lang)


def _page(title: str, parts: list[str], lang: str) -> str:
    return (f'<!DOCTYPE html><html lang="{word("html_lang", lang)}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head><body>{''.join(parts)}"
            f"<p style=\"color:#888\">{html.escape(word('footer', lang))}</p></body></html>\n")


def chat_text(value: str, flavor: str) -> str:
    """Text for a chat message: Slack's three control characters as entities (its documented escaping);
    for the Markdown bots, the characters that make links, tags, mentions or emphasis, as full-width forms."""
    if flavor == "slack":
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.translate(_CHAT_MD)


def chat_rep(c: dict, lang: str, url: str | None, flavor: str) -> str:
    """The rep's digest as chat Markdown (flavor 'md') or Slack mrkdwn ('slack'), under CHAT_MAX_BYTES."""
    t = lambda s: chat_text(s, flavor)  # noqa: E731
    bold = (lambda s: f"*{s}*") if flavor == "slack" else (lambda s: f"**{s}**")
    head = [bold(t(c["title"])), t(c["counts"])]
    tail = []
    if url:
        tail.append(f"<{url}|{t(word('sheet', lang))}>" if flavor == "slack" else f"[{t(word('sheet', lang))}]({url})")
    deals = list(c["deals"])
    while True:
        body = []
        if deals:
            body.append(bold(t(word("top", lang))))
            for name, facts, message, question in deals:
                body.append(f"- {bold(t(name))} ({t(facts)}): {t(message)}")
                if question:
                    body.append(f"  {t(word('ask', lang))}: {t(question)}")
            more = c["more"] + len(c["deals"]) - len(deals)
            if more:
                body.append(t(word("more", lang, n=more)))
        else:
            body.append(t(word("none", lang) if not c["deals"] else word("more", lang, n=c["more"] + len(c["deals"]))))
        out = "\n".join(head + body + tail)
        if len(out.encode("utf-8")) <= CHAT_MAX_BYTES or not deals:
            return out[:CHAT_MAX_BYTES]
        deals.pop()


def chat_summary(c: dict, lang: str, url: str | None, flavor: str) -> str:
    t = lambda s: chat_text(s, flavor)  # noqa: E731
    bold = (lambda s: f"*{s}*") if flavor == "slack" else (lambda s: f"**{s}**")
    lines = [bold(t(c["title"])), t(c["lead"])]
    for key in ("no_address", "failed"):
        if c[key]:
            lines.append(f"{bold(t(word(key, lang)))}: {t(', '.join(c[key]))}")
    if url:
        lines.append(f"<{url}|{t(word('summary', lang))}>" if flavor == "slack" else f"[{t(word('summary', lang))}]({url})")
    fixed = len("\n".join(lines).encode("utf-8"))
    reps = []
    for r in [bold(t(word("by_rep", lang))), *(f"- {t(r)}" for r in c["reps"])]:
        fixed += len(r.encode("utf-8")) + 1
        if fixed > CHAT_MAX_BYTES - 10:
            reps.append("- …")
            break
        reps.append(r)
    return "\n".join(lines[:2] + reps + lines[2:])
