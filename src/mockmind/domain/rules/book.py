"""The rule book: rules compiled at config load, run in priority order on every request."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from typing import Any, Protocol

from mockmind.domain.rules.actions import Action, RuleOutcome, RuleRequest
from mockmind.domain.rules.conditions import Condition, ConditionContext, Node, Test, compiled
from mockmind.lean_dataclass import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    condition: Condition
    action: Action
    priority: int = 0


# Concrete paths whose candidate rules one route remembers. A route without ids sees one
# path (a hit on every request after the first); a route with ids fills this and then checks
# the path guards on each request, a few string tests.
_PATHS_PER_ROUTE = 64


@dataclass
class RouteRules:
    """The rules one method and path template may fire, in order.

    What a rule's condition says of the method alone is decided when the route is planned;
    what it says of the path (``path starts_with '/admin'``) holds of the concrete path, as
    one template covers many paths (ids, and server base paths such as ``/v1``). Each rule
    comes with its path check, and with what of its condition is left once the route's
    checks hold (``rests``, by its place in ``rules``): nothing (None) when the condition is
    about the method and path alone, so that for a request of the ``method`` the route was
    planned for, passing both checks is matching the rule; else the conjuncts about more
    (``query.kind == 'pot'`` of ``path == '/tea' and query.kind == 'pot'``), the only part a
    request evaluates, compiled (``conditions.compiled``).
    """

    rules: tuple[tuple[Rule, Node | None], ...] = ()
    # The method the rules' method checks were made for (None: none was made).
    method: str | None = None
    rests: tuple[Test | None, ...] = ()
    # By path alone: only a request of ``method`` is remembered (the engine's are).
    _by_path: dict[str, tuple[tuple[Rule, Test | None], ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __len__(self) -> int:
        return len(self.rules)

    def candidates(self, method: str, path: str) -> tuple[Rule, ...]:
        return tuple(rule for rule, _ in self.checks(method, path))

    def checks(self, method: str, path: str) -> tuple[tuple[Rule, Test | None], ...]:
        """The rules a request of this method and path may match, in order, each with what
        of its condition is still to be evaluated on the request (None: it holds)."""
        planned = method == self.method
        found = self._by_path.get(path) if planned else None
        if found is None:
            line = _RequestLine(method, path)
            # The method checks were made for ``method`` only: another method's request
            # (none of the engine's) evaluates each whole condition.
            rests = (
                self.rests
                if planned
                else tuple(rule.condition.root.evaluate for rule, _ in self.rules)
            )
            found = tuple(
                (rule, rest)
                for (rule, on_path), rest in zip(self.rules, rests, strict=True)
                if on_path is None or on_path.evaluate(line)
            )
            if planned and len(self._by_path) < _PATHS_PER_ROUTE:
                self._by_path[path] = found
        return found


class RuleSubject(ConditionContext, RuleRequest, Protocol):
    """What the rules of a request look at: ``RuleInput``, or a view read on demand."""


class RuleBook:
    """Higher priority first; among equals, the order of the config file.

    Most rules are about some routes only (``method == 'POST' and path starts_with '/admin'``):
    ``for_route`` leaves out, once per method and template, those a route cannot match.
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        indexed = sorted(enumerate(rules), key=lambda pair: (-pair[1].priority, pair[0]))
        self.rules = [rule for _, rule in indexed]
        self._parts = [
            (rule, *rule.condition.route_parts(), _compiled(rule.condition.beyond_request_line()))
            for rule in self.rules
        ]
        self._everywhere = RouteRules(tuple((rule, None) for rule in self.rules))

    def __len__(self) -> int:
        return len(self.rules)

    def for_route(self, method: str) -> RouteRules:
        """The rules a request with this method may match, each with its path check."""
        line = _RequestLine(method, "")
        kept = [
            (rule, on_path, rest)
            for rule, on_method, on_path, rest in self._parts
            if on_method is None or on_method.evaluate(line)
        ]
        return RouteRules(
            tuple((rule, on_path) for rule, on_path, _ in kept),
            method,
            tuple(rest for _, _, rest in kept),
        )

    def run(self, request: RuleSubject, route: RouteRules | None = None) -> RuleOutcome:
        """Run the rules in order until one answers; ``route`` narrows them (a route plan's)."""
        rules = route if route is not None else self._everywhere
        outcome = decide(request, rules.checks(request.method, request.path))
        return outcome if outcome is not None else RuleOutcome()


def decide(
    request: RuleSubject, candidates: tuple[tuple[Rule, Test | None], ...]
) -> RuleOutcome | None:
    """``RuleBook.run`` over a request's candidates (``RouteRules.checks``), but None when no
    rule matched: most requests, which need no outcome made (nor its lists and dict) to find
    nothing in it."""
    outcome = None
    for rule, rest in candidates:
        if rest is not None and not rest(request):
            continue
        if outcome is None:
            outcome = RuleOutcome()
        outcome.fired.append(rule.name)
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


def _compiled(rest: Node | None) -> Test | None:
    return compiled(rest) if rest is not None else None


SchemaErrors = Callable[[str, Any], list[dict[str, object]]]
