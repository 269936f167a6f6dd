"""The registry of Python checks: every check a rule may name with `check: NAME`.

One small module per check, each exporting CHECK (see base.py for the contract and the scopes).
The registry is this explicit tuple: adding a check is one module and one line here, and a
renamed module breaks the import at once instead of turning the check off.
"""

from __future__ import annotations

from pipeaudit.engine.checks import (
    amount_dropped,
    amount_outlier,
    duplicate_deal,
    facts_missing,
    funnel_short,
    history_too_short,
    invalid_value,
    quarter_move,
    review_due,
    stage_aging,
    stage_order_unknown,
    stage_regressed,
    week_match_poor,
)
from pipeaudit.engine.checks.base import SCOPES, Check, CheckInput, Hits, Scope

CHECKS: dict[str, Check] = {
    module.CHECK.name: module.CHECK
    for module in (
        invalid_value, stage_order_unknown, facts_missing, stage_regressed, amount_dropped, history_too_short,
        funnel_short, stage_aging, quarter_move, review_due, week_match_poor, amount_outlier, duplicate_deal,
    )
}

__all__ = ["CHECKS", "SCOPES", "Check", "CheckInput", "Hits", "Scope"]
