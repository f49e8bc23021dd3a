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

from mockmind.domain.resources.specs import (
    IdKind,
    ResourceSpec,
    item_param_name,
    param_name,
    path_segments,
)
from mockmind.domain.schema_refs import deref
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
        return returns_array_schema(deref(op.response_schema, resolve) if op else None)

    # Item paths (ending in a parameter) by their parent's segments, in document order: each
    # path looks up its own instead of scanning every path (quadratic: half a second of a
    # 1,000-operation document's start-up, bench/RESULTS.md row 5).
    items_under: dict[tuple[str, ...], list[str]] = {}
    for candidate in by_path:
        segments = path_segments(candidate)
        if segments and item_param_name(segments[-1]):
            items_under.setdefault(tuple(segments[:-1]), []).append(candidate)

    def item_path_of(path: str) -> str | None:
        prefix = path.rstrip("/") + "/"
        for candidate in items_under.get(tuple(path_segments(path)), ()):
            if candidate.startswith(prefix):
                return candidate
        return None

    specs: dict[str, ResourceSpec] = {}
    # The item schemas each word names: collections of one word share their entities
    # (``/orders`` and ``/users/{id}/orders``) only when they hold the same items.
    named: dict[str, list[tuple[Any, str]]] = {}
    for path, methods in by_path.items():
        segments = path_segments(path)
        if not segments or item_param_name(segments[-1]):
            continue
        item_path = item_path_of(path)
        id_param = item_param_name(path_segments(item_path)[-1]) if item_path else None
        is_collection = (
            returns_array(methods.get("GET")) or ("POST" in methods and item_path is not None)
        ) and _identified(
            _item_schema(methods, by_path.get(item_path, {}) if item_path else {}, resolve),
            segments[-1],
            id_param,
            resolve,
        )
        get = methods.get("GET")
        # A read-only object (a report, a health page) is generated and cached, not stored;
        # one that can also be written (PUT, PATCH, DELETE) is a per-session singleton.
        is_singleton = (
            not is_collection
            and get is not None
            and bool({"PUT", "PATCH", "DELETE"} & set(methods))
            and isinstance(deref(get.response_schema, resolve), Mapping)
            and not returns_array(get)
            and not any(item_param_name(s) for s in segments)
        )
        if not is_collection and not is_singleton:
            continue
        item_ops = by_path.get(item_path, {}) if item_path else {}
        schema = _item_schema(methods, item_ops, resolve) if is_collection else _schema_of(get)
        name = _shared_name(segments[-1], path, schema, named)
        id_field, id_kind = _id_field(schema, name, id_param, resolve)
        parent_param = _last_param(segments)
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
            # Only a query parameter that names a field filters (`asc=true` does not).
            filters=tuple(sorted((query - _PAGING) & set(properties(schema, resolve)))),
            prefill=0 if "POST" in methods else 5,
            min_items=_min_items(get, resolve) if is_collection else 0,
            put_creates=creates_on_put(item_ops.get("PUT")),
        )
    _add_item_only(specs, by_path, resolve)
    return _link_parents(specs, resolve)


def _shared_name(word: str, path: str, schema: Any, named: dict[str, list[tuple[Any, str]]]) -> str:
    """The resource's name, which its entities are stored under: the path's last word, shared
    with the other paths of that word whose items have the same schema; a path whose items
    differ (``/gists/{id}/comments`` beside ``/repos/{o}/{r}/issues/comments``) is named by
    the first path of its items, so that neither lists, nor reads, the other's entities (an
    undocumented item is not a documented one: ``/server/blocklist/accounts`` creates free-form
    entities that ``/accounts`` must not list)."""
    known = named.setdefault(word, [])
    for other, name in known:
        if other == schema:
            return name
    name = path if known else word
    known.append((schema, name))
    return name


def _last_param(segments: list[str]) -> str | None:
    """The name of the last path parameter among ``segments`` (None: the path has none)."""
    return next((p for s in reversed(segments) if (p := param_name(s))), None)


def _add_item_only(
    specs: dict[str, ResourceSpec],
    by_path: Mapping[str, Mapping[str, OperationInfo]],
    resolve: SchemaResolver,
) -> None:
    """Item paths no collection owns, that answer a GET and take a DELETE: what one request
    deletes, the next must not read (``/admin/users/{id}.json``, ``/a/{x}/b/{y}``). A path
    that ends in a word after a parameter (``/subscriptions/{id}/discount``) is one object
    per value of its last parameter."""
    owned = {spec.item_path for spec in specs.values() if spec.item_path}
    names = {spec.name for spec in specs.values()}
    for path, methods in by_path.items():
        segments = path_segments(path)
        id_param = item_param_name(segments[-1]) if segments else None
        if id_param is None:
            id_param = _last_param(segments)
            literal_end = True
        else:
            literal_end = False
        get = methods.get("GET")
        if id_param is None or path in owned or path in specs or get is None:
            continue
        if "DELETE" not in methods:
            continue
        schema = get.response_schema
        item = deref(schema, resolve)
        if not isinstance(item, Mapping) or returns_array_schema(item):
            continue
        collection = "/" + "/".join(segments[:-1])
        words = segments if literal_end else segments[:-1]
        literal = next((s for s in reversed(words) if not param_name(s)), "items")
        name = literal if literal not in names else path
        names.add(name)
        id_field, id_kind = _id_field(schema, literal, id_param, resolve)
        specs[path] = ResourceSpec(
            name=name,
            collection_path=collection,
            item_path=path,
            id_param=id_param,
            id_field=id_field,
            id_kind=id_kind,
            schema=schema,
            item_only=True,
        )


