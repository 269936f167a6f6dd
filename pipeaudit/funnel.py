"""Funnel arithmetic: work a target backwards into contracts and the activity behind them.

The seeds plan a year from the contracts it needs: each contract takes so many negotiations, each
negotiation so many demos, each demo so many first visits, each first visit so many leads. This
module is pure arithmetic: it imports no pandas and nothing of pipeaudit but its errors and the text
catalogue, so the config can validate a `plan:` table with it and `pipeaudit plan` stays instant. The per-rep
comparison with the open pipeline lives in `pipeaudit.quotas`.

Ratios come in two spellings:
  step form        "2,2,3,5"        negotiations/contract, demos/negotiation, first visits/demo,
                                    leads/first visit (the seed's worked example; the default)
  cumulative form  "x2,x4,x12,x60"  each step as a multiple of contracts (the seed's "×3 ×5 ×10
                                    ×20" picture); converted to the step form by division.

A mix whose total is below the target is topped up with extra contracts at the mix's average
size (so the plan always reaches the target) and a warning says by how much it fell short.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from pipeaudit.errors import ConfigError
from pipeaudit.i18n import Lang, both, t

#: Funnel steps from the bottom (signed) to the top (raw leads). Stable names: JSON keys; their
#: names for a person are the text catalogue's step.<name> (see step_label).
STEPS: tuple[str, ...] = ("contracts", "negotiations", "demos", "first_visits", "leads")
#: Which funnel step a ladder-neutral phase (model.PHASES) stands for.
PHASE_STEP: dict[str, str] = {
    "lead": "leads",
    "discovery": "first_visits",
    "solution": "demos",
    "negotiation": "negotiations",
    "closing": "contracts",
}
DEFAULT_RATIOS: tuple[float, ...] = (2.0, 2.0, 3.0, 5.0)
#: The seed's year: "over ~50 working weeks". Used when neither --weeks nor plan.weeks is given,
#: so the JSON always carries per_week numbers.
DEFAULT_WEEKS = 50.0
#: Beyond this a "plan" is an input error (and ceil() of an infinite float would crash).
MAX_FUNNEL = 10**12
_EPS = 1e-9  # 9 × 2.0 must stay 18, not ceil(18.000000000000004) = 19


@dataclass
class Plan:
    target: float
    funnel: dict[str, int]
    per_week: dict[str, float] | None
    ratios: tuple[float, ...]
    weeks: float | None = None
    mix: list[tuple[float, int]] = field(default_factory=list)
    avg_deal: float | None = None
    mix_total: float | None = None
    extra_contracts: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape `pipeaudit plan --format json` prints (target, funnel, per_week first)."""
        out: dict[str, Any] = {
            "target": _num(self.target),
            "funnel": dict(self.funnel),
            "per_week": self.per_week,
            "weeks": _num(self.weeks) if self.weeks is not None else None,
            "ratios": [_num(r) for r in self.ratios],
        }
        if self.mix:
            out["mix"] = [{"size": _num(s), "count": c} for s, c in self.mix]
            out["mix_total"] = _num(self.mix_total)
            out["extra_contracts"] = self.extra_contracts
        if self.avg_deal is not None:
            out["avg_deal"] = _num(self.avg_deal)
        out["warnings"] = list(self.warnings)
        return out


def _num(x: float | None) -> float | int | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else float(x)


def _positive(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} {value!r}: " + both("plan.positive_expected")) from None
    if not math.isfinite(number) or number <= 0:
        raise ConfigError(f"{what} {value!r}: " + both("plan.positive_must"))
    return number


def parse_mix(text: str | Iterable[Any]) -> list[tuple[float, int]]:
    """'150000x2,100000x3,50000x4' (or a config list of the same strings / {size, count}) -> pairs."""
    items: list[Any]
    if isinstance(text, str):
        items = [part for part in text.split(",") if part.strip()]
    else:
        items = list(text)
    if not items:
        raise ConfigError("--mix: " + both("plan.mix_empty"))
    pairs: list[tuple[float, int]] = []
    for item in items:
        if isinstance(item, dict) and set(item) == {"size", "count"}:
            size, count = item["size"], item["count"]
        else:
            m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*[x×*]\s*([0-9]+)\s*", str(item))
            if not m:
                raise ConfigError(f"--mix {item!r}: " + both("plan.mix_item"))
            size, count = m.group(1), m.group(2)
        size_f = _positive(size, "--mix size")
        count_f = _positive(count, "--mix count")
        if not count_f.is_integer():
            raise ConfigError(f"--mix count {count!r}: " + both("plan.mix_count"))
        pairs.append((size_f, int(count_f)))
    return pairs


def parse_ratios(value: str | Iterable[Any] | None) -> tuple[float, ...]:
    """Four step ratios, from '2,2,3,5', a list, or the cumulative 'x2,x4,x12,x60' form."""
    if value is None:
        return DEFAULT_RATIOS
    parts = [p.strip() for p in value.split(",")] if isinstance(value, str) else [str(p).strip() for p in value]
    parts = [p for p in parts if p]
    if len(parts) != len(STEPS) - 1:
        raise ConfigError(f"--ratios {value!r}: " + both("plan.ratios_count", count=len(STEPS) - 1))
    cumulative = [p[:1] in ("x", "×", "X") for p in parts]
    if any(cumulative) and not all(cumulative):
        raise ConfigError(f"--ratios {value!r}: " + both("plan.ratios_forms"))
    numbers = [_positive(p.lstrip("x×X"), "--ratios value") for p in parts]
    if all(cumulative):
        steps, before = [], 1.0
        for n in numbers:
            if n < before:
                raise ConfigError(f"--ratios {value!r}: " + both("plan.ratios_decrease"))
            steps.append(n / before)
            before = n
        numbers = steps
    for n in numbers:
        # a funnel narrows towards the contract: fewer negotiations than contracts is not a funnel
        if n < 1:
            raise ConfigError(f"--ratios {value!r}: " + both("plan.ratios_below_one"))
    return tuple(numbers)


