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


# What a step answers for text it does not parse (lark will say why).
_UNPARSED: Final = object()
# What feeding a token that is shifted answers (the parse goes on).
_SHIFTED: Final = object()


# The tables as this parser reads them (``compact_tables``): nested tuples of strings, numbers
# and booleans, which Python loads from bytecode as one constant, where lark's serialized form
# is dictionaries the module builds when imported.
#   terminals: (name, is a literal string, value, flags, longest match, priority)
#   rules: (origin, builder method, one child is the node, (position, inline) kept, size)
#   states: (state, ((symbol, shift or reduce, next state or rule number), ...))
Terminal = tuple[str, bool, str, tuple[str, ...], int, int]
Rule = tuple[str, str, bool, tuple[tuple[int, bool], ...], int]
State = tuple[int, tuple[tuple[str, int, int], ...]]
Tables = tuple[tuple[Terminal, ...], tuple[str, ...], tuple[Rule, ...], tuple[State, ...], int, int]


def compact_tables(data: Mapping[str, Any], memo: Mapping[int, Any]) -> Tables | None:
    """lark's serialized parser (``Lark.memo_serialize``) as this parser's tables; None when
    lark was asked for something this parser does not do."""
    options = data["options"]
    if any(options.get(name) != value for name, value in _SUPPORTED_OPTIONS.items()):
        return None
    frontend = data["parser"]
    lexer_conf = frontend["lexer_conf"]
    if lexer_conf["lexer_type"] != "contextual" or lexer_conf["g_regex_flags"]:
        return None
    terminals = tuple(_terminal(memo[reference["@"]]) for reference in lexer_conf["terminals"])
    table = frontend["parser"]
    names: Mapping[int, str] = table["tokens"]
    numbers: dict[int, int] = {}
    rules: list[Rule] = []

    def step(token: int, kind: int, argument: Any) -> tuple[str, int, int]:
        if kind == _SHIFT:
            return names[token], _SHIFT, int(argument)
        reference = argument["@"]
        if reference not in numbers:
            numbers[reference] = len(rules)
            rules.append(_rule(memo[reference]))
        return names[token], _REDUCE, numbers[reference]

    states = tuple(
        (int(state), tuple(step(token, *action) for token, action in sorted(actions.items())))
        for state, actions in sorted(table["states"].items())
    )
    return (
        terminals,
        tuple(lexer_conf["ignore"]),
        tuple(rules),
        states,
        int(table["start_states"]["start"]),
        int(table["end_states"]["start"]),
    )


def _terminal(terminal: Mapping[str, Any]) -> Terminal:
    pattern = terminal["pattern"]
    literal = pattern["__type__"] == "PatternStr"
    longest = len(pattern["value"]) if literal else int(pattern["_width"][1])
    return (
        str(terminal["name"]),
        literal,
        str(pattern["value"]),
        tuple(pattern["flags"]),
        longest,
        int(terminal["priority"]),
    )


def _rule(rule: Mapping[str, Any]) -> Rule:
    options = rule["options"]
    expansion = rule["expansion"]
    kept = tuple(
        (i, symbol["__type__"] == "NonTerminal" and str(symbol["name"]).startswith("_"))
        for i, symbol in enumerate(expansion)
        if options["keep_all_tokens"]
        or not (symbol["__type__"] == "Terminal" and symbol["filter_out"])
    )
    return (
        str(rule["origin"]["name"]),
        str(rule["alias"] or options["template_source"] or rule["origin"]["name"]),
        # A ?rule with one child is that child, unless the alternative is named (-> alias).
        bool(options["expand1"]) and not rule["alias"],
        kept,
        len(expansion),
    )


def _regexp(terminal: Terminal) -> str:
    """A terminal's pattern as lark writes it into the scanner (``Pattern.to_regexp``)."""
    _, literal, value, flags, _, _ = terminal
    text = re.escape(value) if literal else value
    for flag in flags:
        text = f"(?{flag}:{text})"
    return text


class _Lexer:
    """One parser state's lexer: the terminals it accepts, tried in the order lark's
    ``BasicLexer`` puts them in its one alternation (priority, longest possible match, longest
    pattern, name), where the first alternative that matches wins. Tried one by one, each
    terminal's pattern is compiled once for all states, not one alternation per state."""

    def __init__(
        self, terminals: list[Terminal], ignore: frozenset[str], compiled: _Patterns
    ) -> None:
        terminals = sorted(terminals, key=lambda t: (-t[5], -t[4], -len(t[2]), t[0]))
        self.ignore = ignore
        # lark's ``_create_unless``: a literal a same-priority pattern also matches is read
        # as that pattern, then retyped as the literal when the whole token is the literal.
        self.retype: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        embedded: set[str] = set()
        literals = [t for t in terminals if t[1]]
        for pattern in terminals:
            if pattern[1]:
                continue
            unless = []
            for literal in literals:
                if literal[5] != pattern[5]:
                    continue
                found = compiled.get(pattern).match(literal[2])
                if found and found.group(0) == literal[2]:
                    unless.append((literal[0], compiled.get(literal)))
                    if set(literal[3]) <= set(pattern[3]):
                        embedded.add(literal[0])
            if unless:
                self.retype[pattern[0]] = unless
        self.scanner = [(t[0], compiled.get(t)) for t in terminals if t[0] not in embedded]

    def tokens(self, text: str, position: int) -> tuple[Token | None, int] | None:
        """The next token from ``position`` (None at the end) and where it ends; None when no
        terminal this state accepts matches there."""
        while position < len(text):
            matched = self._match(text, position)
            if matched is None:
                return None
            type_, found = matched
            value = found.group(0)
            position = found.end()
            if type_ in self.ignore:
                continue
            for literal, whole in self.retype.get(type_, ()):
                if whole.fullmatch(value):
                    type_ = literal
                    break
            return Token(type_, value), position
        return None, position

    def _match(self, text: str, position: int) -> tuple[str, re.Match[str]] | None:
        for type_, pattern in self.scanner:
            found = pattern.match(text, position)
            if found is not None:
                return type_, found
        return None


