"""Resources: REST semantics over an entity store, so what you POST you can GET back.

A *collection* (``/orders``) lists and creates; its *item path* (``/orders/{orderId}``) reads,
replaces (PUT), merges (PATCH, JSON merge patch) and deletes. A *singleton* (``/cart``) is one
entity per session. Collections nest (``/users/{userId}/posts``): a child keeps its parent's
id, and a child of a missing parent is 404. Specs are inferred from the API's operations and
refined by the config's ``resources:``.

Entities live per session. A shared seed set (``seed:``) is visible to every session and copied
on write: a session's change or delete shadows the shared entity for that session only.
"""

from __future__ import annotations

import copy
import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mockmind.domain.cache_keys import digest
from mockmind.domain.errors import RequestError
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.json_schema import deref
from mockmind.domain.memo import BoundedMemo
from mockmind.domain.rules.expressions import Expression
from mockmind.domain.words import singular
from mockmind.ports.api_description import OperationInfo, SchemaResolver
from mockmind.ports.entity_store import EntityRecord, EntityStore

SHARED_SCOPE = "__shared__"
_META = "__meta__"
_PARAM = re.compile(r"^\{([^}]+)\}$")
_PAGING = {"limit", "offset", "page", "per_page", "page_size", "size", "sort", "order"}


@dataclass(frozen=True)
class ResourceSpec:
    name: str
    collection_path: str
    item_path: str | None = None
    id_param: str | None = None
    id_field: str = "id"
    id_kind: str = "prefixed"  # "prefixed", "integer", "uuid" or "schema"
    singleton: bool = False
    parent: str | None = None
    parent_param: str | None = None
    parent_field: str | None = None
    schema: Mapping[str, Any] | bool | None = None
    computed: Mapping[str, Expression] = field(default_factory=dict)
    on_create: Mapping[str, Expression] = field(default_factory=dict)
    clears: tuple[str, ...] = ()
    seed: tuple[Mapping[str, Any], ...] = ()
    seed_count: int = 0
    prefill: int = 0
    filters: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResourceAction:
    spec: ResourceSpec
    kind: str  # list, create, read, replace, merge, delete
    entity_id: Any = None
    parent_id: Any = None


def path_segments(template: str) -> list[str]:
    return [s for s in template.split("/") if s]


def _param(segment: str) -> str | None:
    match = _PARAM.match(segment)
    return match.group(1) if match else None


# -- inference -------------------------------------------------------------------------------


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

    def item_path_of(path: str) -> str | None:
        for candidate in by_path:
            segments = path_segments(candidate)
            if (
                len(segments) == len(path_segments(path)) + 1
                and candidate.startswith(path.rstrip("/") + "/")
                and _param(segments[-1])
            ):
                return candidate
        return None

    specs: dict[str, ResourceSpec] = {}
    for path, methods in by_path.items():
        segments = path_segments(path)
        if not segments or _param(segments[-1]):
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
            and not any(_param(s) for s in segments)
        )
        if not is_collection and not is_singleton:
            continue
        name = segments[-1]
        item_ops = by_path.get(item_path, {}) if item_path else {}
        schema = _item_schema(methods, item_ops, resolve) if is_collection else _schema_of(get)
        id_param = _param(path_segments(item_path)[-1]) if item_path else None
        id_field, id_kind = _id_field(schema, name, id_param, resolve)
        parent_param = next((p for s in reversed(segments) if (p := _param(s))), None)
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
        )
    return _link_parents(specs, resolve)


def _link_parents(
    specs: dict[str, ResourceSpec], resolve: SchemaResolver
) -> dict[str, ResourceSpec]:
    for path, spec in list(specs.items()):
        if spec.parent_param is None:
            continue
        segments = path_segments(path)
        index = next(i for i, s in enumerate(segments) if _param(s) == spec.parent_param)
        parent_path = "/" + "/".join(segments[:index])
        parent = specs.get(parent_path)
        if parent is None:
            specs[path] = replace(spec, parent_param=None)
            continue
        props = _properties(spec.schema, resolve)
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


