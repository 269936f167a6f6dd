"""Headers no alias names: words of identifiers, CRM API names, column values; how and how sure.

The API names are those of the CRMs' own references (Salesforce Opportunity object, HubSpot deal
properties, Pipedrive deal fields, Zoho Deals module, Odoo crm.lead, Dynamics 365 opportunity,
销售易 opportunity api_keys); the fixtures are written here, not copied from any export.
"""

import numpy as np
import pandas as pd
import pytest

from pipeaudit.deals.columns import make_header_scorer, map_columns
from pipeaudit.deals.words import match_words, split_words


@pytest.mark.parametrize(
    "header, words",
    [
        ("opp_name", ["opp", "name"]),
        ("RepName", ["rep", "name"]),
        ("OwnerId", ["owner", "id"]),
        ("ForecastCategoryName", ["forecast", "category", "name"]),
        ("Deal - Title", ["deal", "title"]),
        ("Opportunity: Name", ["opportunity", "name"]),
        ("Region__c", ["region"]),
        ("hs_v2_date_entered_current_stage", ["hs", "v2", "date", "entered", "current", "stage"]),
        ("estimatedclosedate", ["estimated", "close", "date"]),
        ("dealname", ["deal", "name"]),
        ("预计签单日期", ["预计", "签单", "日期"]),
        ("下一步计划", ["下一步", "计划"]),
        ("所属客户", ["所属", "客户"]),
        ("Amount (USD)", ["amount"]),
    ],
)
def test_split_words(header, words):
    assert split_words(header) == words


@pytest.mark.parametrize(
    "header, field",
    [
        ("opp_id", "deal_id"), ("opportunity_number", "deal_id"), ("opp_name", "deal"), ("deal_title", "deal"),
        ("rep_name", "owner"), ("RepName", "owner"), ("assigned_to", "owner"), ("sales_person", "owner"),
        ("account_executive", "owner"), ("deal_owner_name", "owner"), ("customer_name", "account"),
        ("company", "account"), ("stage_name", "stage"), ("deal_phase", "stage"), ("pipeline_stage", "stage"),
        ("amount_usd", "amount"), ("acv", "amount"), ("Expected Revenue", "amount"), ("Est. Revenue", "amount"),
        ("expected_close", "close_date"), ("Expected Closing", "close_date"), ("close_dt", "close_date"),
        ("created_at", "created"), ("create_ts", "created"), ("last_activity_at", "last_activity"),
        ("Last Contacted", "last_activity"), ("next_steps", "next_step"), ("next_step_due_date", None),
        ("next_activity_date", "next_step_date"), ("win_rate", "probability"), ("stage_entered_at", "stage_since"),
        ("days_in_stage", "days_in_stage"), ("close_date_push_count", "close_date_changes"),
        ("num_associated_contacts", "contact_count"), ("contacts_count", "contact_count"), ("is_won", "is_won"),
        ("IsClosed", "is_closed"), ("deal_status", "deal_status"),
        ("商机名称", "deal"), ("项目编号", "deal_id"), ("归属人", "owner"), ("跟进人", "owner"), ("所属客户", "account"),
        ("商机阶段", "stage"), ("预计签单日期", "close_date"), ("最后跟进时间", "last_activity"),
        ("下次跟进时间", "next_step_date"), ("联系人数", "contact_count"), ("成交日期推迟次数", "close_date_changes"),
        ("商机状态", "deal_status"), ("赢率", "probability"),
        # words a field does not allow stop the match
        ("Created By", None), ("Deal Type", None), ("Account Owner", None), ("Lead Source", None),
        ("Closed Lost Reason", None), ("region", None), ("amount_currency", None), ("Contact Name", None),
        ("hs_time_in_current_stage", None),
    ],
)
def test_words_pick_the_field(header, field):
    found = match_words(header)
    assert (found[0].field if found else None) == field, found


def _cm(headers):
    return map_columns(headers, {})


