"""Parsing with the shipped LALR tables, without importing lark.

A cold start parses the config's conditions and expressions. Importing lark to do so cost more
than the parsing (about a tenth of a mock-only Lambda start): this module reads the tables
lark wrote (``grammar_tables_data.py``) and parses text the way lark's LALR parser and
contextual lexer do, building the tree lark builds (anonymous and ``_`` tokens filtered out,
``_`` rules inlined, a ``?rule`` of one child replaced by it, aliases named), and hands it to
the language's builder bottom-up, as a lark ``Transformer`` with inline arguments would.

Only text that parses is answered here. For anything else (a syntax error, tables written
with options this module does not read) ``parse`` answers None and the language asks lark
itself, so every error message is lark's, word for word.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

_SHIFT: Final = 0
_REDUCE: Final = 1
_END: Final = "$END"

# Lark options these tables may have been written with; any other value: parse with lark.
_SUPPORTED_OPTIONS: Final[Mapping[str, object]] = {
    "parser": "lalr",
    "lexer": "contextual",
    "keep_all_tokens": False,
    "maybe_placeholders": False,
    "postlex": None,
    "regex": False,
    "use_bytes": False,
    "g_regex_flags": 0,
    "lexer_callbacks": {},
    "transformer": None,
    "tree_class": None,
}


class Token(str):
    """A token's text, with its terminal's name (lark's ``Token`` is a ``str`` too)."""

    type: str

    def __new__(cls, type_: str, value: str) -> Token:
        token = super().__new__(cls, value)
        token.type = type_
        return token


class _Branch:
    """A rule's node before it is built: the builder's method name and its children."""

    __slots__ = ("children", "name")

    def __init__(self, name: str, children: list[Any]) -> None:
        self.name = name
        self.children = children


class _Unparsed(Exception):
    """This text is not parsed here (lark will say why): only raised and caught inside."""


class _Rule:
    """What a reduction by one rule does (lark's parse tree builder for that rule)."""

    __slots__ = ("expand1", "kept", "name", "origin", "size")

    def __init__(self, rule: Mapping[str, Any]) -> None:
        options = rule["options"]
        expansion = rule["expansion"]
        self.origin: str = rule["origin"]["name"]
        self.size = len(expansion)
        self.name: str = rule["alias"] or options["template_source"] or self.origin
        # A ?rule with one child is that child, unless the alternative is named (-> alias).
        self.expand1 = bool(options["expand1"]) and not rule["alias"]
        # (position, inline the child's children): filtered tokens are left out.
        self.kept: tuple[tuple[int, bool], ...] = tuple(
            (i, symbol["__type__"] == "NonTerminal" and symbol["name"].startswith("_"))
            for i, symbol in enumerate(expansion)
            if options["keep_all_tokens"]
            or not (symbol["__type__"] == "Terminal" and symbol["filter_out"])
        )

    def reduce(self, values: Sequence[Any]) -> Any:
        children: list[Any] = []
        for i, inline in self.kept:
            if inline:
                children.extend(values[i].children)
            else:
                children.append(values[i])
        if self.expand1 and len(children) == 1:
            return children[0]
        return _Branch(self.name, children)


def _regexp(pattern: Mapping[str, Any]) -> str:
    """A terminal's pattern as lark writes it into the scanner (``Pattern.to_regexp``)."""
    value = pattern["value"]
    text = re.escape(value) if pattern["__type__"] == "PatternStr" else value
    for flag in pattern["flags"]:
        text = f"(?{flag}:{text})"
    return str(text)


def _max_width(pattern: Mapping[str, Any]) -> int:
    if pattern["__type__"] == "PatternStr":
        return len(pattern["value"])
    return int(pattern["_width"][1])


class _Lexer:
    """One parser state's lexer: the terminals it accepts, as lark's ``BasicLexer`` orders
    them (priority, longest possible match, longest pattern, name), in one alternation."""

    def __init__(self, terminals: list[Mapping[str, Any]], ignore: frozenset[str]) -> None:
        terminals = sorted(
            terminals,
            key=lambda t: (
                -t["priority"],
                -_max_width(t["pattern"]),
                -len(t["pattern"]["value"]),
                t["name"],
            ),
        )
        self.ignore = ignore
        # lark's ``_create_unless``: a literal a same-priority pattern also matches is read
        # as that pattern, then retyped as the literal when the whole token is the literal.
        self.retype: dict[str, re.Pattern[str]] = {}
        embedded: set[str] = set()
        strings = [t for t in terminals if t["pattern"]["__type__"] == "PatternStr"]
        for pattern_terminal in terminals:
            if pattern_terminal["pattern"]["__type__"] != "PatternRE":
                continue
            regexp = _regexp(pattern_terminal["pattern"])
            unless = []
            for literal in strings:
                if literal["priority"] != pattern_terminal["priority"]:
                    continue
                text = literal["pattern"]["value"]
                found = re.match(regexp, text)
                if found and found.group(0) == text:
                    unless.append(literal)
                    if set(literal["pattern"]["flags"]) <= set(
                        pattern_terminal["pattern"]["flags"]
                    ):
                        embedded.add(literal["name"])
            if unless:
                self.retype[pattern_terminal["name"]] = _alternation(unless)
        self.scanner = _alternation([t for t in terminals if t["name"] not in embedded])

    def tokens(self, text: str, position: int) -> tuple[Token | None, int]:
        """The next token from ``position`` (None at the end) and where it ends."""
        while position < len(text):
            found = self.scanner.match(text, position)
            if found is None or found.lastgroup is None:
                raise _Unparsed
            value, type_ = found.group(0), found.lastgroup
            position = found.end()
            if type_ in self.ignore:
                continue
            literal = self.retype.get(type_)
            if literal is not None:
                whole = literal.fullmatch(value)
                if whole is not None and whole.lastgroup is not None:
                    type_ = whole.lastgroup
            return Token(type_, value), position
        return None, position


def _alternation(terminals: list[Mapping[str, Any]]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?P<{t['name']}>{_regexp(t['pattern'])})" for t in terminals))


class TableParser:
    """The LALR parser of one language, from the tables lark serialized for it."""

    def __init__(self, data: Mapping[str, Any], memo: Mapping[int, Any]) -> None:
        options = data["options"]
        if any(options.get(name) != value for name, value in _SUPPORTED_OPTIONS.items()):
            raise ValueError("the tables were written with options this parser does not read")
        frontend = data["parser"]
        lexer_conf = frontend["lexer_conf"]
        if lexer_conf["lexer_type"] != "contextual" or lexer_conf["g_regex_flags"]:
            raise ValueError("the tables' lexer is not lark's contextual lexer")
        table = frontend["parser"]
        self._terminals = {
            t["name"]: t for t in (memo[ref["@"]] for ref in lexer_conf["terminals"])
        }
        self._ignore = frozenset(lexer_conf["ignore"])
        names: Mapping[int, str] = table["tokens"]
        rules: dict[int, _Rule] = {}

        def action(kind: int, argument: Any) -> tuple[int, Any]:
            if kind == _SHIFT:
                return _SHIFT, argument
            number = argument["@"]
            if number not in rules:
                rules[number] = _Rule(memo[number])
            return _REDUCE, rules[number]

        self._states: dict[int, dict[str, tuple[int, Any]]] = {
            state: {names[token]: action(*step) for token, step in actions.items()}
            for state, actions in table["states"].items()
        }
        self._start: int = table["start_states"]["start"]
        self._end: int = table["end_states"]["start"]
        self._lexers: dict[int, _Lexer] = {}
        self._by_accepted: dict[frozenset[str], _Lexer] = {}

    def _lexer(self, state: int) -> _Lexer:
        lexer = self._lexers.get(state)
        if lexer is None:
            accepted = frozenset(self._states[state])
            lexer = self._by_accepted.get(accepted)
            if lexer is None:
                names = (accepted | self._ignore) & self._terminals.keys()
                lexer = _Lexer([self._terminals[n] for n in names], self._ignore)
                self._by_accepted[accepted] = lexer
            self._lexers[state] = lexer
        return lexer

    def parse(self, text: str, builder: object) -> Any | None:
        """What ``builder`` makes of ``text``'s tree; None when it is not parsed here."""
        try:
            tree = self._tree(text)
            return _build(tree, builder)
        except _Unparsed:
            return None

    def _tree(self, text: str) -> Any:
        states: list[int] = [self._start]
        values: list[Any] = []
        position = 0
        while True:
            token, position = self._lexer(states[-1]).tokens(text, position)
            if token is None:
                break
            self._feed(states, values, token)
        return self._feed(states, values, Token(_END, ""))

    def _feed(self, states: list[int], values: list[Any], token: Token) -> Any:
        end = token.type == _END
        while True:
            step = self._states[states[-1]].get(token.type)
            if step is None:
                raise _Unparsed
            kind, argument = step
            if kind == _SHIFT:
                if end:
                    raise _Unparsed
                states.append(argument)
                values.append(token)
                return None
            rule: _Rule = argument
            if rule.size:
                popped = values[-rule.size :]
                del states[-rule.size :]
                del values[-rule.size :]
            else:
                popped = []
            value = rule.reduce(popped)
            goto = self._states[states[-1]].get(rule.origin)
            if goto is None or goto[0] != _SHIFT:
                raise _Unparsed
            states.append(goto[1])
            values.append(value)
            if end and states[-1] == self._end:
                return values[-1]


def _build(node: Any, builder: object) -> Any:
    """``node`` built bottom-up: each rule's node by the builder's method of its name, given
    the built children as arguments (lark's ``Transformer`` with ``v_args(inline=True)``)."""
    if not isinstance(node, _Branch):
        return node
    method: Callable[..., Any] | None = getattr(builder, node.name, None)
    if method is None:
        raise _Unparsed  # lark would keep a Tree here: let lark build it
    return method(*(_build(child, builder) for child in node.children))


def build_lark_tree(tree: Any, builder: object) -> Any:
    """A tree lark parsed, built as ``TableParser.parse`` builds its own: the builder's method
    for each rule that has one, a lark ``Tree`` of the built children for one that has not."""
    if not hasattr(tree, "data"):
        return tree
    children = [build_lark_tree(child, builder) for child in tree.children]
    method: Callable[..., Any] | None = getattr(builder, str(tree.data), None)
    if method is None:
        from lark import Tree  # noqa: PLC0415 (the error path's lark is loaded already)

        return Tree(tree.data, children)
    return method(*children)
