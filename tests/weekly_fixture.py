"""Six weekly HubSpot-style exports built in code, kept in a history store by the real pipeline.

Used by the tests of issue 13 (new rules, learned norms, funnel, accuracy, review-due, forecast).
Every figure those tests assert is worked out by hand in their comments from the table below.

Stages: A Appointment Scheduled, Q Qualified To Buy, P Presentation Scheduled, D Decision Maker
Bought-In, C Contract Sent (ranks 0-4, one phase each), W Closed Won, L Closed Lost, "-" absent.
Weeks W1..W6 are the Mondays 2026-10-19 .. 2026-11-23.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

MONDAYS = [date(2026, 10, 19) + timedelta(weeks=i) for i in range(6)]
STAGES = {
    "A": "Appointment Scheduled", "Q": "Qualified To Buy", "P": "Presentation Scheduled",
    "D": "Decision Maker Bought-In", "C": "Contract Sent", "W": "Closed Won", "L": "Closed Lost",
}
HEAD = ["Deal ID", "Deal Name", "Account", "Deal owner", "Deal Stage", "Amount", "Close Date", "Created",
        "Forecast Category", "Next Step", "Next Step Date", "Contact Count", "Decision Maker", "Insider"]
LIVE = ("Demo to the CFO on 12/2", "2026-12-02")

#: stages per week; close / fc / step may be one value or one per week
DEALS: dict[str, dict[str, Any]] = {
    "D1": dict(owner="Ann", stages="AAQQDD", amount=50000, close="2027-01-31", fc="Pipeline"),
    "D2": dict(owner="Ann", stages="AQPPPW", amount=100000, close="2026-11-20",
               fc=["Pipeline", "Commit", "Commit", "Commit", "Commit", "Commit"]),
    "D3": dict(owner="Ann", stages="AQQQPP", amount=60000, close="2027-02-28", fc="Pipeline",
               step=("waiting on legal", "2026-12-01")),
    "D4": dict(owner="Bob", stages="AAQLLL", amount=40000, close="2027-01-15", fc="Pipeline"),
    "D5": dict(owner="Bob", stages="AQQQQD", amount=70000, close="2027-03-31", fc="Best Case",
               step=("Call the CFO", "2026-11-16")),
    "D6": dict(owner="Bob", stages="--AAQQ", amount=30000, close="2027-04-30", fc="Pipeline", created="2026-10-28"),
    "D7": dict(owner="Ann", stages="CCCCCC", amount=300000, close="2026-12-10", fc="Commit", contacts=1,
               step=("Signature", "2026-11-20")),
    "D8": dict(owner="Ann", stages="DDDDDD", amount=80000, fc="Best Case",
               close=["2026-11-30", "2026-11-30", "2026-12-28", "2026-12-28", "2027-01-04", "2027-01-04"]),
    "D9": dict(owner="Bob", stages="QQPPWW", amount=50000, fc="Best Case", created="2026-10-01",
               close=["2026-11-30", "2026-12-30", "2026-12-30", "2026-12-30", "2026-12-30", "2026-12-30"]),
    "D10": dict(owner="Bob", stages="DDDDDD", amount=90000, fc="Pipeline",
                close=["2026-12-20"] * 5 + ["2027-01-10"]),
    "D11": dict(owner="Ann", stages="PPPPPP", amount=45000, fc="Pipeline",
                close=["2027-01-15"] * 5 + ["2026-12-15"]),
    "D12": dict(owner="Bob", stages="AAAAAA", amount=0, close="2027-05-31", fc="Pipeline"),
    "D13": dict(owner="Bob", stages="QQQQQQ", amount=25000, close="2027-02-15", fc="Pipeline",
                step=("Call procurement", "")),
    "D14": dict(owner="Ann", stages="-----P", amount=20000, close="2026-11-20", fc="Commit", created="2026-11-20"),
}


def _at(value: Any, week: int) -> Any:
    return value[week] if isinstance(value, list) else value


def week_rows(week: int) -> list[list[Any]]:
    """The export of week `week` (0-based) as rows under HEAD."""
    rows = []
    for deal_id, d in DEALS.items():
        code = d["stages"][week]
        if code == "-":
            continue
        step, step_date = d.get("step", LIVE)
        rows.append([
            deal_id, f"Deal {deal_id}", f"Account {deal_id}", d["owner"], STAGES[code], d["amount"],
            _at(d["close"], week), d.get("created", "2026-09-01"), _at(d["fc"], week), step, step_date,
            d.get("contacts", 3), "CFO", "IT lead",
        ])
    return rows


def write_week(path: Path, week: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEAD)
        writer.writerows(week_rows(week))
    return path


def run_weeks(tmp_path: Path, cfg: Any = None, *, weeks: int = 6, quotas: dict[str, float] | None = None, **kw: Any):
    """Run the audit on each week in turn with one history file; the AuditResult of every week."""
    from pipeaudit.config import Config
    from pipeaudit.options import AuditOptions
    from pipeaudit.pipeline import run_audit

    cfg = cfg or Config()
    if quotas is not None:
        cfg.quotas = dict(quotas)
    db = tmp_path / "history.sqlite"
    results = []
    for week in range(weeks):
        path = write_week(tmp_path / f"deals-{MONDAYS[week].isoformat()}.csv", week)
        opts = AuditOptions(path=path, as_of=MONDAYS[week], history=db, lang="en", **kw)
        results.append(run_audit(opts, cfg))
    return db, results


def flagged(result: Any, rule: str) -> list[str]:
    rows = result.findings[result.findings["rule"] == rule]
    return sorted(str(x) for x in rows["deal_id"].dropna())
