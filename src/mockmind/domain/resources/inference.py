"""Resources inferred from the API's operations: collections, items, singletons, nesting.

A path whose GET answers an array, or that takes a POST beside an item path, is a collection;
an object that can also be written (PUT, PATCH, DELETE) is a per-session singleton. Ids are
the schema's ``id`` (or ``<name>_id``), of the kind its schema says. An item path's PUT that
documents a 201 (Created) is create-or-replace: a PUT of an id never seen stores it; one that
does not is a replace only, and such a PUT is 404 (``put_creates``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from mockmind.domain.json_schema import deref
from mockmind.domain.resources.specs import IdKind, ResourceSpec, param_name, path_segments
from mockmind.domain.words import singular
from mockmind.ports.api_description import OperationInfo, SchemaResolver

_PAGING = {"limit", "offset", "page", "per_page", "page_size", "size", "sort", "order"}


def infer_resources(
    operations: Iterable[OperationInfo], resolve: SchemaResolver
) -> dict[str, ResourceSpec]:
    """Resource specs keyed by collection path, from the API's operations."""
    by_path: dict[str, dict[str, OperationInfo]] = {}
    for op in operations:
        by_path.setdefault(op.path_template.rstrip("/") or "/", {})[op.method.upper()] = op

    def returns_array(op: OperationInfo | None) -> bool:
        schema = deref(op.response_schema, resolve) if op else None
        return isinstance(schema, Mapping) and (schema.get("type") == "array" or "items" in schema)

    # Item paths (ending in a parameter) by their parent's segments, in document order: each
    # path looks up its own instead of scanning every path (quadratic: half a second of a
    # 1,000-operation document's start-up, bench/RESULTS.md row 5).
    items_under: dict[tuple[str, ...], list[str]] = {}
    for candidate in by_path:
        segments = path_segments(candidate)
        if segments and param_name(segments[-1]):
            items_under.setdefault(tuple(segments[:-1]), []).append(candidate)

    def item_path_of(path: str) -> str | None:
        prefix = path.rstrip("/") + "/"
        for candidate in items_under.get(tuple(path_segments(path)), ()):
            if candidate.startswith(prefix):
                return candidate
        return None

    specs: dict[str, ResourceSpec] = {}
    for path, methods in by_path.items():
        segments = path_segments(path)
        if not segments or param_name(segments[-1]):
            continue
        item_path = item_path_of(path)
        is_collection = returns_array(methods.get("GET")) or (
            "POST" in methods and item_path is not None
        )
        get = methods.get("GET")
        # A read-only object (a report, a health page) is generated and cached, not stored;
        # one that can also be written (PUT, PATCH, DELETE) is a per-session singleton.
        is_singleton = (
            not is_collection
            and get is not None
            and bool({"PUT", "PATCH", "DELETE"} & set(methods))
            and isinstance(deref(get.response_schema, resolve), Mapping)
            and not any(param_name(s) for s in segments)
        )
        if not is_collection and not is_singleton:
            continue
        name = segments[-1]
        item_ops = by_path.get(item_path, {}) if item_path else {}
        schema = _item_schema(methods, item_ops, resolve) if is_collection else _schema_of(get)
        id_param = param_name(path_segments(item_path)[-1]) if item_path else None
        id_field, id_kind = _id_field(schema, name, id_param, resolve)
        parent_param = next((p for s in reversed(segments) if (p := param_name(s))), None)
        query = set(get.query_params) if get else set()
        specs[path] = ResourceSpec(
            name=name,
            collection_path=path,
            item_path=item_path,
            id_param=id_param,
            id_field=id_field,
            id_kind=id_kind,
            singleton=is_singleton,
            parent_param=parent_param,
            schema=schema,
            filters=tuple(sorted(query - _PAGING)),
            prefill=0 if "POST" in methods else 5,
            put_creates=creates_on_put(item_ops.get("PUT")),
        )
    return _link_parents(specs, resolve)


def creates_on_put(put: OperationInfo | None) -> bool:
    """Whether an item path's PUT is create-or-replace: it documents 201 (Created)."""
    return put is not None and 201 in put.success_statuses


def _link_parents(
    specs: dict[str, ResourceSpec], resolve: SchemaResolver
) -> dict[str, ResourceSpec]:
    for path, spec in list(specs.items()):
        if spec.parent_param is None:
            continue
        segments = path_segments(path)
        index = next(i for i, s in enumerate(segments) if param_name(s) == spec.parent_param)
        parent_path = "/" + "/".join(segments[:index])
        parent = specs.get(parent_path)
        if parent is None:
            specs[path] = replace(spec, parent_param=None)
            continue
        props = properties(spec.schema, resolve)
        stem = singular(parent.name)
        candidates = [f"{stem}_id", f"{stem}Id", spec.parent_param]
        parent_field = next((c for c in candidates if c in props), None)
        specs[path] = replace(spec, parent=parent.name, parent_field=parent_field)
    return specs


def _schema_of(op: OperationInfo | None) -> Mapping[str, Any] | bool | None:
    return op.response_schema if op else None


def _item_schema(
    collection: Mapping[str, OperationInfo],
    item: Mapping[str, OperationInfo],
    resolve: SchemaResolver,
) -> Mapping[str, Any] | bool | None:
    for op in (item.get("GET"), collection.get("POST"), item.get("PUT")):
        if op is not None and op.response_schema is not None:
            return op.response_schema
    listing = deref(_schema_of(collection.get("GET")), resolve)
    if isinstance(listing, Mapping) and isinstance(listing.get("items"), Mapping):
        items: Mapping[str, Any] = listing["items"]
        return items
    return None


def properties(schema: Any, resolve: SchemaResolver, depth: int = 0) -> dict[str, Any]:
    """Properties of an object schema, through $ref and allOf."""
    schema = deref(schema, resolve)
    if not isinstance(schema, Mapping) or depth > 8:
        return {}
    props: dict[str, Any] = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        props.update(properties(part, resolve, depth + 1))
    return props


def _id_field(
    schema: Any, name: str, id_param: str | None, resolve: SchemaResolver
) -> tuple[str, IdKind]:
    props = properties(schema, resolve)
    stem = singular(name)
    for candidate in ("id", f"{stem}_id", f"{stem}Id", id_param):
        if candidate and candidate in props:
            prop = deref(props[candidate], resolve)
            return candidate, _id_kind(prop)
    return "id", "prefixed"


def _id_kind(prop: Any) -> IdKind:
    if not isinstance(prop, Mapping):
        return "prefixed"
    types = prop.get("type")
    types = types if isinstance(types, list) else [types]
    if "integer" in types:
        return "integer"
    if prop.get("format") == "uuid":
        return "uuid"
    if prop.get("pattern") or prop.get("format") or "enum" in prop:
        return "schema"
    return "prefixed"
