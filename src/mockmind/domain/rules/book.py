"""The rule book: rules compiled at config load, run in priority order on every request."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mockmind.domain.rules.actions import Action, RuleOutcome, RuleRequest
from mockmind.domain.rules.conditions import Condition, ConditionContext


@dataclass(frozen=True)
class Rule:
    name: str
    condition: Condition
    action: Action
    priority: int = 0


class RuleBook:
    """Higher priority first; among equals, the order of the config file."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        indexed = sorted(enumerate(rules), key=lambda pair: (-pair[1].priority, pair[0]))
        self.rules = [rule for _, rule in indexed]

    def __len__(self) -> int:
        return len(self.rules)

    def run(self, context: ConditionContext, request: RuleRequest) -> RuleOutcome:
        outcome = RuleOutcome()
        for rule in self.rules:
            if not rule.condition.matches(context):
                continue
            if rule.action.apply(request, outcome):
                outcome.answered_by = rule.name
                break
        return outcome


@dataclass(frozen=True)
class RuleInput:
    """One request as conditions and actions see it."""

    method: str
    path: str
    headers: Mapping[str, str]
    query: Mapping[str, Any]
    body: Any
    state: Mapping[str, Any]
    entity: Mapping[str, Any] | None
    authenticated: bool


SchemaErrors = Callable[[str, Any], list[dict[str, object]]]
