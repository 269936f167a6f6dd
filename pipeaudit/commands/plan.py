"""`pipeaudit plan`: print the funnel a target needs, as a table or JSON."""

from __future__ import annotations

import json
from pathlib import Path

from pipeaudit.errors import ConfigError
from pipeaudit.i18n import both
from pipeaudit.terminal import echo


def parse_amount(text: str | float | None, option: str) -> float | None:
    """An amount as the exports write it (80万, 1.2亿, 1,200,000, ¥50k), read by the same parser as
    the deals (deals.values.parse_amounts), so `plan --target 80万` means what an export's 80万 does.
    funnel.py stays pure arithmetic: it receives the number."""
    if text is None or isinstance(text, (int, float)):
        return text
    import pandas as pd

    from pipeaudit.deals.values import parse_amounts

    values, _ = parse_amounts(pd.Series([str(text).strip()], dtype=object))
    value = values.iloc[0]
    if value != value:
        raise ConfigError(f"{option} {text!r}: " + both("plan.not_amount"))
    return float(value)


def run(
    target: str | float | None,
    mix: str | None,
    avg_deal: str | float | None,
    weeks: float | None,
    ratios: str | None,
    fmt: str = "text",
    lang: str | None = None,
    config: Path | None = None,
) -> int:
    from pipeaudit.config import load_config
    from pipeaudit.funnel import plan_from_config, render_text

    if fmt not in ("text", "json"):
        raise ConfigError(f"--format {fmt!r}: " + both("plan.format"))
    from pipeaudit.i18n import default_lang, parse_lang

    lang = parse_lang(lang)
    target, avg_deal = parse_amount(target, "--target"), parse_amount(avg_deal, "--avg-deal")
    cfg = load_config(config)
    plan = plan_from_config(target, mix, avg_deal, weeks, ratios, cfg.plan)
    if fmt == "json":
        echo(json.dumps(plan.to_dict(), ensure_ascii=False, indent=2))
    else:
        # no export to take a language from: --lang, else the config's, else the locale, else English
        echo(render_text(plan, lang or default_lang(cfg.lang)), nl=False)
    return 0
