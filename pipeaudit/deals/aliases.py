"""The header tables: aliases people write, units in headers, and the API field names of CRMs.

Data only. deals/columns.py decides with them; deals/words.py handles the headers no table names.
API names are the identifiers a CRM's API, a warehouse sync or a "raw" export uses (StageName,
dealstage, expected_close_date, Deal_Name, date_deadline, estimatedvalue, saleStageId); they are
matched ignoring case, spaces and punctuation, so "Owner.Name" and "owner_name" are one key.
"""

from __future__ import annotations

#: field -> built-in aliases (English, Chinese, and the default export headers of common CRMs).
#: The canonical field name and FIELDS' zh/en labels are aliases too (added by deals/columns.py).
#: Earlier aliases rank higher: "Opportunity Owner" beats a plain "Owner" when an export has both.
ALIASES: dict[str, tuple[str, ...]] = {
    "deal_id": (
        "Opportunity ID", "Deal ID", "Record ID", "ID", "Deal - ID", "Opportunity Number",
        "商机编号", "商机ID", "商机编码", "项目编号", "机会编号", "编号",
    ),
    "deal": (
        "Opportunity Name", "Opportunity", "Deal Name", "Deal", "Deal - Title", "Title", "Project",
        "Project Name", "Topic", "商机名称", "商机", "项目名称", "项目", "机会名称", "销售机会",
    ),
    "account": (
        "Account Name", "Account", "Company", "Company Name", "Customer", "Customer Name",
        "Organization", "Deal - Organization", "Organization Name", "Associated Company",
        "Potential Customer", "客户名称", "客户", "公司名称", "单位名称", "客户单位", "所属客户",
    ),
    "owner": (
        "Opportunity Owner", "Deal owner", "Deal - Owner", "Owner", "Sales Rep", "Salesperson",
        "Sales Person", "Rep", "Assigned To", "负责人", "销售", "业务员", "销售人员", "销售代表",
        "商机负责人", "跟进人", "所有人", "销售负责人", "客户经理", "归属人",
    ),
    "stage": (
        "Stage", "Deal Stage", "Deal - Stage", "Sales Stage", "Opportunity Stage", "Pipeline Stage",
        "销售阶段", "阶段", "商机阶段", "项目阶段", "当前阶段",
    ),
    "amount": (
        "Amount", "Deal Value", "Deal - Value", "Value", "Opportunity Amount", "Deal Amount",
        "Expected Amount", "预计成交金额", "金额", "商机金额", "预计金额", "项目金额", "合同金额",
        "预计签约金额", "成交金额", "销售金额",
    ),
    "close_date": (
        "Close Date", "Expected close date", "Deal - Expected close date", "Closing Date",
        "Expected Close", "Estimated Close Date", "Est. Close Date", "预计成交日期", "结单日期",
        "预计签约日期", "预计成交时间", "预计结单日期", "预计签单日期", "成交日期", "签约日期",
    ),
    "created": (
        "Created Date", "Create Date", "Created Time", "Created", "Created On", "Date Created",
        "Deal - Add time", "Deal - Deal created", "创建时间", "创建日期", "录入日期", "立项日期",
    ),
    "last_activity": (
        "Last Activity", "Last Activity Date", "Last Activity Time", "Deal - Last activity date",
        "Last Modified Date", "最后跟进时间", "最近跟进日期", "最新跟进时间", "最近跟进时间",
        "最后跟进日期", "最近跟进", "最后跟进", "最后活动时间",
    ),
    "next_step": (
        "Next Step", "Next Steps", "Next Activity", "Deal - Next activity", "下一步", "下一步计划",
        "下步计划", "下步工作计划", "下一步行动", "后续计划",
    ),
    "decision_maker": (
        "Decision Maker", "Economic Buyer", "EB", "决策人", "关键决策人", "决策者", "拍板人",
    ),
    "insider": ("Insider", "Champion", "Coach", "内线", "内部支持者", "支持者", "教练"),
    "insider_level": ("Insider Level", "Champion Level", "内线级别", "内线层级", "内线职位"),
    "deal_class": (
        "Deal Class", "Opportunity Class", "Class", "Deal Grade", "商机分级", "商机等级", "分级",
        "商机级别", "项目分级", "等级",
    ),
    "class_since": ("Class Since", "Class Date", "Class Changed", "分级日期", "定级日期", "分级时间"),
    "stage_since": (
        "Stage Since", "Stage Date", "Stage Change Date", "Last Stage Change Date",
        "Deal - Stage change time", "Date entered current stage", "阶段变更日期", "进入阶段日期",
        "阶段变更时间", "进入阶段时间", "阶段更新时间",
    ),
    "quote_date": ("Quote Date", "Quote Sent Date", "Quoted Date", "报价日期", "报价时间"),
    "quote_amount": ("Quote Amount", "Quoted Price", "Quote", "Quote Total", "报价金额", "报价"),
    "confirmed": (
        "Requirements Confirmed", "Needs Confirmed", "Confirmed", "需求确认", "方案确认",
        "需求已确认", "是否确认",
    ),
    "confirmed_date": (
        "Requirements Confirmed Date", "Confirmation Date", "Confirmed Date", "需求确认日期",
        "确认日期", "需求确认时间",
    ),
    "competitors": ("Competitors", "Competitor", "Competition", "竞争对手", "竞争者", "竞品", "友商"),
    "needs": (
        "Needs", "Need", "Pain", "Identify Pain", "Decision Criteria", "Customer Needs",
        "客户需求", "需求", "痛点",
    ),
    "budget": ("Budget", "预算", "客户预算", "预算金额"),
    "timeline": ("Timeline", "Timeframe", "Purchase Timeline", "采购时间", "采购时间表", "采购计划"),
    "probability": (
        "Probability (%)", "Probability", "Win Probability", "Deal - Probability", "Deal probability",
        "赢率", "成交概率", "赢单率", "成交率", "赢单概率",
    ),
    "forecast_category": ("Forecast Category", "Forecast", "预测类别", "预测分类"),
    "deal_status": (
        "Deal Status", "Opportunity Status", "Status", "Deal - Status", "商机状态", "状态", "项目状态",
    ),
    "is_closed": ("Is Closed", "Is Deal Closed?", "是否关闭", "是否结束"),
    "is_won": ("Is Won", "Is Closed Won", "是否赢单", "是否成交", "是否签约"),
    "next_step_date": (
        "Next Step Date", "Next Activity Date", "Deal - Next activity date", "Next Follow-up Date",
        "下次跟进时间", "下次跟进日期", "下次联系时间", "计划跟进时间", "下一步时间", "下一步日期",
    ),
    "close_date_changes": (
        "Push Count", "Close Date Push Count", "Close Date Changes", "Number of Close Date Changes",
        "Close date change count", "成交日期变更次数", "结单日期变更次数", "推迟次数", "改期次数",
    ),
    "days_in_stage": (
        "Days in Stage", "Days in Current Stage", "Stage Age", "Stage Age (Days)", "阶段停留天数",
        "停留天数", "当前阶段天数", "阶段天数",
    ),
    "contact_count": (
        "Number of Contacts", "Number of Associated Contacts", "Contact Count", "# Contacts",
        "联系人数", "联系人数量", "联系人个数",
    ),
    "ignore": ("pipeaudit-ignore", "pipeaudit ignore", "pipeaudit_ignore", "忽略规则"),
}

