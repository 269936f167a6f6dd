"""Header normalisation, aliases of each CRM, units in headers, ambiguity and overrides."""

import pytest

from pipeaudit.deals.columns import ALIASES, header_unit, make_header_scorer, map_columns, normalise_header
from pipeaudit.errors import ConfigError
from pipeaudit.model import FIELDS


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  Close   Date ", "close date"),
        ("ＣＬＯＳＥ　ＤＡＴＥ", "close date"),  # full-width letters and ideographic space
        ("预计成交金额（万元）", "预计成交金额"),
        ("预计成交金额(万元)", "预计成交金额"),
        ("Amount (USD)", "amount"),
        ("Probability (%)", "probability"),
        ("*商机名称", "商机名称"),
        ("客户名称：", "客户名称"),
        ("(万元)", "(万元)"),  # a unit alone is not stripped to nothing
        (None, ""),
        (15, "15"),
    ],
)
def test_normalise_header(raw, expected):
    assert normalise_header(raw) == expected


@pytest.mark.parametrize(
    "header, mult",
    [
        ("预计成交金额(万元)", 1e4), ("预计成交金额（万元）", 1e4), ("金额(元)", 1.0), ("金额(千元)", 1e3),
        ("Amount (k)", 1e3), ("Amount (K)", 1e3), ("Amount (M)", 1e6), ("金额(百万)", 1e6),
        ("金额(亿)", 1e8), ("Amount (USD)", 1.0), ("金额(¥)", 1.0), ("金额(RMB)", 1.0), ("金额(CNY)", 1.0),
        ("金额（单位：万元）", 1e4), ("Amount", None), ("Amount (estimate)", None),
    ],
)
def test_header_unit(header, mult):
    assert header_unit(header)[1] == mult


def test_unit_recorded_for_amount_fields():
    cm = map_columns(["商机名称", "预计成交金额（万元）", "报价金额(千元)"], {})
    assert cm.fields == {"deal": 0, "amount": 1, "quote_amount": 2}
    assert cm.units == {"amount": 1e4, "quote_amount": 1e3}


CRM_HEADERS = {
    "salesforce": {
        "Opportunity ID": "deal_id", "Opportunity Name": "deal", "Account Name": "account",
        "Opportunity Owner": "owner", "Stage": "stage", "Amount": "amount", "Close Date": "close_date",
        "Created Date": "created", "Last Activity": "last_activity", "Next Step": "next_step",
        "Probability (%)": "probability", "Forecast Category": "forecast_category",
    },
    "hubspot": {
        "Record ID": "deal_id", "Deal Name": "deal", "Deal Stage": "stage", "Amount": "amount",
        "Close Date": "close_date", "Create Date": "created", "Deal owner": "owner",
        "Last Activity Date": "last_activity",
    },
    "pipedrive": {
        "Deal - Title": "deal", "Deal - Value": "amount", "Deal - Owner": "owner", "Deal - Stage": "stage",
        "Deal - Expected close date": "close_date", "Deal - Organization": "account", "Deal - ID": "deal_id",
        "Deal - Add time": "created", "Deal - Last activity date": "last_activity",
        "Deal - Probability": "probability",
    },
    "zoho": {
        "Deal Name": "deal", "Account Name": "account", "Deal Owner": "owner", "Stage": "stage",
        "Amount": "amount", "Closing Date": "close_date", "Created Time": "created",
        "Last Activity Time": "last_activity", "Next Step": "next_step", "Probability (%)": "probability",
    },
    "xiaoshouyi": {
        "商机名称": "deal", "客户名称": "account", "销售阶段": "stage", "商机金额": "amount",
        "结单日期": "close_date", "负责人": "owner", "创建日期": "created", "最新跟进时间": "last_activity",
    },
    "fxiaoke": {
        "商机名称": "deal", "客户名称": "account", "商机阶段": "stage", "商机金额": "amount",
        "预计成交日期": "close_date", "负责人": "owner", "最后跟进时间": "last_activity",
    },
    "yonyou": {"项目名称": "deal", "客户": "account", "业务员": "owner", "预计签约日期": "close_date"},
    "meddpicc": {
        "Economic Buyer": "decision_maker", "Champion": "insider", "Decision Criteria": "needs",
        "Competition": "competitors",
    },
    "method": {
        "决策人": "decision_maker", "内线": "insider", "内线级别": "insider_level", "商机分级": "deal_class",
        "分级日期": "class_since", "报价日期": "quote_date", "报价金额": "quote_amount", "需求确认": "confirmed",
        "需求确认日期": "confirmed_date", "竞争对手": "competitors", "客户需求": "needs", "预算": "budget",
        "采购时间表": "timeline", "赢率": "probability", "pipeaudit-ignore": "ignore",
        "阶段变更日期": "stage_since",
    },
}


