"""Matching a concrete request path to a path template, with a segment trie.

Lookup costs one dictionary probe per literal segment, whatever the number of paths, so a
1,000-path document routes as fast as a 10-path one. Literal segments are tried before
templated ones (``/pets/mine`` wins over ``/pets/{id}``), and when the preferred path lacks the
method, the next matching path is tried before answering 405. Server base paths (``/v1`` from
``https://api.example.com/v1``) are inserted as extra prefixes, so ``/v1/pets`` and ``/pets``
both reach ``/pets``. A server variable with an ``enum`` is each of its values (and its
default); one without is any value (``/{version}``): a prefix segment that matches whatever
is there, after the literal ones, and is no path parameter.

A request path is split into segments before any is decoded (``domain/paths``): an encoded
``/`` or ``?`` stays inside its segment, so ``/orders/a%2Fb`` is ``/orders/{orderId}`` with the
id ``a/b``, never ``/orders/{orderId}/{more}``, and ``/orders/%3Fabc`` is the order ``?abc``,
never ``/orders``. Literal segments match decoded (``/pro%64ucts`` is ``/products``); each
captured value is decoded exactly once.

A template may end in a query its operation answers (``/webhdfs/v1/{path}#op=OPEN``, or
``?op=OPEN``: Azure's way of giving one path several operations of a method): the suffix is
not part of the path, and such an operation is chosen when the request's query has those
values; otherwise the path's plain operation answers (or, when it has none, the first
variant).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from mockmind.domain.errors import RequestMismatch
from mockmind.domain.memo import BoundedMemo
from mockmind.domain.paths import decoded_segments
from mockmind.lean_dataclass import dataclass

_VARIABLE = re.compile(r"\{([^{}]+)\}")
# Enough base-path combinations for enum-valued server variables without exploding.
_MAX_BASE_PATHS = 32
# Matches remembered per router: enough for a test suite's distinct paths, bounded for ids.
_MATCH_MEMO_SIZE = 4096


@dataclass(frozen=True)
class RouteEntry:
    template: str
    method: str  # upper-case
    base_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouteMatch:
    template: str
    method: str
    path_params: dict[str, str]


class NoRoute(RequestMismatch):
    """No path matches; ``allowed`` is non-empty when a path matched but not the method."""

    def __init__(self, allowed: Sequence[str] = ()) -> None:
        super().__init__(", ".join(allowed))
        self.allowed = tuple(allowed)


@dataclass(frozen=True)
class _Capture:
    index: int
    names: tuple[str, ...]
    regex: re.Pattern[str] | None  # None when the whole segment is one variable


@dataclass(frozen=True)
class _Target:
    template: str
    captures: tuple[_Capture, ...]
    # The query values the template's suffix asks for (``#op=OPEN``); empty for most.
    query: tuple[tuple[str, str], ...] = ()

    def wanted_by(self, query: Mapping[str, Sequence[str]]) -> bool:
        return all(value in query.get(name, ()) for name, value in self.query)

    def params(self, segments: Sequence[str]) -> dict[str, str]:
        values: dict[str, str] = {}
        for capture in self.captures:
            segment = segments[capture.index]
            if capture.regex is None:
                values[capture.names[0]] = segment
                continue
            found = capture.regex.fullmatch(segment)
            if found is not None:
                values.update(zip(capture.names, found.groups(), strict=True))
        return values


class _Node:
    __slots__ = ("literals", "patterns", "routes", "variants", "wildcard")

    def __init__(self) -> None:
        self.literals: dict[str, _Node] = {}
        self.patterns: dict[str, tuple[re.Pattern[str], _Node]] = {}
        self.wildcard: _Node | None = None
        self.routes: dict[str, _Target] = {}
        # Operations of a method chosen by the query (templates with a query suffix).
        self.variants: dict[str, list[_Target]] = {}

    def target(self, method: str, query: Mapping[str, Sequence[str]]) -> _Target | None:
        variants = self.variants.get(method, ())
        for variant in variants:
            if variant.wanted_by(query):
                return variant
        return self.routes.get(method) or (variants[0] if variants else None)


def split_query_suffix(template: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``/a/{b}#op=X`` -> (``/a/{b}``, ((``op``, ``X``),)); a template without one as it is."""
    cut = min((i for i in (template.find("#"), template.find("?")) if i >= 0), default=-1)
    if cut < 0:
        return template, ()
    pairs = tuple(parse_qsl(template[cut + 1 :], keep_blank_values=True))
    return (template[:cut], pairs) if pairs else (template, ())


def template_segments(template: str) -> list[str]:
    """Segments of a path template as the document writes it (no percent-decoding: a
    template's ``{name}`` and literal parts are text, not an encoded path)."""
    return [segment for segment in template.split("/") if segment]


def _shape(segment: str) -> tuple[str, tuple[str, ...]]:
    """``{name}.json`` -> (``{}.json``, (``name``,)); literal segments have no names."""
    names = tuple(_VARIABLE.findall(segment))
    return _VARIABLE.sub("{}", segment), names


def _segment_regex(shape: str) -> re.Pattern[str]:
    parts = [re.escape(part) for part in shape.split("{}")]
    return re.compile("(.+?)".join(parts))


