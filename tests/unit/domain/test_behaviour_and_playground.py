"""The behaviour designer's data (domain/behaviour) and the rules playground
(domain/rules/playground): exact views, verdicts and reasons."""

from __future__ import annotations

from typing import Any

import pytest

from mockmind.domain.behaviour import describe_behaviour
from mockmind.domain.errors import RuleSyntaxError
from mockmind.domain.journal import JournalEvent, RecordedExchange, WorldAt
from mockmind.domain.rules import actions
from mockmind.domain.rules.book import Rule, RuleBook
from mockmind.domain.rules.conditions import parse_condition
from mockmind.domain.rules.expressions import parse_expression
from mockmind.domain.rules.playground import check, evaluate, explain, recorded_request
from mockmind.domain.state_machines import StateMachine, Transition


def _machine() -> StateMachine:
    return StateMachine(
        name="order_lifecycle",
        resource="orders",
        field="status",
        initial="placed",
        states=("placed", "paid", "shipped", "cancelled"),
        transitions=(
            Transition(
                frozenset({"placed"}),
                "paid",
                "POST",
                "/orders/{orderId}/pay",
                parse_condition("body.amount > 0"),
                {"paid_at": parse_expression("now()")},
            ),
            Transition(frozenset({"paid", "placed"}), "cancelled", "POST", "/orders/{id}/cancel"),
        ),
    )


def _rules() -> RuleBook:
    return RuleBook(
        [
            Rule(
                "admin_needs_login",
                parse_condition("path starts_with '/admin'"),
                actions.RequireAuth("Log in first"),
            ),
            Rule(
                "teapot",
                parse_condition("path == '/products' and query.category == 'teapots'"),
                actions.Respond(418, {}, {"title": "teapot"}),
                priority=10,
            ),
            Rule(
                "slow_pay",
                parse_condition("path matches '/orders/*/pay' or header.X-Slow exists"),
                actions.Delay("fixed", 5),
            ),
        ]
    )


def test_the_behaviour_lists_machines_and_rules_with_the_sessions_positions() -> None:
    entities = {
        "orders": {"o-2": {"status": "paid"}, "o-1": {"status": "placed"}, "o-3": {}},
        "cart": {"_": {"total": 3}},
    }
    described = describe_behaviour({"order_lifecycle": _machine()}, _rules(), entities)
    (machine,) = described.machines
    assert (machine.name, machine.resource, machine.field, machine.initial) == (
        "order_lifecycle",
        "orders",
        "status",
        "placed",
    )
    assert machine.states == ("placed", "paid", "shipped", "cancelled")
    assert [
        (t.from_states, t.to, t.trigger, t.guard, dict(t.sets)) for t in machine.transitions
    ] == [
        (
            ("placed",),
            "paid",
            "POST /orders/{orderId}/pay",
            "body.amount > 0",
            {"paid_at": "now()"},
        ),
        # From-states in the machine's order of states, not the set's.
        (("placed", "paid"), "cancelled", "POST /orders/{id}/cancel", None, {}),
    ]
    assert dict(machine.positions) == {"o-1": "placed", "o-2": "paid", "o-3": None}
    assert [(r.name, r.condition, r.priority, r.action) for r in described.rules] == [
        ("teapot", "path == '/products' and query.category == 'teapots'", 10, "respond"),
        ("admin_needs_login", "path starts_with '/admin'", 0, "require_auth"),
        ("slow_pay", "path matches '/orders/*/pay' or header.X-Slow exists", 0, "delay"),
    ]


def test_without_a_session_no_entity_has_a_position() -> None:
    (machine,) = describe_behaviour({"m": _machine()}, RuleBook([])).machines
    assert dict(machine.positions) == {}


def _event(
    method: str = "POST",
    path: str = "/orders/o-1/pay",
    body: Any = None,
    query: dict[str, list[str]] | None = None,
    rules: tuple[str, ...] = (),
) -> JournalEvent:
    return JournalEvent(
        seq=3,
        at=1_780_000_000.0,
        exchange=RecordedExchange(
            method=method,
            path=path,
            query=query or {},
            request_headers={"X-Slow": "1", "Cookie": "***"},
            request_body=body,
            status=200,
            response_headers={},
            response_body={},
        ),
        source="resource",
        latency_ms=1.0,
        rules=rules,
    )


