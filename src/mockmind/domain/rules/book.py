"""The rule book: rules compiled at config load, run in priority order on every request."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockmind.domain.memo import BoundedMemo
from mockmind.domain.rules.actions import Action, RuleOutcome, RuleRequest
from mockmind.domain.rules.conditions import Condition, ConditionContext


@dataclass(frozen=True)
class Rule:
    name: str
    condition: Condition
    action: Action
    priority: int = 0


# Distinct (method, path) pairs whose candidate rules are remembered; paths carry ids.
_CANDIDATES_MEMO_SIZE = 4096


class RuleBook:
    """Higher priority first; among equals, the order of the config file.

    Most rules are about some paths only (``path starts_with '/admin'``). Which rules a
    method and path can match is worked out once per pair, so a request evaluates only those.
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        indexed = sorted(enumerate(rules), key=lambda pair: (-pair[1].priority, pair[0]))
        self.rules = [rule for _, rule in indexed]
        self._guards = [(rule, rule.condition.request_line_part()) for rule in self.rules]
        self._candidates: BoundedMemo[tuple[str, str], tuple[Rule, ...]] = BoundedMemo(
            _CANDIDATES_MEMO_SIZE
        )

    def __len__(self) -> int:
        return len(self.rules)

    def candidates(self, method: str, path: str) -> tuple[Rule, ...]:
        """The rules, in order, that a request with this method and path may match."""
        key = (method, path)
        found = self._candidates.get(key)
        if found is None:
            line = _RequestLine(method, path)
            found = tuple(
                rule for rule, guard in self._guards if guard is None or guard.evaluate(line)
            )
            self._candidates.put(key, found)
        return found

    def run(self, context: ConditionContext, request: RuleRequest) -> RuleOutcome:
        outcome = RuleOutcome()
        for rule in self.candidates(context.method, context.path):
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


@dataclass(frozen=True)
class _RequestLine:
    """A request reduced to its method and path, for the part of a condition about them."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None
    state: Mapping[str, Any] = field(default_factory=dict)
    entity: Mapping[str, Any] | None = None


SchemaErrors = Callable[[str, Any], list[dict[str, object]]]
