"""`pipeaudit plan`: print the funnel a target needs, as a table or JSON."""

from __future__ import annotations

import json
from pathlib import Path

from pipeaudit.errors import ConfigError
from pipeaudit.terminal import echo


def run(
    target: float | None,
    mix: str | None,
    avg_deal: float | None,
    weeks: float | None,
    ratios: str | None,
    fmt: str = "text",
    lang: str | None = None,
    config: Path | None = None,
) -> int:
    from pipeaudit.config import load_config
    from pipeaudit.funnel import plan_from_config, render_text

    if fmt not in ("text", "json"):
        raise ConfigError(f"--format {fmt!r}: plan prints text or json / 只支持 text 或 json")
    if lang is not None and lang not in ("zh", "en"):
        raise ConfigError(f"--lang {lang!r}: expected zh or en / 只能是 zh 或 en")
    cfg = load_config(config)
    plan = plan_from_config(target, mix, avg_deal, weeks, ratios, cfg.plan)
    if fmt == "json":
        echo(json.dumps(plan.to_dict(), ensure_ascii=False, indent=2))
    else:
        echo(render_text(plan, lang or cfg.lang or "zh"), nl=False)
    return 0