def listing_items(schema: Any, resolve: SchemaResolver) -> Mapping[str, Any] | bool | None:
    """The schema of a listing's entities: its ``items``, or those of the first array
    property of its paging envelope (``{"data": [...], "total": n}``)."""
    listing = deref(schema, resolve)
    if not isinstance(listing, Mapping):
        return None
    if isinstance(listing.get("items"), Mapping | bool):
        items: Mapping[str, Any] | bool = listing["items"]
        return items
    for raw in properties(listing, resolve).values():
        prop = deref(raw, resolve)
        if isinstance(prop, Mapping) and prop.get("type") == "array":
            found = prop.get("items")
            return found if isinstance(found, Mapping | bool) else None
    return None


def returns_array_schema(schema: Any) -> bool:
    return isinstance(schema, Mapping) and (schema.get("type") == "array" or "items" in schema)


def _min_items(get: OperationInfo | None, resolve: SchemaResolver) -> int:
    schema = deref(get.response_schema, resolve) if get else None
    found = schema.get("minItems") if isinstance(schema, Mapping) else None
    return found if isinstance(found, int) and not isinstance(found, bool) and found > 0 else 0


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
    # What the listing holds first (the entities a list answers with, inside its paging
    # envelope if it has one), then the item's own read, then what a create or a replace
    # answers: those may be envelopes ({"data": {...}}), which answers wrap entities in.
    listed = listing_items(_schema_of(collection.get("GET")), resolve)
    if listed is not None:
        return listed
    for op in (item.get("GET"), collection.get("POST"), item.get("PUT")):
        if op is not None and op.response_schema is not None:
            return op.response_schema
    return None


def properties(schema: Any, resolve: SchemaResolver, depth: int = 0) -> dict[str, Any]:
    """Properties of an object schema, through $ref and allOf; those of every ``oneOf`` or
    ``anyOf`` branch too, where the schema declares none of its own (``User`` or
    ``UserWithStats``: both have the ``id``)."""
    schema = deref(schema, resolve)
    if not isinstance(schema, Mapping) or depth > 8:
        return {}
    props: dict[str, Any] = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        props.update(properties(part, resolve, depth + 1))
    if not props:
        for keyword in ("oneOf", "anyOf"):
            for part in schema.get(keyword, []):
                for name, prop in properties(part, resolve, depth + 1).items():
                    props.setdefault(name, prop)
    return props


def _identified(schema: Any, name: str, id_param: str | None, resolve: SchemaResolver) -> bool:
    """Whether a collection's items are objects with an identifier: the only things a store
    can keep and find again. An undocumented item, or a free-form object, can take an id;
    strings, numbers, or objects whose declared fields hold no id cannot."""
    schema = deref(schema, resolve)
    if schema is None or schema is True:
        return True
    if not isinstance(schema, Mapping):
        return False
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if kind is not None and "object" not in kinds:
        return False
    if id_param is not None:
        # The item path names each one: that is its identifier, whatever its fields.
        return True
    props = properties(schema, resolve)
    if not props:
        closed = schema.get("additionalProperties") is False
        return not closed and not any(k in schema for k in ("oneOf", "anyOf", "allOf"))
    return any(c in props for c in _id_candidates(name, id_param))


def _id_candidates(name: str, id_param: str | None) -> list[str]:
    """Field names that hold an entity's id: ``id``, ``order_id``, ``orderId``, the item
    path's parameter, and that parameter without the resource's name (``pool_name``:
    ``name``)."""
    stem = singular(name)
    found = ["id", f"{stem}_id", f"{stem}Id"]
    if id_param:
        found.append(id_param)
        if id_param.lower().startswith(stem.lower()) and len(id_param) > len(stem):
            rest = id_param[len(stem) :].lstrip("_-")
            if rest:
                found.append(rest[0].lower() + rest[1:])
    return found


def _id_field(
    schema: Any, name: str, id_param: str | None, resolve: SchemaResolver
) -> tuple[str, IdKind]:
    props = properties(schema, resolve)
    for candidate in _id_candidates(name, id_param):
        if candidate in props:
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
