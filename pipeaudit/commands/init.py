"""`pipeaudit init EXPORT`: write what was inferred from an export as a commented pipeaudit.yaml.

Every header and the field it became (or none, commented out, with the reason), the stage ladder
(open order, won, lost) and the date order, for the user to correct. The file round-trips: loaded
by the config loader it maps the export the same way. An existing file is never overwritten
without --force.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from pipeaudit.errors import ConfigError, one_line
from pipeaudit.i18n import both, in_both, t
from pipeaudit.options import ReadOptions

DEFAULT_NAME = "pipeaudit.yaml"
CUSTOM_LADDER = "export"


def run(opts: ReadOptions, *, output: Path | None = None, force: bool = False) -> int:
    import typer

    from pipeaudit import pipeline
    from pipeaudit.config import Config, load_config
    from pipeaudit.outputs import atomic_write

    target = Path(output) if output is not None else Path(DEFAULT_NAME)
    if target.exists() and not force:
        raise ConfigError(f"{target}: " + both("init.exists"))
    if target.is_dir():
        raise ConfigError(f"{target}: " + both("init.is_folder"))
    # What the export says by itself: a config found upwards is not applied unless named.
    cfg = load_config(opts.config) if opts.config is not None else Config()
    deals = pipeline.load_deals(opts, cfg)
    atomic_write(target, render(deals, cfg))
    typer.echo("pipeaudit: " + both("init.wrote", target=str(target), path=str(opts.path)))
    return 0


_NOT_YAML = re.compile("[^\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


def _q(text: object) -> str:
    """A YAML double-quoted scalar: a JSON string, with every character YAML would not take as is
    (C1 controls, line/paragraph separators, a BOM) written as a \\u escape, which both read alike."""
    quoted = json.dumps(str(text), ensure_ascii=False)
    return _NOT_YAML.sub(lambda m: "\\u%04x" % ord(m.group()) if ord(m.group()) < 0x10000 else m.group(), quoted)


def _c(text: object) -> str:
    """Text safe inside a comment: one line."""
    return one_line(str(text))


def render(deals, cfg=None) -> str:
    """The config text for these deals."""
    from pipeaudit.commands.columns import facts
    from pipeaudit.model import FIELDS

    f = facts(deals, cfg)
    lines = [
        f"# pipeaudit.yaml — written by `pipeaudit init` from {_c(Path(str(deals.source)).name)} on {date.today()}",
        "# " + t("init.intro", "en"),
        "# " + t("init.intro", "zh"),
        "# Each line: field: header  # how it was decided (config/alias/API/words/values) and how sure (0..1)",
        "",
        "columns:",
    ]
    width = max([len(n) for n in FIELDS] + [6])
    for row in f["headers"]:
        if row["field"]:
            how = row["how"] + (f": {row['detail']}" if row.get("detail") else "")
            left = f"  {row['field']}:".ljust(width + 4) + f" {_q(row['header'])}"
            lines.append(f"{left.ljust(44)}  # {_c(how)} ({row['confidence']:.2f})")
        else:
            why = f" — {row['why']}" if row.get("why") else ""
            lines.append(f"  # ({both('init.no_field')}): {_c(_q(row['header']))}{_c(why)}")
    if f["undecided"]:
        lines.append(f"  # {both('init.not_decided')}:")
        for u in f["undecided"]:
            lines.append(f"  #   {_c(u['what'])}: {_c(u['why'])}")
    missing = [n for n in f["fields_missing"] if n != "ignore"]
    if missing:
        lines.append(f"  # {both('init.fields_missing')}: {', '.join(missing)}")
    lines.append("")
    lines.extend(_ladder(deals, f))
    lines.extend(_dates(deals, f))
    return "\n".join(lines).rstrip() + "\n"


def _ladder(deals, f: dict) -> list[str]:
    order = deals.stage_order
    if order is None:
        return [f"# {both('init.no_stage_column')}", ""]
    lines = [f"# {both('init.ladder')}"]
    if order.how in ("config", "ladder"):
        lines.append(f"ladder: {order.name}  # {_c(order.label)}; covers {order.covered}/{order.distinct} open stage values")
        lines.append(f"#   open: {_c(' → '.join(order.open))}")
        if order.won or order.lost:
            lines.append(f"#   won: {_c(', '.join(order.won)) or '-'}   lost: {_c(', '.join(order.lost)) or '-'}")
    elif order.how in ("probability", "numbered"):
        lines.append("# " + in_both(lambda lang: t("init.inferred", lang, by=t("init.by_" + order.how, lang))))
        lines.append(f"ladder: {CUSTOM_LADDER}")
        lines.extend(_custom(list(order.open), order))
    else:
        opens = sorted(f["unknown_stages"], key=lambda v: -f["unknown_stages"][v])
        lines.append(f"# {t('init.order_unknown', 'en')} /")
        lines.append(f"# {t('init.order_unknown', 'zh')}")
        lines.append(f"# ladder: {CUSTOM_LADDER}")
        lines.extend("# " + line for line in _custom(opens, order))
    if order.on_hold:
        lines.append(f"# {both('init.on_hold')}: {_c(', '.join(order.on_hold))}")
    lines.append("")
    return lines


def _custom(opens: list[str], order) -> list[str]:
    out = ["ladders:", f"  {CUSTOM_LADDER}:", f"    open: [{', '.join(_q(s) for s in opens)}]"]
    if order.won:
        out.append(f"    won: [{', '.join(_q(s) for s in order.won)}]")
    if order.lost:
        out.append(f"    lost: [{', '.join(_q(s) for s in order.lost)}]")
    return out


def _dates(deals, f: dict) -> list[str]:
    readings = deals.dates
    if not readings:
        return []
    settled = {r.order for r in readings.values() if r.order in ("dmy", "mdy") and r.settled and r.how != "config"}
    config = {r.order for r in readings.values() if r.how == "config"}
    lines = [f"# {both('init.dates')}"]
    for name, r in readings.items():
        state = "year first, nothing to decide" if r.order == "ymd" else (
            f"{r.order}, {'settled by ' + r.evidence if r.settled and r.evidence else r.how}"
            + ("" if r.settled else " — NOT SETTLED"))
        lines.append(f"#   {name} ({_c(deals.mapping.get(name, name))}): {_c(state)}")
    if config:
        lines.append(f"date_order: {sorted(config)[0]}")
    elif len(settled) == 1:
        lines.append(f"date_order: {settled.pop()}")
    elif any(not r.settled for r in readings.values()):
        lines.append(f"# date_order: mdy   # {both('init.date_unsettled')}")
    return lines
