"""Exports in the styles found in public repositories, written here (no third-party data is copied):
each reproduces a header set and the value habits seen, and is read end to end with no config."""

from datetime import date

import pandas as pd
import pytest

from pipeaudit.config import Config
from pipeaudit.deals.build import build_deals
from pipeaudit.engine import evaluate, load_rules
from pipeaudit.read import read_table

RULES = load_rules([], default_rules=True)

# A CRM-analytics practice dataset: ids only for customer and rep, "x"-suffixed typos, stage names
# in three cases, and two date habits in one column (27/01/2024 with slashes, 04-26-2023 with dashes).
PRACTICE = """opportunity_id,customer_id,rep_id,product,estimated_value,stage,probability_pct,created_date,expected_close_date,actual_close_date,lead_source,notes
OPP001,C0191,V003,Data Audit,3123.9,Lead,10,2023-09-19,2023-10-20,,Referral,
OPP002,C0073,V008,Data Audit,2823.8,Proposal,50,2024-04-18,,,,
OPP003,C0147,V002,BI Consulting,8733.44,Closed Lost,0,2023-12-18,27/01/2024,2024-02-28,,
OPP004,C0072,V001,Data Audit,4327.68,Lead,10,20/03/2023,2023-06-15,,Event,Comparing vendors
OPP005,C0036,V005,Data Audit,4244.04,Prospect,25,2024-10-25,2025-02-02,,,
OPP006,C0154,V005,Dashboard,3609.51,Negotiation,75,2024-07-29,04-26-2023,,Cold Outreach,
OPP007,C0025,V007,Custom Report,3956.65x,Prospect,25,2023-02-26,2023-04-01,,Partner,
OPP008,C0118,V005,Analytics Pro,7490.39,closed won,100,2023-09-04,2023-12-10,2023-10-24,Referral,Board decision
OPP009,C0181,V008,Analytics Pro,9001.54,LEAD,10,11-22-2024,2025-03-20,,Cold Outreach,
OPP010,C0100,V008,Data Audit,3456.39,Negotiation,75,2023-03-16,2023-06-01,,,Budget approved
"""

# A sales-pipeline dataset: the rep is a "sales_agent", the amount a "close_value", four stages.
PIPELINE = """opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value
1C1I7A6R,Moses Frase,GTX Plus Basic,Cancity,Won,2016-10-20,2017-03-01,1054
Z063OYW0,Darcel Schlecht,GTXPro,Isdom,Won,2016-10-25,2017-03-11,4514
EC4QE1BX,Darcel Schlecht,MG Special,Cancity,Won,2016-10-25,2017-03-07,50
MV1LWRNH,Moses Frase,GTX Basic,Codehow,Lost,2016-10-25,2017-03-09,0
PE84CX4O,Zane Levy,GTX Basic,Hatfan,Engaging,2016-10-25,,
ZZY4516Q,Anna Snelling,GTX Pro,Ron-tech,Engaging,2016-10-29,,
KWVA7VR1,Anna Snelling,GTX Plus Pro,,Prospecting,,,
"""

# An API extract of Salesforce opportunities (ids for the account, a warehouse timestamp).
SF_API = """OpportunityId,OpportunityName,AccountId,CloseDate,StageName,Amount,Probability,CreatedDate
0061A00000abc6QAA,Green Solutions Project,0011A00000bvc8vQAA,2023-10-30,Proposal,350000.0,70.0,2023-09-26 15:15:00.000000 UTC
0061A00000abc1QAA,Acme Corp Deal,0011A00000bvc8qQAA,2023-12-31,Proposal,500000.0,60.0,2023-09-21 09:00:00.000000 UTC
0061A00000abc2QAA,Globex Renewal,0011A00000bvc8rQAA,2023-11-15,Negotiation,120000.0,80.0,2023-08-02 10:30:00.000000 UTC
0061A00000abc3QAA,Initech Pilot,0011A00000bvc8sQAA,2023-09-30,Closed Won,80000.0,100.0,2023-07-12 11:00:00.000000 UTC
"""

