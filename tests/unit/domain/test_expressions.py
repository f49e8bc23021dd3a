from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockmind.domain.rules.expressions import ExpressionSyntaxError, parse_expression


class Ctx:
    def __init__(self, named: Mapping[str, Any] | None = None) -> None:
        self._named = dict(named or {})
        self.products = {"p-1": {"id": "p-1", "price": 9.99, "name": "Mug"}}

    def now(self) -> float:
        return 1_700_000_000.0

    def named(self, name: str) -> Any:
        return self._named.get(name)

    def lookup(self, collection: str, entity_id: Any) -> Mapping[str, Any] | None:
        return self.products.get(str(entity_id)) if collection == "products" else None


CART = {
    "items": [
        {"price": 0.1, "quantity": 1},
        {"price": 0.2, "quantity": 1},
        {"price": 2.5, "quantity": 4},
    ],
    "product_id": "p-1",
    "discount": 1.5,
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sum(items[].price * items[].quantity)", 10.3),
        ("count(items)", 3),
        ("min(items[].price)", 0.1),
        ("max(items[].quantity)", 4),
        ("avg(items[].quantity)", 2),
        ("round(sum(items[].price * items[].quantity) - discount, 1)", 8.8),
        ("round(7.6)", 8),
        ("items[2].price * 2", 5.0),
        ("-discount", -1.5),
        ("10 % 4 + 2 * 3", 8),
        ("(1 + 2) * 3", 9),
        ("1 / 0", 0),
        ("'a' + 'b'", "ab"),
        ("lookup(products, product_id).price", 9.99),
        ("lookup(products, 'missing').price", None),
        ("coalesce(nothing, discount)", 1.5),
        ("now()", "2023-11-14T22:13:20Z"),
        ("cart.total", 42),
        ("count(orders)", 2),
        ("where(orders, 'user', ['u1'])", [{"user": "u1"}]),
        ("where(orders, 'user', follows[].user)", [{"user": "u2"}]),
    ],
)
def test_evaluation(text: str, expected: Any) -> None:
    ctx = Ctx(
        {
            "cart": {"total": 42},
            "orders": [{"user": "u1"}, {"user": "u2"}],
            "follows": [{"user": "u2"}],
        }
    )
    value = parse_expression(text).evaluate(CART, ctx)
    assert value == (pytest.approx(expected) if isinstance(expected, float) else expected)


def test_entity_fields_shadow_named_values() -> None:
    ctx = Ctx({"discount": 100})
    assert parse_expression("discount").evaluate(CART, ctx) == 1.5


def test_sum_of_prices_reads_as_a_price() -> None:
    entity = {"items": [{"p": 0.1}, {"p": 0.2}]}
    assert parse_expression("sum(items[].p)").evaluate(entity, Ctx()) == 0.3


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("sum(", 5, "unexpected"),
        ("foo(1)", 1, "unknown function 'foo'"),
        ("sum(1, 2)", 1, "takes 1 argument"),
        ("1 +* 2", 4, "unexpected"),
        ("round(1, 2, 3)", 1, "1 to 2"),
    ],
)
def test_syntax_errors(text: str, column: int, fragment: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression(text)
    assert info.value.column == column
    assert fragment in str(info.value)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "price": st.floats(0, 1000, allow_nan=False).map(lambda x: round(x, 2)),
                "quantity": st.integers(0, 99),
            }
        ),
        max_size=20,
    )
)
def test_total_is_always_the_sum_of_line_totals(items: list[dict[str, Any]]) -> None:
    total = parse_expression("round(sum(items[].price * items[].quantity), 2)")
    expected = round(sum(i["price"] * i["quantity"] for i in items), 2)
    assert total.evaluate({"items": items}, Ctx()) == pytest.approx(expected, abs=0.011)


@pytest.mark.parametrize(
    ("text", "entity", "expected"),
    [
        # A client's 4000-digit quantity times a price overflows a double.
        (
            "round(sum(items[].price * items[].qty), 2)",
            {"items": [{"price": 1.5, "qty": 10**4000}]},
            None,
        ),
        ("items[].price * items[].qty", {"items": [{"price": 1.5, "qty": 10**4000}]}, None),
        ("avg(xs)", {"xs": [10**4000, 1]}, None),
        # Two such integers multiply to more digits than can be written as JSON.
        ("a * b", {"a": 10**3000, "b": 10**3000}, None),
        ("[a * b, 1]", {"a": 10**3000, "b": 10**3000}, [None, 1]),
        ("round(x)", {"x": "nan"}, None),
        ("round(x, 2)", {"x": "1e400"}, None),
    ],
)
def test_numbers_that_cannot_be_represented_give_null(
    text: str, entity: dict[str, Any], expected: Any
) -> None:
    assert parse_expression(text).evaluate(entity, Ctx()) == expected