class _Patterns:
    """Each terminal's pattern, compiled when first needed."""

    def __init__(self) -> None:
        self._compiled: dict[str, re.Pattern[str]] = {}

    def get(self, terminal: Terminal) -> re.Pattern[str]:
        compiled = self._compiled.get(terminal[0])
        if compiled is None:
            compiled = self._compiled[terminal[0]] = re.compile(_regexp(terminal))
        return compiled


def _reduce(rule: Rule, values: Sequence[Any]) -> Any:
    """A rule's node from its symbols' values, as lark's parse tree builder makes it."""
    _, name, expand1, kept, _ = rule
    children: list[Any] = []
    for i, inline in kept:
        if inline:
            children.extend(values[i].children)
        else:
            children.append(values[i])
    if expand1 and len(children) == 1:
        return children[0]
    return _Branch(name, children)


class TableParser:
    """The LALR parser of one language, from its tables (``compact_tables``)."""

    def __init__(self, tables: Tables) -> None:
        terminals, ignore, rules, states, start, end = tables
        self._terminals = {t[0]: t for t in terminals}
        self._ignore = frozenset(ignore)
        self._rules = rules
        self._states: dict[int, dict[str, tuple[int, int]]] = {
            state: {symbol: (kind, argument) for symbol, kind, argument in actions}
            for state, actions in states
        }
        self._start = start
        self._end = end
        self._patterns = _Patterns()
        self._lexers: dict[int, _Lexer] = {}
        self._by_accepted: dict[frozenset[str], _Lexer] = {}

    def _lexer(self, state: int) -> _Lexer:
        lexer = self._lexers.get(state)
        if lexer is None:
            accepted = frozenset(self._states[state])
            lexer = self._by_accepted.get(accepted)
            if lexer is None:
                names = (accepted | self._ignore) & self._terminals.keys()
                terminals = [self._terminals[n] for n in names]
                lexer = _Lexer(terminals, self._ignore, self._patterns)
                self._by_accepted[accepted] = lexer
            self._lexers[state] = lexer
        return lexer

    def parse(self, text: str, builder: object) -> Any | None:
        """What ``builder`` makes of ``text``'s tree; None when it is not parsed here."""
        tree = self._tree(text)
        if tree is _UNPARSED or not _buildable(tree, builder):
            return None
        return _build(tree, builder)

    def _tree(self, text: str) -> Any:
        states: list[int] = [self._start]
        values: list[Any] = []
        position = 0
        while True:
            lexed = self._lexer(states[-1]).tokens(text, position)
            if lexed is None:
                return _UNPARSED
            token, position = lexed
            if token is None:
                break
            if self._feed(states, values, token) is _UNPARSED:
                return _UNPARSED
        return self._feed(states, values, Token(_END, ""))

    def _feed(self, states: list[int], values: list[Any], token: Token) -> Any:
        end = token.type == _END
        while True:
            step = self._states[states[-1]].get(token.type)
            if step is None:
                return _UNPARSED
            kind, argument = step
            if kind == _SHIFT:
                if end:
                    return _UNPARSED
                states.append(argument)
                values.append(token)
                return _SHIFTED
            rule = self._rules[argument]
            size = rule[4]
            if size:
                popped = values[-size:]
                del states[-size:]
                del values[-size:]
            else:
                popped = []
            value = _reduce(rule, popped)
            goto = self._states[states[-1]].get(rule[0])
            if goto is None or goto[0] != _SHIFT:
                return _UNPARSED
            states.append(goto[1])
            values.append(value)
            if end and states[-1] == self._end:
                return values[-1]


def _buildable(node: Any, builder: object) -> bool:
    """Whether the builder has a method for every rule of the tree (for one it has not, lark
    would keep a ``Tree``: then lark builds it)."""
    if not isinstance(node, _Branch):
        return True
    if not callable(getattr(builder, node.name, None)):
        return False
    return all(_buildable(child, builder) for child in node.children)


def _build(node: Any, builder: object) -> Any:
    """``node`` built bottom-up: each rule's node by the builder's method of its name, given
    the built children as arguments (lark's ``Transformer`` with ``v_args(inline=True)``)."""
    if not isinstance(node, _Branch):
        return node
    method: Callable[..., Any] = getattr(builder, node.name)
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
