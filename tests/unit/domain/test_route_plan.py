"""A route plan: what every request of one method and path template shares, worked out once."""

from __future__ import annotations

from typing import Any

from mockmind.adapters.memory import MemoryEntityStore
from mockmind.domain.engine import RoutePlanner, World
from mockmind.domain.engine import route_plan as route_plan_module
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.http import MockRequest
from mockmind.domain.resources import ResourceService, ResourceSpec
from mockmind.domain.rules.actions import Respond
from mockmind.domain.rules.book import Rule, RuleBook
from mockmind.domain.rules.conditions import parse_condition
from mockmind.domain.state_machines import StateMachine, Transition
from mockmind.ports.api_description import ResponsePlan, RoutedRequest
from tests.support.clock import still_lifetimes

ORDERS = ResourceSpec("orders", "/orders", "/orders/{orderId}", "orderId")
PAY = Transition(frozenset({"pending"}), "paid", "POST", "/orders/{orderId}/pay")
MACHINE = StateMachine("order_flow", "orders", "status", "pending", ("pending", "paid"), (PAY,))


def _world(rules: list[Rule] | None = None) -> World:
    service = ResourceService(
        {"/orders": ORDERS},
        MemoryEntityStore(still_lifetimes()),
        OfflineGenerator(),
        lambda ref: {},
        entity_ttl_seconds=60,
    )
    return World(resources=service, rules=RuleBook(rules or []), machines={"order_flow": MACHINE})


def test_a_crud_route_knows_its_resource_and_takes_ids_from_each_request() -> None:
    plan = RoutePlanner(_world()).plan("GET", "/orders/{orderId}")
    assert plan.resource is not None
    assert (plan.resource.spec.name, plan.resource.kind, plan.resource.shape) == (
        "orders",
        "read",
        "item",
    )
    assert plan.sub_path is None
    assert plan.triggers == ()
    for order in ("o-1", "o-2"):
        action = plan.action({"orderId": order})
        assert action is not None
        assert action.entity_id == order
        assert plan.touched(action, {"orderId": order}) is action


def test_a_sub_path_names_its_entity_and_the_machine_it_moves() -> None:
    plan = RoutePlanner(_world()).plan("POST", "/orders/{orderId}/pay")
    assert plan.resource is None
    assert plan.action({"orderId": "o-1"}) is None
    touched = plan.touched(None, {"orderId": "o-1"})
    assert touched is not None
    assert (touched.spec.name, touched.kind, touched.entity_id) == ("orders", "read", "o-1")
    [trigger] = plan.triggers
    assert trigger.machine is MACHINE
    assert trigger.transitions == (PAY,)
    moved = trigger.action({"orderId": "o-7"})
    assert moved is not None
    assert moved.entity_id == "o-7"
    assert trigger.action({}) is None
    # Another method on the same template triggers nothing.
    assert RoutePlanner(_world()).plan("GET", "/orders/{orderId}/pay").triggers == ()


def test_a_route_keeps_only_the_rules_its_method_can_fire() -> None:
    rules = [
        Rule("posts", parse_condition("method == 'POST'"), Respond(409, {}, None)),
        Rule("orders", parse_condition("path starts_with '/orders'"), Respond(418, {}, None)),
    ]
    planner = RoutePlanner(_world(rules))
    assert [r.name for r, _ in planner.plan("GET", "/orders").rules.rules] == ["orders"]
    assert [r.name for r, _ in planner.plan("POST", "/orders").rules.rules] == ["posts", "orders"]


class _CountingApi:
    def __init__(self) -> None:
        self.asked: list[tuple[str | None, str | None]] = []

    def plan_response(self, routed: RoutedRequest) -> ResponsePlan:
        headers = routed.request.headers
        self.asked.append((headers.get("prefer"), headers.get("accept")))
        return ResponsePlan(200 if headers.get("prefer") is None else 404)


def _routed(**headers: str) -> RoutedRequest:
    return RoutedRequest(MockRequest("GET", "/orders/1", headers=headers), "/orders/{orderId}")


def test_response_plans_are_remembered_per_prefer_and_accept() -> None:
    api: Any = _CountingApi()
    plan = RoutePlanner(_world()).plan("GET", "/orders/{orderId}")
    assert plan.response(api, _routed()).status == 200
    assert plan.response(api, _routed()).status == 200
    assert plan.response(api, _routed(prefer="code=404")).status == 404
    assert plan.response(api, _routed(prefer="code=404")).status == 404
    assert api.asked == [(None, None), ("code=404", None)]


def test_response_plans_per_route_stay_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(route_plan_module, "_RESPONSES_PER_ROUTE", 2)
    api: Any = _CountingApi()
    plan = RoutePlanner(_world()).plan("GET", "/orders/{orderId}")
    for n in range(5):
        plan.response(api, _routed(accept=f"application/x-{n}"))
        plan.response(api, _routed(accept=f"application/x-{n}"))
    # Two remembered; the other three asked each time.
    assert len(api.asked) == 2 + 3 * 2


def test_the_planner_remembers_each_plan_once() -> None:
    planner = RoutePlanner(_world())
    assert planner.plan("GET", "/orders") is planner.plan("GET", "/orders")
    assert planner.plan("GET", "/orders") is not planner.plan("POST", "/orders")


def test_a_route_knows_whether_it_is_the_login_or_the_logout_route() -> None:
    """Worked out once per route, as the token issuer answers it for each request."""
    from dataclasses import replace

    from mockmind.domain.auth import AuthSettings, TokenIssuer

    auth = TokenIssuer(MemoryEntityStore(still_lifetimes()), AuthSettings())
    planner = RoutePlanner(replace(_world(), auth=auth))
    cases = [
        ("POST", "/login"),
        ("post", "/login/"),
        ("GET", "/login"),
        ("POST", "/logout"),
        ("POST", "/orders"),
    ]
    roles = [planner.plan(method, template).login_role for method, template in cases]
    assert roles == ["login", "login", None, "logout", None]
    for (method, template), role in zip(cases, roles, strict=True):
        assert (role == "login") == auth.is_login(method, template)
        assert (role == "logout") == auth.is_logout(method, template)
    assert RoutePlanner(_world()).plan("POST", "/login").login_role is None