def _properties(schema: Any, resolve: SchemaResolver, depth: int = 0) -> dict[str, Any]:
    """Properties of an object schema, through $ref and allOf."""
    schema = deref(schema, resolve)
    if not isinstance(schema, Mapping) or depth > 8:
        return {}
    props: dict[str, Any] = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        props.update(_properties(part, resolve, depth + 1))
    return props


def _id_field(
    schema: Any, name: str, id_param: str | None, resolve: SchemaResolver
) -> tuple[str, str]:
    props = _properties(schema, resolve)
    stem = singular(name)
    for candidate in ("id", f"{stem}_id", f"{stem}Id", id_param):
        if candidate and candidate in props:
            prop = deref(props[candidate], resolve)
            return candidate, _id_kind(prop)
    return "id", "prefixed"


def _id_kind(prop: Any) -> str:
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


# -- serving ---------------------------------------------------------------------------------


class ResourceContext:
    """What one request's resource work needs: scope, time and how to evaluate expressions."""

    def __init__(
        self,
        service: ResourceService,
        scope: str,
        now: float,
        state: Mapping[str, Any],
        request_body: Any = None,
    ) -> None:
        self.service = service
        self.scope = scope
        self._now = now
        self.state = state
        self.request_body = request_body

    def now(self) -> float:
        return self._now

    def named(self, name: str) -> Any:
        if name == "state":
            return dict(self.state)
        if name == "request":
            return self.request_body
        spec = self.service.by_name(name)
        if spec is None:
            return None
        if spec.singleton:
            return self.service.singleton_view(self, spec)
        return self.service.all(self, spec)

    def lookup(self, collection: str, entity_id: Any) -> Mapping[str, Any] | None:
        spec = self.service.by_name(collection)
        if spec is None or entity_id is None or spec.singleton:
            return None
        return self.service.read(self, spec, entity_id)


_UNSEEN: Any = object()
# Method and template pairs remembered by classify (a document's, or a client's schema routes).
_TEMPLATE_MEMO_SIZE = 4096