class Router:
    def __init__(self, entries: Iterable[RouteEntry]) -> None:
        self._root = _Node()
        prefixed: list[tuple[RouteEntry, str]] = []
        self._by_query = False
        # Paths as written go in first: where a prefixed copy lands on the same trie node as a
        # declared path (``/v1/pets`` declared and ``/pets`` under server ``/v1``), the declared
        # path keeps the method.
        for entry in entries:
            self._by_query = self._by_query or bool(split_query_suffix(entry.template)[1])
            self._insert([], entry)
            prefixed.extend((entry, base) for base in entry.base_paths if decoded_segments(base))
        for entry, base in prefixed:
            self._insert(list(decoded_segments(base)), entry)
        self._matched: BoundedMemo[tuple[str, str], RouteMatch] = BoundedMemo(_MATCH_MEMO_SIZE)

    def _insert(self, prefix: list[str], entry: RouteEntry) -> None:
        node = self._root
        captures: list[_Capture] = []
        path, query = split_query_suffix(entry.template)
        for index, segment in enumerate(prefix + template_segments(path)):
            shape, names = _shape(segment)
            captured = index >= len(prefix)
            if not names:
                node = node.literals.setdefault(segment, _Node())
            elif shape == "{}":
                node.wildcard = node.wildcard or _Node()
                node = node.wildcard
                if captured:
                    captures.append(_Capture(index, names, None))
            else:
                if shape not in node.patterns:
                    node.patterns[shape] = (_segment_regex(shape), _Node())
                regex, node = node.patterns[shape]
                if captured:
                    captures.append(_Capture(index, names, regex))
        target = _Target(entry.template, tuple(captures), query)
        if query:
            variants = node.variants.setdefault(entry.method, [])
            if all(known.template != entry.template for known in variants):
                variants.append(target)
        else:
            node.routes.setdefault(entry.method, target)

    @property
    def chooses_by_query(self) -> bool:
        """Whether a request's query may choose its operation (a template's query suffix):
        if not, its method and path alone do."""
        return self._by_query

    def match(
        self, method: str, path: str, query: Mapping[str, Sequence[str]] | None = None
    ) -> RouteMatch:
        """The route of ``path``: as sent (percent-encoded, a query after ``?`` read only to
        choose among a path's query variants) or canonical (``domain/paths``); both split
        into the same decoded segments. ``query`` is the request's, when it was parsed."""
        if self._by_query:
            if query is None:
                query = _query_of(path)
            return self._match(method, path, query)
        # A client repeats its paths; the trie walk and the captures' regexes were a tenth of
        # a cached answer's time. The trie never changes after construction.
        known = self._matched.get((method, path))
        if known is not None:
            return RouteMatch(known.template, known.method, dict(known.path_params))
        found = self._match(method, path, {})
        self._matched.put(
            (method, path), RouteMatch(found.template, found.method, dict(found.path_params))
        )
        return found

    def _match(self, method: str, path: str, query: Mapping[str, Sequence[str]]) -> RouteMatch:
        segments = decoded_segments(path)
        method = method.upper()
        allowed: set[str] = set()
        for node in _walk(self._root, segments, 0):
            target = node.target(method, query)
            if target is not None:
                return RouteMatch(target.template, method, target.params(segments))
            allowed.update(node.routes)
            allowed.update(node.variants)
        raise NoRoute(sorted(allowed))


def _query_of(path: str) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(urlsplit(path).query, keep_blank_values=True):
        query.setdefault(name, []).append(value)
    return query


def _walk(node: _Node, segments: Sequence[str], index: int) -> Iterator[_Node]:
    """Nodes holding routes that match ``segments``, most specific first."""
    if index == len(segments):
        if node.routes or node.variants:
            yield node
        return
    segment = segments[index]
    literal = node.literals.get(segment)
    if literal is not None:
        yield from _walk(literal, segments, index + 1)
    for regex, child in node.patterns.values():
        if regex.fullmatch(segment):
            yield from _walk(child, segments, index + 1)
    if node.wildcard is not None:
        yield from _walk(node.wildcard, segments, index + 1)


def server_base_paths(servers: Any) -> tuple[str, ...]:
    """The path part of each server URL (``/v1``), with variables set to each of their enum
    values and their default; a variable without ``enum`` stays ``{name}``, any value."""
    if not isinstance(servers, list):
        return ()
    bases: list[str] = []
    for server in servers:
        if not isinstance(server, Mapping) or not isinstance(server.get("url"), str):
            continue
        for url in _expand(server["url"], server.get("variables")):
            path = urlsplit(url).path if "://" in url else url.split("?", 1)[0]
            # Kept encoded: the router decodes it, once, with the request's segments.
            base = "/" + "/".join(template_segments(path))
            if base not in bases:
                bases.append(base)
    return tuple(bases[:_MAX_BASE_PATHS])


def _expand(url: str, variables: Any) -> list[str]:
    names = _VARIABLE.findall(url)
    if not names:
        return [url]
    choices: list[list[str]] = []
    for name in names:
        spec = variables.get(name) if isinstance(variables, Mapping) else None
        values: list[str] = []
        if isinstance(spec, Mapping) and isinstance(spec.get("enum"), list) and spec["enum"]:
            if spec.get("default") is not None:
                values.append(str(spec["default"]))
            values.extend(str(v) for v in spec["enum"] if str(v) not in values)
        else:
            # No list of values: the default is an example, and a client may send any value.
            values.append("{" + name + "}")
        choices.append(values)
    urls: list[str] = []
    for combination in itertools.islice(itertools.product(*choices), _MAX_BASE_PATHS):
        expanded = url
        for name, value in zip(names, combination, strict=True):
            expanded = expanded.replace("{" + name + "}", value, 1)
        urls.append(expanded)
    return urls
