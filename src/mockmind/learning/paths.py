"""Path templates from concrete paths.

At each position of the paths that share a prefix, a segment that looks like an id (an
integer, a UUID, hex, a word with a numbered tail such as ``order_55c0`` or ``p-1``) makes
the position a parameter; so do plain words when there are many of them (at least
``SLUG_VARIETY``) that lead to the same requests (``GET /users/ada``, ``GET /users/bob``...):
slugs, told from a path's fixed words (``/login``, ``/products``) by their variety and their
likeness. A word seen beside ids at a position stays a literal (``/products/search`` beside
``/products/{productId}``), unless the words are as varied as slugs, or every request under
it answered 404 (``/users/nobody-here``: an id that was not found); each such case is
reported.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field

from mockmind.domain.words import singular
from mockmind.lean_dataclass import dataclass

SLUG_VARIETY = 4
# The share of slug-like words that must lead to one same request for them to be slugs.
SLUG_LIKENESS = 0.8

_INTEGER = re.compile(r"-?\d+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]{8,}")
_VERSION = re.compile(r"v\d+(\.\d+)*", re.IGNORECASE)
# A numbered part after a separator: order_55c00a6eb7b3, p-1, item.2
_NUMBERED_TAIL = re.compile(r"[-_.~][A-Za-z0-9]*\d")


def segment_kind(segment: str) -> str:
    """``integer``, ``uuid``, ``hex``, ``id`` (another id-like shape) or ``word``."""
    if _INTEGER.fullmatch(segment):
        return "integer"
    if _UUID.fullmatch(segment):
        return "uuid"
    if _VERSION.fullmatch(segment):
        return "word"
    if _HEX.fullmatch(segment) and any(c.isdigit() for c in segment):
        return "hex"
    digits = sum(c.isdigit() for c in segment)
    if digits and (_NUMBERED_TAIL.search(segment) or (digits >= 2 and len(segment) >= 6)):
        return "id"
    return "word"


@dataclass(frozen=True)
class PathParameter:
    name: str
    values: tuple[str, ...]

    @property
    def kind(self) -> str:
        """``integer`` when every value seen is one, ``uuid`` likewise, else ``string``."""
        kinds = {segment_kind(v) for v in self.values}
        if kinds == {"integer"}:
            return "integer"
        if kinds == {"uuid"}:
            return "uuid"
        return "string"


@dataclass
class PathModel:
    """Each concrete path's template, each template's parameters (in path order) with the
    values seen, and what was ambiguous."""

    templates: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, list[PathParameter]] = field(default_factory=dict)
    ambiguities: list[str] = field(default_factory=list)
    not_found: set[str] = field(default_factory=set)

    def template_of(self, path: str) -> str:
        return self.templates[path]

    def values_of(self, path: str) -> dict[str, str]:
        """The parameters' values in a concrete path."""
        template = self.templates[path]
        values: dict[str, str] = {}
        for part, value in zip(_segments(template), _segments(path), strict=True):
            if part.startswith("{"):
                values[part[1:-1]] = value
        return values


def infer_paths(requests: Iterable[tuple[str, str]], not_found: Iterable[str] = ()) -> PathModel:
    """The templates of the paths of ``requests`` (method, concrete path); ``not_found``
    are the paths every request to which answered 404."""
    by_path: dict[str, set[str]] = {}
    for method, path in requests:
        by_path.setdefault(path, set()).add(method.upper())
    model = PathModel(not_found=set(not_found))
    group = [(path, _segments(path), frozenset(methods)) for path, methods in by_path.items()]
    _build(model, group, 0, [])
    return model


_Item = tuple[str, list[str], frozenset[str]]


def _build(model: PathModel, group: Sequence[_Item], depth: int, prefix: list[str]) -> None:
    template = "/" + "/".join(prefix)
    ending: list[str] = []
    children: dict[str, list[_Item]] = {}
    for item in group:
        path, segments, _ = item
        if len(segments) == depth:
            ending.append(path)
        else:
            children.setdefault(segments[depth], []).append(item)
    if ending:
        for path in ending:
            model.templates[path] = template
        params = [PathParameter(p[1:-1], ()) for p in prefix if p.startswith("{")]
        if params:
            seen: dict[str, set[str]] = {p.name: set() for p in params}
            for path in ending:
                for part, value in zip(prefix, _segments(path), strict=True):
                    if part.startswith("{"):
                        seen[part[1:-1]].add(value)
            model.parameters[template] = [
                PathParameter(p.name, tuple(sorted(seen[p.name]))) for p in params
            ]
        else:
            model.parameters.setdefault(template, [])
    if not children:
        return
    ids = {v for v in children if segment_kind(v) != "word"}
    words = [v for v in children if v not in ids]
    as_parameter = set(ids)
    if len(words) >= SLUG_VARIETY and (ids or _alike(words, children, depth)):
        as_parameter |= set(words)
    elif ids and words:
        missing = sorted(w for w in words if all(i[0] in model.not_found for i in children[w]))
        as_parameter |= set(missing)
        if missing:
            model.ambiguities.append(
                f"{template}: {', '.join(missing)} taken as value(s) of the parameter beside "
                f"{len(ids)} id-like value(s): every request under it answered 404"
            )
        fixed = sorted(set(words) - set(missing))
        if fixed:
            model.ambiguities.append(
                f"{template}: {', '.join(fixed)} kept as fixed segment(s) beside "
                f"{len(ids)} id-like value(s) at the same position"
            )
    for value in sorted(set(children) - as_parameter):
        _build(model, children[value], depth + 1, [*prefix, value])
    if as_parameter:
        name = _parameter_name(prefix)
        merged = [item for value in sorted(as_parameter) for item in children[value]]
        _build(model, merged, depth + 1, [*prefix, "{" + name + "}"])


def _alike(words: Sequence[str], children: Mapping[str, Sequence[_Item]], depth: int) -> bool:
    """Whether most of ``words`` lead to one same request: (method, the rest's shape)."""
    counts: Counter[tuple[str, tuple[str, ...]]] = Counter()
    for word in words:
        shapes = {
            (method, tuple(s if segment_kind(s) == "word" else "*" for s in segs[depth + 1 :]))
            for _, segs, methods in children[word]
            for method in methods
        }
        counts.update(shapes)
    return bool(counts) and counts.most_common(1)[0][1] >= SLUG_LIKENESS * len(words)


def _parameter_name(prefix: Sequence[str]) -> str:
    taken = {p[1:-1] for p in prefix if p.startswith("{")}
    base = "id"
    if prefix and not prefix[-1].startswith("{"):
        words = [w for w in re.split(r"[^A-Za-z0-9]+", singular(prefix[-1])) if w]
        if words:
            base = words[0].lower() + "".join(w.capitalize() for w in words[1:]) + "Id"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}{number}", number + 1
    return name


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]
