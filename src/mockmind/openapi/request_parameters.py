"""A request's parameters read as their operation declares them: path, query, header and
cookie values split by style, typed by their schema, and checked (``requests`` does the rest)."""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from mockmind.domain.client_input import (
    InputLimits,
    UnreadableNumber,
    read_json,
)
from mockmind.domain.errors import UnreadableInput
from mockmind.domain.http import MockRequest
from mockmind.lean_dataclass import dataclass
from mockmind.openapi.media import is_json
from mockmind.openapi.model import (
    DocumentNodes,
    MatchedOperation,
    Parameter,
)
from mockmind.openapi.parameters import (
    SchemaView,
    StyleError,
    coerce_structure,
    split_label,
    split_matrix,
    split_query,
    split_simple,
)
from mockmind.openapi.request_errors import Error, schema_errors


def check_parameter(
    doc: DocumentNodes,
    param: Parameter,
    *,
    matched: MatchedOperation,
    request: MockRequest,
    typed: dict[str, dict[str, Any]],
    consumed: set[str],
    errors: list[Error],
    limits: InputLimits,
) -> None:
    name = param.name.lower() if param.location == "header" else param.name
    where = f"{param.location}.{name}"
    shape = _shape(doc, param.schema_pointer)
    schema = shape.view
    kind = shape.kind if param.media_type is None else "primitive"
    try:
        present, raw = _raw_value(
            param,
            kind=kind,
            object_keys=shape.property_names,
            structured_items=shape.structured_items,
            matched=matched,
            request=request,
            consumed=consumed,
            max_depth=limits.max_json_depth,
        )
    except StyleError as exc:
        errors.append({"location": where, "message": str(exc), "keyword": "style"})
        return
    if isinstance(raw, _Unchecked):
        typed[param.location][param.name] = raw.text
        return
    if not present:
        if param.required:
            errors.append(
                {
                    "location": where,
                    "message": "required parameter is missing",
                    "keyword": "required",
                }
            )
        elif shape.has_default:
            # A copy: the default is the document's own node, shared by every request.
            typed[param.location][param.name] = private_copy(shape.default)
        return
    if param.media_type is not None:
        value: Any = raw
        if is_json(param.media_type):
            try:
                value = read_json(raw, limits, where)
            except ValueError as exc:
                errors.append(
                    {"location": where, "message": f"not valid JSON: {exc}", "keyword": "json"}
                )
                return
    else:
        try:
            if isinstance(raw, str):
                value = private_copy(_coerced(doc, param.schema_pointer, raw))
            else:
                value = coerce_structure(raw, schema)
        except UnreadableNumber as exc:
            raise exc.at(where) from None
    typed[param.location][param.name] = value
    if param.schema_pointer is None:
        return
    if value is None or isinstance(value, str | int | float | bool):
        remembered = _scalar_errors(doc, param.schema_pointer, type(value).__name__, value, where)
        errors.extend(dict(error) for error in remembered)
        return
    found = schema_errors(doc, param.schema_pointer, value, where)
    text = _unsplit(param, matched, request) if found and shape.scalar_too else None
    if text is not None:
        # ``oneOf: [string, array]``: the text as a whole may be the scalar the schema allows
        # (``meta=*``), where splitting it made an array the schema refuses.
        scalar = _coerced(doc, param.schema_pointer, text)
        if not _scalar_errors(doc, param.schema_pointer, type(scalar).__name__, scalar, where):
            typed[param.location][param.name] = scalar
            return
    errors.extend(found)


def _unsplit(param: Parameter, matched: MatchedOperation, request: MockRequest) -> str | None:
    """A ``simple`` or ``form`` parameter's text before its style split it, when it has one."""
    if param.style not in ("simple", "form"):
        return None
    if param.location == "path":
        return matched.path_params.get(param.name)
    if param.location == "query":
        values = request.query.get(param.name)
        return values[0] if values and len(values) == 1 else None
    if param.location == "header":
        return request.headers.get(param.name.lower())
    return request.cookies.get(param.name)


@dataclass(frozen=True)
class _Shape:
    """What validating a parameter needs of its schema, worked out once per schema."""

    view: SchemaView | None
    kind: str
    has_default: bool
    default: Any
    property_names: list[str]
    # Items that are objects or arrays: a serialization no style defines (read as JSON).
    structured_items: bool = False
    # An array or object schema that also allows a scalar (``oneOf: [string, array]``).
    scalar_too: bool = False