# HubSpot internal property names from a migration script, custom stages, month-first dashes.
HS_MIGRATION = """dealname,dealstage,close date,associated contact
WvFIEngCeXG,Closed Won,01-14-2020,LjUSdsIWoLV
jHKeaoTBJEl,Pending Response,04-02-2022,YrjKaIThxMv
aQkPoUnRtyB,Pending Contract,11-23-2021,PoIuYtReWqA
bLmNoPqRsTu,Pending Response,03-30-2022,ZxCvBnMaSdF
"""

# A Fivetran-style HubSpot sync: property_ prefixes, internal stage ids, epoch-millisecond dates.
FIVETRAN = """deal_id,owner_id,property_dealname,property_dealstage,property_amount,property_closedate,property_hs_is_closed_won
9001,311,Acme expansion,appointmentscheduled,12000,1798761600000,false
9002,311,Globex pilot,contractsent,30000,1801440000000,false
9003,422,Initech renewal,closedwon,8000,1793750400000,true
9004,422,Hooli upsell,qualifiedtobuy,15000,1804118400000,false
"""

# A win/loss extract: the outcome column is the only status, no stage.
WIN_LOSS = """id,company,vertical,headcount_band,close_month,outcome,deal_value_usd,loss_reason,cycle_days
d-001,Meridian SaaS,saas,50-200,2024-10,won,38000,,42
d-002,Apex Fintech,fintech,200-500,2024-10,won,95000,,68
d-003,Northwind Labs,saas,10-50,2024-11,lost,22000,price,30
"""


