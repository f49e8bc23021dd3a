"""Computed-field expressions: ``sum(items[].price * items[].quantity)``, ``count(items)``,
``now()``, ``round(subtotal * 1.2, 2)``, ``lookup(products, product_id).price``,
``where(posts, 'author_id', follows[].user_id)``.

A small arithmetic language over JSON values, parsed with lark at config load. ``a[]`` projects
over a list (``items[].price`` is the list of prices) and arithmetic between two lists pairs
their elements, so ``items[].price * items[].quantity`` is the list of line totals.
Names resolve against the entity first, then against the context's named values (other
resources, ``request``, ``state``).
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from mockmind.domain.errors import RuleSyntaxError
from mockmind.domain.rules.grammar_tables import lalr_parser, table_parser
from mockmind.domain.rules.table_parser import build_lark_tree
from mockmind.lean_dataclass import dataclass

if TYPE_CHECKING:
    from lark import Lark

GRAMMAR = r"""
?start: expr
?expr: term (ADDOP term)*       -> arith
?term: unary (MULOP unary)*     -> arith
?unary: "-" unary               -> neg
      | postfix
?postfix: atom
        | postfix "." NAME      -> attr
        | postfix "[" "]"       -> project
        | postfix "[" INT "]"   -> index
?atom: NUMBER                   -> number
     | STRING                   -> string
     | NAME "(" [expr ("," expr)*] ")" -> call
     | NAME                     -> name
     | "[" [expr ("," expr)*] "]" -> list_
     | "(" expr ")"
ADDOP: "+" | "-"
MULOP: "*" | "/" | "%"
NAME: /[A-Za-z_][A-Za-z0-9_]*/
INT: /\d+/
NUMBER: /\d+\.\d+|\d+/
STRING: /'(\\.|[^'\\])*'/ | /"(\\.|[^"\\])*"/
%import common.WS
%ignore WS
"""

# Text that parses is parsed from the shipped tables without lark (table_parser.py); lark is
# imported only to say why a text does not parse.
_TABLE_PARSER = table_parser("expressions", GRAMMAR)


@cache
def lark_parser() -> Lark:
    """lark's parser of the language (its errors, or the parse when the tables do not load)."""
    return lalr_parser("expressions", GRAMMAR)


class ExpressionSyntaxError(RuleSyntaxError):
    """An expression that does not parse, or calls a function it should not."""


class ExpressionContext(Protocol):
    def now(self) -> float: ...

    def named(self, name: str) -> Any:
        """A value that is not a field of the entity (another resource, state, request)."""
        ...

    def lookup(self, collection: str, entity_id: Any) -> Mapping[str, Any] | None:
        """One entity of another collection, by id."""
        ...


class _Node(Protocol):
    def evaluate(self, scope: Mapping[str, Any], context: ExpressionContext) -> Any: ...


@dataclass(frozen=True)
class _Const:
    value: Any

    def evaluate(self, scope: Mapping[str, Any], context: ExpressionContext) -> Any:
        return self.value


@dataclass(frozen=True)
class _ListOf:
    items: tuple[_Node, ...]

    def evaluate(self, scope: Mapping[str, Any], context: ExpressionContext) -> Any:
        return [_plain(item.evaluate(scope, context)) for item in self.items]


@dataclass(frozen=True)
class _Name:
    name: str

    def evaluate(self, scope: Mapping[str, Any], context: ExpressionContext) -> Any:
        if self.name in scope:
            return scope[self.name]
        return context.named(self.name)


@dataclass(frozen=True)
class _Attr:
    target: _Node
    name: str

    def evaluate(self, scope: Mapping[str, Any], context: ExpressionContext) -> Any:
        value = self.target.evaluate(scope, context)
        if isinstance(value, _Projection):
            return _Projection([_get(v, self.name) for v in value.items])
        return _get(value, self.name)


@dataclass(frozen=True)
class _Project:
    target: _Node

    def evaluate(self, scope: Mapping[str, Any], context: ExpressionContext) -> Any:
        value = self.target.evaluate(scope, context)
        return _Projection(list(value) if isinstance(value, list) else [])


@dataclass(frozen=True)
class _Index:
    target: _Node
    index: int

    def evaluate(self, scope: Mapping[str, Any], context: ExpressionContext) -> Any:
        value = self.target.evaluate(scope, context)
        if isinstance(value, list) and self.index < len(value):
            return value[self.index]
        return None


