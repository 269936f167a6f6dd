"""run_audit end to end on in-memory deals: selection, rep filter, suppressions, skips, params."""

from datetime import date
from pathlib import Path

import pytest

from pipeaudit.config import Config, Suppression
from pipeaudit.deals.build import deals_from_records
from pipeaudit.errors import ConfigError
from pipeaudit.model import FINDING_COLUMNS
from pipeaudit.options import AuditOptions
from pipeaudit.pipeline import run_audit

AS_OF = date(2026, 11, 23)

RECORDS = [
    {"deal_id": "D1", "deal": "仓储系统", "owner": "张三", "stage": "C方案论证", "decision_maker": "", "insider": "李工",
     "deal_class": "A", "class_since": "2026-10-01", "amount": "15万", "next_step": "周三演示", "ignore": ""},
    {"deal_id": "D2", "deal": "财务云", "owner": "李四", "stage": "D进程确定", "decision_maker": "王总", "insider": "",
     "deal_class": "B", "class_since": "2026-11-01", "amount": "", "next_step": "跟进", "ignore": "no-insider、PA003"},
    {"deal_id": "D3", "deal": "老项目", "owner": "张三", "stage": "赢单", "decision_maker": "", "insider": "",
     "deal_class": "A", "class_since": "2026-01-01", "amount": "bad amount", "next_step": "", "ignore": ""},
    {"deal_id": "D4", "deal": "新线索", "owner": " 王五 ", "stage": "E确认商机", "decision_maker": "", "insider": "",
     "deal_class": "C", "class_since": "", "amount": "3万", "next_step": "", "ignore": "all"},
]


def audit(records=RECORDS, cfg=None, **kw):
    opts = AuditOptions(path=Path("export.xlsx"), as_of=AS_OF, **kw)
    return run_audit(opts, cfg or Config(), deals_from_records(records))


def pairs(result, frame="findings"):
    f = getattr(result, frame)
    return sorted(zip(f["deal_id"], f["rule"]))


def test_findings_shape_and_order():
    r = audit()
    assert tuple(r.findings.columns) == FINDING_COLUMNS
    assert ("D1", "missing-decision-maker") in pairs(r)
    assert ("D1", "a-deal-overdue") in pairs(r)
    assert ("D3", "invalid-value") in pairs(r)  # closed deals still get unreadable values reported
    assert not any(d == "D3" and rule != "invalid-value" for d, rule in pairs(r))  # closed: no pipeline rules
    owners = r.findings["owner"].tolist()
    assert owners == sorted(owners, key=lambda o: (o is None, o or ""))
    d1 = r.findings[r.findings["deal_id"] == "D1"]
    sev = d1["severity"].map({"error": 0, "warning": 1, "info": 2}).tolist()
    assert sev == sorted(sev)
    assert r.findings["row"].dtype == "Int64"
    assert set(r.findings["deal_index"]) <= set(r.deals.frame.index)
    assert r.lang == "en"  # the records' headers are field names (English)


def test_invalid_value_names_column_and_raw_text():
    r = audit()
    msg = r.findings[(r.findings["rule"] == "invalid-value")]["message"].iloc[0]
    assert "bad amount" in msg and "amount" in msg


def test_ignore_column_mutes_by_name_code_and_all():
    r = audit()
    muted = pairs(r, "muted")
    assert ("D2", "no-insider") in muted and ("D2", "missing-amount") in muted
    assert ("D2", "vague-next-step") in pairs(r)  # not listed, still reported
    assert all(rule not in {"no-next-step", "missing-amount"} for d, rule in pairs(r) if d == "D4")
    assert ("D4", "no-next-step") in muted
    assert set(r.muted["reason"]) == {"ignore column in the export"}
    assert "reason" in r.muted.columns


def test_config_suppression_and_expiry():
    cfg = Config(suppress=[
        Suppression("D1", "missing-decision-maker", "customer is a sole trader"),
        Suppression("仓储系统", "a-deal-overdue", "signing moved to after the audit", until=date(2026, 12, 31)),
        Suppression("D1", "PA107", "old", until=date(2026, 11, 1)),
    ])
    r = audit(cfg=cfg)
    muted = dict(zip(zip(r.muted["deal_id"], r.muted["rule"]), r.muted["reason"]))
    assert muted[("D1", "missing-decision-maker")] == "customer is a sole trader"
    assert muted[("D1", "a-deal-overdue")] == "signing moved to after the audit"
    assert any("suppression of no-next-step for D1 expired on 2026-11-01" in n for n in r.notes)
    later = audit(cfg=Config(suppress=[Suppression("D1", "a-deal-overdue", "x", until=date(2026, 11, 1))]))
    assert ("D1", "a-deal-overdue") in pairs(later)


def test_select_and_ignore_by_name_or_code():
    r = audit(select=["no-insider", "PA101"])
    assert {rule for _, rule in pairs(r)} <= {"no-insider", "missing-decision-maker"}
    assert {rule for _, rule in pairs(r)} == {"missing-decision-maker"}  # D2's no-insider is muted by its column
    r = audit(ignore=["missing-decision-maker"])
    assert "missing-decision-maker" not in {rule for _, rule in pairs(r)}
    r = audit(cfg=Config(ignore=["PA104"]))
    assert "a-deal-overdue" not in {rule for _, rule in pairs(r)}
    with pytest.raises(ConfigError, match="did you mean 'no-insider'"):
        audit(select=["no-insidr"])
    with pytest.raises(ConfigError, match="--ignore"):
        audit(ignore=["nothing-like-this"])