#: unit word found in a header's trailing brackets -> multiplier (currency alone = 1).
UNITS: dict[str, float] = {
    "元": 1.0, "人民币": 1.0, "人民币元": 1.0, "rmb": 1.0, "cny": 1.0, "usd": 1.0, "eur": 1.0,
    "¥": 1.0, "$": 1.0, "€": 1.0, "%": 1.0, "us$": 1.0,
    "万": 1e4, "万元": 1e4, "万元人民币": 1e4, "w": 1e4,
    "千": 1e3, "千元": 1e3, "k": 1e3, "k元": 1e3,
    "百万": 1e6, "百万元": 1e6, "m": 1e6, "mm": 1e6, "mn": 1e6,
    "亿": 1e8, "亿元": 1e8,
}

#: API field name, case-folded -> (field, confidence, where it comes from: "Salesforce CloseDate /
#: HubSpot closedate"). An ID-valued name (OwnerId, hubspot_owner_id, user_id) is less sure than the
#: readable one (Owner.Name, owner_name) and loses to it when an export carries both.
API_NAMES: dict[str, tuple[str, float, str]] = {}


def _api(crm: str, entries: dict[str, tuple[str, float]]) -> None:
    for name, (field, confidence) in entries.items():
        key = name.casefold()
        known = API_NAMES.get(key)
        if known is None:
            API_NAMES[key] = (field, confidence, f"{crm} {name}")
        elif known[0] == field:  # the same name in two CRMs
            API_NAMES[key] = (field, max(confidence, known[1]), f"{known[2]} / {crm} {name}")