@dataclass(frozen=True)
class _Neg:
    operand: _Node

    def evaluate(self, scope: Mapping[str, Any], context: ExpressionContext) -> Any:
        return _apply(operator.neg, self.operand.evaluate(scope, context))


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": lambda a, b: a / b if b else 0,
    "%": lambda a, b: a % b if b else 0,
}


@dataclass(frozen=True)
class _Arith:
    first: _Node
    rest: tuple[tuple[str, _Node], ...]

    def evaluate(self, scope: Mapping[str, Any], context: ExpressionContext) -> Any:
        value = self.first.evaluate(scope, context)
        for op, node in self.rest:
            value = _binary(_BINARY[op], value, node.evaluate(scope, context))
        return value


@dataclass(frozen=True)
class _Call:
    function: str
    args: tuple[_Node, ...]

    def evaluate(self, scope: Mapping[str, Any], context: ExpressionContext) -> Any:
        if self.function == "lookup":
            collection = self.args[0]
            name = (
                collection.name
                if isinstance(collection, _Name)
                else str(collection.evaluate(scope, context))
            )
            return context.lookup(name, self.args[1].evaluate(scope, context))
        values = [_plain(a.evaluate(scope, context)) for a in self.args]
        return _FUNCTIONS[self.function][1](context, values)