def test_long_integers_that_can_be_written_are_kept() -> None:
    value = parse_expression("a * b").evaluate({"a": 10**1000, "b": 3}, Ctx())
    assert value == 3 * 10**1000
    assert parse_expression("sum(xs)").evaluate({"xs": [10**4000, 1]}, Ctx()) == 10**4000 + 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Negating a projection negates each of its values.
        ("-items[].price", [-1.5, -2]),
        ("sum(-items[].price)", -3.5),
        # An empty list has no least, greatest or mean value.
        ("min(none)", None),
        ("max(none)", None),
        ("avg(none)", None),
        ("coalesce(missing, nothing)", None),
        # An index past the end, or into what is not a list, is null.
        ("items[2]", None),
        ("items[1].price", 2),
        ("label[0]", None),
    ],
)
def test_edges_of_lists(text: str, expected: Any) -> None:
    entity = {"items": [{"price": 1.5}, {"price": 2}], "none": [], "label": "ab"}
    assert parse_expression(text).evaluate(entity, Ctx()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("others[1]", 7),
        ("[others[0], 3]", [5, 3]),
        ("-others[0]", -5),
        ("-others[]", [-5, -7]),
    ],
)
def test_names_from_the_context_inside_indexes_lists_and_negations(
    text: str, expected: Any
) -> None:
    assert parse_expression(text).evaluate({}, Ctx({"others": [5, 7]})) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Arithmetic runs left to right through every operator of a level.
        ("1 - 2 + 4", 3),
        ("2 * 3 * 4", 24),
        ("20 / 2 / 5", 2.0),
        # A list and a scalar: the scalar with each item, on either side.
        ("items[].price * 2", [3.0, 4]),
        ("10 - items[].price", [8.5, 8]),
        # Two lists pair their items up to the shorter one's end.
        ("xs[] + ys[]", [11, 22]),
        # What is not a number counts as 0: nothing, booleans, text that reads as none.
        ("missing + 1", 1),
        ("flag + 1", 1),
        ("'abc' * 2", 0),
        ("'3' * 2", 6.0),
        # count() of nothing is 0, of one value 1; a projection of what is not a list is empty.
        ("count(missing)", 0),
        ("count(qty)", 1),
        ("count(label[])", 0),
        # Sums read as prices: rounded to 10 decimals.
        ("sum(fine)", 0.123456789),
    ],
)
def test_arithmetic_over_values_of_every_kind(text: str, expected: Any) -> None:
    entity = {
        "items": [{"price": 1.5}, {"price": 2}],
        "xs": [1, 2, 3],
        "ys": [10, 20],
        "flag": True,
        "qty": 5,
        "label": "ab",
        "fine": [0.12345678901],
    }
    assert parse_expression(text).evaluate(entity, Ctx()) == expected


@pytest.mark.parametrize(("text", "expected"), [("7", 7), ("round(7.6)", 8), ("1 + 2", 3)])
def test_whole_numbers_stay_integers(text: str, expected: int) -> None:
    value = parse_expression(text).evaluate({}, Ctx())
    assert (type(value), value) == (int, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("total + 1", 43),
        ("1 + total", 43),
        ("lookup(products, picked).price", 9.99),
        ("lookup('products', product_id).name", "Mug"),
        ("lookup(config.collection, product_id).name", "Mug"),
    ],
)
def test_values_named_by_the_context_everywhere_in_an_expression(text: str, expected: Any) -> None:
    ctx = Ctx({"total": 42, "picked": "p-1", "config": {"collection": "products"}})
    assert parse_expression(text).evaluate({"product_id": "p-1"}, ctx) == expected


KNOWN = "avg, coalesce, count, lookup, max, min, now, round, sum, where"


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("-foo(1)", 2),
        ("foo(1).x", 1),
        ("foo(1)[]", 1),
        ("foo(1)[0]", 1),
        ("foo(1) + 1", 1),
        ("1 + foo(1)", 5),
        ("sum(foo(1))", 5),
        ("[1, foo(1)]", 5),
        # The first call of the name is the one reported.
        ("foo(1) + foo(2)", 1),
    ],
)
def test_an_unknown_function_anywhere_is_refused(text: str, column: int) -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression(text)
    assert (info.value.text, info.value.column) == (text, column)
    assert str(info.value) == f"column {column}: unknown function 'foo'; known: {KNOWN}"


def test_a_wrong_number_of_arguments_names_the_text_and_the_arity() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression("1 + count(1, 2)")
    assert (info.value.text, info.value.column) == ("1 + count(1, 2)", 5)
    assert str(info.value) == "column 5: count() takes 1 argument(s)"


@pytest.mark.parametrize(("text", "column"), [("* 2", 1), ("1 @ 2", 3), ("sum(", 5), ("1 +", 4)])
def test_text_that_does_not_parse_names_its_column(text: str, column: int) -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression(text)
    assert (info.value.text, info.value.column) == (text, column)
    assert str(info.value) == f"column {column}: unexpected input"


def test_text_that_does_not_parse_on_a_later_line_names_that_line() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression("1 +\n@ 2")
    assert (info.value.line, info.value.column) == (2, 1)
    assert str(info.value) == "line 2, column 1: unexpected input"
