"""Funnel arithmetic: work a target backwards into contracts and the activity behind them.

The seeds plan a year from the contracts it needs: each contract takes so many negotiations, each
negotiation so many demos, each demo so many first visits, each first visit so many leads. This
module is pure arithmetic (no pandas at import time) so `pipeaudit plan` stays instant; the per-rep
comparison with the open pipeline (`funnel_vs_quota`) imports pandas when it runs.

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
from pathlib import Path
from typing import Any, Iterable

from pipeaudit.errors import ConfigError

#: Funnel steps from the bottom (signed) to the top (raw leads). Stable names: JSON keys.
STEPS: tuple[str, ...] = ("contracts", "negotiations", "demos", "first_visits", "leads")
STEP_LABELS: dict[str, tuple[str, str]] = {
    "contracts": ("签约", "contracts"),
    "negotiations": ("商务谈判", "negotiations"),
    "demos": ("演示", "demos"),
    "first_visits": ("初访", "first visits"),
    "leads": ("线索", "leads"),
}
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
        raise ConfigError(f"{what} {value!r}: expected a positive number / 应为正数") from None
    if not math.isfinite(number) or number <= 0:
        raise ConfigError(f"{what} {value!r}: must be a positive number / 必须为正数")
    return number


def parse_mix(text: str | Iterable[Any]) -> list[tuple[float, int]]:
    """'150000x2,100000x3,50000x4' (or a config list of the same strings / {size, count}) -> pairs."""
    items: list[Any]
    if isinstance(text, str):
        items = [part for part in text.split(",") if part.strip()]
    else:
        items = list(text)
    if not items:
        raise ConfigError("--mix: no contract sizes given, expected e.g. 150000x2,100000x3 / 未给出合同组合")
    pairs: list[tuple[float, int]] = []
    for item in items:
        if isinstance(item, dict) and set(item) == {"size", "count"}:
            size, count = item["size"], item["count"]
        else:
            m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*[x×*]\s*([0-9]+)\s*", str(item))
            if not m:
                raise ConfigError(
                    f"--mix {item!r}: expected SIZExCOUNT such as 150000x2 / 格式应为 金额x数量，如 150000x2"
                )
            size, count = m.group(1), m.group(2)
        size_f = _positive(size, "--mix size")
        count_f = _positive(count, "--mix count")
        if not count_f.is_integer():
            raise ConfigError(f"--mix count {count!r}: must be a whole number / 数量必须为整数")
        pairs.append((size_f, int(count_f)))
    return pairs


def parse_ratios(value: str | Iterable[Any] | None) -> tuple[float, ...]:
    """Four step ratios, from '2,2,3,5', a list, or the cumulative 'x2,x4,x12,x60' form."""
    if value is None:
        return DEFAULT_RATIOS
    parts = [p.strip() for p in value.split(",")] if isinstance(value, str) else [str(p).strip() for p in value]
    parts = [p for p in parts if p]
    if len(parts) != len(STEPS) - 1:
        raise ConfigError(
            f"--ratios {value!r}: expected {len(STEPS) - 1} ratios (negotiations/contract, demos/negotiation,"
            f" first visits/demo, leads/first visit) / 需要 {len(STEPS) - 1} 个比例"
        )
    cumulative = [p[:1] in ("x", "×", "X") for p in parts]
    if any(cumulative) and not all(cumulative):
        raise ConfigError(f"--ratios {value!r}: mix of step and cumulative (x..) forms / 不能混用两种写法")
    numbers = [_positive(p.lstrip("x×X"), "--ratios value") for p in parts]
    if all(cumulative):
        steps, before = [], 1.0
        for n in numbers:
            if n < before:
                raise ConfigError(f"--ratios {value!r}: cumulative multiples must not decrease / 累计倍数不能递减")
            steps.append(n / before)
            before = n
        numbers = steps
    for n in numbers:
        # a funnel narrows towards the contract: fewer negotiations than contracts is not a funnel
        if n < 1:
            raise ConfigError(
                f"--ratios {value!r}: each step ratio must be at least 1 (a step needs at least as many"
                f" deals as the step below it) / 每一步的比例不能小于 1"
            )
    return tuple(numbers)


def funnel_from_contracts(contracts: int, ratios: tuple[float, ...]) -> dict[str, int]:
    """Walk up the funnel; each step is rounded up, because half a demo is still a demo to book."""
    funnel = {STEPS[0]: int(contracts)}
    current = float(contracts)
    for step, ratio in zip(STEPS[1:], ratios):
        product = current * ratio - _EPS
        if not math.isfinite(product) or product > MAX_FUNNEL:
            raise ConfigError(
                f"plan: {step} would exceed {MAX_FUNNEL:,}; check the target, sizes and ratios"
                f" / 计划数量过大，请检查目标、金额与比例"
            )
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
        raise ConfigError("plan needs --target (or plan.target in the config) / 需要 --target 目标金额")
    target = _positive(target, "--target")
    if (mix is None) == (avg_deal is None):
        raise ConfigError("plan needs exactly one of --mix or --avg-deal / --mix 与 --avg-deal 须且只能给一个")
    if weeks is not None:
        weeks = _positive(weeks, "--weeks")
    if len(ratios) != len(STEPS) - 1:
        raise ConfigError(f"ratios {ratios!r}: expected {len(STEPS) - 1} numbers / 需要 {len(STEPS) - 1} 个比例")
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
            warnings.append(
                f"mix totals {_num(mix_total)}, {_num(target - mix_total)} below the target: added {extra}"
                f" contract(s) of the mix's average size {average:.0f} / 合同组合合计 {_num(mix_total)}，"
                f"比目标少 {_num(target - mix_total)}，按平均单额补 {extra} 单"
            )
    else:
        avg_deal = _positive(avg_deal, "--avg-deal")
        contracts = _contracts(target / avg_deal)
    funnel = funnel_from_contracts(contracts, ratios)
    per_week = {k: round(v / weeks, 4) for k, v in funnel.items()} if weeks else None
    return Plan(target, funnel, per_week, tuple(ratios), weeks, pairs, avg_deal, mix_total, extra, warnings)


def _contracts(ratio: float) -> int:
    """ceil(target / size), refusing numbers no plan can mean (1e308 / 1e-308 is infinite)."""
    if not math.isfinite(ratio) or ratio > MAX_FUNNEL:
        raise ConfigError(
            f"plan: more than {MAX_FUNNEL:,} contracts; check the target and the contract sizes"
            f" / 合同数量过大，请检查目标与单额"
        )
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


def render_text(plan: Plan, lang: str = "zh") -> str:
    """A small aligned table; labels in the chosen language."""
    zh = lang == "zh"
    head = ("步骤", "总数", "每周") if zh else ("step", "total", "per week")
    rows = []
    for step in STEPS:
        label = STEP_LABELS[step][0 if zh else 1]
        per = "" if plan.per_week is None else f"{plan.per_week[step]:g}"
        rows.append((label, str(plan.funnel[step]), per))
    title = (f"目标 {_num(plan.target)}" if zh else f"target {_num(plan.target)}") + (
        (f"，{_num(plan.weeks)} 周" if zh else f" over {_num(plan.weeks)} weeks") if plan.weeks else ""
    )
    ratio_txt = ", ".join(f"{r:g}" for r in plan.ratios)
    title += f"  ({'比例' if zh else 'ratios'} {ratio_txt})"
    lines = [title]
    widths = [max(_width(r[i]) for r in (head, *rows)) for i in range(3)]
    for row in (head, *rows):
        lines.append("  ".join(_pad(cell, widths[i], right=i > 0) for i, cell in enumerate(row)).rstrip())
    for w in plan.warnings:
        lines.append(("注意: " if zh else "warning: ") + w)
    return "\n".join(lines) + "\n"


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap


# --------------------------------------------------------------------------------------
# Quotas: each rep's target against their open funnel
# --------------------------------------------------------------------------------------

_REP_HEADERS = ("销售", "销售代表", "负责人", "rep", "owner", "sales rep", "salesperson", "name", "姓名")
_TARGET_HEADERS = ("目标", "任务", "指标", "target", "quota", "销售目标", "任务额")


def read_quotas(path: Path) -> dict[str, float]:
    """A small dedicated reader for csv/xlsx quota sheets: rep and target columns, zh/en headers."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"--quotas {path}: no such file / 找不到配额文件")
    rows = _quota_rows(path)
    header_at = None
    for i, row in enumerate(rows[:20]):
        cells = [_norm_header(c) for c in row]
        rep_col = next((j for j, c in enumerate(cells) if c in _REP_HEADERS), None)
        tgt_col = next((j for j, c in enumerate(cells) if _is_target_header(c)), None)
        if rep_col is not None and tgt_col is not None:
            header_at = (i, rep_col, tgt_col, str(row[tgt_col]))
            break
    if header_at is None:
        raise ConfigError(
            f"--quotas {path}: needs a rep column (销售/负责人/rep/owner) and a target column"
            " (目标/任务/target/quota) / 需要销售与目标两列"
        )
    start, rep_col, tgt_col, tgt_header = header_at
    unit = 10000.0 if "万" in tgt_header else 1.0
    quotas: dict[str, float] = {}
    for offset, row in enumerate(rows[start + 1 :], start=start + 2):
        rep = str(row[rep_col]).strip() if rep_col < len(row) and row[rep_col] not in (None, "") else ""
        raw = row[tgt_col] if tgt_col < len(row) else None
        if not rep and raw in (None, ""):
            continue
        if rep in ("合计", "总计", "total", "Total", "TOTAL"):
            continue
        if not rep:
            raise ConfigError(f"--quotas {path}: row {offset} has a target but no rep / 第 {offset} 行缺少销售")
        try:
            value = float(str(raw).replace(",", "").replace("，", "").strip().rstrip("万").strip())
        except ValueError:
            raise ConfigError(
                f"--quotas {path}: row {offset}: target {raw!r} is not a number / 第 {offset} 行目标不是数字"
            ) from None
        if not math.isfinite(value) or value < 0:
            raise ConfigError(f"--quotas {path}: row {offset}: target must be >= 0 / 目标不能为负")
        quotas[rep] = value * (10000.0 if isinstance(raw, str) and raw.strip().endswith("万") else unit)
    if not quotas:
        raise ConfigError(f"--quotas {path}: no rep has a target / 没有任何销售的目标")
    return quotas