def test_rep_filter():
    r = audit(rep="王五")  # owner " 王五 " matches after trimming
    assert set(r.deals.frame["deal_id"]) == {"D4"}
    assert set(r.findings["deal_id"]) <= {"D4"}
    with pytest.raises(ConfigError) as err:
        audit(rep="张")
    assert "张三" in str(err.value)


def test_params_from_config_change_the_result():
    assert ("D1", "a-deal-overdue") in pairs(audit())
    assert ("D1", "a-deal-overdue") not in pairs(audit(cfg=Config(rules={"a-deal-overdue": {"weeks": 12}})))
    r = audit(cfg=Config(rules={"a-deal-overdue": {"weeks": 12}, "no-next-step": {"severity": "info"}}))
    assert set(r.findings.loc[r.findings["rule"] == "no-next-step", "severity"]) <= {"info"}
    r = audit(cfg=Config(rules={"missing-decision-maker": {"enabled": False}}))
    assert "missing-decision-maker" not in set(r.findings["rule"])


def test_rules_needing_missing_fields_are_skipped_with_a_note():
    r = audit(records=[{"deal": "x", "owner": "A", "stage": "C方案论证", "decision_maker": ""}])
    skipped = {s.rule: s.missing for s in r.skipped}
    assert skipped["no-insider"] == ["insider"]
    assert "price-before-confirmation" in skipped
    assert set(skipped["price-before-confirmation"]) == {"confirmed", "confirmed_date", "quote_amount", "quote_date"}
    assert "missing-decision-maker" not in skipped
    assert set(r.findings["rule"]) >= {"missing-decision-maker"}


def test_price_before_confirmation_with_partial_columns():
    # quote amount and a confirmation date, but no yes/no confirmed column: the rule still runs
    recs = [
        {"deal_id": "Q1", "stage": "商务", "quote_amount": "10万", "confirmed_date": ""},
        {"deal_id": "Q2", "stage": "商务", "quote_amount": "10万", "confirmed_date": "2026-10-01"},
        {"deal_id": "Q3", "stage": "商务", "quote_amount": "", "confirmed_date": ""},
    ]
    r = audit(records=recs, select=["price-before-confirmation"])
    assert pairs(r) == [("Q1", "price-before-confirmation")]


def test_lang_choice_and_messages():
    r = audit(lang="zh", select=["a-deal-overdue"])
    assert r.lang == "zh"
    assert r.findings["message"].iloc[0] == "A 类商机自 2026-10-01 起已 53 天，超过 4 周仍未签"
    assert r.findings["question"].iloc[0].startswith("它还能在两周内签下来吗")
    r = audit(cfg=Config(lang="zh"), lang="en", select=["a-deal-overdue"])
    assert r.lang == "en" and "A-class since 2026-10-01: 53 days" in r.findings["message"].iloc[0]


def test_data_cannot_inject_format_specs():
    recs = [{"deal_id": "X", "stage": "C方案论证", "next_step": "{0.__class__} {amount} __import__('os')"}]
    r = audit(records=recs, select=["vague-next-step", "no-next-step"])
    assert len(r.findings) == 0
    recs = [{"deal_id": "X", "stage": "C方案论证", "next_step": "TBD {amount:>99999}"}]
    r = audit(records=recs, select=["vague-next-step"], lang="en")
    assert r.findings["message"].iloc[0] == "Next step 'TBD {amount:>99999}' is too vague to act on"


def test_no_eval_in_rule_values(tmp_path):
    pack = tmp_path / "p.yaml"
    pack.write_text(
        "pack: p\nrules:\n  - name: odd\n    severity: info\n"
        "    where: {equals: {field: next_step, value: \"__import__('os').system('touch pwned')\"}}\n"
        "    message: {zh: 命中, en: hit}\n    questions: [{zh: 问, en: ask}]\n"
        "    why: {zh: 因, en: why}\n    ref: none\n",
        encoding="utf-8",
    )
    recs = [{"deal_id": "A", "next_step": "__import__('os').system('touch pwned')"}, {"deal_id": "B", "next_step": "x"}]
    r = audit(records=recs, rules=[pack], default_rules=False)
    assert pairs(r) == [("A", "odd")]
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_empty_findings_keep_the_columns():
    r = audit(records=[{"deal_id": "Z", "stage": "赢单"}], select=["no-insider"])
    assert len(r.findings) == 0 and tuple(r.findings.columns) == FINDING_COLUMNS
    assert "reason" in r.muted.columns


def test_export_without_stage_skips_stage_rules_but_runs_the_rest():
    recs = [{"deal_id": "S1", "owner": "A", "decision_maker": "", "insider": "", "next_step": ""}]
    r = audit(records=recs)
    skipped = {s.rule: s.missing for s in r.skipped}
    assert "stage" in skipped["missing-decision-maker"] and "stage" in skipped["no-insider"]
    assert ("S1", "no-next-step") in pairs(r)  # blank stage counts as open


def test_skipped_rules_helper_matches_evaluate():
    from pipeaudit.engine import evaluate, load_rules, skipped_rules

    deals = deals_from_records([{"deal": "x", "stage": "C方案论证", "decision_maker": ""}])
    rules = load_rules([])
    _, skipped = evaluate(deals, rules, AS_OF, "en")
    assert [(s.rule, s.missing) for s in skipped_rules(deals, rules)] == [(s.rule, s.missing) for s in skipped]
