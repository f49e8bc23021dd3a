from __future__ import annotations

import random
from typing import Any

from mockmind.domain.errors import RequestError, StoreError
from mockmind.domain.http import MockResponse
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
    error_response,
)
from mockmind.domain.rules.book import RouteRules, Rule, RuleBook, RuleInput
from mockmind.domain.rules.conditions import Condition


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


def test_require_auth_lets_an_authenticated_request_on_to_the_next_rule() -> None:
    outcome = RuleOutcome()
    assert RequireAuth("Login!").apply(_input(authenticated=True), outcome) is False
    assert outcome == RuleOutcome()


def test_require_auth_refuses_with_a_problem_naming_unauthorized() -> None:
    outcome = RuleOutcome()
    assert RequireAuth("Login!", realm="shop").apply(_input(), outcome) is True
    assert outcome.response is not None
    assert outcome.response.body == {"status": 401, "title": "Unauthorized", "detail": "Login!"}
    assert outcome.response.headers == {"WWW-Authenticate": 'Bearer realm="shop"'}
    assert outcome.response.source == "rule"
    assert outcome.error is not None
    assert (outcome.error.status, outcome.error.title) == (401, "Unauthorized")


def test_validate_apply_answers_only_a_body_with_errors() -> None:
    errors = [{"location": "body.qty", "message": "too small"}]
    check = Validate("Order", "Bad order", lambda body: errors if body == {"qty": 0} else [])
    passed = RuleOutcome()
    assert check.apply(_input(body={"qty": 2}), passed) is False
    assert passed == RuleOutcome()
    refused = RuleOutcome()
    assert check.apply(_input(body={"qty": 0}), refused) is True
    assert refused.response is not None
    assert refused.response.body == {
        "status": 422,
        "title": "Unprocessable Entity",
        "detail": "Bad order",
        "errors": errors,
    }


def test_respond_marks_its_answer_as_the_rules() -> None:
    outcome = RuleOutcome()
    assert Respond(201, {"X-A": "1"}, {"ok": True}).apply(_input(), outcome) is True
    assert outcome.response is not None
    assert (outcome.response.status, outcome.response.body) == (201, {"ok": True})
    assert outcome.response.headers == {"X-A": "1"}
    assert outcome.response.source == "rule"


def test_delays_of_several_rules_add_up() -> None:
    book = RuleBook(
        [
            _rule("d1", "method == 'GET'", Delay("fixed", 250)),
            _rule("d2", "method == 'GET'", Delay("fixed", 125)),
        ]
    )
    assert book.run(_input()).delay_seconds == 0.375


def test_normal_delay_draws_the_gauss_of_its_mean_and_deviation_never_below_zero() -> None:
    # A deviation of 0 makes the draw the mean itself: 50 exactly, and -40 cut to 0.
    assert Delay("normal", 0, mean_ms=50, stddev_ms=0).sample_ms() == 50.0
    assert Delay("normal", 0, mean_ms=-40, stddev_ms=0).sample_ms() == 0.0
    assert Delay("normal", 0, mean_ms=0.5, stddev_ms=0).sample_ms() == 0.5
    drawn = Delay("normal", 0, mean_ms=50, stddev_ms=10, rng=random.Random(3)).sample_ms()
    assert drawn == max(0.0, random.Random(3).gauss(50, 10))


def test_exponential_delay_draws_with_rate_one_over_its_mean() -> None:
    drawn = Delay("exponential", 999, mean_ms=30, rng=random.Random(5)).sample_ms()
    assert drawn == random.Random(5).expovariate(1 / 30)
    small = Delay("exponential", 999, mean_ms=0.5, rng=random.Random(5)).sample_ms()
    assert small == random.Random(5).expovariate(2.0)
    assert Delay("exponential", 999, mean_ms=0).sample_ms() == 0.0


def test_uniform_delay_draws_between_its_bounds() -> None:
    drawn = Delay("uniform", 999, min_ms=10, max_ms=20, rng=random.Random(9)).sample_ms()
    assert drawn == random.Random(9).uniform(10, 20)


def test_status_fault_refuses_with_an_injected_fault_problem() -> None:
    outcome = RuleOutcome()
    assert Fault("status", 503, 0.5, "down", chance=lambda: 0.0).apply(_input(), outcome) is True
    assert outcome.response is not None
    assert outcome.response.body == {"status": 503, "title": "Injected Fault", "detail": "down"}
    assert outcome.error is not None
    assert (outcome.error.status, outcome.error.title) == (503, "Injected Fault")


def test_fault_spares_a_roll_equal_to_its_probability() -> None:
    outcome = RuleOutcome()
    assert Fault("status", 503, 0.5, "down", chance=lambda: 0.5).apply(_input(), outcome) is False
    assert outcome == RuleOutcome()