class ResourceService:
    def __init__(
        self,
        specs: Mapping[str, ResourceSpec],
        store: EntityStore,
        generator: OfflineGenerator,
        resolve: SchemaResolver,
        *,
        entity_ttl_seconds: float,
    ) -> None:
        self._resolve = resolve
        self.specs = dict(specs)
        self._by_name: dict[str, ResourceSpec] = {}
        for spec in self.specs.values():
            # Nested and top-level paths of one collection share its entities.
            self._by_name.setdefault(spec.name, spec)
        self._store = store
        self._generator = generator
        self._ttl = entity_ttl_seconds
        # Per method and path template: see classify. Bounded, as schema routes make a
        # template of any path a client sends.
        self._classified: BoundedMemo[tuple[str, str], Any] = BoundedMemo(_TEMPLATE_MEMO_SIZE)
        self._item_paths: BoundedMemo[str, Any] = BoundedMemo(_TEMPLATE_MEMO_SIZE)
        self.on_write: list[Callable[[ResourceContext, ResourceSpec, dict[str, Any]], None]] = []

    def by_name(self, name: str) -> ResourceSpec | None:
        return self._by_name.get(name)

    # -- classification

    def classify(
        self, method: str, template: str, path_params: Mapping[str, Any]
    ) -> ResourceAction | None:
        key = (method, template)
        found = self._classified.get(key, _UNSEEN)
        if found is _UNSEEN:
            # Which spec and kind depend on the method and template alone: worked out once
            # per pair, not by scanning every spec on every request.
            found = self._classify(method, template)
            self._classified.put(key, found)
        if found is None:
            return None
        spec, kind, shape = found
        if shape == "singleton":
            return ResourceAction(spec, kind, "_")
        parent_id = path_params.get(spec.parent_param) if spec.parent_param else None
        if shape == "collection":
            return ResourceAction(spec, kind, parent_id=parent_id)
        return ResourceAction(spec, kind, path_params.get(spec.id_param or ""), parent_id)

    def _classify(self, method: str, template: str) -> tuple[ResourceSpec, str, str] | None:
        """The spec a request is about, its kind, and its shape: singleton, collection, item."""
        template = template.rstrip("/") or "/"
        method = method.upper()
        items = {"GET": "read", "PUT": "replace", "PATCH": "merge", "DELETE": "delete"}
        for spec in self.specs.values():
            if template == spec.collection_path:
                if spec.singleton:
                    kind = items.get(method)
                    return (spec, kind, "singleton") if kind else None
                if method in ("GET", "POST"):
                    return spec, "list" if method == "GET" else "create", "collection"
            if template == spec.item_path and spec.id_param:
                kind = items.get(method)
                if kind:
                    return spec, kind, "item"
        return None

    def item_action(self, template: str, path_params: Mapping[str, Any]) -> ResourceAction | None:
        """The entity a sub-path like ``/orders/{orderId}/pay`` is about."""
        spec = self._item_paths.get(template, _UNSEEN)
        if spec is _UNSEEN:
            spec = next(
                (
                    s
                    for s in self.specs.values()
                    if s.item_path and s.id_param and template.startswith(s.item_path + "/")
                ),
                None,
            )
            self._item_paths.put(template, spec)
        if spec is None:
            return None
        parent_id = path_params.get(spec.parent_param) if spec.parent_param else None
        return ResourceAction(spec, "read", path_params.get(spec.id_param or ""), parent_id)

    # -- storage with copy-on-write over the shared scope

    def _get(self, ctx: ResourceContext, spec: ResourceSpec, entity_id: str) -> EntityRecord | None:
        record = self._store.get(ctx.scope, spec.name, entity_id, now=ctx.now())
        if record is None:
            record = self._store.get(SHARED_SCOPE, spec.name, entity_id, now=ctx.now())
        if record is None or record.data is None:
            return None
        return record

    def _put(self, ctx: ResourceContext, spec: ResourceSpec, record: EntityRecord) -> None:
        self._store.put(ctx.scope, spec.name, record, expires_at=ctx.now() + self._ttl)

    def _records(self, ctx: ResourceContext, spec: ResourceSpec) -> list[EntityRecord]:
        own = {r.id: r for r in self._store.list(ctx.scope, spec.name, now=ctx.now())}
        shared = [
            r for r in self._store.list(SHARED_SCOPE, spec.name, now=ctx.now()) if r.id not in own
        ]
        merged = [*shared, *own.values()]
        merged.sort(key=lambda r: (r.created_at, r.id))
        return [r for r in merged if r.data is not None]

    def peek(
        self, ctx: ResourceContext, spec: ResourceSpec, entity_id: Any
    ) -> dict[str, Any] | None:
        """The stored entity, without generating one (rules look, they do not create)."""
        if spec.singleton:
            record = self._store.get(ctx.scope, spec.name, "_", now=ctx.now())
            return dict(record.data) if record is not None and record.data is not None else None
        own = self._store.get(ctx.scope, spec.name, str(entity_id), now=ctx.now())
        if own is not None:
            return dict(own.data) if own.data is not None else None
        record = self._get(ctx, spec, str(entity_id))
        return dict(record.data or {}) if record is not None else None

    def all(self, ctx: ResourceContext, spec: ResourceSpec) -> list[dict[str, Any]]:
        return [dict(r.data or {}) for r in self._records(ctx, spec)]

    # -- operations

    def list(
        self, ctx: ResourceContext, action: ResourceAction, query: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], int]:
        """The page of entities the query asks for, and how many match in all."""
        spec = action.spec
        if action.parent_id is not None:
            self._require_parent(ctx, spec, action.parent_id)
        self._prefill(ctx, spec, action.parent_id)
        records = self._records(ctx, spec)
        if action.parent_id is not None:
            records = [r for r in records if r.parent == str(action.parent_id)]
        entities = [dict(r.data or {}) for r in records]
        for name in spec.filters:
            if name in query and query[name] is not None:
                wanted = query[name]
                entities = [e for e in entities if _same(e.get(name), wanted)]
        total = len(entities)
        offset, limit = _page(query)
        return entities[offset : offset + limit if limit is not None else None], total

    def create(
        self,
        ctx: ResourceContext,
        action: ResourceAction,
        body: Any,
        fixed: Mapping[str, Any] | None = None,
        *,
        generated: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A new entity: generated content (the model's, or the offline generator's), the body
        over it, then ``fixed`` fields over both."""
        spec = action.spec
        if action.parent_id is not None:
            self._require_parent(ctx, spec, action.parent_id)
        seq = self._next_seq(ctx, spec)
        entity_id = self._new_id(ctx, spec, seq)
        content = (
            dict(generated)
            if generated is not None
            else self._generate(spec, f"{ctx.scope}:{spec.name}:new:{seq}")
        )
        entity = {**_merge_body(content, body), **(fixed or {})}
        entity[spec.id_field] = entity_id
        if spec.parent_field and action.parent_id is not None:
            entity[spec.parent_field] = action.parent_id
        for name, expression in spec.on_create.items():
            entity[name] = copy.deepcopy(expression.evaluate(entity, ctx))
        entity = self._finish_write(ctx, spec, entity)
        parent = str(action.parent_id) if action.parent_id is not None else None
        self._put(ctx, spec, EntityRecord(str(entity_id), entity, ctx.now() + seq * 1e-6, parent))
        for name in spec.clears:
            self.clear(ctx, name)
        return entity

    def read(
        self,
        ctx: ResourceContext,
        spec: ResourceSpec,
        entity_id: Any,
        parent_id: Any = None,
        *,
        generated: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The stored entity; one never seen is generated now and stored, so it stays put."""
        if spec.singleton:
            return self.singleton_view(ctx, spec)
        if parent_id is not None:
            self._require_parent(ctx, spec, parent_id)
        key = str(entity_id)
        own = self._store.get(ctx.scope, spec.name, key, now=ctx.now())
        if own is not None and own.data is None:
            raise _not_found(spec, entity_id)
        record = own or self._get(ctx, spec, key)
        if record is not None:
            if parent_id is not None and record.parent not in (None, str(parent_id)):
                raise _not_found(spec, entity_id)
            return dict(record.data or {})
        entity = (
            dict(generated) if generated is not None else self._generate(spec, f"{spec.name}:{key}")
        )
        entity[spec.id_field] = entity_id
        if spec.parent_field and parent_id is not None:
            entity[spec.parent_field] = parent_id
        entity = self._finish_write(ctx, spec, entity)
        parent = str(parent_id) if parent_id is not None else None
        self._put(ctx, spec, EntityRecord(key, entity, ctx.now(), parent))
        return entity

    def write(
        self, ctx: ResourceContext, action: ResourceAction, body: Any, *, merge: bool
    ) -> dict[str, Any]:
        spec = action.spec
        current = self.read(ctx, spec, action.entity_id, action.parent_id)
        if merge:
            entity = merge_patch(current, body)
        else:
            entity = dict(body) if isinstance(body, Mapping) else {}
        if not spec.singleton:
            entity[spec.id_field] = current.get(spec.id_field, action.entity_id)
        if spec.parent_field and spec.parent_field in current:
            entity[spec.parent_field] = current[spec.parent_field]
        return self.save(ctx, spec, entity, action.parent_id)

    def save(
        self, ctx: ResourceContext, spec: ResourceSpec, entity: dict[str, Any], parent_id: Any
    ) -> dict[str, Any]:
        key = "_" if spec.singleton else str(entity.get(spec.id_field))
        existing = self._get(ctx, spec, key)
        created_at = existing.created_at if existing else ctx.now()
        entity = self._finish_write(ctx, spec, entity)
        parent = existing.parent if existing else (str(parent_id) if parent_id else None)
        self._put(ctx, spec, EntityRecord(key, entity, created_at, parent))
        return entity

    def delete(self, ctx: ResourceContext, action: ResourceAction) -> dict[str, Any]:
        spec = action.spec
        if spec.singleton:
            current = self.singleton_view(ctx, spec)
            self._store.delete(ctx.scope, spec.name, "_")
            for name in spec.clears:
                self.clear(ctx, name)
            return current
        key = str(action.entity_id)
        own = self._store.get(ctx.scope, spec.name, key, now=ctx.now())
        record = self._get(ctx, spec, key)
        if record is None or (own is not None and own.data is None):
            raise _not_found(spec, action.entity_id)
        if action.parent_id is not None and record.parent not in (None, str(action.parent_id)):
            raise _not_found(spec, action.entity_id)
        # A tombstone, so a shared entity stays deleted for this session and a GET is 404.
        self._put(ctx, spec, EntityRecord(key, None, record.created_at, record.parent))
        for child in self.specs.values():
            if child.parent == spec.name:
                for entity in self._records(ctx, child):
                    if entity.parent == key:
                        self._put(ctx, child, EntityRecord(entity.id, None, 0.0, key))
        return dict(record.data or {})

    def clear(self, ctx: ResourceContext, name: str) -> None:
        spec = self.by_name(name)
        if spec is None:
            return
        for record in self._records(ctx, spec):
            self._put(ctx, spec, EntityRecord(record.id, None, record.created_at, record.parent))

    def singleton_view(self, ctx: ResourceContext, spec: ResourceSpec) -> dict[str, Any]:
        record = self._store.get(ctx.scope, spec.name, "_", now=ctx.now())
        if record is None or record.data is None:
            entity = self._generate(spec, f"{ctx.scope}:{spec.name}")
            entity = self._finish_write(ctx, spec, entity)
            self._put(ctx, spec, EntityRecord("_", entity, ctx.now()))
            return entity
        # Computed fields of a singleton read other collections, which change without it.
        return _computed(dict(record.data), spec, ctx)

    def seed_shared(self, now: float) -> None:
        """Write each spec's shared seed set; the same for every session and every restart.

        A marker names a digest of what the set is made from (each seeding spec, the schemas
        it reaches, the generator's settings), written last. A restart of the same config
        finds it and neither generates nor writes: generating alone (Faker's first load, a
        dozen entities) was a sixth of a Lambda cold start. A changed config writes again.
        """
        specs = [spec for spec in self._by_name.values() if spec.seed or spec.seed_count > 0]
        if not specs:
            return
        marker = "seeded:" + self._seed_digest(specs)
        if self._store.get(SHARED_SCOPE, _META, marker, now=now) is not None:
            return
        ctx = ResourceContext(self, SHARED_SCOPE, now, {})
        for spec in specs:
            entities = [dict(e) for e in spec.seed]
            for index in range(spec.seed_count):
                entity = self._generate(spec, f"seed:{spec.name}:{index}")
                entity[spec.id_field] = self._new_id(ctx, spec, index + 1)
                entities.append(entity)
            for index, entity in enumerate(entities):
                key = str(entity.get(spec.id_field, index + 1))
                entity.setdefault(spec.id_field, key)
                record = EntityRecord(key, _computed(entity, spec, ctx), index * 1e-3)
                self._store.put(SHARED_SCOPE, spec.name, record, expires_at=None)
        # Last, so a start that dies half-way writes everything again next time.
        self._store.put(SHARED_SCOPE, _META, EntityRecord(marker, {}, now), expires_at=None)

    def _seed_digest(self, specs: Sequence[ResourceSpec]) -> str:
        inputs = [
            [
                spec.name,
                spec.id_field,
                spec.id_kind,
                list(spec.seed),
                spec.seed_count,
                spec.schema,
                {name: expression.text for name, expression in spec.computed.items()},
            ]
            for spec in specs
        ]
        referenced = _referenced_schemas([spec.schema for spec in specs], self._resolve)
        return digest([self._generator.settings_key(), inputs, referenced])[:32]

    # -- helpers

    def _require_parent(self, ctx: ResourceContext, spec: ResourceSpec, parent_id: Any) -> None:
        parent = self.by_name(spec.parent) if spec.parent else None
        if parent is None:
            return
        own = self._store.get(ctx.scope, parent.name, str(parent_id), now=ctx.now())
        if (own is not None and own.data is None) or self._get(ctx, parent, str(parent_id)) is None:
            raise _not_found(parent, parent_id)

    def _prefill(self, ctx: ResourceContext, spec: ResourceSpec, parent_id: Any) -> None:
        if spec.prefill <= 0 or spec.seed or spec.seed_count:
            return
        marker = f"prefilled:{spec.name}:{parent_id}"
        if self._store.get(ctx.scope, _META, marker, now=ctx.now()) is not None:
            return
        self._store.put(
            ctx.scope, _META, EntityRecord(marker, {}, ctx.now()), expires_at=ctx.now() + self._ttl
        )
        for _ in range(spec.prefill):
            self.create(ctx, ResourceAction(spec, "create", parent_id=parent_id), None)

    def _next_seq(self, ctx: ResourceContext, spec: ResourceSpec) -> int:
        key = f"seq:{spec.name}"
        record = self._store.get(ctx.scope, _META, key, now=ctx.now())
        shared = len(self._store.list(SHARED_SCOPE, spec.name, now=ctx.now()))
        seq = int((record.data or {}).get("n", shared)) + 1 if record else shared + 1
        self._store.put(
            ctx.scope,
            _META,
            EntityRecord(key, {"n": seq}, ctx.now()),
            expires_at=ctx.now() + self._ttl,
        )
        return seq

    def _new_id(self, ctx: ResourceContext, spec: ResourceSpec, seq: int) -> Any:
        digest = hashlib.sha256(f"{ctx.scope}:{spec.name}:{seq}".encode()).digest()
        if spec.id_kind == "integer":
            return seq
        if spec.id_kind == "uuid":
            return str(uuid.UUID(bytes=digest[:16], version=4))
        if spec.id_kind == "schema":
            props = _properties(spec.schema, self._resolve)
            return self._generator.generate(props[spec.id_field], seed=digest.hex())
        return f"{singular(spec.name)}_{digest.hex()[:12]}"

    def _generate(self, spec: ResourceSpec, seed: str) -> dict[str, Any]:
        if spec.schema is None:
            return {}
        value = self._generator.generate(spec.schema, seed=seed)
        return dict(value) if isinstance(value, Mapping) else {}

    def _finish_write(
        self, ctx: ResourceContext, spec: ResourceSpec, entity: dict[str, Any]
    ) -> dict[str, Any]:
        entity = _computed(entity, spec, ctx)
        for hook in self.on_write:
            hook(ctx, spec, entity)
        return entity


def _computed(entity: dict[str, Any], spec: ResourceSpec, ctx: ResourceContext) -> dict[str, Any]:
    for name, expression in spec.computed.items():
        entity[name] = copy.deepcopy(expression.evaluate(entity, ctx))
    return entity


def _merge_body(generated: dict[str, Any], body: Any) -> dict[str, Any]:
    if not isinstance(body, Mapping):
        return generated
    return {**generated, **copy.deepcopy(dict(body))}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge, null deletes, anything else replaces."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, list):
        return any(_same(value, w) for w in wanted)
    return value == wanted or str(value).lower() == str(wanted).lower()


def _page(query: Mapping[str, Any]) -> tuple[int, int | None]:
    def number(*names: str) -> int | None:
        for name in names:
            value = query.get(name)
            if value is not None:
                try:
                    return max(0, int(value))
                except (TypeError, ValueError):
                    return None
        return None

    limit = number("limit", "per_page", "page_size", "size")
    offset = number("offset")
    page = number("page")
    if offset is None and page is not None and limit is not None:
        offset = max(page - 1, 0) * limit
    return offset or 0, limit


def _not_found(spec: ResourceSpec, entity_id: Any) -> RequestError:
    return RequestError(404, "Not Found", f"{singular(spec.name)} {entity_id} does not exist")


def _referenced_schemas(roots: list[Any], resolve: SchemaResolver) -> dict[str, Any]:
    """Every schema reachable through ``$ref`` from the roots, by reference.

    A reference that does not resolve is recorded as such: the generator fills it with
    anything, and a start must not fail over it (nor over a "$ref" key inside an example).
    """
    found: dict[str, Any] = {}
    pending = list(roots)
    while pending:
        node = pending.pop()
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref not in found:
                try:
                    found[ref] = resolve(ref)
                except Exception as exc:  # any resolver failure, as in the generator
                    found[ref] = f"unresolved: {type(exc).__name__}"
                pending.append(found[ref])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found
