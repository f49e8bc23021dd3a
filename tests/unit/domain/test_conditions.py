from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockmind.domain.rules import ConditionSyntaxError, parse_condition


@dataclass
class Ctx:
    method: str = "GET"
    path: str = "/api/orders/42/pay"
    headers: Mapping[str, str] = field(default_factory=lambda: {"Authorization": "Bearer t"})
    query: Mapping[str, Any] = field(default_factory=lambda: {"limit": "5", "tag": "a"})
    body: Any = field(
        default_factory=lambda: {"qty": 3, "items": [{"price": 2.5}], "name": "mug", "ok": True}
    )
    state: Mapping[str, Any] = field(default_factory=lambda: {"logged_in": True, "n": 2})
    entity: Mapping[str, Any] | None = field(default_factory=lambda: {"status": "placed"})


CTX = Ctx()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("path starts_with '/api'", True),
        ("path starts_with '/admin'", False),
        ("path ends_with '/pay'", True),
        ("path contains 'orders'", True),
        ("path matches '/api/orders/*/pay'", True),
        ("path matches '/api/*/pay'", False),
        ("path matches '/api/**'", True),
        ("method == 'GET'", True),
        ("method != 'GET'", False),
        ('method == "GET"', True),
        ("query.limit == 5", True),
        ("query.limit < 10", True),
        ("query.limit <= 5", True),
        ("query.limit > 5", False),
        ("query.limit >= 5", True),
        ("body.qty in [1, 2, 3]", True),
        ("body.name in ['cup', 'plate']", False),
        ("'mug' in body.name", True),
        ("body.items.0.price == 2.5", True),
        ("body.items.1.price exists", False),
        ("header.authorization exists", True),
        ("header.X-Api-Key exists", False),
        ("not header.X-Api-Key exists", True),
        ("state.logged_in == true", True),
        ("state.logged_in", True),
        ("state.missing == null", True),
        ("entity.status == 'placed' and state.n > 1", True),
        ("entity.status == 'paid' or state.n > 1", True),
        ("not (method == 'GET' or method == 'HEAD')", False),
        ("body.ok == true and not body.qty > 10", True),
        ("query.missing > 1", False),
        ("query.missing != 'x'", True),
        ("body.items contains 1", False),
        ("-1.5e1 < body.qty", True),
    ],
)
def test_operators(text: str, expected: bool) -> None:
    assert parse_condition(text).matches(CTX) is expected


def test_precedence_not_binds_tighter_than_and_than_or() -> None:
    # (false and false) or true
    assert parse_condition("method == 'POST' and method == 'PUT' or method == 'GET'").matches(CTX)
    # not applies to the first comparison only
    assert not parse_condition("not method == 'GET' and method == 'GET'").matches(CTX)


def test_entity_absent_is_missing() -> None:
    ctx = Ctx(entity=None)
    assert not parse_condition("entity.status exists").matches(ctx)
    assert parse_condition("entity.status != 'paid'").matches(ctx)


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("path starts_with", 17),
        ("foo == 1", 1),
        ("method == 'GET' and and", 21),
        ("body == 1", 1),
        ("path == 'a' )", 13),
        ("method === 'GET'", 10),
        ("header.a.b exists", 1),
    ],
)
def test_syntax_errors_name_the_column(text: str, column: int) -> None:
    with pytest.raises(ConditionSyntaxError) as info:
        parse_condition(text)
    assert info.value.column == column


# -- property: rendering a random expression tree and parsing it gives the same evaluation ---

_refs = st.sampled_from(
    [
        "method",
        "path",
        "query.limit",
        "query.tag",
        "body.qty",
        "body.name",
        "state.n",
        "entity.status",
        "header.Authorization",
        "body.items.0.price",
        "query.nope",
    ]
)
_literals = st.one_of(
    st.integers(-5, 50).map(str),
    st.sampled_from(["'GET'", "'mug'", "'/api'", "'placed'", "true", "false", "null", "2.5"]),
)
_ops = st.sampled_from(
    ["==", "!=", "<", "<=", ">", ">=", "contains", "starts_with", "ends_with", "in"]
)


@st.composite
def _atoms(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 2))
    ref = draw(_refs)
    if kind == 0:
        return f"{ref} exists"
    op = draw(_ops)
    right = draw(_literals)
    if op == "in":
        right = "[" + ", ".join(draw(st.lists(_literals, min_size=1, max_size=3))) + "]"
    return f"{ref} {op} {right}"