@pytest.mark.parametrize(
    "crm, headers",
    [
        ("Salesforce", {"Id": "deal_id", "Name": "deal", "Account.Name": "account", "Owner.Name": "owner",
                        "StageName": "stage", "CloseDate": "close_date", "CreatedDate": "created",
                        "LastActivityDate": "last_activity", "NextStep": "next_step",
                        "ForecastCategoryName": "forecast_category", "IsClosed": "is_closed", "IsWon": "is_won",
                        "PushCount": "close_date_changes", "LastStageChangeDate": "stage_since"}),
        ("HubSpot", {"hs_object_id": "deal_id", "dealname": "deal", "dealstage": "stage", "closedate": "close_date",
                     "hubspot_owner_id": "owner", "createdate": "created", "notes_last_updated": "last_activity",
                     "hs_next_step": "next_step", "notes_next_activity_date": "next_step_date",
                     "num_associated_contacts": "contact_count", "hs_deal_stage_probability": "probability",
                     "hs_is_closed_won": "is_won", "hs_v2_date_entered_current_stage": "stage_since"}),
        ("Pipedrive", {"id": "deal_id", "title": "deal", "value": "amount", "status": "deal_status",
                       "stage_id": "stage", "expected_close_date": "close_date", "owner_name": "owner",
                       "org_name": "account", "add_time": "created", "last_activity_date": "last_activity",
                       "next_activity_date": "next_step_date", "stage_change_time": "stage_since"}),
        ("Zoho", {"Deal_Name": "deal", "Stage": "stage", "Amount": "amount", "Closing_Date": "close_date",
                  "Owner": "owner", "Account_Name": "account", "Probability": "probability", "Next_Step": "next_step",
                  "Created_Time": "created", "Last_Activity_Time": "last_activity"}),
        ("Odoo", {"name": "deal", "partner_id": "account", "user_id": "owner", "stage_id": "stage",
                  "expected_revenue": "amount", "date_deadline": "close_date", "probability": "probability",
                  "create_date": "created"}),
        ("Dynamics 365", {"opportunityid": "deal_id", "name": "deal", "estimatedvalue": "amount",
                          "estimatedclosedate": "close_date", "ownerid": "owner", "salesstage": "stage",
                          "statecode": "deal_status", "closeprobability": "probability",
                          "parentaccountid": "account", "createdon": "created"}),
        ("销售易", {"opportunityCode": "deal_id", "opportunityName": "deal", "money": "amount",
                 "closeDate": "close_date", "saleStageId": "stage", "winRate": "probability",
                 "ownerId": "owner", "accountId": "account", "stageUpdatedAt": "stage_since"}),
        ("纷享销客/销售易 labels", {"商机名称": "deal", "客户名称": "account", "商机阶段": "stage", "商机金额": "amount",
                            "结单日期": "close_date", "负责人": "owner", "赢率": "probability",
                            "商机状态": "deal_status", "最后跟进时间": "last_activity",
                            "下次跟进时间": "next_step_date"}),
    ],
)
def test_crm_api_names(crm, headers):
    cm = _cm(list(headers))
    assert {h: f for f, h in cm.headers.items()} == headers
    assert cm.unmapped == []
    for name, info in cm.info.items():
        assert info.how in ("alias", "api") and 0.5 <= info.confidence <= 1.0, info


def test_api_name_says_which_crm():
    cm = _cm(["StageName", "dealname", "date_deadline"])
    assert cm.info["stage"].how == "api" and "Salesforce" in cm.info["stage"].detail
    assert "HubSpot" in cm.info["deal"].detail and "Odoo" in cm.info["close_date"].detail


def test_readable_api_name_beats_the_id_one():
    cm = _cm(["OwnerId", "Owner.Name"])
    assert cm.headers == {"owner": "Owner.Name"} and cm.unmapped == ["OwnerId"]
    assert "already" in cm.why["OwnerId"]


def test_warehouse_extract_maps_every_field_a_person_would():
    headers = ["opp_id", "opp_name", "account_name", "rep_name", "stage_name", "amount_usd", "close_date",
               "created_at", "last_activity_at", "next_step", "next_step_date", "forecast_category", "probability",
               "close_date_push_count", "days_in_stage", "num_contacts", "region", "is_won"]
    cm = _cm(headers)
    assert cm.unmapped == ["region"]
    assert cm.headers["owner"] == "rep_name" and cm.info["owner"].how == "words"
    assert cm.info["deal_id"].confidence == 0.9 and cm.info["deal_id"].detail == "opp + id"


