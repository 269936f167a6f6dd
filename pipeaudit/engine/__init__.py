"""Rules → findings: the rule language (schema), its operators (conditions), and evaluation."""

from pipeaudit.engine.evaluate import empty_findings, evaluate, skipped_rules, sort_findings
from pipeaudit.engine.loader import RuleSet, load_rules
from pipeaudit.engine.schema import Rule

__all__ = ["Rule", "RuleSet", "empty_findings", "evaluate", "load_rules", "skipped_rules", "sort_findings"]
