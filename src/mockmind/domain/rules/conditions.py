"""The condition language of consistency rules.

    path starts_with '/api/protected'
    method == 'POST' and body.quantity > 10
    not (header.Authorization exists) or query.debug in ['1', 'true']
    path matches '/orders/*/pay' and state.cart_size >= 1

References: ``method``, ``path`` (canonical, the path as routed: ``domain/paths``),
``header.X``, ``query.x``, ``body.a.b`` (``body.items.0`` indexes lists), ``state.key``,
``entity.field``. Operators: ``== != < <= > >=``, ``in``, ``exists``, ``contains``,
``starts_with``, ``ends_with``, ``matches`` (``*`` is one path segment, ``**`` any number),
``and``, ``or``, ``not`` and parentheses. Literals: single- or double-quoted strings, numbers,
``true``, ``false``, ``null``, and ``[...]`` lists.

Parsed with lark into a small tree of frozen nodes; nothing is ever ``eval``-ed. A missing
reference is ``None``: every comparison with it is false except ``!=`` and ``not exists``.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from functools import cache, lru_cache, partial
from typing import TYPE_CHECKING, Any, Protocol

from mockmind.domain.errors import RuleSyntaxError
from mockmind.domain.rules.grammar_tables import lalr_parser, table_parser
from mockmind.domain.rules.table_parser import build_lark_tree
from mockmind.lean_dataclass import dataclass

if TYPE_CHECKING:
    from lark import Lark, UnexpectedInput

GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND not_expr)*
?not_expr: _NOT not_expr -> negation
         | predicate
?predicate: operand COMPARATOR operand   -> comparison
          | operand _EXISTS               -> exists
          | operand                       -> truthy
          | "(" or_expr ")"
?operand: reference | literal | list
reference: ROOT ("." SEGMENT)*
list: "[" [literal ("," literal)*] "]"
?literal: STRING -> string
        | NUMBER -> number
        | _TRUE -> true
        | _FALSE -> false
        | _NULL -> null

COMPARATOR.2: "==" | "!=" | "<=" | ">=" | "<" | ">"
            | /\b(contains|starts_with|ends_with|matches|in)\b/
_OR.2: /\bor\b/
_AND.2: /\band\b/
_NOT.2: /\bnot\b/
_EXISTS.2: /\bexists\b/
_TRUE.2: /\btrue\b/
_FALSE.2: /\bfalse\b/
_NULL.2: /\bnull\b/
ROOT: /(method|path|header|query|body|state|entity)\b/
SEGMENT: /[A-Za-z0-9_\-]+/
STRING: /'(\\.|[^'\\])*'/ | /"(\\.|[^"\\])*"/
NUMBER: /-?\d+(\.\d+)?([eE][-+]?\d+)?/

%import common.WS
%ignore WS
"""

# Text that parses is parsed from the shipped tables without lark (table_parser.py); lark is
# imported only to say why a text does not parse.
_TABLE_PARSER = table_parser("conditions", GRAMMAR)


@cache
def lark_parser() -> Lark:
    """lark's parser of the language (its errors, or the parse when the tables do not load)."""
    return lalr_parser("conditions", GRAMMAR)


_ROOTS_WITH_KEYS = {"header", "query", "body", "state", "entity"}


class ConditionSyntaxError(RuleSyntaxError):
    """A condition that does not parse; ``column`` is 1-based within the condition text."""