def test_two_headers_equally_good_by_words_map_neither():
    cm = _cm(["salesperson_name", "rep_name", "stage"])
    assert "owner" not in cm.headers
    assert [what for what, _ in cm.undecided] == ["owner"]
    assert "'salesperson_name'" in cm.undecided[0][1] and "'rep_name'" in cm.undecided[0][1]


def test_a_better_word_match_wins_without_ambiguity():
    cm = _cm(["owner_id", "owner_name"])
    assert cm.headers == {"owner": "owner_name"} and not cm.undecided


def test_words_do_not_take_a_field_an_alias_took():
    cm = _cm(["Amount", "Expected Revenue"])
    assert cm.headers == {"amount": "Amount"}
    assert "amount already from 'Amount'" in cm.why["Expected Revenue"]


def test_header_scorer_knows_snake_case_and_api_headers():
    score = make_header_scorer({})
    assert score(["opp_id", "opp_name", "rep_name", "stage_name", "amount_usd"]) == 5
    assert score(["StageName", "CloseDate", "Owner.Name"]) == 3
    # a data row whose words happen to mean something does not look like a header
    assert score(["Closed Won", "Open", "Acme", "Won", "Closed", "Closing"]) == 0


# ---------------------------------------------------------------------------- values


def cells(columns):
    return pd.DataFrame({i: pd.Series(v, dtype=object) for i, v in enumerate(columns)})


REPS = ["Dana Smith", "Lee Chan", "Pat Jones"] * 4
STAGES = ["discovery", "demo", "closed_won", "proposal", "closed_lost", "negotiation"] * 2
AMOUNTS = ["$12,000", "$45,000", "$8,000", "$20,000", "$30,000", "$15,000"] * 2
IDS = [f"006A{i:02d}" for i in range(12)]
NAMES = [f"Customer {c} expansion" for c in "ABCDEFGHIJKL"]
COMPANIES = ["Acme Inc", "Globex Corp", "Initech LLC", "Umbrella Ltd"] * 3


def test_values_find_the_unclaimed_fields():
    headers = ["c1", "c2", "c3", "c4", "c5", "c6"]
    cm = map_columns(headers, {}, cells=cells([IDS, NAMES, COMPANIES, REPS, STAGES, AMOUNTS]))
    assert cm.headers == {"deal_id": "c1", "deal": "c2", "account": "c3", "owner": "c4", "stage": "c5", "amount": "c6"}
    assert {i.how for i in cm.info.values()} == {"values"}
    assert all(i.confidence <= 0.7 for i in cm.info.values())
    assert "won/lost" in cm.info["stage"].detail


def test_values_do_not_decide_between_two_person_columns():
    contacts = ["Ann Lee", "Bo Park", "Cy Ng"] * 4
    cm = map_columns(["x", "y", "Stage"], {}, cells=cells([REPS, contacts, STAGES]))
    assert "owner" not in cm.headers
    assert any(what == "owner" and "'x', 'y'" in why for what, why in cm.undecided)


def test_chinese_owner_names_by_values():
    reps = ["张伟", "李娜", "王强"] * 4
    sources = ["展会", "转介绍", "官网"] * 4  # short words too, but not people's names
    cm = map_columns(["商机名称", "a", "b"], {}, cells=cells([NAMES, reps, sources]))
    assert cm.headers.get("owner") == "a"


def test_values_leave_a_date_column_alone_unless_it_is_the_only_one():
    dates = ["2026-12-01", "2027-01-15", "2026-12-20"] * 4
    cm = map_columns(["created", "d"], {}, cells=cells([dates, dates]))
    assert cm.headers == {"created": "created", "close_date": "d"} and cm.info["close_date"].how == "values"
    cm = map_columns(["d1", "d2"], {}, cells=cells([dates, dates]))
    assert "close_date" not in cm.headers and any(what == "close_date" for what, _ in cm.undecided)


def test_values_pass_leaves_numbers_that_are_not_money():
    counts = [str(i % 4) for i in range(12)]
    cm = map_columns(["contacts"], {}, cells=cells([counts]))
    assert "amount" not in cm.headers and "deal_id" not in cm.headers
    assert np.all([h == "contacts" for h in cm.unmapped])
