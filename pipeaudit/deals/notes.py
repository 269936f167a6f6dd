"""The notes a Deals carries about what reading the export could not settle: said once, where the
user looks (every output lists Deals.notes; `pipeaudit columns` shows them too)."""

from __future__ import annotations

from pipeaudit.i18n import Lang, both, in_both, t
from pipeaudit.model import DateReading, StageOrder

SHOWN = 10  # distinct values named in one note


def _values(counts: dict[str, int], lang: Lang) -> str:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"'{v}' ({n})" for v, n in items[:SHOWN])
    more = len(items) - SHOWN
    return shown + (t("deals.more_values", lang, more=more) if more > 0 else "")


def mapping_notes(undecided: list[tuple[str, str]]) -> list[str]:
    return [both("deals.not_mapped", what=what, why=why) for what, why in undecided]


def stage_notes(order: StageOrder | None, unknown: dict[str, int], on_hold: int, unread_status: list[str]) -> list[str]:
    notes: list[str] = []
    if order is None:
        return notes
    deals = sum(unknown.values())
    # With no order at all the unplaced values are the export-level finding stage-order-unknown
    # (rules/data.yaml), said once; here only the values a known order did not place.
    if unknown and order.how != "none":
        notes.append(in_both(lambda lang: t(
            "deals.unknown_stages", lang, count=len(unknown), deals=deals, values=_values(unknown, lang),
            where=order.name or t("deals.inferred_order", lang, how=order.how),
        )))
    if order.how in ("probability", "numbered"):
        notes.append(in_both(lambda lang: t(
            "deals.order_inferred", lang, by=t("deals.by_" + order.how, lang), order=" → ".join(order.open))))
    if order.status_disagrees:
        notes.append(both("deals.status_disagrees", n=order.status_disagrees, field=order.status_from))
    if on_hold:
        notes.append(both("deals.on_hold", deals=on_hold))
    if unread_status:
        notes.append(both("deals.status_unread", values=", ".join(f"'{v}'" for v in unread_status[:SHOWN])))
    return notes


def date_notes(dates: dict[str, DateReading], headers: dict[str, str]) -> list[str]:
    notes: list[str] = []
    for name, r in dates.items():
        header = headers.get(name, name)
        if not r.settled:
            why = "deals.read_like" if r.how == "export" else "deals.disagree" if r.evidence else "deals.no_sign"
            values = {} if why == "deals.no_sign" else {"evidence": r.evidence}
            notes.append(in_both(lambda lang: t(
                "deals.dates_unsettled", lang, header=header, why=t(why, lang, order=r.order, **values))))
        if r.order == "mixed":
            notes.append(both("deals.dates_mixed", header=header, evidence=r.evidence))
        if r.no_date:
            notes.append(both("deals.no_date", header=header, n=r.no_date))
    return notes