class ConditionContext(Protocol):
    """What a condition can look at. Header names are matched case-insensitively."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def query(self) -> Mapping[str, Any]: ...
    @property
    def body(self) -> Any: ...
    @property
    def state(self) -> Mapping[str, Any]: ...
    @property
    def entity(self) -> Mapping[str, Any] | None: ...


class Node(Protocol):
    def evaluate(self, context: ConditionContext) -> Any: ...


@dataclass(frozen=True)
class Literal:
    value: Any

    def evaluate(self, context: ConditionContext) -> Any:
        return self.value


@dataclass(frozen=True)
class ListLiteral:
    items: tuple[Any, ...]

    def evaluate(self, context: ConditionContext) -> Any:
        return list(self.items)


_MISSING = object()


@dataclass(frozen=True)
class Reference:
    root: str
    keys: tuple[str, ...] = ()

    def evaluate(self, context: ConditionContext) -> Any:
        value = self.lookup(context)
        return None if value is _MISSING else value

    def lookup(self, context: ConditionContext) -> Any:
        root = self.root
        if root == "method":
            return context.method.upper() if not self.keys else _MISSING
        if root == "path":
            return context.path if not self.keys else _MISSING
        if root == "header":
            if len(self.keys) != 1:
                return _MISSING
            wanted = self.keys[0].lower()
            found = context.headers.get(wanted, _MISSING)
            if found is not _MISSING:
                return found
            for name, value in context.headers.items():
                if name.lower() == wanted:
                    return value
            return _MISSING
        current: Any = getattr(context, root)
        for key in self.keys:
            # A dict first: the check against the Mapping ABC costs several times more, and
            # query, body and state are dicts.
            if (type(current) is dict or isinstance(current, Mapping)) and key in current:
                current = current[key]
            elif isinstance(current, list) and key.lstrip("-").isdigit():
                index = int(key)
                if -len(current) <= index < len(current):
                    current = current[index]
                else:
                    return _MISSING
            else:
                return _MISSING
        return _MISSING if current is None and self.keys else current


@dataclass(frozen=True)
class Comparison:
    left: Node
    op: str
    right: Node

    def evaluate(self, context: ConditionContext) -> bool:
        left, right = self.left.evaluate(context), self.right
        # Most comparisons are with a literal: its value, without a call.
        value = right.value if type(right) is Literal else right.evaluate(context)
        return _OPERATORS[self.op](left, value)


@dataclass(frozen=True)
class Exists:
    operand: Node

    def evaluate(self, context: ConditionContext) -> bool:
        if isinstance(self.operand, Reference):
            return self.operand.lookup(context) is not _MISSING
        return self.operand.evaluate(context) is not None


@dataclass(frozen=True)
class Truthy:
    operand: Node

    def evaluate(self, context: ConditionContext) -> bool:
        return bool(self.operand.evaluate(context))


@dataclass(frozen=True)
class Not:
    operand: Node

    def evaluate(self, context: ConditionContext) -> bool:
        return not self.operand.evaluate(context)


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]

    def evaluate(self, context: ConditionContext) -> bool:
        return all(o.evaluate(context) for o in self.operands)


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]

    def evaluate(self, context: ConditionContext) -> bool:
        return any(o.evaluate(context) for o in self.operands)


# The operators are partials of module functions rather than closures, so that what they do
# runs in functions called per comparison (mutation testing swaps those, not what ran at import).
def _ordering(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return partial(_ordered, compare)


def _ordered(compare: Callable[[Any, Any], bool], left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    a, b = _comparable(left, right)
    try:
        return compare(a, b)
    except TypeError:
        return False


def _in(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    if isinstance(right, list | tuple):
        return any(_loosely_equal(left, item) for item in right)
    if isinstance(right, Mapping):
        return str(left) in right
    return isinstance(right, str) and str(left) in right


def _text_test(test: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    return partial(_tested, test)


def _tested(test: Callable[[str, str], bool], left: Any, right: Any) -> bool:
    return left is not None and right is not None and test(str(left), str(right))


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            # An integer beyond a double (a client may send 4000 digits) compares as infinity.
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        return _number_text(value)
    return None


@lru_cache(maxsize=4096)
def _number_text(text: str) -> float | None:
    # Remembered: most comparisons are of paths and names, whose failed float() raises, and
    # an exception costs more than the rest of the comparison.
    try:
        return float(text)
    except ValueError:
        return None


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    # Query strings and headers are text: compare numerically when both sides read as numbers.
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return a, b
    return left, right


def _loosely_equal(left: Any, right: Any) -> bool:
    if left == right:
        return True
    if left is None or right is None:
        # A missing reference equals nothing else (None is no number, its text no boolean's):
        # the common case of a rule about a parameter the request does not send.
        return False
    if isinstance(left, bool) or isinstance(right, bool):
        return str(left).lower() == str(right).lower()
    a, b = _number(left), _number(right)
    return a is not None and b is not None and a == b


@lru_cache(maxsize=512)
def _glob(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*|\*)", pattern)
    regex = "".join(
        ".*" if part == "**" else "[^/]+" if part == "*" else re.escape(part) for part in parts
    )
    return re.compile(regex + "/?")


# One function per operator, looked up once per comparison: conditions run on every request.
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": _loosely_equal,
    "!=": lambda left, right: not _loosely_equal(left, right),
    "<": _ordering(operator.lt),
    "<=": _ordering(operator.le),
    ">": _ordering(operator.gt),
    ">=": _ordering(operator.ge),
    "in": _in,
    "contains": lambda left, right: _in(right, left),
    "starts_with": _text_test(str.startswith),
    "ends_with": _text_test(str.endswith),
    "matches": _text_test(lambda text, pattern: bool(_glob(pattern).fullmatch(text))),
}


Test = Callable[[ConditionContext], Any]
"""A node's ``evaluate``, as one function of the context."""

_KEYED_ROOTS = frozenset({"query", "body", "state", "entity"})


