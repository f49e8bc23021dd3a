from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockmind.domain.rules import ConditionSyntaxError, parse_condition
from mockmind.domain.rules.conditions import compiled


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


# Each comparison's truth on CTX, worked out by hand from CTX's values.
OPERATORS: list[tuple[str, bool]] = [
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
    # A literal exists unless it is null.
    ("null exists", False),
    ("0 exists", True),
    ("[] exists", True),
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
]


@pytest.mark.parametrize(("text", "expected"), OPERATORS)
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


# Trees over the conditions of OPERATORS, with the truth Python's own and/or/not give them.
# Every operand is in parentheses (some of OPERATORS are an `and` or an `or` themselves).
_known_trees: st.SearchStrategy[tuple[str, bool]] = st.recursive(
    st.sampled_from(OPERATORS).map(lambda atom: (f"({atom[0]})", atom[1])),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda t: (f"({t[0][0]} and {t[1][0]})", t[0][1] and t[1][1])),
        st.tuples(inner, inner).map(lambda t: (f"({t[0][0]} or {t[1][0]})", t[0][1] or t[1][1])),
        inner.map(lambda e: (f"not ({e[0]})", not e[1])),
    ),
    max_leaves=8,
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(_known_trees)
def test_generated_conditions_evaluate_as_their_tree_does(tree: tuple[str, bool]) -> None:
    text, expected = tree
    assert parse_condition(text).matches(CTX) is expected


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
    outcome = _text_or_column(text)
    if isinstance(outcome, str):
        assert outcome == text
    else:
        assert 1 <= outcome <= len(text) + 1, (text, outcome)


def _text_or_column(text: str) -> str | int:
    """The parsed condition's text, or the column a syntax error names; any other exception
    (a lark error, a KeyError) fails the test."""
    try:
        return parse_condition(text).text
    except ConditionSyntaxError as exc:
        return exc.column


# -- the request-line part: what a rule book uses to leave rules out by method and path ------


# Requests that carry nothing but their request line: a part that looked at anything else
# (a query, the body, the state) would read it as missing.
_BARE_LINES = [
    Ctx(method=m, path=p, headers={}, query={}, body=None, state={}, entity=None)
    for m, p in [
        ("GET", "/admin/x"),
        ("POST", "/orders/1/pay"),
        ("GET", "/products"),
        ("GET", "/orders/1/pay"),
        ("POST", "/a/b"),
    ]
]


@pytest.mark.parametrize(
    ("text", "truths"),
    [
        # The whole condition: it reads nothing but the method and path.
        ("path starts_with '/admin'", [True, False, False, False, False]),
        ("method == 'POST' and path matches '/orders/*/pay'", [False, True, False, False, False]),
        # The conjuncts that read only the request line.
        (
            "path == '/products' and query.category == 'teapots'",
            [False, False, True, False, False],
        ),
        ("not (path starts_with '/a') and body.qty > 1", [False, True, True, True, False]),
        (
            "method == 'GET' and body.qty > 1 and path starts_with '/orders'",
            [False, False, False, True, False],
        ),
    ],
)
def test_request_line_part(text: str, truths: list[bool]) -> None:
    found = parse_condition(text).request_line_part()
    assert found is not None
    assert [bool(found.evaluate(line)) for line in _BARE_LINES] == truths


@pytest.mark.parametrize(
    "text",
    [
        "query.category == 'teapots' and state.n > 1",
        "path == '/a' or query.x == '1'",
        "not (path == '/a' and body.qty > 1)",
    ],
)
def test_a_condition_that_needs_more_than_the_request_line_has_no_part(text: str) -> None:
    assert parse_condition(text).request_line_part() is None


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
        rejected = part is not None and not part.evaluate(ctx)
        assert not (rejected and condition.matches(ctx)), ctx


def _truths(part: Any) -> list[bool] | None:
    return None if part is None else [bool(part.evaluate(line)) for line in _BARE_LINES]