class _Projection:
    """The values of a ``[]`` projection, kept apart from plain lists so arithmetic pairs them."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items


def _get(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, Mapping) else None


def _number(value: Any) -> float | int:
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int | float):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0


def _apply(fn: Callable[[Any], Any], value: Any) -> Any:
    if isinstance(value, _Projection):
        return _Projection([fn(_number(v)) for v in value.items])
    return fn(_number(value))


def _binary(fn: Callable[[Any, Any], Any], left: Any, right: Any) -> Any:
    if isinstance(left, _Projection) and isinstance(right, _Projection):
        return _Projection(
            [fn(_number(a), _number(b)) for a, b in zip(left.items, right.items, strict=False)]
        )
    if isinstance(left, _Projection):
        return _Projection([fn(_number(a), _number(right)) for a in left.items])
    if isinstance(right, _Projection):
        return _Projection([fn(_number(left), _number(b)) for b in right.items])
    if isinstance(left, str) and isinstance(right, str) and fn is operator.add:
        return left + right
    return fn(_number(left), _number(right))


def _plain(value: Any) -> Any:
    return value.items if isinstance(value, _Projection) else value


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _money(value: float | int) -> float | int:
    # Sums of prices should read as prices: 0.1 + 0.2 is 0.3, not 0.30000000000000004.
    return round(value, 10) if isinstance(value, float) else value


def _sum(_: ExpressionContext, args: list[Any]) -> Any:
    return _money(sum(_number(v) for v in _as_list(args[0])))


def _count(_: ExpressionContext, args: list[Any]) -> Any:
    return len(_as_list(args[0]))


def _min(_: ExpressionContext, args: list[Any]) -> Any:
    values = [_number(v) for v in _as_list(args[0])]
    return min(values) if values else None


def _max(_: ExpressionContext, args: list[Any]) -> Any:
    values = [_number(v) for v in _as_list(args[0])]
    return max(values) if values else None


def _avg(_: ExpressionContext, args: list[Any]) -> Any:
    values = [_number(v) for v in _as_list(args[0])]
    return _money(sum(values) / len(values)) if values else None


def _round(_: ExpressionContext, args: list[Any]) -> Any:
    digits = int(_number(args[1])) if len(args) > 1 else 0
    rounded = round(float(_number(args[0])), digits)
    if not math.isfinite(rounded):
        return None
    return int(rounded) if digits == 0 else rounded


def _now(context: ExpressionContext, _: list[Any]) -> Any:
    moment = dt.datetime.fromtimestamp(context.now(), tz=dt.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _where(_: ExpressionContext, args: list[Any]) -> Any:
    """``where(posts, 'author_id', follows[].user_id)``: the items whose field is among values."""
    items, field_name, wanted = _as_list(args[0]), str(args[1]), _as_list(args[2])
    return [i for i in items if isinstance(i, Mapping) and i.get(field_name) in wanted]


def _coalesce(_: ExpressionContext, args: list[Any]) -> Any:
    return next((v for v in args if v is not None), None)


_FUNCTIONS: dict[str, tuple[range, Callable[[ExpressionContext, list[Any]], Any]]] = {
    "sum": (range(1, 2), _sum),
    "count": (range(1, 2), _count),
    "min": (range(1, 2), _min),
    "max": (range(1, 2), _max),
    "avg": (range(1, 2), _avg),
    "round": (range(1, 3), _round),
    "now": (range(0, 1), _now),
    "coalesce": (range(1, 10), _coalesce),
    "where": (range(3, 4), _where),
    "lookup": (range(2, 3), _coalesce),  # evaluated specially in _Call
}


class _Build:
    """Each rule's node from its children (the tree's builder, bottom-up)."""

    def number(self, token: str) -> _Const:
        text = str(token)
        return _Const(float(text) if "." in text else int(text))

    def string(self, token: str) -> _Const:
        return _Const(str(token)[1:-1])

    def list_(self, *items: _Node) -> _ListOf:
        return _ListOf(tuple(items))

    def name(self, token: str) -> _Name:
        return _Name(str(token))

    def attr(self, target: _Node, name: str) -> _Attr:
        return _Attr(target, str(name))

    def project(self, target: _Node) -> _Project:
        return _Project(target)

    def index(self, target: _Node, index: str) -> _Index:
        return _Index(target, int(str(index)))

    def neg(self, operand: _Node) -> _Neg:
        return _Neg(operand)

    def arith(self, first: _Node, *rest: Any) -> _Node:
        if not rest:
            return first
        pairs = tuple((str(rest[i]), rest[i + 1]) for i in range(0, len(rest), 2))
        return _Arith(first, pairs)

    def call(self, function: str, *args: _Node) -> _Call:
        return _Call(str(function), tuple(args))


@dataclass(frozen=True)
class Expression:
    text: str
    _root: _Node

    def evaluate(self, entity: Mapping[str, Any], context: ExpressionContext) -> Any:
        """The value, or None when the numbers it computes with cannot be represented.

        Clients' numbers reach expressions (``items[].quantity``) and may be as long as
        Python reads (``domain/client_input``): arithmetic with a double then overflows, and
        a product of long integers can have more digits than can be written as JSON. Such a
        field is null, as a missing value would be, rather than the request failing.
        """
        try:
            value = _plain(self._root.evaluate(entity, context))
        except OverflowError:
            return None
        if isinstance(value, list):
            return [None if _unwritable(item) else item for item in value]
        return None if _unwritable(value) else value


# Fewer bits than the fewest digits Python may be limited to converting (640).
_SURELY_WRITABLE_BITS = 2000


def _unwritable(value: Any) -> bool:
    """An integer with more digits than Python converts to text (so JSON cannot hold it)."""
    if not isinstance(value, int) or value.bit_length() < _SURELY_WRITABLE_BITS:
        return False
    try:
        str(value)
    except ValueError:
        return True
    return False


def parse_expression(text: str) -> Expression:
    root = _TABLE_PARSER.parse(text, _Build()) if _TABLE_PARSER is not None else None
    if root is None:
        root = _parse_with_lark(text)
    _check_calls(text, root)
    return Expression(text, root)


def _parse_with_lark(text: str) -> Any:
    from lark import UnexpectedInput  # noqa: PLC0415 (lark says why a text does not parse)

    try:
        tree = lark_parser().parse(text)
    except UnexpectedInput as exc:
        line = int(getattr(exc, "line", 0) or 0)
        column = int(getattr(exc, "column", 0) or 0)
        if line <= 0 or column <= 0 or getattr(getattr(exc, "token", None), "type", "") == "$END":
            raise ExpressionSyntaxError.at_offset(
                text, len(text.rstrip()), "unexpected input"
            ) from exc
        raise ExpressionSyntaxError(text, column, "unexpected input", line) from exc
    return build_lark_tree(tree, _Build())


def _check_calls(text: str, node: Any) -> None:
    if isinstance(node, _Call):
        known = _FUNCTIONS.get(node.function)
        offset = text.find(node.function + "(")
        if known is None:
            names = ", ".join(sorted(_FUNCTIONS))
            raise ExpressionSyntaxError.at_offset(
                text, offset, f"unknown function {node.function!r}; known: {names}"
            )
        if len(node.args) not in known[0]:
            raise ExpressionSyntaxError.at_offset(
                text, offset, f"{node.function}() takes {_arity(known[0])} argument(s)"
            )
    for name in ("target", "operand", "first"):
        if hasattr(node, name):
            _check_calls(text, getattr(node, name))
    for _, child in getattr(node, "rest", ()):
        _check_calls(text, child)
    for child in (*getattr(node, "args", ()), *getattr(node, "items", ())):
        _check_calls(text, child)


def _arity(allowed: range) -> str:
    low, high = allowed.start, allowed.stop - 1
    return str(low) if low == high else f"{low} to {high}"
