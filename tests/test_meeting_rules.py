"""Issue 12: supersedes, the risk and report config, the card's questions on the samples, the plan's
amounts, the rep order."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app
from pipeaudit.config import load_config
from pipeaudit.deals.build import deals_from_records
from pipeaudit.engine import evaluate, load_rules
from pipeaudit.errors import ConfigError, RuleError

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 11, 23)
RULES = load_rules([], default_rules=True)


def _pack(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text("pack: mine\nrules:\n" + body, encoding="utf-8")
    return path


RULE = """  - name: {name}
    severity: warning
    where: {{blank: insider}}
    message: {{zh: 消息, en: message}}
    questions: [{{zh: 问, en: ask}}]
    why: {{zh: 原因, en: why}}
    ref: test
"""


def test_supersedes_names_are_checked_and_cycles_refused(tmp_path):
    bad = _pack(tmp_path, RULE.format(name="a-rule") + "    supersedes: [no-such-rule]\n")
    with pytest.raises(RuleError, match=r"mine\.yaml:\d+: rule 'a-rule': supersedes 'no-such-rule'"):
        load_rules([bad])
    loop = _pack(tmp_path, RULE.format(name="a-rule") + "    supersedes: [b-rule]\n"
                 + RULE.format(name="b-rule") + "    supersedes: [a-rule]\n")
    with pytest.raises(RuleError, match="cycle"):
        load_rules([loop])
    itself = _pack(tmp_path, RULE.format(name="a-rule") + "    supersedes: [a-rule]\n")
    with pytest.raises(RuleError, match="itself"):
        load_rules([itself])


def test_one_silence_is_one_finding_on_the_same_deal_only():
    stale, quiet = RULES.get("stale-by-stage"), RULES.get("no-recent-activity")
    assert "no-recent-activity" in stale.supersedes
    deals = deals_from_records([
        {"deal": "both", "stage": "B商务谈判", "last_activity": "2026-10-20"},  # 34 days: both rules fire
        {"deal": "lead", "stage": "E确认商机", "last_activity": "2026-11-01"},  # 22 days: only no-recent-activity
    ])
    findings, _ = evaluate(deals, [quiet, stale], AS_OF, "zh")
    got = sorted(zip(findings["deal"], findings["rule"]))
    assert got == [("both", "stale-by-stage"), ("lead", "no-recent-activity")]
    alone, _ = evaluate(deals, [quiet], AS_OF, "zh")  # --select the superseded rule alone: it still speaks
    assert sorted(alone["deal"]) == ["both", "lead"]


def test_first_visit_facts_replace_competitors_unknown_and_leave_the_decision_maker_to_pa101():
    rules = [RULES.get(n) for n in ("missing-decision-maker", "competitors-unknown", "first-visit-facts-missing")]
    deals = deals_from_records([{"deal": "x", "stage": "C方案论证", "decision_maker": "", "competitors": "",
                                 "needs": "", "budget": "50万", "timeline": "Q1"}])
    findings, _ = evaluate(deals, rules, AS_OF, "zh")
    assert sorted(findings["rule"]) == ["first-visit-facts-missing", "missing-decision-maker"]
    facts = findings.loc[findings["rule"] == "first-visit-facts-missing", "message"].iloc[0]
    assert "竞争对手" in facts and "决策人" not in facts


def test_risk_and_report_config_are_validated_with_their_line(tmp_path):
    cfg = tmp_path / "pipeaudit.yaml"
    cfg.write_text("lang: zh\nrisk:\n  severity: {error: 2, warnng: 1}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"pipeaudit\.yaml:3: unknown key 'risk\.severity\.warnng' — did you mean 'warning'"):
        load_config(cfg)
    cfg.write_text("risk:\n  close_days: -1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r":2: risk\.close_days must be a number from 0 to 1000"):
        load_config(cfg)
    cfg.write_text("report:\n  unit: 千\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r":2: 'unit' must be one of"):
        load_config(cfg)
    cfg.write_text("report: {unit: 万, sort_reps: name}\nrisk: {class: {A: 2}, no_close_date: 0.2}\n", encoding="utf-8")
    loaded = load_config(cfg)
    assert loaded.report_unit == "万" and loaded.sort_reps == "name"
    assert loaded.risk["class"]["A"] == 2.0 and loaded.risk["class"]["B"] == 0.8 and loaded.risk["no_close_date"] == 0.2


def test_risk_score_weighs_amount_severity_class_and_closeness():
    from pipeaudit.config import RISK_DEFAULTS
    from pipeaudit.report.meeting import risk_scores

    close = ["2026-11-20", "2027-01-22", None, "2026-12-23"]
    scores = risk_scores([100.0, 100.0, float("nan"), 300.0], ["error", "warning", "error", None],
                         ["A", "B", "C", "A"], close, AS_OF, RISK_DEFAULTS)
    assert scores[0] == pytest.approx(100 * 1.0 * 1.0 * 1.0)  # overdue: closeness 1
    assert scores[1] == pytest.approx(100 * 0.5 * 0.8 * 60 / 120)  # 60 days away: half
    assert scores[2] == pytest.approx(100 * 1.0 * 0.5 * 0.5)  # no amount: the median (100); no date: 0.5
    assert scores[3] == 0  # no finding, no risk


def _sample_report(tmp_path: Path, name: str, *extra: str) -> Path:
    out = tmp_path / name
    res = CliRunner().invoke(app, ["report", str(ROOT / "samples" / name), "--as-of", "2026-11-23", "--out", str(out),
                                   "--format", "html,md", *extra])
    assert res.exit_code == 0, res.output
    return out


@pytest.mark.parametrize("sample", ["crm_export_zh.xlsx", "crm_export_gb18030.csv", "salesforce_export.csv",
                                    "warehouse_opportunities.csv"])
def test_no_card_on_the_sample_sheets_asks_more_than_three_questions(tmp_path, sample):
    out = _sample_report(tmp_path, sample)
    cards = 0
    for page in (out / "reps").glob("*.html"):
        html = page.read_text("utf-8")
        for card in re.findall(r'<section class="deal.*?</section>', html, re.S):
            cards += 1
            asked = re.findall(r'<ol class="card-q">(.*?)</ol>', card, re.S)
            assert len(asked) <= 1 and (not asked or 1 <= asked[0].count("<li>") <= 3), (page.name, card[:200])
            assert "stage-q" not in card and "standing-q" not in card  # the checklists live in the appendix
        assert html.count('class="standing-q"') <= 1 and html.count('id="appendix"') <= 1
    assert cards >= 5
    for page in (out / "reps").glob("*.md"):  # the Markdown cards too: numbered questions, 3 at most
        for card in page.read_text("utf-8").split("\n### ")[1:]:
            block = card.split("\n## ")[0]
            assert len(re.findall(r"^\d+\. ", block.split("**要问**")[-1] if "**要问**" in block
                                  else block.split("**Ask**")[-1], re.M)) <= 3


def test_the_team_thinks_in_wan_and_reps_can_go_in_pinyin_order(tmp_path):
    cfg = tmp_path / "pipeaudit.yaml"
    cfg.write_text("report: {sort_reps: name}\n", encoding="utf-8")
    out = _sample_report(tmp_path, "crm_export_zh.xlsx", "--config", str(cfg))
    html = (out / "summary.html").read_text("utf-8")
    reps = re.findall(r'<tr data-owner="([^"]*)">', html)
    assert reps == ["陈静", "李娜", "刘洋", "王/五", "张伟", "赵磊"]  # chen, li, liu, wang, zhang, zhao
    assert "在途金额（万）" in html and "阶段体系: EDCBA 项目阶段" in html
    by_risk = _sample_report(tmp_path / "r", "crm_export_zh.xlsx")
    risk = re.findall(r'<tr data-owner="[^"]*"><td[^>]*><a[^>]*>[^<]*</a></td><td class="num"[^>]*>([^<]*)</td>',
                      (by_risk / "summary.html").read_text("utf-8"))
    values = [float(v.replace(",", "")) for v in risk]
    assert values == sorted(values, reverse=True)  # riskiest rep first


def test_plan_takes_amounts_as_the_exports_write_them():
    res = CliRunner().invoke(app, ["plan", "--target", "80万", "--avg-deal", "15万", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert '"target": 800000' in res.stdout
    big = CliRunner().invoke(app, ["plan", "--target", "1.2亿", "--avg-deal", "1,200万", "--format", "json"])
    assert big.exit_code == 0 and '"target": 120000000' in big.stdout and '"contracts": 10' in big.stdout
    bad = CliRunner().invoke(app, ["plan", "--target", "八十万", "--avg-deal", "15万"])
    assert bad.exit_code == 2 and "80万" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_rule_coverage_is_shown_when_the_summary_has_it_and_absent_otherwise(tmp_path, monkeypatch):
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from test_report_render import FINDINGS, RECORDS, make_result

    import pipeaudit.findings as shared
    from pipeaudit.report import write_report

    write_report(make_result(RECORDS, FINDINGS), tmp_path / "without", ["html", "md"])
    assert "规则覆盖" not in (tmp_path / "without" / "summary.html").read_text("utf-8")
    real = shared.summarize

    def with_coverage(result, codes=None):
        return {**real(result, codes), "coverage": {"ran": 30, "total": 38, "skipped": [{"rule": "no-<insider>"}]}}

    monkeypatch.setattr(shared, "summarize", with_coverage)
    write_report(make_result(RECORDS, FINDINGS), tmp_path / "with", ["html", "md"])
    html = (tmp_path / "with" / "summary.html").read_text("utf-8")
    assert "规则覆盖: 30 条规则已运行，共 38" in html and "no-&lt;insider&gt;" in html
    assert "规则覆盖: 30" in (tmp_path / "with" / "summary.md").read_text("utf-8")