@pytest.mark.parametrize(
    ("text", "on_method", "on_path"),
    [
        (
            "method == 'POST' and path matches '/orders/*/pay'",
            [False, True, False, False, True],
            [False, True, False, True, False],
        ),
        ("method == 'POST' and body.qty > 1", [False, True, False, False, True], None),
        ("path starts_with '/admin'", None, [True, False, False, False, False]),
        # An `or` of the two cannot be split: all of it is decided with the path.
        ("method == 'GET' or path == '/a/b'", None, [True, False, True, True, True]),
        ("query.x == '1'", None, None),
    ],
)
def test_route_parts_split_the_method_from_the_path(
    text: str, on_method: list[bool] | None, on_path: list[bool] | None
) -> None:
    method_part, path_part = parse_condition(text).route_parts()
    assert (_truths(method_part), _truths(path_part)) == (on_method, on_path)


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
        assert not (rejected and condition.matches(ctx)), ctx


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


REFERENCE = "a reference (method, path, header.X, query.x, body.x, state.x, entity.x)"
VALUE = f"'[', a number, {REFERENCE}, a quoted string, false, null, true"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("method ==", f"column 10: the condition ends too early; expected {VALUE}"),
        ("method == (", f"column 11: unexpected '('; expected {VALUE}"),
        ("(method == 1", "column 13: the condition ends too early; expected ')'"),
        # What comes next is shown, twelve characters of it at most.
        ("method @ abcdefghijklmnopq", "column 8: unexpected '@ abcdefghij'"),
        ("method 1", "column 8: unexpected '1'; expected an operator, '.', ')', and, exists, or"),
        (
            "query.x in [1 2]",
            "column 15: unexpected '2]'; expected ',', an operator, ')', ']', and, exists, or",
        ),
        ("query.(", "column 7: unexpected '('; expected a name"),
        ("method.", "column 8: the condition ends too early; expected a name"),
        # At most eight of what was expected are named (here nine were).
        (
            "method == 'GET' and )",
            "column 21: unexpected ')'; expected '(', '[', a number, "
            f"{REFERENCE}, a quoted string, false, not, null",
        ),
        ("header.a.b exists", "column 1: a header reference takes one name"),
        ("body == 1", "column 1: 'body' needs a key, as in body.name"),
        # What is found at the very first character is shown too.
        ("@", "column 1: unexpected '@'"),
        ("@method", "column 1: unexpected '@method'"),
        # A condition on several lines: the line and the column within it.
        ("method ==\n@", "line 2, column 1: unexpected '@'"),
        (
            "method == 'GET'\n  and )",
            "line 2, column 7: unexpected ')'; expected "
            f"'(', '[', a number, {REFERENCE}, a quoted string, false, not, null",
        ),
    ],
)
def test_syntax_errors_say_what_was_found_and_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(ConditionSyntaxError) as info:
        parse_condition(text)
    assert str(info.value) == message
    assert info.value.text == text


@dataclass
class Values:
    method: str = "GET"
    path: str = "/"
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=lambda: {"limit": "5"})
    body: Any = field(
        default_factory=lambda: {
            "off": False,
            "n": 100,
            "code": "A5B",
            "name": "mug",
            "obj": {"a": 1},
        }
    )
    state: Mapping[str, Any] = field(default_factory=dict)
    entity: Mapping[str, Any] | None = None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("body.off == false", True),
        ("body.off == true", False),
        ("body.n == 1E2", True),
        ("body.n == 1e2", True),
        # A whole number literal is an integer: 5, not 5.0, inside text.
        ("5 in body.code", True),
        ("body.code contains 5", True),
        # Text and a number do not order: the comparison is false, whichever way.
        ("body.name > 1", False),
        ("body.name < 1", False),
        # One side a number and the other text that is none: ordered as text.
        ("query.limit < 'abc'", True),
        # A missing value is in no list, not even one holding null.
        ("state.missing in [null]", False),
        ("state.missing in ['a']", False),
        # ``in`` an object asks for one of its keys.
        ("'a' in body.obj", True),
        ("'b' in body.obj", False),
    ],
)
def test_literals_and_operators_on_values_of_every_kind(text: str, expected: bool) -> None:
    assert parse_condition(text).matches(Values()) is expected


