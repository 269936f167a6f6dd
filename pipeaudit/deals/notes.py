"""The notes a Deals carries about what reading the export could not settle: said once, where the
user looks (every output lists Deals.notes; `pipeaudit columns` shows them too)."""

from __future__ import annotations

from pipeaudit.model import DateReading, StageOrder

SHOWN = 10  # distinct values named in one note


def _values(counts: dict[str, int]) -> str:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"'{v}' ({n})" for v, n in items[:SHOWN])
    more = len(items) - SHOWN
    return shown + (f", +{more} more / 另有 {more} 个" if more > 0 else "")


def mapping_notes(undecided: list[tuple[str, str]]) -> list[str]:
    return [f"not mapped: {what} — {why} / 未映射：{what}" for what, why in undecided]


def stage_notes(order: StageOrder | None, unknown: dict[str, int], on_hold: int, unread_status: list[str]) -> list[str]:
    notes: list[str] = []
    if order is None:
        return notes
    deals = sum(unknown.values())
    # With no order at all the unplaced values are the export-level finding stage-order-unknown
    # (rules/data.yaml), said once; here only the values a known order did not place.
    if unknown and order.how != "none":
        where = order.name or f"the order inferred from {order.how}"
        notes.append(
            f"{len(unknown)} stage value(s) on no stage of {where}, {deals} open deal(s): {_values(unknown)} "
            f"/ {len(unknown)} 个阶段值不在阶段体系 {where} 中，共 {deals} 个进行中商机"
        )
    if order.how in ("probability", "numbered"):
        notes.append(
            f"stage order inferred from {'the probability column' if order.how == 'probability' else 'numbered stages'}: "
            f"{' → '.join(order.open)}; check it with `pipeaudit columns` / 阶段顺序由"
            f"{'赢率' if order.how == 'probability' else '阶段编号'}推断：{' → '.join(order.open)}"
        )
    if order.status_disagrees:
        n = order.status_disagrees
        notes.append(f"{n} deal(s) whose stage says otherwise than {order.status_from}: {order.status_from} decides "
                     f"open/won/lost / {n} 个商机的阶段与{order.status_from}不一致，以{order.status_from}为准")
    if on_hold:
        notes.append(f"{on_hold} deal(s) on hold count as open, on no stage / {on_hold} 个已搁置商机按进行中统计，不在任何阶段")
    if unread_status:
        shown = ", ".join(f"'{v}'" for v in unread_status[:SHOWN])
        notes.append(f"status values not understood (the stage decides for them): {shown} / 无法识别的商机状态：{shown}")
    return notes


def date_notes(dates: dict[str, DateReading], headers: dict[str, str]) -> list[str]:
    notes: list[str] = []
    for name, r in dates.items():
        header = headers.get(name, name)
        if not r.settled:
            if r.how == "export":
                why = f"read {r.order} like '{r.evidence}'"
            elif r.evidence:
                why = f"its values disagree ({r.evidence}); read {r.order}"
            else:
                why = f"nothing in it says; read {r.order}"
            notes.append(
                f"dates in '{header}': day-first or month-first not settled by the values, {why}; "
                f"set date_order: dmy|mdy in pipeaudit.yaml / “{header}”列的日期无法判断日月顺序，按 {r.order} 读取，"
                "可在 pipeaudit.yaml 中设置 date_order"
            )
        if r.order == "mixed":
            notes.append(f"dates in '{header}' mix day-first and month-first by separator, each read its own way: "
                         f"{r.evidence} / “{header}”列按分隔符混用日月顺序，已分别读取")
        if r.no_date:
            notes.append(f"'{header}': {r.no_date} value(s) in the year 9999 read as no date / “{header}”列有 "
                         f"{r.no_date} 个 9999 年的值，按“无日期”处理")
    return notes
