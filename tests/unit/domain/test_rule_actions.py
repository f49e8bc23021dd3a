from __future__ import annotations

import random
from typing import Any

from mockmind.domain.rules import parse_condition
from mockmind.domain.rules.actions import (
    Delay,
    Fault,
    RequireAuth,
    Respond,
    RuleOutcome,
    SetState,
    Transition,
    Validate,
)
from mockmind.domain.rules.book import Rule, RuleBook, RuleInput


def _input(**overrides: Any) -> RuleInput:
    values: dict[str, Any] = {
        "method": "GET",
        "path": "/api/protected/x",
        "headers": {},
        "query": {},
        "body": None,
        "state": {},
        "entity": None,
        "authenticated": False,
    }
    values.update(overrides)
    return RuleInput(**values)


def _rule(name: str, condition: str, action: Any, priority: int = 0) -> Rule:
    return Rule(name, parse_condition(condition), action, priority)


def test_require_auth_blocks_anonymous_and_lets_authenticated_through() -> None:
    book = RuleBook([_rule("auth", "path starts_with '/api/protected'", RequireAuth("Login!"))])
    denied = book.run(_input())
    assert denied.response is not None
    assert denied.response.status == 401
    assert denied.response.headers["WWW-Authenticate"] == 'Bearer realm="mockmind"'
    assert denied.response.body["detail"] == "Login!"
    assert denied.answered_by == "auth"
    allowed = _input(authenticated=True)
    assert book.run(allowed).response is None


def test_validate_answers_422_with_field_errors() -> None:
    def errors(body: Any) -> list[dict[str, object]]:
        return [] if body.get("qty", 0) > 0 else [{"location": "body.qty", "message": "too small"}]

    book = RuleBook([_rule("v", "method == 'POST'", Validate("Order", "Bad order", errors))])
    bad = _input(method="POST", body={"qty": 0})
    outcome = book.run(bad)
    assert outcome.response is not None
    assert outcome.response.status == 422
    assert outcome.response.body["errors"] == [{"location": "body.qty", "message": "too small"}]
    good = _input(method="POST", body={"qty": 2})
    assert book.run(good).response is None


def test_respond_is_terminal_and_priority_orders_rules() -> None:
    book = RuleBook(
        [
            _rule("low", "method == 'GET'", Respond(200, {}, {"who": "low"})),
            _rule(
                "high", "method == 'GET'", Respond(503, {"Retry-After": "5"}, {"who": "high"}), 10
            ),
        ]
    )
    outcome = book.run(_input())
    assert outcome.answered_by == "high"
    assert outcome.response is not None
    assert (outcome.response.status, outcome.response.body) == (503, {"who": "high"})
    assert outcome.response.headers == {"Retry-After": "5"}


def test_non_terminal_actions_accumulate() -> None:
    book = RuleBook(
        [
            _rule("s", "method == 'GET'", SetState("seen", True)),
            _rule("d", "method == 'GET'", Delay("fixed", 250)),
            _rule("t", "method == 'GET'", Transition("orders", "paid")),
            _rule("r", "method == 'GET'", Respond(204, {}, None)),
        ]
    )
    outcome = book.run(_input())
    assert outcome.state_updates == {"seen": True}
    assert outcome.delay_seconds == 0.25
    assert outcome.transitions == [("orders", "paid")]
    assert outcome.answered_by == "r"


def test_non_matching_rules_do_nothing() -> None:
    book = RuleBook([_rule("x", "method == 'DELETE'", Respond(500, {}, None))])
    assert book.run(_input()) == RuleOutcome()


def test_delay_distributions() -> None:
    rng = random.Random(1)
    uniform = Delay("uniform", 0, min_ms=10, max_ms=20, rng=rng)
    assert all(10 <= uniform.sample_ms() <= 20 for _ in range(100))
    normal = Delay("normal", 0, mean_ms=50, stddev_ms=10, rng=rng)
    samples = [normal.sample_ms() for _ in range(2000)]
    assert 45 < sum(samples) / len(samples) < 55
    exponential = Delay("exponential", 0, mean_ms=30, rng=rng)
    assert all(s >= 0 for s in (exponential.sample_ms() for _ in range(100)))
    assert Delay("fixed", 7).sample_ms() == 7


def test_fault_fires_with_its_probability() -> None:
    rolls = iter([0.1, 0.9])
    fault = Fault("status", 503, 0.5, "down", chance=lambda: next(rolls))
    fired, spared = RuleOutcome(), RuleOutcome()
    assert fault.apply(_input(), fired) is True
    assert fired.response is not None
    assert fired.response.status == 503
    assert fault.apply(_input(), spared) is False
    assert spared.response is None


def test_fault_drop_and_truncate_mark_the_response() -> None:
    for kind in ("drop", "truncate"):
        outcome = RuleOutcome()
        assert Fault(kind, 500, 1.0, "", chance=lambda: 0.0).apply(_input(), outcome) is False  # type: ignore[arg-type]
        assert outcome.fault == kind


def test_fault_with_zero_probability_never_fires() -> None:
    outcome = RuleOutcome()
    assert Fault("status", 500, 0.0, "", chance=lambda: 0.0).apply(_input(), outcome) is False


def test_rules_about_other_paths_are_left_out_and_the_order_is_kept() -> None:
    book = RuleBook(
        [
            _rule("admin", "path starts_with '/admin'", RequireAuth("Log in")),
            _rule("any", "header.x-flag == 'on'", Respond(503, {}, None)),
            _rule("teapot", "path == '/tea' and query.kind == 'pot'", Respond(418, {}, None), 5),
        ]
    )
    # Narrowed once per method; the path checks run per request, so ids never miss.
    on_get = book.for_route("GET")
    assert [r.name for r in on_get.candidates("GET", "/admin/stats")] == ["admin", "any"]
    assert [r.name for r in on_get.candidates("GET", "/admin/7/stats")] == ["admin", "any"]
    assert [r.name for r in on_get.candidates("GET", "/tea")] == ["teapot", "any"]
    tea = _input(path="/tea", query={"kind": "pot"})
    assert book.run(tea).answered_by == "teapot"
    assert book.run(tea).answered_by == "teapot"
    admin = _input(path="/admin/stats", authenticated=False)
    assert book.run(admin).answered_by == "admin"


def test_route_rules_leave_out_rules_of_other_methods_once() -> None:
    book = RuleBook(
        [
            _rule(
                "posts", "method == 'POST' and path starts_with '/orders'", Respond(409, {}, None)
            ),
            _rule("gets", "method == 'GET'", Respond(200, {}, None)),
            _rule("any", "query.x == '1'", Respond(418, {}, None)),
        ]
    )
    on_post = book.for_route("POST")
    assert [rule.name for rule, _ in on_post.rules] == ["posts", "any"]
    assert [r.name for r in on_post.candidates("POST", "/orders/9")] == ["posts", "any"]
    assert [r.name for r in on_post.candidates("POST", "/carts")] == ["any"]
    post = _input(method="POST", path="/orders/9")
    assert book.run(post, on_post).answered_by == "posts"
    # The same answer without a route's narrowing: it only saves work.
    assert book.run(post).answered_by == "posts"
