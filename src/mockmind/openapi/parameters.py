"""Turning parameter strings into typed values: styles and explode first, then each string
coerced to what its schema says (``"5"`` -> ``5`` for an integer, ``"true"`` -> ``True``).

A string that does not look like its type is left as it is, so the validator that runs next
reports ``'abc' is not of type 'integer'`` rather than this module guessing a message. One that
looks like a number but cannot be read as one (more digits than Python converts, too large for
a double) raises ``UnreadableNumber``, which the caller answers naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mockmind.domain.client_input import (
    DEFAULT_LIMITS,
    nested_too_deep,
    read_float,
    read_int,
    read_json,
)
from mockmind.domain.errors import RequestMismatch, UnreadableInput
from mockmind.openapi.pointers import child_uri

if TYPE_CHECKING:
    from mockmind.openapi.model import DocumentNodes

_INTEGER = re.compile(r"^-?\d+$")
_NUMBER = re.compile(r"^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$")
# Schemas nest through allOf/oneOf and references; this deep is plenty for deciding a type.
_MAX_DEPTH = 8
_COMBINATORS = ("allOf", "oneOf", "anyOf")


class StyleError(RequestMismatch):
    """The raw text does not have the shape its style requires (``;id=`` missing, say)."""


class SchemaView:
    """A schema node with the URI it lives at, so references inside it resolve correctly."""

    def __init__(self, doc: DocumentNodes, node: Any, uri: str) -> None:
        self.doc = doc
        self.node: Any
        self.uri: str
        self.node, self.uri = doc.deref_located(node, uri) if node is not None else (None, uri)

    @classmethod
    def at(cls, doc: DocumentNodes, pointer: str | None) -> SchemaView | None:
        if pointer is None:
            return None
        uri = doc.absolute(pointer)
        return cls(doc, doc.locate(uri)[0], uri)

    def _branches(self, depth: int = 0) -> list[SchemaView]:
        """This schema and, through allOf/oneOf/anyOf, the ones it is built from."""
        if not isinstance(self.node, Mapping) or depth > _MAX_DEPTH:
            return []
        found = [self]
        for keyword in _COMBINATORS:
            members = self.node.get(keyword)
            if isinstance(members, list):
                for index, member in enumerate(members):
                    view = SchemaView(self.doc, member, child_uri(self.uri, keyword, index))
                    found.extend(view._branches(depth + 1))
        return found

    def types(self) -> set[str]:
        found: set[str] = set()
        for view in self._branches():
            assert isinstance(view.node, Mapping)
            declared = view.node.get("type")
            if isinstance(declared, str):
                found.add(declared)
            elif isinstance(declared, list):
                found.update(t for t in declared if isinstance(t, str))
            if view.node.get("nullable") is True:
                found.add("null")
            if "properties" in view.node and "type" not in view.node:
                found.add("object")
            if ("items" in view.node or "prefixItems" in view.node) and "type" not in view.node:
                found.add("array")
        return found

    def kind(self) -> str:
        """ "array", "object" or "primitive": how a styled parameter string is split."""
        types = self.types()
        if "array" in types:
            return "array"
        if "object" in types:
            return "object"
        return "primitive"

    def items(self, index: int) -> SchemaView | None:
        for view in self._branches():
            assert isinstance(view.node, Mapping)
            prefix = view.node.get("prefixItems")
            if isinstance(prefix, list) and index < len(prefix):
                return SchemaView(
                    self.doc, prefix[index], child_uri(view.uri, "prefixItems", index)
                )
            if "items" in view.node and not isinstance(view.node["items"], list):
                return SchemaView(self.doc, view.node["items"], child_uri(view.uri, "items"))
        return None

    def property(self, name: str) -> SchemaView | None:
        for view in self._branches():
            assert isinstance(view.node, Mapping)
            properties = view.node.get("properties")
            if isinstance(properties, Mapping) and name in properties:
                return SchemaView(
                    self.doc, properties[name], child_uri(view.uri, "properties", name)
                )
        for view in self._branches():
            assert isinstance(view.node, Mapping)
            extra = view.node.get("additionalProperties")
            if isinstance(extra, Mapping):
                return SchemaView(self.doc, extra, child_uri(view.uri, "additionalProperties"))
        return None

    def property_names(self) -> list[str]:
        names: list[str] = []
        for view in self._branches():
            assert isinstance(view.node, Mapping)
            properties = view.node.get("properties")
            if isinstance(properties, Mapping):
                names.extend(name for name in properties if name not in names)
        return names

    def default(self) -> tuple[bool, Any]:
        if isinstance(self.node, Mapping) and "default" in self.node:
            return True, self.node["default"]
        return False, None


def coerce(value: str, schema: SchemaView | None) -> Any:
    """One string as the scalar its schema wants, or unchanged when it does not fit."""
    if schema is None:
        return value
    types = schema.types()
    if "integer" in types and _INTEGER.match(value):
        return read_int(value)
    if "number" in types and _NUMBER.match(value):
        return read_int(value) if _INTEGER.match(value) else read_float(value)
    if "boolean" in types and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if "null" in types and "string" not in types and value in ("", "null"):
        return None
    if value[:1] in ("{", "[") and "string" not in types and types & {"object", "array"}:
        # An object inside an array (or an array inside one) has no serialization in OpenAPI's
        # styles; clients send it as JSON, which is read when it is JSON and fits in the limits.
        try:
            parsed = read_json(value, DEFAULT_LIMITS)
        except (ValueError, UnreadableInput):
            return value
        if isinstance(parsed, dict | list):
            return parsed
    return value


def coerce_structure(raw: Any, schema: SchemaView | None) -> Any:
    """Coerce a split value: a list item by item, a dict property by property."""
    if isinstance(raw, list):
        return [
            coerce_structure(item, schema.items(i) if schema else None)
            for i, item in enumerate(raw)
        ]
    if isinstance(raw, dict):
        return {
            key: coerce_structure(value, schema.property(key) if schema else None)
            for key, value in raw.items()
        }
    if isinstance(raw, str):
        return coerce(raw, schema)
    return raw


def _pairs(parts: Sequence[str]) -> dict[str, str]:
    """``["role", "admin", "name", "Alex"]`` -> ``{"role": "admin", "name": "Alex"}``.

    An odd count is read as a last name with an empty value (``name,`` loses its trailing
    comma in some clients): ambiguous, so accepted."""
    if len(parts) % 2:
        parts = [*parts, ""]
    return {parts[i]: parts[i + 1] for i in range(0, len(parts), 2)}


def _assignments(parts: Sequence[str], delimiter: str = ",") -> dict[str, str]:
    """``["role=admin", "name=Alex"]`` -> ``{"role": "admin", "name": "Alex"}``.

    Each pair splits at its first ``=``; an item without one carries on the value before it
    (the value held the ``delimiter`` the parts were split at: ``tags=a,b`` split into
    ``tags=a`` and ``b``), or, with no value before it, is a name with an empty value."""
    found: dict[str, str] = {}
    last: str | None = None
    for part in parts:
        name, sep, value = part.partition("=")
        if sep:
            found[name] = value
            last = name
        elif last is not None:
            found[last] += delimiter + part
        else:
            found[part] = ""
    return found


def _split(text: str, delimiter: str) -> list[str]:
    return text.split(delimiter) if text else []


def split_simple(text: str, kind: str, explode: bool) -> Any:
    """``simple`` style (path and header parameters)."""
    if kind == "array":
        return _split(text, ",")
    if kind == "object":
        parts = _split(text, ",")
        return _assignments(parts) if explode else _pairs(parts)
    return text


def split_label(text: str, kind: str, explode: bool) -> Any:
    if not text.startswith("."):
        raise StyleError("label style values start with '.'")
    rest = text[1:]
    if kind == "array":
        return _split(rest, "." if explode else ",")
    if kind == "object":
        return _assignments(_split(rest, "."), ".") if explode else _pairs(_split(rest, ","))
    return rest


def split_matrix(text: str, name: str, kind: str, explode: bool) -> Any:
    if not text.startswith(";"):
        raise StyleError(f"matrix style values look like ';{name}=…'")
    parts = text[1:].split(";")
    if kind == "object" and explode:
        return _assignments(parts, ";")
    values: list[str] = []
    for part in parts:
        key, _, value = part.partition("=")
        if key != name:
            raise StyleError(f"matrix style values look like ';{name}=…'")
        values.append(value)
    if kind == "array":
        return values if explode else _split(values[0], ",")
    if kind == "object":
        return _pairs(_split(values[0], ","))
    return values[0]


_DELIMITERS = {"form": ",", "spaceDelimited": " ", "pipeDelimited": "|"}


def split_query(
    name: str,
    *,
    query: Mapping[str, list[str]],
    style: str,
    explode: bool,
    kind: str,
    object_keys: Sequence[str],
    max_depth: int,
) -> tuple[bool, Any]:
    """(present, raw value) for a query parameter; the raw value is a str, list or dict.

    A ``deepObject`` nesting deeper than ``max_depth`` is ``UnreadableInput``: everything
    that reads the value afterwards recurses once or more per level.
    """
    if style == "deepObject":
        return _deep_object(name, query, max_depth)
    if kind == "object" and explode and style == "form":
        # Exploded form objects spread their properties over the query string itself.
        found = {key: query[key][0] for key in object_keys if query.get(key)}
        return bool(found), found
    values = query.get(name)
    if not values:
        return False, None
    if kind == "array":
        if explode:
            return True, list(values)
        return True, _split(values[0], _DELIMITERS.get(style, ","))
    if kind == "object":
        delimiter = _DELIMITERS.get(style, ",")
        # Repeated (exploded) pipe- or space-delimited objects are left undefined by OpenAPI:
        # the repeats are read as the delimited list they would otherwise be.
        return True, _pairs([part for value in values for part in _split(value, delimiter)])
    return True, values[0]


_DEEP_KEY = re.compile(r"\[([^\[\]]*)\]")


def _deep_object(name: str, query: Mapping[str, list[str]], max_depth: int) -> tuple[bool, Any]:
    """``filter[color]=red&filter[size][min]=2`` -> ``{"color": "red", "size": {"min": "2"}}``;
    ``filter[tags][]=a`` or a repeated key gives a list."""
    found: dict[str, Any] = {}
    for key, values in query.items():
        rest = key[len(name) :]
        if not key.startswith(name + "[") or not values:
            continue
        path = _DEEP_KEY.findall(rest)
        if "".join(f"[{part}]" for part in path) != rest:
            continue
        # Each [key] is an object's level, a final [] (or a repeated key) a list's.
        if len(path) + (len(values) > 1 and path[-1] != "") > max_depth:
            raise nested_too_deep(f"query.{name}", max_depth)
        is_list = path[-1] == ""
        if is_list:
            path = path[:-1]
        if not path:
            continue
        target: Any = found
        for part in path[:-1]:
            target = target.setdefault(part, {}) if isinstance(target, dict) else None
        if isinstance(target, dict):
            target[path[-1]] = list(values) if is_list or len(values) > 1 else values[0]
    return bool(found), found
