"""The rules playground: a condition or expression tried on a recorded request.

A request of a session's journal is given back to the rule languages as the engine saw it:
its method, path, query, headers and body as recorded (secrets masked), the session state and
entities as they were just before it (the world after the previous step), and as ``entity``
the entity its path names. The typed text is parsed (a syntax error keeps its line and
column) and evaluated there; every configured rule's condition is evaluated too, with the
reason it holds or not, made of the values its comparisons saw.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from mockmind.domain.journal import JournalEvent, WorldAt
from mockmind.domain.rules.book import RuleBook
from mockmind.domain.rules.conditions import (
    And,
    Comparison,
    Exists,
    ListLiteral,
    Node,
    Not,
    Or,
    Reference,
    Truthy,
    parse_condition,
)
from mockmind.domain.rules.conditions import (
    Literal as LiteralNode,
)
from mockmind.domain.rules.expressions import parse_expression
from mockmind.lean_dataclass import dataclass

Language = Literal["condition", "expression"]

Entities = Mapping[str, Mapping[str, Mapping[str, Any]]]


@dataclass(frozen=True)
class RecordedRequestView:
    """A recorded request as conditions see it (``ConditionContext``)."""

    method: str
    path: str
    headers: Mapping[str, str]
    query: Mapping[str, Any]
    body: Any
    state: Mapping[str, Any]
    entity: Mapping[str, Any] | None
    # Which entity ``entity`` is: (collection, id), when the path names one.
    entity_ref: tuple[str, str] | None


@dataclass(frozen=True)
class RuleVerdict:
    name: str
    fires: bool
    why: str
    # Whether the journal recorded the rule as fired for this request (under the config then).
    recorded: bool


@dataclass(frozen=True)
class Evaluation:
    language: Language
    value: Any
    why: str
    request: RecordedRequestView
    rules: tuple[RuleVerdict, ...]


def recorded_request(event: JournalEvent, before: WorldAt) -> RecordedRequestView:
    """Step ``event.seq``'s request, in the world after the step before it (``before``)."""
    exchange = event.exchange
    query: dict[str, Any] = {
        name: values[0] if len(values) == 1 else list(values)
        for name, values in exchange.query.items()
    }
    entity_ref = _named_entity(exchange.path, before.entities)
    entity = before.entities[entity_ref[0]][entity_ref[1]] if entity_ref is not None else None
    return RecordedRequestView(
        method=exchange.method.upper(),
        path=exchange.path,
        headers={name.lower(): value for name, value in exchange.request_headers.items()},
        query=query,
        body=exchange.request_body,
        state=before.state,
        entity=entity,
        entity_ref=entity_ref,
    )


def check(text: str, language: Language) -> None:
    """Parse only: raises ``RuleSyntaxError`` (line, column) when ``text`` does not parse."""
    if language == "condition":
        parse_condition(text)
    else:
        parse_expression(text)


def evaluate(
    text: str,
    language: Language,
    event: JournalEvent,
    before: WorldAt,
    rules: RuleBook,
) -> Evaluation:
    """``text`` evaluated on step ``event.seq``; raises ``RuleSyntaxError`` (line, column)
    when it does not parse."""
    request = recorded_request(event, before)
    if language == "condition":
        condition = parse_condition(text)
        value: Any = condition.matches(request)
        why = explain(condition.root, request)
    else:
        expression = parse_expression(text)
        scope = request.body if isinstance(request.body, Mapping) else {}
        value = expression.evaluate(scope, _WorldNames(before.entities, request, event.at))
        why = f"{text.strip()} is {_shown(value)}"
    recorded = set(event.rules)
    verdicts = tuple(
        RuleVerdict(
            rule.name,
            rule.condition.matches(request),
            explain(rule.condition.root, request),
            rule.name in recorded,
        )
        for rule in rules.rules
    )
    return Evaluation(language, value, why, request, verdicts)


def explain(node: Node, request: RecordedRequestView) -> str:
    """Why a condition holds or not, from the values it looks at.

    ``and`` that fails names its first false part, ``or`` that holds its first true part;
    otherwise every part is given, each with what its references were.
    """
    held = bool(node.evaluate(request))
    if isinstance(node, And | Or):
        deciding = (not held) if isinstance(node, And) else held
        if deciding:
            first = next(o for o in node.operands if bool(o.evaluate(request)) == held)
            return explain(first, request)
        return " and ".join(explain(o, request) for o in node.operands)
    if isinstance(node, Not):
        return f"not ({explain(node.operand, request)})"
    seen = "; ".join(f"{text_of(ref)} is {_looked_up(ref, request)}" for ref in _references(node))
    return f"{text_of(node)} is {_shown(held)}" + (f" ({seen})" if seen else "")


def text_of(node: Node) -> str:
    """The condition text of a parsed node, normalised (spacing, quotes)."""
    if isinstance(node, Reference):
        return ".".join((node.root, *node.keys))
    if isinstance(node, LiteralNode):
        return _literal(node.value)
    if isinstance(node, ListLiteral):
        return "[" + ", ".join(_literal(item) for item in node.items) + "]"
    if isinstance(node, Comparison):
        return f"{text_of(node.left)} {node.op} {text_of(node.right)}"
    if isinstance(node, Exists):
        return f"{text_of(node.operand)} exists"
    if isinstance(node, Truthy):
        return text_of(node.operand)
    if isinstance(node, Not):
        return f"not ({text_of(node.operand)})"
    if isinstance(node, And | Or):
        joiner = " and " if isinstance(node, And) else " or "
        return "(" + joiner.join(text_of(o) for o in node.operands) + ")"
    return repr(node)


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return _shown(value)


def _shown(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _looked_up(ref: Reference, request: RecordedRequestView) -> str:
    if not Exists(ref).evaluate(request):
        return "missing"
    return _shown(ref.evaluate(request))


def _references(node: Node) -> list[Reference]:
    found: list[Reference] = []
    for child in (getattr(node, name, None) for name in ("left", "right", "operand")):
        if isinstance(child, Reference) and child not in found:
            found.append(child)
    return found


def _named_entity(path: str, entities: Entities) -> tuple[str, str] | None:
    """The entity the path names: the last segment that is the id of an entity of the world
    (``/orders/o-1/pay`` names order ``o-1``), in the collection named just before it when
    several collections have that id."""
    segments = [s for s in path.split("/") if s]
    for index in range(len(segments) - 1, -1, -1):
        segment = segments[index]
        holders = [c for c in sorted(entities) if segment in entities[c]]
        if not holders:
            continue
        named = segments[index - 1] if index > 0 else None
        collection = named if named in holders else holders[0]
        return collection, segment
    return None


class _WorldNames:
    """Names for an expression (``ExpressionContext``): the collections of the world before
    the request, ``state``, ``request`` (its body), and the time it was made."""

    def __init__(self, entities: Entities, request: RecordedRequestView, at: float) -> None:
        self._entities = entities
        self._request = request
        self._at = at

    def now(self) -> float:
        return self._at

    def named(self, name: str) -> Any:
        if name == "state":
            return dict(self._request.state)
        if name == "request":
            return self._request.body
        items = self._entities.get(name)
        if items is None:
            return None
        if set(items) == {"_"}:
            return dict(items["_"])
        return [dict(items[entity_id]) for entity_id in sorted(items)]

    def lookup(self, collection: str, entity_id: Any) -> Mapping[str, Any] | None:
        if entity_id is None:
            return None
        return self._entities.get(collection, {}).get(str(entity_id))