@lru_cache(maxsize=4096)
def _shape(doc: DocumentNodes, pointer: str | None) -> _Shape:
    # Every request walked the schema (its branches and types) for each of these; a list
    # request's three query parameters spent more here than in the rest of the routing.
    view = SchemaView.at(doc, pointer)
    if view is None:
        return _Shape(None, "primitive", False, None, [])
    has_default, default = view.default()
    items = view.items(0) if view.kind() == "array" else None
    structured = items is not None and items.kind() != "primitive"
    scalar_too = view.kind() != "primitive" and bool(
        view.types() & {"string", "number", "integer", "boolean"}
    )
    return _Shape(
        view, view.kind(), has_default, default, view.property_names(), structured, scalar_too
    )


def private_copy(value: Any) -> Any:
    """A container shared between requests, copied before a request may change it."""
    return copy.deepcopy(value) if isinstance(value, _CONTAINERS) else value


# A tuple made once: ``dict | list`` in the call made a union object on every call (most of
# this function's cost, on every remembered request check).
_CONTAINERS = (dict, list)


@lru_cache(maxsize=8192)
def _coerced(doc: DocumentNodes, pointer: str | None, raw: str) -> Any:
    """A scalar parameter's string as its schema's type (``"10"`` -> 10), remembered."""
    return coerce_structure(raw, _shape(doc, pointer).view)


@lru_cache(maxsize=8192)
def _scalar_errors(
    doc: DocumentNodes, pointer: str, kind: str, value: Any, where: str
) -> tuple[Error, ...]:
    """A scalar parameter's errors, remembered: clients send the same few values over and
    over (``limit=10``), and jsonschema took a third of a list request to say so again.

    ``kind`` is in the key because ``True == 1`` and ``1 == 1.0`` in Python.
    """
    return tuple(schema_errors(doc, pointer, value, where))


def _raw_value(
    param: Parameter,
    *,
    kind: str,
    object_keys: list[str],
    structured_items: bool,
    matched: MatchedOperation,
    request: MockRequest,
    consumed: set[str],
    max_depth: int,
) -> tuple[bool, Any]:
    if param.location == "path":
        text = matched.path_params.get(param.name)
        if text is None:
            return False, None
        if param.media_type is not None:
            return True, text
        if param.style == "label":
            return True, split_label(text, kind, param.explode)
        if param.style == "matrix":
            return True, split_matrix(text, param.name, kind, param.explode)
        if structured_items:
            return True, _json_items(text, max_depth)
        return True, split_simple(text, kind, param.explode)
    if param.location == "query":
        if param.media_type is not None:
            values = request.query.get(param.name)
            consumed.add(param.name)
            return (True, values[0]) if values else (False, None)
        present, raw = split_query(
            param.name,
            query=request.query,
            style=param.style,
            explode=param.explode,
            kind=kind,
            object_keys=object_keys,
            max_depth=max_depth,
        )
        consumed.add(param.name)
        if isinstance(raw, dict) and param.style == "deepObject":
            consumed.update(k for k in request.query if k.startswith(param.name + "["))
        elif isinstance(raw, dict) and param.explode and param.style == "form":
            consumed.update(raw)
        return present, raw
    if param.location == "header":
        header = request.headers.get(param.name.lower())
        if header is None:
            return False, None
        if param.media_type is not None:
            return True, header
        if structured_items:
            return True, _json_items(header, max_depth)
        raw = split_simple(header, kind, param.explode)
        if isinstance(raw, list):
            raw = [item.strip() for item in raw]
        return True, raw
    cookie = request.cookies.get(param.name)
    if cookie is None:
        return False, None
    if param.media_type is not None:
        return True, cookie
    # Cookies cannot repeat a name, so arrays and objects are comma lists whatever explode
    # says; an exploded object's ``name=value`` items are still read as such when they are.
    return True, split_simple(cookie, kind, explode=param.explode and "=" in cookie)


@dataclass(frozen=True)
class _Unchecked:
    """A value in a serialization the document leaves undefined, accepted as sent."""

    text: str


def _json_items(text: str, max_depth: int) -> list[Any] | _Unchecked:
    """The items of an array of objects or arrays, which no ``simple`` style defines: a
    comma list of JSON values (``{"a":1},{"b":2}``) when it is one, else accepted unread."""
    try:
        items = read_json(f"[{text}]", InputLimits(max_json_depth=max_depth))
    except (ValueError, UnreadableInput):
        return _Unchecked(text)
    return items if isinstance(items, list) else _Unchecked(text)
