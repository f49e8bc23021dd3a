"""The lark-free parser of the shipped tables parses as lark does, or leaves the text to lark."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockmind.domain.errors import RuleSyntaxError
from mockmind.domain.rules import conditions, expressions
from mockmind.domain.rules.table_parser import TableParser, build_lark_tree

# Pieces of each language, right and wrong, that random texts are made of.
PIECES = {
    "conditions": [
        "path",
        "method",
        "header",
        "query",
        "body",
        "state",
        "entity",
        "request",
        "x",
        "a-b",
        "pathx",
        "_1",
        ".",
        "..",
        "==",
        "!=",
        "<=",
        ">=",
        "<",
        ">",
        "contains",
        "starts_with",
        "ends_with",
        "matches",
        "in",
        "and",
        "or",
        "not",
        "exists",
        "true",
        "false",
        "null",
        "nullx",
        "notx",
        "'a'",
        "'it\\'s'",
        '"b"',
        "'",
        "12",
        "-3",
        "1.5",
        "2e3",
        "-0.5E-2",
        "(",
        ")",
        "[",
        "]",
        ",",
        "=",
        "!",
        "*",
        "and_",
        "in2",
    ],
    "expressions": [
        "a",
        "items",
        "price",
        "sum",
        "count",
        "round",
        "now",
        "lookup",
        "where",
        "_x",
        "x1",
        "1",
        "12",
        "1.5",
        "0.25",
        "'s'",
        '"t"',
        "'",
        "+",
        "-",
        "*",
        "/",
        "%",
        ".",
        "[",
        "]",
        "[]",
        "(",
        ")",
        "()",
        ",",
        "=",
        "1.",
        ".5",
    ],
}
SEPARATORS = st.sampled_from(["", " ", "  ", "\t", "\n"])
PARSE = {"conditions": conditions._Build, "expressions": expressions._Build}


def _texts(name: str) -> st.SearchStrategy[str]:
    piece = st.tuples(SEPARATORS, st.sampled_from(PIECES[name]))
    return st.lists(piece, min_size=1, max_size=9).map(lambda p: "".join(a + b for a, b in p))


def _table_parser(name: str) -> TableParser:
    parser = {"conditions": conditions, "expressions": expressions}[name]._TABLE_PARSER
    assert parser is not None
    return parser


def _lark(name: str, text: str) -> Any:
    module = {"conditions": conditions, "expressions": expressions}[name]
    try:
        tree = module.lark_parser().parse(text)
    except Exception:
        return None
    return build_lark_tree(tree, PARSE[name]())


def _same(name: str, text: str) -> None:
    ours = _table_parser(name).parse(text, PARSE[name]())
    theirs = _lark(name, text)
    # Text lark refuses is never parsed here (lark says why); what lark parses is parsed here
    # into the same nodes.
    assert ours == theirs


@pytest.mark.slow
@settings(max_examples=600, deadline=None)
@given(text=_texts("conditions"))
def test_conditions_parse_as_lark_parses_them(text: str) -> None:
    _same("conditions", text)


@pytest.mark.slow
@settings(max_examples=600, deadline=None)
@given(text=_texts("expressions"))
def test_expressions_parse_as_lark_parses_them(text: str) -> None:
    _same("expressions", text)


WELL_FORMED = {
    "conditions": [
        "path starts_with '/admin'",
        "path == '/products' and query.category == 'teapots'",
        "path matches '/orders/*/pay'",
        "not (body.a exists or body.b in [1, 2.5, \"x\", true, null]) and method != 'GET'",
        "state.count >= -2e3 or header.x-tier contains 'gold' and not body.flag",
        "body.notes ends_with 'x' or entity.in_stock == false",
        "query.x in []",
    ],
    "expressions": [
        "lookup(products, product_id).price",
        "round(sum(items[].price * items[].quantity), 2)",
        "-count(items) % 3 + [1, 2.5, 'x'][0]",
        "where(posts, 'author_id', follows[].user_id)",
        "now()",
        'coalesce(a.b[2], "none", [])',
        "(a + b) * -(c - 1.25) / 4",
    ],
}


@pytest.mark.parametrize("name", sorted(WELL_FORMED))
def test_well_formed_texts_are_parsed_without_lark_as_lark_parses_them(name: str) -> None:
    for text in WELL_FORMED[name]:
        ours = _table_parser(name).parse(text, PARSE[name]())
        assert ours is not None, text
        assert ours == _lark(name, text), text


@pytest.mark.parametrize(
    ("name", "text"),
    [("conditions", "path =="), ("conditions", "body.x ~ 1"), ("expressions", "sum(")],
)
def test_text_that_does_not_parse_is_left_to_lark(name: str, text: str) -> None:
    assert _table_parser(name).parse(text, PARSE[name]()) is None
    parse = conditions.parse_condition if name == "conditions" else expressions.parse_expression
    with pytest.raises(RuleSyntaxError):
        parse(text)


def test_a_rule_the_builder_has_no_method_for_is_left_to_lark() -> None:
    class Partial(conditions._Build):
        comparison = None  # type: ignore[assignment]

    assert _table_parser("conditions").parse("path == '/a'", Partial()) is None


def test_parsing_the_shops_rules_imports_no_lark() -> None:
    code = (
        "import sys\n"
        "from mockmind.domain.rules.conditions import parse_condition\n"
        "from mockmind.domain.rules.expressions import parse_expression\n"
        "parse_condition(\"path == '/products' and query.category == 'teapots'\")\n"
        "parse_expression('round(sum(items[].price * items[].quantity), 2)')\n"
        "assert 'lark' not in sys.modules, 'lark imported'\n"
        "try:\n"
        "    parse_condition('path ==')\n"
        "except Exception as error:\n"
        "    print(type(error).__name__)\n"
        "assert 'lark' in sys.modules\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "ConditionSyntaxError"


class _Request:
    """What the conditions below read; each value written out, as the expected results are."""

    method = "POST"
    path = "/orders/7"
    headers = {"X-Tier": "gold"}
    query = {"n": "3"}
    body = {"items": [{"qty": 2}, {"qty": 5}]}
    state: dict[str, Any] = {}
    entity = None


class _Values:
    def now(self) -> float:
        return 0.0

    def named(self, name: str) -> Any:
        return None

    def lookup(self, collection: str, entity_id: Any) -> Any:
        return None


def test_without_the_shipped_tables_lark_parses_and_builds_each_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tables that do not load (a grammar changed without them written again) leave the
    languages to lark: the same texts parse into trees that give the same answers."""
    monkeypatch.setattr(conditions, "_TABLE_PARSER", None)
    monkeypatch.setattr(expressions, "_TABLE_PARSER", None)
    condition = conditions.parse_condition("query.n >= 2 and header.x-tier == 'gold'")
    assert condition.matches(_Request()) is True
    assert conditions.parse_condition("body.items.1.qty < 5").matches(_Request()) is False
    expression = expressions.parse_expression("items[1].qty * 2 + 1")
    assert expression.evaluate(_Request.body, _Values()) == 11
    with pytest.raises(conditions.ConditionSyntaxError) as condition_error:
        conditions.parse_condition("method ==")
    assert (condition_error.value.text, condition_error.value.column) == ("method ==", 10)
    with pytest.raises(expressions.ExpressionSyntaxError) as expression_error:
        expressions.parse_expression("1 @ 2")
    assert (expression_error.value.text, expression_error.value.column) == ("1 @ 2", 3)
    assert str(expression_error.value) == "column 3: unexpected input"


def test_text_that_parses_is_parsed_from_the_shipped_tables_not_by_lark(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In process, as test_parsing_the_shops_rules_imports_no_lark checks in a fresh one:
    lark is asked only why a text does not parse."""
    assert conditions._TABLE_PARSER is not None
    assert expressions._TABLE_PARSER is not None

    def refuse(text: str) -> None:
        raise AssertionError(f"lark asked to parse {text!r}")

    monkeypatch.setattr(conditions, "_parse_with_lark", refuse)
    monkeypatch.setattr(expressions, "_parse_with_lark", refuse)
    condition = conditions.parse_condition("query.n >= 2 and header.x-tier == 'gold'")
    assert condition.matches(_Request()) is True
    expression = expressions.parse_expression("items[1].qty * 2 + 1")
    assert expression.evaluate(_Request.body, _Values()) == 11