def compiled(node: Node) -> Test:
    """``node.evaluate``, with the shapes rules mostly have made into one closure each.

    Rules run on every request, and the tree's walk (a comparison asks its reference, which
    asks its lookup) was most of their cost: ``query.kind == 'pot'`` is one closure that
    reads the query and, when the key is absent, answers what a missing reference compares
    as, worked out here once. Any other node is evaluated as it is.
    """
    if isinstance(node, Comparison):
        left, right = node.left, node.right
        if type(left) is Reference and type(right) is Literal:
            return _compared(left, _OPERATORS[node.op], right.value)
        return node.evaluate
    if isinstance(node, And):
        return partial(_all, tuple(compiled(o) for o in node.operands))
    if isinstance(node, Or):
        return partial(_any, tuple(compiled(o) for o in node.operands))
    if isinstance(node, Not):
        return partial(_negated, compiled(node.operand))
    return node.evaluate


def _compared(reference: Reference, test: Callable[[Any, Any], bool], value: Any) -> Test:
    root, keys = reference.root, reference.keys
    if root not in _KEYED_ROOTS or len(keys) != 1:
        return lambda context: test(reference.evaluate(context), value)
    key = keys[0]
    # The operators are pure: a missing reference (None) always compares the same.
    missing = test(None, value)

    def keyed(context: ConditionContext) -> bool:
        current = getattr(context, root)
        if type(current) is dict:
            # A key held as None is missing too (``Reference.lookup``).
            found = current.get(key)
            return missing if found is None else test(found, value)
        return test(reference.evaluate(context), value)

    return keyed


def _all(parts: tuple[Test, ...], context: ConditionContext) -> bool:
    for part in parts:  # noqa: SIM110 (a loop makes no generator, on every request)
        if not part(context):
            return False
    return True


def _any(parts: tuple[Test, ...], context: ConditionContext) -> bool:
    for part in parts:  # noqa: SIM110 (a loop makes no generator, on every request)
        if part(context):
            return True
    return False


def _negated(part: Test, context: ConditionContext) -> bool:
    return not part(context)


