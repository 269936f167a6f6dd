"""Property: a randomly mutated config file either works or is refused with one line (exit 2), both when
it is loaded and when a whole audit runs with it (rule parameter overrides reach the engine, the
ladders reach the stage mapper) — never an internal error.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeaudit.config import load_config
from pipeaudit.errors import PipeauditError

from pipeaudit import pipeline  # noqa: E402
if not hasattr(pipeline, "run_audit"):
    pytest.skip("pipeline.run_audit not implemented yet", allow_module_level=True)

FULL = {
    "columns": {"owner": "销售代表", "amount": "金额(万元)"},
    "lang": "zh",
    "date_order": "dmy",
    "fail_on": "warning",
    "rules": {"a-deal-overdue": {"weeks": 3}, "no-insider": {"severity": "warning"},
              "stale-by-stage": {"enabled": False}},
    "select": "no-insider, missing-decision-maker, a-deal-overdue",
    "ignore": ["vague-next-step"],
    "suppress": [{"deal": "OPP-1", "rule": "no-insider", "reason": "客户拒绝透露", "until": "2026-12-31"}],
    "quotas": {"王伟": 800000},
    "ladders": {"mine": {"open": ["线索", "拜访", "方案", "谈判"], "won": ["成交"], "lost": ["失败"]}},
}
ODD = [None, "", 0, -3, 2.5, True, [], {}, "x" * 200, ["a", 1], {"k": None}, "2026-02-30", "weeks", "{0}"]
EXPORT = (
    "商机编号,商机名称,销售代表,销售阶段,金额(万元),分级日期,商机分级,决策人,内线,预计成交日期\n"
    "OPP-1,A,王伟,拜访,15,2026-09-01,A,,,2026-12-01\n"
    "OPP-2,B,李芳,谈判,20,2026-10-01,B,张总,李工,2026-11-01\n"
    "OPP-3,C,王伟,成交,30,2026-08-01,A,张总,,2026-10-01\n"
)


def _paths(node, prefix=()):
    yield prefix, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated_config(draw) -> str:
    doc = copy.deepcopy(FULL)
    kind = draw(st.sampled_from(["delete", "retype", "rename", "truncate", "none"]))
    if kind == "truncate":
        text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
        return text[: draw(st.integers(0, len(text)))]
    for _ in range(draw(st.integers(1, 3)) if kind != "none" else 0):
        paths = [p for p, _ in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        if kind == "delete":
            del parent[key]
        elif kind == "retype":
            parent[key] = copy.deepcopy(draw(st.sampled_from(ODD)))
        elif kind == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from([str(key)[:-1], str(key) + "x", str(key).upper(), "wekks", "severty"]))] = parent.pop(key)
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def _one_line(exc: PipeauditError) -> None:
    msg = str(exc).strip()
    assert msg and "\n" not in msg, msg



@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(text=mutated_config())
def test_mutated_config_loads_and_audits_or_is_refused_in_one_line(tmp_path_factory, text: str) -> None:
    from pipeaudit.options import AuditOptions

    folder = tmp_path_factory.mktemp("cfg")
    cfg_path = folder / "pipeaudit.yaml"
    cfg_path.write_text(text, encoding="utf-8")
    export = folder / "export.csv"
    export.write_text(EXPORT, encoding="utf-8")
    try:
        cfg = load_config(cfg_path, search=False)
    except PipeauditError as exc:
        _one_line(exc)
        return
    opts = AuditOptions(path=export, config=cfg_path, as_of=dt.date(2026, 11, 23))
    try:
        result = pipeline.run_audit(opts, cfg)
    except PipeauditError as exc:
        _one_line(exc)
        return
    assert len(result.deals.frame) == 3


def test_the_unmutated_config_reaches_every_stage(tmp_path: Path) -> None:
    """The control: every key of FULL takes effect, so mutations start from a config that does work."""
    from pipeaudit.options import AuditOptions

    cfg_path = tmp_path / "pipeaudit.yaml"
    cfg_path.write_text(yaml.safe_dump(FULL, allow_unicode=True), encoding="utf-8")
    export = tmp_path / "export.csv"
    export.write_text(EXPORT, encoding="utf-8")
    cfg = load_config(cfg_path, search=False)
    result = pipeline.run_audit(AuditOptions(path=export, config=cfg_path, as_of=dt.date(2026, 11, 23)), cfg)
    assert result.deals.ladder == "mine"  # custom ladder used
    flagged = {(r, d) for r, d in result.findings[["rule", "deal_id"]].itertuples(index=False)}
    assert ("a-deal-overdue", "OPP-1") in flagged  # weeks: 3 override (A since 2026-09-01)
    assert ("no-insider", "OPP-1") not in flagged and len(result.muted) == 1  # suppressed
    assert "vague-next-step" not in {r for r, _ in flagged}