# Salesforce Opportunity (object reference; Owner.Name / Account.Name as data loaders write them).
_api("Salesforce", {
    "Id": ("deal_id", 0.9), "Name": ("deal", 0.8), "Account.Name": ("account", 0.95),
    "AccountId": ("account", 0.6), "Owner.Name": ("owner", 0.95), "OwnerId": ("owner", 0.65),
    "StageName": ("stage", 0.95), "Amount": ("amount", 0.95), "CloseDate": ("close_date", 0.95),
    "CreatedDate": ("created", 0.95), "LastActivityDate": ("last_activity", 0.95),
    "NextStep": ("next_step", 0.95), "Probability": ("probability", 0.95),
    "ForecastCategoryName": ("forecast_category", 0.95), "ForecastCategory": ("forecast_category", 0.8),
    "IsClosed": ("is_closed", 0.95), "IsWon": ("is_won", 0.95), "PushCount": ("close_date_changes", 0.9),
    "LastStageChangeDate": ("stage_since", 0.9), "LastModifiedDate": ("last_activity", 0.5),
})
# HubSpot deal properties (internal names).
_api("HubSpot", {
    "hs_object_id": ("deal_id", 0.9), "dealId": ("deal_id", 0.9), "dealname": ("deal", 0.95),
    "dealstage": ("stage", 0.95), "amount": ("amount", 0.95), "closedate": ("close_date", 0.95),
    "hubspot_owner_id": ("owner", 0.65), "createdate": ("created", 0.95), "hs_createdate": ("created", 0.8),
    "notes_last_updated": ("last_activity", 0.9), "notes_last_contacted": ("last_activity", 0.85),
    "hs_last_sales_activity_timestamp": ("last_activity", 0.8), "hs_lastmodifieddate": ("last_activity", 0.5),
    "hs_next_step": ("next_step", 0.95), "notes_next_activity_date": ("next_step_date", 0.9),
    "num_associated_contacts": ("contact_count", 0.95), "hs_deal_stage_probability": ("probability", 0.9),
    "hs_manual_forecast_category": ("forecast_category", 0.9), "hs_forecast_category": ("forecast_category", 0.85),
    "hs_is_closed": ("is_closed", 0.95), "hs_is_closed_won": ("is_won", 0.95),
    "hs_v2_date_entered_current_stage": ("stage_since", 0.9), "hs_date_entered_current_stage": ("stage_since", 0.9),
})
# Pipedrive deal fields (API keys; "Deal - Title" style export headers are aliases above).
_api("Pipedrive", {
    "title": ("deal", 0.9), "value": ("amount", 0.9), "status": ("deal_status", 0.9),
    "stage_id": ("stage", 0.7), "expected_close_date": ("close_date", 0.95), "owner_name": ("owner", 0.95),
    "user_id": ("owner", 0.7), "owner_id": ("owner", 0.65), "org_name": ("account", 0.95),
    "org_id": ("account", 0.6), "add_time": ("created", 0.95), "update_time": ("last_activity", 0.5),
    "last_activity_date": ("last_activity", 0.95), "next_activity_date": ("next_step_date", 0.9),
    "stage_change_time": ("stage_since", 0.9), "probability": ("probability", 0.95),
    "participants_count": ("contact_count", 0.7),
})
# Zoho CRM Deals module (API names).
_api("Zoho", {
    "Deal_Name": ("deal", 0.95), "Stage": ("stage", 0.95), "Amount": ("amount", 0.95),
    "Closing_Date": ("close_date", 0.95), "Owner": ("owner", 0.9), "Account_Name": ("account", 0.95),
    "Probability": ("probability", 0.95), "Next_Step": ("next_step", 0.95), "Created_Time": ("created", 0.95),
    "Last_Activity_Time": ("last_activity", 0.95), "Modified_Time": ("last_activity", 0.5),
})
# Odoo crm.lead (field names of an export with "I want to update data").
_api("Odoo", {
    "name": ("deal", 0.8), "partner_id": ("account", 0.8), "partner_name": ("account", 0.85),
    "user_id": ("owner", 0.8), "stage_id": ("stage", 0.8), "expected_revenue": ("amount", 0.9),
    "date_deadline": ("close_date", 0.9), "probability": ("probability", 0.95), "create_date": ("created", 0.9),
    "date_last_stage_update": ("stage_since", 0.85), "activity_date_deadline": ("next_step_date", 0.8),
    "write_date": ("last_activity", 0.5),
})
# Dynamics 365 opportunity (logical names).
_api("Dynamics 365", {
    "opportunityid": ("deal_id", 0.9), "name": ("deal", 0.8), "estimatedvalue": ("amount", 0.95),
    "estimatedclosedate": ("close_date", 0.95), "ownerid": ("owner", 0.8), "salesstage": ("stage", 0.85),
    "stepname": ("stage", 0.75), "statecode": ("deal_status", 0.9), "statuscode": ("deal_status", 0.6),
    "closeprobability": ("probability", 0.95), "parentaccountid": ("account", 0.8), "customerid": ("account", 0.75),
    "createdon": ("created", 0.9), "modifiedon": ("last_activity", 0.5),
})
# 销售易 (Neocrm) opportunity api_keys.
_api("销售易", {
    "opportunityName": ("deal", 0.95), "opportunityCode": ("deal_id", 0.9), "money": ("amount", 0.8),
    "closeDate": ("close_date", 0.95), "saleStageId": ("stage", 0.9), "winRate": ("probability", 0.95),
    "ownerId": ("owner", 0.65), "accountId": ("account", 0.6), "stageUpdatedAt": ("stage_since", 0.85),
    "createdAt": ("created", 0.9),
})