def _norm_header(cell: Any) -> str:
    text = "" if cell is None else str(cell).strip().lower()
    return re.sub(r"[\s_]*[(（][^)）]*[)）]$", "", text)


def _is_target_header(cell: str) -> bool:
    return cell in _TARGET_HEADERS or any(cell.startswith(h) for h in ("目标", "任务")) or cell.startswith("quota")


def _quota_rows(path: Path) -> list[list[Any]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        try:
            from python_calamine import CalamineWorkbook

            wb = CalamineWorkbook.from_path(str(path))
            return [list(r) for r in wb.get_sheet_by_index(0).to_python(skip_empty_area=False)]
        except Exception as exc:  # calamine raises its own types for damaged files
            raise ConfigError(f"--quotas {path}: cannot read the workbook ({type(exc).__name__}) / 无法读取") from None
    import csv
    import io

    data = path.read_bytes()[: 5 * 1024 * 1024]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ConfigError(f"--quotas {path}: not UTF-8 or GB18030 text / 编码无法识别")
    first = text.splitlines()[0] if text else ""
    dialect = "excel-tab" if "\t" in first and "," not in first else "excel"
    return [row for row in csv.reader(io.StringIO(text), dialect=dialect)]


def rep_plan(target: float, avg_deal: float, ratios: tuple[float, ...]) -> dict[str, int]:
    """What one rep's target needs at each step."""
    return funnel_from_contracts(_contracts(target / avg_deal), ratios)


def funnel_vs_quota(frame: Any, quotas: dict[str, float], plan_cfg: dict[str, Any]) -> dict[str, Any]:
    """{rep: {step: {"need": n, "have": m}}} for every rep with a quota.

    `have` counts the rep's open deals that have reached a step (a deal in negotiation has also
    been demoed, visited and was a lead), so the counts are comparable with the plan's. The
    average deal size is the rep's mean open amount, else plan.avg_deal, else the mix's average,
    else the team's mean open amount (a rep with a quota and an empty funnel is the shortest of
    all, not one to leave out). Reps whose size still cannot be found are listed under
    "_skipped"; reps with a quota but no deal in the export under "_no_deals".
    """
    import pandas as pd

    from pipeaudit.model import PHASES

    ratios = parse_ratios(plan_cfg.get("ratios"))
    fallback = plan_cfg.get("avg_deal")
    if fallback is None and plan_cfg.get("mix") is not None:
        pairs = parse_mix(plan_cfg["mix"])
        fallback = sum(s * c for s, c in pairs) / sum(c for _, c in pairs)
    if "owner" in frame.columns and "status" in frame.columns:
        open_ = frame.loc[frame["status"].eq("open").fillna(False).astype(bool)]
        owners = open_["owner"].astype(object)
    else:
        open_, owners = frame.iloc[0:0], pd.Series([], dtype=object)
    phase = (
        pd.to_numeric(open_["phase"], errors="coerce") if "phase" in open_.columns else pd.Series(float("nan"), index=open_.index)
    )
    amount = (
        pd.to_numeric(open_["amount"], errors="coerce") if "amount" in open_.columns else pd.Series(float("nan"), index=open_.index)
    )
    # reached[k]: number of the rep's open deals at phase >= k+1 (deals with no phase count as leads)
    reached = {}
    phase_filled = phase.fillna(1)
    for k, name in enumerate(PHASES):
        reached[PHASE_STEP[name]] = (phase_filled >= k + 1).groupby(owners).sum()
    positive = amount.where(amount > 0)
    mean_amount = positive.groupby(owners).mean()
    if fallback is None and positive.notna().any():
        fallback = float(positive.mean())
    all_owners = set(frame["owner"].dropna().astype(str)) if "owner" in frame.columns else set()
    out: dict[str, Any] = {}
    skipped: list[str] = []
    no_deals: list[str] = [rep for rep in quotas if rep not in all_owners]
    for rep, target in quotas.items():
        avg = mean_amount.get(rep)
        if avg is None or not (avg == avg) or avg <= 0:
            avg = fallback
        if avg is None or float(avg) <= 0 or target <= 0:
            skipped.append(rep)
            continue
        need = rep_plan(float(target), float(avg), ratios)
        out[rep] = {
            step: {"need": need[step], "have": int(reached[step].get(rep, 0))} for step in STEPS
        }
        out[rep]["_target"] = float(target)
        out[rep]["_avg_deal"] = round(float(avg), 2)
    if skipped:
        out["_skipped"] = skipped
    if no_deals:
        out["_no_deals"] = no_deals
    return out


def quota_notes(extras: dict[str, Any], owners: Iterable[str]) -> list[str]:
    """Say which quotas could not be planned and which name no owner of the export (a typo in a
    quota file would otherwise pass as an empty funnel)."""
    import difflib

    notes = []
    names = sorted({str(o) for o in owners})
    for rep in extras.get("_no_deals", []):
        close = difflib.get_close_matches(rep, names, n=3, cutoff=0.4)
        hint = f"; close names / 相近的名字: {', '.join(close)}" if close else ""
        notes.append(f"quota for {rep!r}: no deal of this owner in the export / 配额中的 {rep} 在导出文件里没有商机{hint}")
    for rep in extras.get("_skipped", []):
        notes.append(
            f"quota for {rep!r} not planned: zero target or no amount to size it (set plan.avg_deal)"
            f" / {rep} 的配额无法倒推：目标为 0 或没有金额可估算单额（可设置 plan.avg_deal）"
        )
    return notes


def short_steps(rep_plan_entry: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(step, need, have) for each step the rep is short on, from the top of the funnel down."""
    out = []
    for step in reversed(STEPS):
        cell = rep_plan_entry.get(step)
        if cell and cell["have"] < cell["need"]:
            out.append((step, cell["need"], cell["have"]))
    return out


# --------------------------------------------------------------------------------------
# Rule hook: funnel-short is rep-level, so the check finds no deal; plan_findings() raises it
# --------------------------------------------------------------------------------------

from pipeaudit.engine.checks import Hits, register_check  # noqa: E402  (pandas-free)


@register_check(
    "funnel-short",
    requires=lambda p: [("owner",)],
    placeholders=("target", "short_steps", "top_step"),
    doc="rep-level: a step of the rep's open funnel is below what the rep's quota needs",
)
def _check_funnel_short(deals: Any, applies: Any, params: dict, env: Any, lang: str) -> Hits:
    import numpy as np

    return Hits(np.zeros(0, dtype=np.int64))


def fill_text(template: Any, values: dict[str, str]) -> str:
    """Fill a parsed rule Template from plain strings by concatenation (never str.format)."""
    return "".join(values.get(part, "—") if is_ph else part for is_ph, part in template.parts)


def rep_findings(rule: Any, entries: list[tuple[str | None, dict[str, str]]], lang: str) -> Any:
    """FINDING_COLUMNS rows for rep-level (owner, no deal) or global (owner None) findings."""
    import pandas as pd

    from pipeaudit.model import FINDING_COLUMNS

    rows = {c: [] for c in FINDING_COLUMNS}
    for owner, values in entries:
        rows["rule"].append(rule.name)
        rows["severity"].append(rule.severity)
        rows["row"].append(pd.NA)
        rows["deal_id"].append(None)
        rows["deal"].append(None)
        rows["owner"].append(owner)
        rows["stage"].append(None)
        rows["message"].append(fill_text(rule.message[lang], values))
        rows["question"].append(fill_text(rule.questions[0][lang], values))
        rows["deal_index"].append(pd.NA)
    frame = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in rows.items()})
    frame["row"] = frame["row"].astype("Int64")
    frame["deal_index"] = frame["deal_index"].astype("Int64")
    return frame


def plan_findings(plan_extras: dict[str, Any], rules: Iterable[Any], lang: str) -> Any:
    """One funnel-short finding per rep with a short step, if the rule is loaded and enabled."""
    rule = next((r for r in rules if r.name == "funnel-short" and getattr(r, "enabled", True)), None)
    entries = []
    if rule is not None:
        sep = "；" if lang == "zh" else "; "
        for rep, entry in plan_extras.items():
            if rep.startswith("_") or not isinstance(entry, dict):
                continue
            short = short_steps(entry)
            if not short:
                continue
            label = lambda s: STEP_LABELS[s][0 if lang == "zh" else 1]  # noqa: E731
            if lang == "zh":
                parts = [f"{label(s)}缺 {n - h}（需 {n}，有 {h}）" for s, n, h in short]
            else:
                parts = [f"{label(s)} short by {n - h} (need {n}, have {h})" for s, n, h in short]
            top = max(short, key=lambda t: t[1] - t[2])[0]
            entries.append((rep, {"target": f"{entry['_target']:,.0f}", "short_steps": sep.join(parts), "top_step": label(top)}))
    return rep_findings(rule, entries, lang) if entries else None


def quota_extras(frame: Any, quotas_path: Path | None, cfg: Any, rep: str | None = None) -> dict[str, Any] | None:
    """extras["plan"] for this run: --quotas FILE wins over config `quotas:`; None without either.
    With --rep only that rep's quota is planned (the others' deals are not in this run)."""
    quotas = read_quotas(quotas_path) if quotas_path is not None else dict(cfg.quotas or {})
    if rep is not None:
        quotas = {k: v for k, v in quotas.items() if k.strip() == rep.strip()}
    if not quotas:
        return None
    return funnel_vs_quota(frame, quotas, cfg.plan or {})


def ctx_rules(ctx: Any) -> list[Any]:
    """The rules of this run: ctx.rules when the pipeline provides it, else loaded and selected again."""
    rules = getattr(ctx, "rules", None)
    if rules is not None:
        return list(rules)
    from pipeaudit.engine import load_rules
    from pipeaudit.pipeline import select_rules

    ruleset = load_rules(list(ctx.opts.rules), default_rules=ctx.opts.default_rules, cfg=ctx.cfg)
    return select_rules(ruleset, ctx.opts, ctx.cfg)


def pipeline_findings(deals: Any, ctx: Any) -> Any:
    """pipeline PRODUCERS hook for quotas: extras["plan"] and the funnel-short findings."""
    extras = quota_extras(deals.frame, ctx.opts.quotas, ctx.cfg, getattr(ctx.opts, "rep", None))
    if extras is None:
        return None
    ctx.extras["plan"] = extras
    owners = deals.frame["owner"].dropna().astype(str) if "owner" in deals.frame.columns else []
    ctx.notes.extend(quota_notes(extras, owners))
    return plan_findings(extras, ctx_rules(ctx), ctx.lang)