def funnel_from_contracts(contracts: int, ratios: tuple[float, ...]) -> dict[str, int]:
    """Walk up the funnel; each step is rounded up, because half a demo is still a demo to book."""
    funnel = {STEPS[0]: int(contracts)}
    current = float(contracts)
    for step, ratio in zip(STEPS[1:], ratios):
        product = current * ratio - _EPS
        if not math.isfinite(product) or product > MAX_FUNNEL:
            raise ConfigError("plan: " + both("plan.step_too_large", step=step, limit=f"{MAX_FUNNEL:,}"))
        current = math.ceil(product)
        funnel[step] = int(current)
    return funnel


def make_plan(
    target: float | None,
    *,
    mix: str | Iterable[Any] | None = None,
    avg_deal: float | None = None,
    weeks: float | None = None,
    ratios: tuple[float, ...] = DEFAULT_RATIOS,
) -> Plan:
    """Contracts from the mix (or ceil(target / avg_deal)), then each step above them."""
    if target is None:
        raise ConfigError(both("plan.needs_target"))
    target = _positive(target, "--target")
    if (mix is None) == (avg_deal is None):
        raise ConfigError(both("plan.mix_or_avg"))
    if weeks is not None:
        weeks = _positive(weeks, "--weeks")
    if len(ratios) != len(STEPS) - 1:
        raise ConfigError(f"ratios {ratios!r}: " + both("plan.ratios_numbers", count=len(STEPS) - 1))
    warnings: list[str] = []
    pairs: list[tuple[float, int]] = []
    mix_total = None
    extra = 0
    if mix is not None:
        pairs = parse_mix(mix)
        contracts = sum(c for _, c in pairs)
        mix_total = sum(s * c for s, c in pairs)
        if mix_total + _EPS < target:
            average = mix_total / contracts
            extra = _contracts((target - mix_total) / average)
            contracts += extra
            warnings.append(both("plan.mix_short", total=str(_num(mix_total)), short=str(_num(target - mix_total)),
                                 extra=extra, average=f"{average:.0f}"))
    else:
        avg_deal = _positive(avg_deal, "--avg-deal")
        contracts = _contracts(target / avg_deal)
    funnel = funnel_from_contracts(contracts, ratios)
    per_week = {k: round(v / weeks, 4) for k, v in funnel.items()} if weeks else None
    return Plan(target, funnel, per_week, tuple(ratios), weeks, pairs, avg_deal, mix_total, extra, warnings)


def _contracts(ratio: float) -> int:
    """ceil(target / size), refusing numbers no plan can mean (1e308 / 1e-308 is infinite)."""
    if not math.isfinite(ratio) or ratio > MAX_FUNNEL:
        raise ConfigError("plan: " + both("plan.contracts_too_many", limit=f"{MAX_FUNNEL:,}"))
    return math.ceil(ratio - _EPS)


def plan_from_config(
    target: float | None,
    mix: str | None,
    avg_deal: float | None,
    weeks: float | None,
    ratios: str | None,
    plan_cfg: dict[str, Any],
) -> Plan:
    """Command-line values win over `plan:` in the config, key by key; weeks default to the
    seed's ~50 working weeks, so the per-week numbers are always there."""
    if mix is None and avg_deal is None:
        mix = plan_cfg.get("mix")
        avg_deal = plan_cfg.get("avg_deal") if mix is None else None
    if weeks is None:
        weeks = plan_cfg.get("weeks", DEFAULT_WEEKS)
    return make_plan(
        target if target is not None else plan_cfg.get("target"),
        mix=mix,
        avg_deal=avg_deal,
        weeks=weeks,
        ratios=parse_ratios(ratios if ratios is not None else plan_cfg.get("ratios")),
    )


def step_label(step: str, lang: Lang) -> str:
    """A funnel step's name for a person ("初访", "first visits")."""
    return t("step." + step, lang)


def render_text(plan: Plan, lang: Lang = "zh") -> str:
    """A small aligned table; labels in the chosen language."""
    head = (t("plan.step", lang), t("plan.total", lang), t("plan.per_week", lang))
    rows = []
    for step in STEPS:
        per = "" if plan.per_week is None else f"{plan.per_week[step]:g}"
        rows.append((step_label(step, lang), str(plan.funnel[step]), per))
    title = t("plan.target", lang, target=str(_num(plan.target)))
    if plan.weeks:
        title += t("plan.over_weeks", lang, weeks=str(_num(plan.weeks)))
    title += t("plan.ratios", lang, ratios=", ".join(f"{r:g}" for r in plan.ratios))
    lines = [title]
    widths = [max(_width(r[i]) for r in (head, *rows)) for i in range(3)]
    for row in (head, *rows):
        lines.append("  ".join(_pad(cell, widths[i], right=i > 0) for i, cell in enumerate(row)).rstrip())
    for w in plan.warnings:
        lines.append(t("plan.warning", lang, warning=w))
    return "\n".join(lines) + "\n"


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap


def rep_plan(target: float, avg_deal: float, ratios: tuple[float, ...]) -> dict[str, int]:
    """What one rep's target needs at each step."""
    return funnel_from_contracts(_contracts(target / avg_deal), ratios)


def short_steps(rep_plan_entry: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(step, need, have) for each step the rep is short on, from the top of the funnel down."""
    out = []
    for step in reversed(STEPS):
        cell = rep_plan_entry.get(step)
        if cell and cell["have"] < cell["need"]:
            out.append((step, cell["need"], cell["have"]))
    return out