def read(tmp_path, text, name="export.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return build_deals(read_table(path), Config(), as_of=date(2026, 11, 23))


def test_practice_dataset(tmp_path):
    deals = read(tmp_path, PRACTICE)
    assert deals.mapping == {
        "deal_id": "opportunity_id", "account": "customer_id", "owner": "rep_id", "stage": "stage",
        "amount": "estimated_value", "probability": "probability_pct", "created": "created_date",
        "close_date": "expected_close_date",
    }
    assert deals.columns["owner"].confidence < 0.6  # an id, not a name: said in columns
    assert deals.dates["close_date"].order == "mixed" and deals.dates["created"].order == "mixed"
    f = deals.frame
    assert f["close_date"].tolist()[2:6:3] == [pd.Timestamp("2024-01-27"), pd.Timestamp("2023-04-26")]
    assert deals.problems["raw"].tolist() == ["3956.65x"]
    assert deals.stage_order.how == "probability" and deals.stage_order.open == ("Lead", "Prospect", "Proposal", "Negotiation")
    assert f["status"].value_counts().to_dict() == {"open": 8, "won": 1, "lost": 1}
    assert deals.unknown_stages == {}


def test_pipeline_dataset(tmp_path):
    deals = read(tmp_path, PIPELINE)
    assert deals.mapping["owner"] == "sales_agent" and deals.mapping["amount"] == "close_value"
    assert deals.stage_order.name == "saas" and deals.unknown_stages == {}
    assert deals.frame["status"].tolist() == ["won", "won", "won", "lost", "open", "open", "open"]
    assert deals.unmapped == ["product", "engage_date"]


def test_salesforce_api_extract(tmp_path):
    deals = read(tmp_path, SF_API)
    assert set(deals.mapping) == {"deal_id", "deal", "account", "close_date", "stage", "amount", "probability", "created"}
    assert {i.how for i in deals.columns.values()} == {"api", "alias"}
    assert deals.frame["created"].iloc[0].isoformat() == "2023-09-26T15:15:00"
    assert deals.stage_order.name == "salesforce"


def test_hubspot_custom_stages_reported_once(tmp_path):
    deals = read(tmp_path, HS_MIGRATION)
    assert deals.mapping == {"deal": "dealname", "stage": "dealstage", "close_date": "close date"}
    assert deals.stage_order.how == "none" and deals.unknown_stages == {"Pending Response": 2, "Pending Contract": 1}
    findings, _ = evaluate(deals, RULES.rules, date(2026, 11, 23), "en")
    assert "unknown-stage" not in set(findings["rule"])
    assert deals.dates["close_date"].order == "mdy"


def test_fivetran_hubspot_sync(tmp_path):
    deals = read(tmp_path, FIVETRAN)
    assert deals.mapping["deal"] == "property_dealname" and deals.columns["deal"].how == "api"
    assert deals.mapping["owner"] == "owner_id" and deals.mapping["is_won"] == "property_hs_is_closed_won"
    assert deals.stage_order.name == "hubspot"
    assert deals.frame["close_date"].dt.year.tolist() == [2027, 2027, 2026, 2027]
    assert deals.frame["status"].tolist() == ["open", "open", "won", "open"]


def test_win_loss_outcome_read_by_values(tmp_path):
    deals = read(tmp_path, WIN_LOSS)
    assert deals.columns["deal_status"].how == "values"
    assert deals.frame["status"].tolist() == ["won", "won", "lost"]
    assert deals.mapping["amount"] == "deal_value_usd" and deals.mapping["account"] == "company"


@pytest.mark.parametrize("text", [PRACTICE, PIPELINE, SF_API, HS_MIGRATION, FIVETRAN, WIN_LOSS])
def test_every_style_checks_without_a_crash(tmp_path, text):
    deals = read(tmp_path, text)
    findings, skipped = evaluate(deals, RULES.rules, date(2026, 11, 23), "zh")
    assert len(findings) + len(skipped) > 0


# Header rows of UI exports (labels as the CRMs write them; the Pipedrive one as a public
# reporting script lists its export's columns).
UI_EXPORTS = {
    "pipedrive": (
        "Deal - Territory,Deal - Pipeline,Deal - Stage,Organization - Customer segment,Deal - Title,"
        "Deal - Next activity date,Deal - Owner,Deal - Type of deal,Deal - Value,Deal - Expected REVENUE,"
        "Organization - Name,Deal - Organization,Deal - Expected close date,Deal - Deal source,"
        "Deal - Contact person,Deal - Status,Deal - Won time,Deal - Last stage change,Deal - Currency",
        {"stage": "Deal - Stage", "deal": "Deal - Title", "next_step_date": "Deal - Next activity date",
         "owner": "Deal - Owner", "amount": "Deal - Value", "account": "Deal - Organization",
         "close_date": "Deal - Expected close date", "deal_status": "Deal - Status",
         "stage_since": "Deal - Last stage change"},
    ),
    "odoo": (
        "Opportunity,Customer,Salesperson,Sales Team,Stage,Expected Revenue,Expected Closing,Probability,Created on,Tags",
        {"deal": "Opportunity", "account": "Customer", "owner": "Salesperson", "stage": "Stage",
         "amount": "Expected Revenue", "close_date": "Expected Closing", "probability": "Probability",
         "created": "Created on"},
    ),
    "dynamics": (
        "Topic,Potential Customer,Est. Close Date,Est. Revenue,Probability,Owner,Status,Status Reason,Sales Stage,"
        "Pipeline Phase,Rating",
        {"deal": "Topic", "account": "Potential Customer", "close_date": "Est. Close Date", "amount": "Est. Revenue",
         "probability": "Probability", "owner": "Owner", "deal_status": "Status", "stage": "Sales Stage"},
    ),
    "zoho": (
        "Deal Owner,Deal Name,Account Name,Stage,Amount,Closing Date,Probability (%),Expected Revenue,Lead Source,"
        "Contact Name,Created Time,Modified Time,Last Activity Time,Next Step",
        {"owner": "Deal Owner", "deal": "Deal Name", "account": "Account Name", "stage": "Stage", "amount": "Amount",
         "close_date": "Closing Date", "probability": "Probability (%)", "created": "Created Time",
         "last_activity": "Last Activity Time", "next_step": "Next Step"},
    ),
    "销售易": (
        "机会编号,机会名称,客户名称,销售阶段,销售金额,结单日期,赢率,所有人,阶段更新时间,创建时间,输单描述",
        {"deal_id": "机会编号", "deal": "机会名称", "account": "客户名称", "stage": "销售阶段", "amount": "销售金额",
         "close_date": "结单日期", "probability": "赢率", "owner": "所有人", "stage_since": "阶段更新时间",
         "created": "创建时间"},
    ),
}


@pytest.mark.parametrize("crm", sorted(UI_EXPORTS))
def test_ui_export_header_rows(crm):
    from pipeaudit.deals.columns import map_columns

    headers, expected = UI_EXPORTS[crm]
    cm = map_columns(headers.split(","), {})
    assert cm.headers == expected
    assert not cm.undecided