def test_a_whole_number_literal_is_an_integer_and_one_with_a_point_or_exponent_a_float() -> None:
    def literal(text: str) -> Any:
        root = parse_condition(f"body.n == {text}").root
        return root.right.value  # type: ignore[attr-defined]

    assert [(type(literal(t)), literal(t)) for t in ("5", "2.5", "1e2", "1E2")] == [
        (int, 5),
        (float, 2.5),
        (float, 100.0),
        (float, 100.0),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("body.ok == 'true'", True),
        ("body.ok == 'TRUE'", True),
        ("'True' == body.ok", True),
        ("body.ok == 'false'", False),
        ("body.ok != 'true'", False),
    ],
)
def test_a_boolean_equals_its_name_in_any_case(text: str, expected: bool) -> None:
    # CTX's body has "ok": True; a query string or a header says it as text.
    assert parse_condition(text).matches(CTX) is expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("query.limit == query", "'query' needs a key, as in query.name"),
        ("not (state.n == body)", "'body' needs a key, as in body.name"),
        ("query.limit == header.a.b", "a header reference takes one name"),
    ],
)
def test_a_reference_is_checked_wherever_it_stands(text: str, reason: str) -> None:
    with pytest.raises(ConditionSyntaxError) as info:
        parse_condition(text)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    ("text", "column"),
    [
        # The reference's own place, not the first time its name appears (in a string, or as
        # the start of another reference).
        ("query.a == 'query' and query", 24),
        ("body.x == 1 or body == 2", 16),
        ("header.a == 'header.b.c' or header.x.y exists", 29),
        ("query", 1),
    ],
)
def test_a_reference_error_points_at_that_reference(text: str, column: int) -> None:
    with pytest.raises(ConditionSyntaxError) as info:
        parse_condition(text)
    assert info.value.column == column


# What each reference reads on READ, worked out by hand from READ's values.
READ = Ctx(
    method="post",
    headers={"X-Trace": "other spelling", "x-trace": "lower case"},
    body={"name": "mug", "pair": ["a", "b"], "gone": None, "quote": "it's a\\b"},
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The method reads in upper case whatever case the request gave it.
        ("method == 'POST'", True),
        # method and path take no keys: with one they are missing.
        ("method.x exists", False),
        ("path.x exists", False),
        # Only a list is indexed; a string is not, and a name that is not a number is no index.
        ("body.name.0 exists", False),
        ("body.pair.X0 exists", False),
        # Negative indexes count from the end, down to the first item.
        ("body.pair.-1 == 'b'", True),
        ("body.pair.-2 == 'a'", True),
        ("body.pair.-3 exists", False),
        # A key whose value is null is missing, as one that is not there.
        ("body.gone exists", False),
        ("body.gone == null", True),
        # A name spelt in lower case (as HTTP/2 and ASGI give names) is read before another
        # spelling of it.
        ("header.X-Trace == 'lower case'", True),
        # A string literal's backslash escapes are undone.
        (r"body.quote == 'it\'s a\\b'", True),
        (r'body.quote == "it\'s a\\b"', True),
    ],
)
def test_a_reference_reads_what_its_keys_name(text: str, expected: bool) -> None:
    assert parse_condition(text).matches(READ) is expected


# Contexts whose query, body and state are no dicts, or hold keys set to null: a compiled
# comparison reads a dict itself and leaves anything else to the reference's lookup.
_ODD = Ctx(
    query=MappingProxyType({"limit": "5", "tag": None}),
    body={"qty": None, "name": "mug", "items": [{"price": 2.5}]},
    state=MappingProxyType({"n": 2, "logged_in": None}),
    entity=None,
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(_exprs)
def test_a_compiled_condition_answers_as_its_tree_does(text: str) -> None:
    condition = parse_condition(text)
    test = compiled(condition.root)
    for ctx in (CTX, READ, _ODD):
        assert bool(test(ctx)) is condition.matches(ctx), (text, ctx)


@pytest.mark.parametrize(
    "text",
    [
        "query.tag == null",
        "query.tag != 'a'",
        "query.nope == null",
        "query.nope != 'x'",
        "query.limit == 5",
        "body.qty == null",
        "body.qty < 3",
        "body.name starts_with 'm'",
        "body.name matches 'm*'",
        "state.n >= 2 and not state.logged_in == true",
        "entity.status == 'placed' or query.limit in ['5', '6']",
        "'5' in query.limit",
        "query.limit contains '5'",
    ],
)
def test_a_compiled_comparison_with_a_missing_or_null_reference(text: str) -> None:
    condition = parse_condition(text)
    for ctx in (CTX, READ, _ODD):
        assert compiled(condition.root)(ctx) is condition.matches(ctx), (text, ctx)