def test_fault_with_zero_probability_draws_no_chance() -> None:
    draws: list[float] = []

    def chance() -> float:
        draws.append(0.0)
        return 0.0

    assert Fault("status", 500, 0.0, "", chance=chance).apply(_input(), RuleOutcome()) is False
    assert draws == []


def test_a_path_check_that_also_reads_the_method_sees_the_requests_method() -> None:
    book = RuleBook(
        [_rule("either", "method == 'POST' or path starts_with '/admin'", Respond(418, {}, None))]
    )
    on_post, on_get = book.for_route("POST"), book.for_route("GET")
    assert [r.name for r in on_post.candidates("POST", "/carts")] == ["either"]
    assert [r.name for r in on_get.candidates("GET", "/carts")] == []
    assert [r.name for r in on_get.candidates("GET", "/admin/x")] == ["either"]
    assert book.run(_input(method="POST", path="/carts"), on_post).answered_by == "either"
    assert book.run(_input(method="GET", path="/carts"), on_get).answered_by is None


def test_a_route_leaves_out_every_rule_it_does_not_hold() -> None:
    book = RuleBook([_rule("gets", "method == 'GET'", Respond(200, {}, None))])
    assert book.run(_input(), RouteRules()) == RuleOutcome()
    assert book.run(_input()).answered_by == "gets"


def test_a_rule_excluding_two_methods_is_left_out_of_both_routes() -> None:
    book = RuleBook(
        [_rule("writes", "method != 'GET' and method != 'HEAD'", Respond(405, {}, None))]
    )
    assert [rule.name for rule, _ in book.for_route("GET").rules] == []
    assert [rule.name for rule, _ in book.for_route("HEAD").rules] == []
    assert [rule.name for rule, _ in book.for_route("POST").rules] == ["writes"]


def test_an_error_answered_as_text_is_a_text_response_of_the_rules() -> None:
    response = error_response(StoreError("disk full"))
    assert response == MockResponse(
        500,
        None,
        {},
        "text/plain; charset=utf-8",
        source="rule",
        body_kind="text",
        text=b"Internal Server Error",
    )


def test_an_error_answered_as_a_problem_is_a_json_response_of_the_rules() -> None:
    error = RequestError(409, "Conflict", "taken", headers={"Retry-After": "1"})
    assert error_response(error) == MockResponse(
        409,
        {"status": 409, "title": "Conflict", "detail": "taken"},
        {"Retry-After": "1"},
        "application/problem+json",
        source="rule",
    )


class _Counted:
    """A condition's node that counts its evaluations, around the node it wraps."""

    def __init__(self, operand: Any) -> None:
        self.operand = operand
        self.evaluations = 0

    def evaluate(self, context: Any) -> Any:
        self.evaluations += 1
        return self.operand.evaluate(context)


def _counted_rule(name: str, condition: str, action: Any) -> tuple[Rule, _Counted]:
    parsed = parse_condition(condition)
    counted = _Counted(parsed.root)
    return Rule(name, Condition(condition, counted), action), counted


def test_a_rule_about_the_method_and_path_alone_is_decided_by_the_route_once_per_path() -> None:
    rule, counted = _counted_rule(
        "admin", "method == 'GET' and path starts_with '/admin'", SetState("seen", "yes")
    )
    book = RuleBook([rule])
    on_get = book.for_route("GET")
    evaluated = counted.evaluations  # the route's method check
    for _ in range(3):
        assert book.run(_input(path="/admin/stats"), on_get).fired == ["admin"]
    # Once, for the path's check; the requests of that path then match it without evaluating.
    assert counted.evaluations == evaluated + 1
    assert book.run(_input(path="/products"), on_get).fired == []
    assert counted.evaluations == evaluated + 2
    # Another method than the route was planned for is not decided by its checks.
    assert book.run(_input(method="POST", path="/admin/stats"), on_get).fired == []


def test_a_rule_that_also_reads_the_request_is_evaluated_on_each_request() -> None:
    rule, counted = _counted_rule(
        "flagged", "path starts_with '/admin' and header.x-flag == 'on'", SetState("f", 1)
    )
    book = RuleBook([rule])
    on_get = book.for_route("GET")
    on = _input(path="/admin/stats", headers={"x-flag": "on"})
    off = _input(path="/admin/stats", headers={"x-flag": "off"})
    assert book.run(on, on_get).fired == ["flagged"]
    assert book.run(off, on_get).fired == []
    assert book.run(on, on_get).fired == ["flagged"]
    assert counted.evaluations == 3