def _unquote(token: str) -> str:
    body = token[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


class _Build:
    """Each rule's node from its children (the tree's builder, bottom-up)."""

    def string(self, token: str) -> Literal:
        return Literal(_unquote(str(token)))

    def number(self, token: str) -> Literal:
        text = str(token)
        return Literal(float(text) if any(c in text for c in ".eE") else int(text))

    def true(self) -> Literal:
        return Literal(True)

    def false(self) -> Literal:
        return Literal(False)

    def null(self) -> Literal:
        return Literal(None)

    def list(self, *items: Literal) -> ListLiteral:
        return ListLiteral(tuple(item.value for item in items))

    def reference(self, root: str, *segments: str) -> Reference:
        return Reference(str(root), tuple(str(s) for s in segments))

    def comparison(self, left: Node, op: str, right: Node) -> Comparison:
        return Comparison(left, str(op), right)

    def exists(self, operand: Node) -> Exists:
        return Exists(operand)

    def truthy(self, operand: Node) -> Truthy:
        return Truthy(operand)

    def negation(self, operand: Node) -> Not:
        return Not(operand)

    def and_expr(self, *operands: Node) -> And:
        return And(tuple(operands))

    def or_expr(self, *operands: Node) -> Or:
        return Or(tuple(operands))


@dataclass(frozen=True)
class Condition:
    """A parsed condition; ``matches(context)`` evaluates it."""

    text: str
    root: Node = field(compare=False)

    def matches(self, context: ConditionContext) -> bool:
        return bool(self.root.evaluate(context))

    def references(self) -> list[Reference]:
        found: list[Reference] = []
        _collect(self.root, found)
        return found

    def request_line_part(self) -> Node | None:
        """What must hold of the method and path alone for the condition to hold, if anything.

        The whole condition when it looks at nothing else; else the conjuncts of a top-level
        ``and`` that look only at the method and path. A request the part rejects cannot
        match, so a rule book can leave the rule out for that method and path.
        """
        if _request_line_only(self.root):
            return self.root
        if isinstance(self.root, And):
            parts = tuple(o for o in self.root.operands if _request_line_only(o))
            return And(parts) if parts else None
        return None

    def beyond_request_line(self) -> Node | None:
        """What is left to evaluate of a request whose method and path ``request_line_part``
        holds of: None when nothing (the condition is about the request line alone), else
        the conjuncts of a top-level ``and`` that look at more, or the whole condition.

        Conditions are pure: with the request-line conjuncts known to hold, ``and`` holds
        exactly when the rest does, so a request need not evaluate them again.
        """
        if _request_line_only(self.root):
            return None
        if isinstance(self.root, And):
            return _conjunction(tuple(o for o in self.root.operands if not _request_line_only(o)))
        return self.root

    def about_request_line(self) -> bool:
        """Whether the condition looks at the method and path alone: then its
        ``route_parts`` together are the whole of it (conditions are pure: the same method
        and path always give the same answer)."""
        return _request_line_only(self.root)

    def route_parts(self) -> tuple[Node | None, Node | None]:
        """The request-line part split in two: what holds of the method alone, and the rest
        (what also needs the concrete path). The first is decided once per route; the
        second, when there is one, on each request."""
        part = self.request_line_part()
        if part is None:
            return None, None
        conjuncts = part.operands if isinstance(part, And) else (part,)
        on_method = tuple(c for c in conjuncts if _references_only(c, _METHOD))
        on_path = tuple(c for c in conjuncts if not _references_only(c, _METHOD))
        return _conjunction(on_method), _conjunction(on_path)


_REQUEST_LINE = frozenset({"method", "path"})
_METHOD = frozenset({"method"})


def _references_only(node: Node, roots: frozenset[str]) -> bool:
    found: list[Reference] = []
    _collect(node, found)
    return all(ref.root in roots for ref in found)


def _conjunction(parts: tuple[Node, ...]) -> Node | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


def _request_line_only(node: Node) -> bool:
    return _references_only(node, _REQUEST_LINE)


def _collect(node: Any, found: list[Reference]) -> None:
    if isinstance(node, Reference):
        found.append(node)
    for name in ("left", "right", "operand"):
        if hasattr(node, name):
            _collect(getattr(node, name), found)
    for child in getattr(node, "operands", ()):
        _collect(child, found)


def parse_condition(text: str) -> Condition:
    """Parse once, at config load. Raises ``ConditionSyntaxError`` with the 1-based column."""
    root = _TABLE_PARSER.parse(text, _Build()) if _TABLE_PARSER is not None else None
    if root is None:
        root = _parse_with_lark(text)
    _check_references(text, root)
    return Condition(text, root)


def _parse_with_lark(text: str) -> Node:
    from lark import UnexpectedInput  # noqa: PLC0415 (lark says why a text does not parse)

    try:
        tree = lark_parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from exc
    root: Node = build_lark_tree(tree, _Build())
    return root


def _syntax_error(exc: UnexpectedInput, text: str) -> ConditionSyntaxError:
    line = int(getattr(exc, "line", 0) or 0)
    column = int(getattr(exc, "column", 0) or 0)
    token = getattr(exc, "token", None)
    if line <= 0 or column <= 0 or getattr(token, "type", "") == "$END":
        return ConditionSyntaxError.at_offset(text, len(text.rstrip()), _explain(exc, text))
    return ConditionSyntaxError(text, column, _explain(exc, text), line)


def _explain(exc: UnexpectedInput, text: str) -> str:
    expected: Sequence[str] = sorted(getattr(exc, "expected", None) or [])
    token = getattr(exc, "token", None)
    if token is not None and getattr(token, "type", "") == "$END":
        return "the condition ends too early" + (
            f"; expected {', '.join(_readable(e) for e in expected)}" if expected else ""
        )
    start = int(getattr(exc, "pos_in_stream", -1) or 0)
    near = text[start : start + 12] if start >= 0 else ""
    message = f"unexpected {near!r}" if near else "unexpected input"
    if expected:
        message += f"; expected {', '.join(_readable(e) for e in expected[:8])}"
    return message


def _readable(terminal: str) -> str:
    names = {
        "ROOT": "a reference (method, path, header.X, query.x, body.x, state.x, entity.x)",
        "STRING": "a quoted string",
        "NUMBER": "a number",
        "COMPARATOR": "an operator",
        "LPAR": "'('",
        "RPAR": "')'",
        "LSQB": "'['",
        "RSQB": "']'",
        "COMMA": "','",
        "DOT": "'.'",
        "SEGMENT": "a name",
    }
    return names.get(terminal, terminal.strip("_").lower())


def _check_references(text: str, root: Node) -> None:
    for ref in Condition(text, root).references():
        if ref.root in _ROOTS_WITH_KEYS and not ref.keys:
            # The root standing alone: not followed by a key.
            where = _outside_strings(text, rf"\b{ref.root}\b(?!\s*[.\[])")
            raise ConditionSyntaxError.at_offset(
                text, where, f"{ref.root!r} needs a key, as in {ref.root}.name"
            )
        if ref.root == "header" and len(ref.keys) > 1:
            where = _outside_strings(text, r"\bheader\s*\.\s*[^\s.]+\s*[.\[]")
            raise ConditionSyntaxError.at_offset(text, where, "a header reference takes one name")


# The grammar's STRING terminal: a reference's name inside one is text, not a reference.
_STRING = re.compile(r"'(\\.|[^'\\])*'|\"(\\.|[^\"\\])*\"")


def _outside_strings(text: str, pattern: str) -> int:
    """Where ``pattern`` first matches outside the condition's string literals (the start of
    the text if nowhere, which a parsed reference rules out)."""
    literals = [m.span() for m in _STRING.finditer(text)]
    for match in re.finditer(pattern, text):
        if not any(start <= match.start() < end for start, end in literals):
            return match.start()
    return 0