_exprs = st.recursive(
    _atoms(),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda t: f"({t[0]} and {t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]} or {t[1]})"),
        inner.map(lambda e: f"not ({e})"),
    ),
    max_leaves=6,
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(_exprs)
def test_generated_conditions_parse_and_evaluate_to_a_bool(text: str) -> None:
    condition = parse_condition(text)
    assert condition.matches(CTX) in (True, False)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(_exprs, _exprs)
def test_boolean_algebra_holds(a: str, b: str) -> None:
    x, y = parse_condition(a).matches(CTX), parse_condition(b).matches(CTX)
    assert parse_condition(f"({a}) and ({b})").matches(CTX) == (x and y)
    assert parse_condition(f"({a}) or ({b})").matches(CTX) == (x or y)
    assert parse_condition(f"not ({a})").matches(CTX) == (not x)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_text_parses_or_fails_cleanly(text: str) -> None:
    error: ConditionSyntaxError | None = None
    try:
        parse_condition(text)
    except ConditionSyntaxError as exc:
        error = exc
    if error is not None:
        assert 1 <= error.column <= len(text) + 1


# -- the request-line part: what a rule book uses to leave rules out by method and path ------


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("path starts_with '/admin'", "whole"),
        ("method == 'POST' and path matches '/orders/*/pay'", "whole"),
        ("path == '/products' and query.category == 'teapots'", "path == '/products'"),
        ("query.category == 'teapots' and state.n > 1", None),
        ("path == '/a' or query.x == '1'", None),
        ("not (path starts_with '/a') and body.qty > 1", "not (path starts_with '/a')"),
    ],
)
def test_request_line_part(text: str, part: str | None) -> None:
    found = parse_condition(text).request_line_part()
    if part is None:
        assert found is None
        return
    assert found is not None
    expected = parse_condition(text if part == "whole" else part).root
    for method, path in [("GET", "/admin/x"), ("POST", "/orders/1/pay"), ("GET", "/products")]:
        line = Ctx(method=method, path=path)
        assert bool(found.evaluate(line)) == bool(expected.evaluate(line))


_LINES = [
    Ctx(method=m, path=p)
    for m in ("GET", "post")
    for p in ("/api/orders/42/pay", "/api", "/mug", "/")
]


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(_exprs)
def test_a_request_the_request_line_part_rejects_never_matches(text: str) -> None:
    condition = parse_condition(text)
    part = condition.request_line_part()
    for ctx in [CTX, *_LINES]:
        if part is not None and not part.evaluate(ctx):
            assert not condition.matches(ctx)


@pytest.mark.parametrize(
    ("text", "on_method", "on_path"),
    [
        ("method == 'POST' and path matches '/orders/*/pay'", True, True),
        ("method == 'POST' and body.qty > 1", True, False),
        ("path starts_with '/admin'", False, True),
        ("method == 'GET' or path == '/a'", False, True),
        ("query.x == '1'", False, False),
    ],
)
def test_route_parts_split_the_method_from_the_path(
    text: str, on_method: bool, on_path: bool
) -> None:
    method_part, path_part = parse_condition(text).route_parts()
    assert (method_part is not None, path_part is not None) == (on_method, on_path)
    if method_part is not None:
        # Decided with the method alone: the path cannot change its answer.
        assert method_part.evaluate(Ctx(method="POST", path="/x")) == method_part.evaluate(
            Ctx(method="POST", path="/orders/1/pay")
        )


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(_exprs)
def test_a_request_either_route_part_rejects_never_matches(text: str) -> None:
    condition = parse_condition(text)
    on_method, on_path = condition.route_parts()
    for ctx in [CTX, *_LINES]:
        rejected = (on_method is not None and not on_method.evaluate(ctx)) or (
            on_path is not None and not on_path.evaluate(ctx)
        )
        if rejected:
            assert not condition.matches(ctx)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("body.qty > 100", True),
        ("body.qty < 100", False),
        ("body.neg < 0", True),
        ("body.qty == 5", False),
    ],
)
def test_integers_beyond_a_double_compare_as_infinite(text: str, expected: bool) -> None:
    ctx = Ctx(body={"qty": 10**4000, "neg": -(10**4000)})
    assert parse_condition(text).matches(ctx) is expected