_BEFORE = WorldAt(
    step=2,
    entities={
        "orders": {"o-1": {"id": "o-1", "status": "placed", "total": 12.5}},
        "products": {
            "p-1": {"id": "p-1", "price": 4.25},
            "p-2": {"id": "p-2", "price": 1.5},
        },
        "cart": {"_": {"currency": "EUR"}},
    },
    state={"cart_size": 2},
)


def test_a_recorded_request_meets_the_world_before_it_and_the_entity_its_path_names() -> None:
    request = recorded_request(_event(query={"tag": ["a"], "ids": ["1", "2"]}), _BEFORE)
    assert request.method == "POST"
    assert request.headers == {"x-slow": "1", "cookie": "***"}
    assert request.query == {"tag": "a", "ids": ["1", "2"]}
    assert request.state == {"cart_size": 2}
    assert request.entity_ref == ("orders", "o-1")
    assert request.entity == {"id": "o-1", "status": "placed", "total": 12.5}
    assert recorded_request(_event(path="/orders"), _BEFORE).entity_ref is None


def test_a_condition_is_evaluated_with_every_rule_and_why() -> None:
    found = evaluate(
        "entity.status == 'placed' and state.cart_size >= 2",
        "condition",
        _event(rules=("slow_pay",)),
        _BEFORE,
        _rules(),
    )
    assert found.value is True
    assert found.why == (
        "entity.status == 'placed' is true (entity.status is \"placed\") and "
        "state.cart_size >= 2 is true (state.cart_size is 2)"
    )
    assert [(v.name, v.fires, v.why, v.recorded) for v in found.rules] == [
        ("teapot", False, "path == '/products' is false (path is \"/orders/o-1/pay\")", False),
        (
            "admin_needs_login",
            False,
            "path starts_with '/admin' is false (path is \"/orders/o-1/pay\")",
            False,
        ),
        (
            "slow_pay",
            True,
            "path matches '/orders/*/pay' is true (path is \"/orders/o-1/pay\")",
            True,
        ),
    ]


def test_the_reasons_name_missing_values_and_every_part_that_decided() -> None:
    request = recorded_request(_event(path="/cart"), _BEFORE)
    assert explain(
        parse_condition("body.x exists or not (header.X-Slow == '2')").root, request
    ) == ("not (header.X-Slow == '2' is false (header.X-Slow is \"1\"))")
    assert explain(parse_condition("body.x exists or query.q in ['a', 1]").root, request) == (
        "body.x exists is false (body.x is missing) and "
        "query.q in ['a', 1] is false (query.q is missing)"
    )
    assert explain(parse_condition("state.cart_size").root, request) == (
        "state.cart_size is true (state.cart_size is 2)"
    )


def test_an_expression_reads_the_body_the_world_before_and_the_time_of_the_request() -> None:
    body = {"product_id": "p-1", "quantity": 3}
    found = evaluate(
        "lookup(products, product_id).price * quantity + count(orders)",
        "expression",
        _event(body=body),
        _BEFORE,
        RuleBook([]),
    )
    assert found.value == 13.75
    assert found.why == "lookup(products, product_id).price * quantity + count(orders) is 13.75"
    assert evaluate("now()", "expression", _event(), _BEFORE, RuleBook([])).value == (
        "2026-05-28T20:26:40Z"
    )
    assert evaluate(
        "sum(products[].price)", "expression", _event(), _BEFORE, RuleBook([])
    ).value == (5.75)
    assert evaluate("cart.currency", "expression", _event(), _BEFORE, RuleBook([])).value == "EUR"
    assert evaluate("state.cart_size", "expression", _event(), _BEFORE, RuleBook([])).value == 2


@pytest.mark.parametrize(
    ("text", "language", "line", "column"),
    [
        ("method ==", "condition", 1, 10),
        ("path == '/a' and\n  method ==", "condition", 2, 12),
        ("path == '/a' and\n  (method == 'GET'", "condition", 2, 19),
        ("method == 'GET' and\n\n  header == 'x'", "condition", 3, 3),
        ("method = 'GET'", "condition", 1, 8),
        ("sum(items[].price) +\n  nope(1)", "expression", 2, 3),
        ("1 +\n  * 2", "expression", 2, 3),
    ],
)
def test_a_syntax_error_says_its_line_and_column(
    text: str, language: str, line: int, column: int
) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        check(text, "condition" if language == "condition" else "expression")
    assert (caught.value.line, caught.value.column) == (line, column)
    where = f"line {line}, column {column}" if line > 1 else f"column {column}"
    assert str(caught.value) == f"{where}: {caught.value.reason}"