@pytest.mark.parametrize("crm", sorted(CRM_HEADERS))
def test_crm_default_headers(crm):
    expected = CRM_HEADERS[crm]
    cm = map_columns(list(expected), {})
    assert {f: cm.headers[f] for f in cm.headers} == {f: h for h, f in expected.items()}
    assert cm.unmapped == []


def test_every_field_has_aliases_and_maps_its_own_name():
    assert set(ALIASES) == set(FIELDS)
    cm = map_columns(list(FIELDS), {})
    assert cm.fields == {name: i for i, name in enumerate(FIELDS)}


@pytest.mark.parametrize(
    "headers, expected, unmapped",
    [
        (["Amount", "Quote Amount"], {"amount": "Amount", "quote_amount": "Quote Amount"}, []),
        (["报价金额", "金额"], {"quote_amount": "报价金额", "amount": "金额"}, []),
        (["报价"], {"quote_amount": "报价"}, []),
        (["确认日期", "需求确认日期"], {"confirmed_date": "需求确认日期"}, ["确认日期"]),
        (["Created By", "Created Date"], {"created": "Created Date"}, ["Created By"]),
        (["Owner", "Account Owner", "Opportunity Owner"], {"owner": "Opportunity Owner"}, ["Owner", "Account Owner"]),
        (["Account Owner"], {}, ["Account Owner"]),
        (["金额", "金额"], {"amount": "金额"}, ["金额"]),  # two headers, one field: first wins
        (["close_date", "CloseDate", "CLOSE-DATE"], {"close_date": "close_date"}, ["CloseDate", "CLOSE-DATE"]),
    ],
)
def test_ambiguity(headers, expected, unmapped):
    cm = map_columns(headers, {})
    assert cm.headers == expected
    assert cm.unmapped == unmapped


def test_loose_match_ignores_spaces_and_punctuation():
    cm = map_columns(["CloseDate", "deal_name", "Opportunity-Owner"], {})
    assert cm.headers == {"close_date": "CloseDate", "deal": "deal_name", "owner": "Opportunity-Owner"}


def test_override_wins_over_alias_and_frees_nothing_twice():
    cm = map_columns(["销售代表", "负责人", "金额"], {"owner": "销售代表", "deal": "金额"})
    assert cm.headers["owner"] == "销售代表"
    assert cm.headers["deal"] == "金额"
    assert "amount" not in cm.fields  # the header went to the override's field only
    assert cm.unmapped == ["负责人"]


def test_override_matches_after_normalisation():
    cm = map_columns(["ＳＡＬＥＳ　ＲＥＰ （万元）"], {"amount": "sales rep"})
    assert cm.fields == {"amount": 0}
    assert cm.units == {"amount": 1e4}


def test_override_header_missing_names_it_and_suggests():
    with pytest.raises(ConfigError) as err:
        map_columns(["销售代表", "客户名称"], {"owner": "销售代"})
    msg = str(err.value)
    assert "销售代" in msg and "owner" in msg and "销售代表" in msg
    assert "\n" not in msg


def test_header_scorer_counts_distinct_fields():
    score = make_header_scorer({"owner": "跟单人"})
    assert score(["商机名称", "客户", "阶段", "跟单人", None, 3, 4.5]) == 4
    assert score(["商机名称", "项目名称"]) == 1  # two aliases of one field count once
    assert score(["2026年度销售机会导出", None, None]) == 0
    assert score([]) == 0


def test_one_header_for_two_overrides_is_a_clear_error():
    with pytest.raises(ConfigError, match="both owner and deal"):
        map_columns(["销售代表"], {"owner": "销售代表", "deal": "销售代表"})


def test_blank_headers_are_not_listed_as_unmapped():
    cm = map_columns(["商机名称", "", None, "备注"], {})
    assert cm.unmapped == ["备注"]
