"""The shape of a Python check: what it judges (its scope), what it needs, what it returns.

A rule either states its condition in YAML (`where:`) or names a Python check (`check: NAME`)
for what a mask cannot say. A check declares its scope:

    deal     it judges deals: Hits.positions are rows of Deals.frame (a deal may be hit twice,
             e.g. one finding per unreadable value)
    owner    it judges reps: Hits.owners names one rep per hit; the finding has no deal or row
    export   it judges the whole export: at most one hit, with no owner, deal or row

and the engine turns hits into findings the same way for all three, with the rule's own texts.
Values a check computes for the message go in Hits.values, one string per hit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal

if TYPE_CHECKING:
    import numpy as np

    from pipeaudit.engine.columns import Env
    from pipeaudit.model import Deals, RunFacts

Scope = Literal["deal", "owner", "export"]
SCOPES: tuple[str, ...] = ("deal", "owner", "export")


@dataclass
class CheckInput:
    """What a check may read: the deals, the rule's mask and params, the run's facts."""

    deals: "Deals"
    applies: "np.ndarray"  # bool per deal: the rule's applies_to and where (deal scope)
    params: dict[str, Any]
    env: "Env"
    lang: str
    facts: "RunFacts"


@dataclass
class Hits:
    """A check's answer. Deal scope fills `positions`; owner and export scope fill `owners`."""

    positions: Any = None  # numpy int64 positions into deals.frame (deal scope)
    owners: list[str | None] = field(default_factory=list)  # one per hit (owner / export scope)
    values: dict[str, Any] = field(default_factory=dict)  # placeholder -> one str per hit

    def __len__(self) -> int:
        return len(self.positions) if self.positions is not None else len(self.owners)


def no_fields(params: dict[str, Any]) -> list[tuple[str, ...]]:
    return []


@dataclass(frozen=True)
class Check:
    name: str
    scope: Scope
    run: Callable[[CheckInput], Hits]
    doc: str
    #: fields the check needs, given its params: a list of alternatives (at least one present each)
    requires: Callable[[dict[str, Any]], list[tuple[str, ...]]] = no_fields
    placeholders: tuple[str, ...] = ()  # names it fills in Hits.values
    params: tuple[str, ...] = ()  # params it reads (the rule must declare them)
