"""Run a rule's own examples: each record must be flagged (or not) exactly as the YAML says.

Each example is audited alone (its own Deals), so the ladder is detected from its stage value
and one example cannot change another's result. A rule that judges a deal against the others (an
amount far above the team's usual deal, a likely duplicate) lists those others under
`examples.context`: each example is audited with them beside it, and only the example itself is
judged. A rule skipped for missing fields flags
nothing: that fails a `flagged` example and satisfies a `clean` one (e.g. a deal new this week).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from pipeaudit.engine.schema import Rule


@dataclass(frozen=True)
class Example:
    rule: Rule
    kind: str  # "flagged" | "clean"
    index: int
    record: dict

    @property
    def id(self) -> str:
        return f"{self.rule.name}/{self.kind}/{self.index}"


def iter_examples(rules: Iterable[Rule]) -> Iterator[Example]:
    for rule in rules:
        for kind in ("flagged", "clean"):
            for i, rec in enumerate(rule.examples.get(kind, [])):
                yield Example(rule, kind, i, rec)


def run_example(ex: Example, lang: str = "en") -> str | None:
    """None when the example agrees with the rule, else why not (one line)."""
    from pipeaudit.deals.build import deals_from_records
    from pipeaudit.engine.evaluate import evaluate

    context = ex.rule.examples.get("context", [])
    deals = deals_from_records([ex.record, *context], source=f"{ex.rule.source}:{ex.rule.name}")
    findings, skipped = evaluate(deals, [ex.rule], ex.rule.examples_as_of, lang)
    if skipped and ex.kind == "flagged":
        return f"the example lacks {', '.join(skipped[0].missing)}, so the rule is skipped"
    if context:  # only the example's own findings count, not the context deals'
        first = deals.frame.index[0]
        findings = findings[findings["deal_index"].astype("Int64").eq(first).fillna(False).astype(bool)]
    flagged = len(findings) > 0
    if flagged != (ex.kind == "flagged"):
        verb = "is not flagged" if ex.kind == "flagged" else f"is flagged ({findings['message'].iloc[0]})"
        return f"the example {verb}"
    return None


def check_examples(rules: Iterable[Rule]) -> list[str]:
    """Every disagreement as 'file:line: rule 'x': flagged example 0 ...'."""
    problems = []
    for ex in iter_examples(rules):
        why = run_example(ex)
        if why:
            problems.append(f"{ex.rule.source}:{ex.rule.line}: rule '{ex.rule.name}': {ex.kind} example {ex.index}: {why}")
    return problems
