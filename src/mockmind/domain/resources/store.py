"""Resources: REST semantics over an entity store, so what you POST you can GET back.

A *collection* (``/orders``) lists and creates; its *item path* (``/orders/{orderId}``) reads,
replaces (PUT), merges (PATCH, JSON merge patch) and deletes. A *singleton* (``/cart``) is one
entity per session. Collections nest (``/users/{userId}/posts``): a child keeps its parent's
id, and a child of a missing parent is 404.

What an id never seen stands for is the request's (``ResourceContext.unknown_ids``): where
the operation documents a 404 (or a 4XX, or a default), nothing, and every request on it is
404, in every session but one that created or read it (a shared seed entity is seen by all).
Where it documents no such answer, the entity is generated now and kept (read-through), for
a change or a delete too, and so is a missing parent (an id another parent's entity holds is
another entity under this parent, kept under a key of its own). Without a document (schema
routes), a read makes the entity and a change of one (PATCH, a state machine's move) or a
delete is 404.
A PUT of an id never seen makes it where the API describes its PUT as create-or-replace
(``ResourceSpec.put_creates``: the operation documents a 201): the body under the client's id.
A deleted entity is 404 where the operation documents a 404. Where it documents none, a
deleted entity is one never seen again, made anew by any request (the status is one the
operation documents): a second DELETE succeeds, as DELETE may, and a GET generates it again.

Entities live per session. A shared seed set (``seed:``) is visible to every session and copied
on write: a session's change or delete shadows the shared entity for that session only.

No write overwrites another unseen: a create is put-if-absent under an id from the store's
counter, and a change is written conditionally on the version it read, re-read and re-applied
when another request wrote first (``races``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mockmind.domain.errors import EntityExists, VersionConflict
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.memo import BoundedMemo
from mockmind.domain.resources.context import ResourceContext, UnknownIds
from mockmind.domain.resources.fitting import fitted
from mockmind.domain.resources.ids import new_id, next_sequence, typed_id
from mockmind.domain.resources.pages import PAGES_KEPT, KeptPage, Listing, query_key
from mockmind.domain.resources.querying import merge_body, merge_patch, page, same
from mockmind.domain.resources.races import RaceTally, retried
from mockmind.domain.resources.reading import EntityRead, find, makes_unknown, naming, not_found
from mockmind.domain.resources.scope_copies import ScopeCopies
from mockmind.domain.resources.scoped_records import ScopedRecords, note
from mockmind.domain.resources.seeding import computed, generate_entity, seed_shared
from mockmind.domain.resources.specs import (
    META_COLLECTION,
    ResourceAction,
    ResourceSpec,
)
from mockmind.domain.sessions import INTERNAL_SCOPES, SHARED_SCOPE
from mockmind.domain.words import singular
from mockmind.ports.api_description import SchemaResolver
from mockmind.ports.entity_store import EntityRecord, EntityStore

WriteHook = Callable[[ResourceContext, ResourceSpec, dict[str, Any]], None]
"""Called on every entity before it is stored (a state machine's initial state, say)."""

Change = Callable[[dict[str, Any]], dict[str, Any]]
"""What a write does to the entity it read (it may raise a RequestError); run again on a race."""

Check = Callable[[dict[str, Any]], None]
"""A check of the entity as read, before a write changes it (a state machine's, say)."""


# ``Listing(...)`` without its ``__new__`` (a Python function): every list request makes one.
_new_listing = tuple.__new__


class ResourceService:
    def __init__(
        self,
        specs: Mapping[str, ResourceSpec],
        store: EntityStore,
        generator: OfflineGenerator,
        resolve: SchemaResolver,
        *,
        entity_ttl_seconds: float,
        on_write: Sequence[WriteHook] = (),
        on_generate: Sequence[WriteHook] = (),
        races: RaceTally | None = None,
    ) -> None:
        self._resolve = resolve
        # Lost races of this process's writes; the engine counts its session saves here too,
        # so that one tally covers the process (the health route shows it).
        self.races = races or RaceTally()
        self.specs = dict(specs)
        self._by_name: dict[str, ResourceSpec] = {}
        for spec in self.specs.values():
            # Nested and top-level paths of one collection share its entities.
            self._by_name.setdefault(spec.name, spec)
        self._store = store
        self._records = ScopedRecords(store, entity_ttl_seconds)
        # A list request's page, by scope, collection and parent, while the collection's
        # records stay as they were (``ScopedRecords.mark``) and for the query it was made
        # for: listing them again (the session's own over the shared ones), filtering and
        # cutting the page was two thirds of a list request's own work besides its copies.
        self._pages: BoundedMemo[tuple[str, str, str | None], KeptPage] = BoundedMemo(PAGES_KEPT)
        self._generator = generator
        self._ttl = entity_ttl_seconds
        self._on_write = tuple(on_write)
        # Run on an entity made up for an id never seen (before the write hooks).
        self._on_generate = tuple(on_generate)

    def by_name(self, name: str) -> ResourceSpec | None:
        return self._by_name.get(name)

    def adopt(self, specs: Mapping[str, ResourceSpec], limit: int) -> bool:
        """Add resources found after start (schema routes' collections a client made up),
        keeping every known one as it is; False once ``limit`` resources are known, when the
        route is left generated (clients inventing paths cannot grow this without bound)."""
        new = {path: spec for path, spec in specs.items() if path not in self.specs}
        if not new:
            return True
        if len(self.specs) + len(new) > limit:
            return False
        for path, spec in new.items():
            self.specs[path] = spec
            self._by_name.setdefault(spec.name, spec)
        return True

    def context(
        self,
        scope: str,
        now: float,
        state: Mapping[str, Any],
        request_body: Any = None,
        unknown_ids: UnknownIds = "generated_on_read",
        seeds: str | None = None,
    ) -> ResourceContext:
        return ResourceContext(self, scope, now, state, request_body, unknown_ids, seeds)

    def peek(
        self, ctx: ResourceContext, spec: ResourceSpec, entity_id: Any
    ) -> dict[str, Any] | None:
        """The stored entity, without generating one (rules look, they do not create)."""
        if spec.singleton:
            record = self._records.own(ctx, spec, "_")
            return dict(record.data) if record is not None and record.data is not None else None
        record = self._records.get(ctx, spec, str(entity_id))
        return dict(record.data or {}) if record is not None else None

    def all(self, ctx: ResourceContext, spec: ResourceSpec) -> list[dict[str, Any]]:
        return [dict(r.data or {}) for r in self._records.live(ctx, spec)]

    def drop_scope(self, scope: str) -> None:
        """Delete every entity, tombstone and counter of a session's scope."""
        if scope in INTERNAL_SCOPES:
            raise ValueError(f"{scope!r} is no session's scope")
        self._store.drop_scope(scope, [*self._by_name, META_COLLECTION])

    def copies(self) -> ScopeCopies:
        """Whole worlds written into a scope (reset, fork, import), over this store."""
        return ScopeCopies(self._store, list(self._by_name.values()), self._ttl)

    def entities_now(self, ctx: ResourceContext) -> dict[str, dict[str, dict[str, Any]]]:
        """Every entity the scope sees, by collection and id, as stored (a singleton under
        ``_``, without recomputing its computed fields): the world a journal's recorded
        changes are undone from. Collections without an entity are left out."""
        world: dict[str, dict[str, dict[str, Any]]] = {}
        for spec in self._by_name.values():
            if spec.singleton:
                record = self._records.own(ctx, spec, "_")
                if record is not None and record.data is not None:
                    world[spec.name] = {"_": dict(record.data)}
                continue
            records = self._records.live(ctx, spec)
            if records:
                world[spec.name] = {r.id: dict(r.data or {}) for r in records}
        return world

    # -- operations

    def list(
        self, ctx: ResourceContext, action: ResourceAction, query: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], int]:
        """The page of entities the query asks for, and how many match in all."""
        listed = self.listing(ctx, action, query)
        # Copies: the caller's own to change.
        return [dict(entity) for entity in listed.entities], listed.total

    def listing(
        self, ctx: ResourceContext, action: ResourceAction, query: Mapping[str, Any]
    ) -> Listing:
        """``list``, with the records the page was made of."""
        spec = action.spec
        if action.parent_id is not None:
            self._require_parent(ctx, spec, action.parent_id)
        if spec.prefill > 0:
            self._prefill(ctx, spec, action.parent_id)
        # Taken before the records are listed: a write in between changes it, and the page
        # is then kept under the mark before the write, which no later request finds.
        mark = self._records.mark(ctx, spec)
        # A query without values (most lists) is its own key, without the call.
        asked = (query_key(query) if query else ()) if mark is not None else None
        parent = None if action.parent_id is None else str(action.parent_id)
        key = (ctx.scope, spec.name, parent)
        if asked is not None:
            known = self._pages.get(key)
            if known is not None and known[0] == mark and known[1] == asked:
                # Nothing the session sees of the collection has changed since this page
                # was made for the same query: the same page, and what was read.
                ctx.seen[spec.name] = list(known[3])
                return known[2]
        records = self._records.live(ctx, spec)
        if parent is not None:
            records = [r for r in records if r.parent == parent]
        if len(records) < spec.min_items:
            # The document says a list holds at least this many: make the shortfall.
            asked = None  # written now: this page is not kept
            create = ResourceAction(spec, "create", parent_id=action.parent_id)
            records += [
                EntityRecord("", self.create(ctx, create, None), ctx.now())
                for _ in range(spec.min_items - len(records))
            ]
        for name in spec.filters:
            wanted = query.get(name)
            if wanted is not None:
                records = [r for r in records if same((r.data or {}).get(name), wanted)]
        total = len(records)
        offset, limit = page(query) if query else (0, None)
        shown = tuple(records[offset : offset + limit if limit is not None else None])
        listed: Listing = _new_listing(Listing, (shown, [r.data or {} for r in shown], total))
        if asked is not None and mark is not None:
            self._pages.put(key, (mark, asked, listed, tuple(ctx.seen[spec.name])))
        return listed

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

        def attempt() -> dict[str, Any]:
            # A taken id (one a small schema allows few of) is a lost race: the next number.
            seq = self._next_seq(ctx, spec)
            entity_id = self._new_id(ctx, spec, seq)
            content = (
                dict(generated)
                if generated is not None
                else self._generate(spec, f"{ctx.seeds}:{spec.name}:new:{seq}")
            )
            entity = {**merge_body(content, body), **(fixed or {})}
            entity[spec.id_field] = entity_id
            if spec.parent_field and action.parent_id is not None:
                entity[spec.parent_field] = action.parent_id
            for name, expression in spec.on_create.items():
                entity[name] = copy.deepcopy(expression.evaluate(entity, ctx))
            entity = self._finish_write(ctx, spec, entity)
            parent = str(action.parent_id) if action.parent_id is not None else None
            record = EntityRecord(str(entity_id), entity, ctx.now() + seq * 1e-6, parent)
            stored = self._records.write_over(ctx, spec, None, record, None)
            if spec.name in ctx.seen:
                ctx.seen[spec.name].append((stored, stored.version))
            return entity

        entity = retried(attempt, f"a new {singular(spec.name)}", self.races)
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
        create: bool | None = None,
    ) -> dict[str, Any]:
        """The stored entity; one never seen is generated now and stored, so it stays put,
        unless the request's ``unknown_ids`` says it is 404 (``create`` overrides it)."""
        return self.read_or_make(
            ctx, spec, entity_id, parent_id, generated=generated, create=create
        )[0]

    def read_or_make(
        self,
        ctx: ResourceContext,
        spec: ResourceSpec,
        entity_id: Any,
        parent_id: Any = None,
        *,
        generated: Mapping[str, Any] | None = None,
        create: bool | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """``read``, and whether this read made the entity (False: it was stored before)."""
        if spec.singleton:
            return self.singleton_view(ctx, spec, generated), False
        if parent_id is not None:
            self._require_parent(ctx, spec, parent_id)
        made = makes_unknown(ctx, change=False) if create is None else create
        revive = create is None and ctx.unknown_ids == "generated"
        entity, read = retried(
            lambda: self._read(
                ctx, spec, entity_id, parent_id, generated, create=made, revive=revive
            ),
            f"{singular(spec.name)} {entity_id}",
            self.races,
        )
        return entity, read.made

    def _read(
        self,
        ctx: ResourceContext,
        spec: ResourceSpec,
        entity_id: Any,
        parent_id: Any,
        generated: Mapping[str, Any] | None,
        *,
        create: bool,
        revive: bool,
    ) -> tuple[dict[str, Any], EntityRead]:
        """The entity and where it was read; ``EntityExists`` when another request stored the
        never-seen entity first (theirs is then the entity). One never seen is made now, or,
        without ``create``, is 404. A deleted one is 404, unless ``revive`` (with ``create``):
        then it is made anew as if never seen."""
        found = find(self._records, ctx, spec, entity_id, parent_id, create=create, revive=revive)
        key, own, record = found.key, found.own, found.record
        if record is not None:
            return dict(record.data or {}), EntityRead(record, own.version if own else None)
        entity = (
            dict(generated) if generated is not None else self._generate(spec, f"{spec.name}:{key}")
        )
        for hook in self._on_generate:
            hook(ctx, spec, entity)
        entity[spec.id_field] = typed_id(spec, entity_id, self._resolve)
        if spec.parent_field and parent_id is not None:
            entity[spec.parent_field] = parent_id
        entity = self._finish_write(ctx, spec, entity)
        parent = str(parent_id) if parent_id is not None else None
        over = own.version if own is not None else None
        record = EntityRecord(key, entity, ctx.now(), parent)
        stored = self._records.write_over(ctx, spec, over, record, None)
        return entity, EntityRead(stored, stored.version, made=True)

    def write(
        self,
        ctx: ResourceContext,
        action: ResourceAction,
        body: Any,
        *,
        merge: bool,
        check: Check | None = None,
    ) -> dict[str, Any]:
        """PUT (``merge=False``) or PATCH: the body over the entity as it is when written.

        An entity never seen is 404, but for a PUT the API describes as create-or-replace.
        """
        spec = action.spec

        def change(current: dict[str, Any]) -> dict[str, Any]:
            if check is not None:
                check(current)
            entity: dict[str, Any]
            if merge:
                # A PATCH without a merge-patch object (no body, a JSON Patch list, text)
                # leaves the fields as they are: an entity stays an object.
                entity = merge_patch(current, body) if isinstance(body, Mapping) else dict(current)
            else:
                entity = dict(body) if isinstance(body, Mapping) else {}
            if not spec.singleton:
                entity[spec.id_field] = current.get(spec.id_field, action.entity_id)
            if spec.parent_field and spec.parent_field in current:
                entity[spec.parent_field] = current[spec.parent_field]
            return entity

        creates = (not merge and spec.put_creates) or makes_unknown(ctx, change=True)
        return self.update(ctx, action, change, create=creates)

    def update(
        self,
        ctx: ResourceContext,
        action: ResourceAction,
        change: Change,
        *,
        create: bool = False,
    ) -> dict[str, Any]:
        """Read the entity, change it, and write it back unless another request wrote it in
        between; then again from a fresh read (409 when every try lost).

        An entity never seen is 404, unless ``create`` (a create-or-replace PUT) or the
        request's ``unknown_ids`` says it is generated, when the change is made to a new one.
        A singleton always exists.
        """
        create = create or makes_unknown(ctx, change=True)
        revive = ctx.unknown_ids == "generated"
        spec = action.spec
        if action.parent_id is not None and not spec.singleton:
            self._require_parent(ctx, spec, action.parent_id)

        def attempt() -> dict[str, Any]:
            if spec.singleton:
                current, read = self._singleton(ctx, spec)
            else:
                current, read = self._read(
                    ctx,
                    spec,
                    action.entity_id,
                    action.parent_id,
                    None,
                    create=create,
                    revive=revive,
                )
            entity = self._finish_write(ctx, spec, change(dict(current)))
            record = read.record
            self._records.write_over(
                ctx,
                spec,
                read.own_version,
                EntityRecord(record.id, entity, record.created_at, record.parent),
                record.data,
            )
            return entity

        return retried(attempt, naming(spec, action.entity_id), self.races)

    def delete(self, ctx: ResourceContext, action: ResourceAction) -> dict[str, Any]:
        spec = action.spec
        if spec.singleton:
            current, read = retried(
                lambda: self._singleton(ctx, spec), singular(spec.name), self.races
            )
            self._store.delete(ctx.scope, spec.name, "_")
            note(ctx, spec, "_", read.record.data, None)
            for name in spec.clears:
                self.clear(ctx, name)
            return current
        key = str(action.entity_id)

        if action.parent_id is not None:
            self._require_parent(ctx, spec, action.parent_id)
        generates = makes_unknown(ctx, change=True)

        def attempt() -> EntityRecord:
            _, read = self._read(
                ctx,
                spec,
                action.entity_id,
                action.parent_id,
                None,
                create=generates,
                revive=generates and ctx.unknown_ids == "generated",
            )
            record = read.record
            # A tombstone, so a shared entity stays deleted for this session and a GET is 404.
            tombstone = EntityRecord(record.id, None, record.created_at, record.parent)
            self._records.write_over(ctx, spec, read.own_version, tombstone, record.data)
            return record

        deleted = retried(attempt, naming(spec, action.entity_id), self.races)
        for child in self.specs.values():
            if child.parent == spec.name:
                for entity in self._records.live(ctx, child):
                    if entity.parent == key:
                        tombstone = EntityRecord(entity.id, None, 0.0, key)
                        self._records.put(ctx, child, tombstone, entity.data)
        return dict(deleted.data or {})

    def clear(self, ctx: ResourceContext, name: str) -> None:
        """Tombstone the collection's entities: those this request read, as it read them.

        A checkout copies the cart's items into its order, then clears them: an item another
        request added or changed since is not in the order, so it stays in the cart.
        """
        spec = self.by_name(name)
        if spec is None:
            return
        if name not in ctx.seen:
            self._records.live(ctx, spec)
        for record, own_version in ctx.seen.pop(name):
            tombstone = EntityRecord(record.id, None, record.created_at, record.parent)
            try:
                self._records.write_over(ctx, spec, own_version, tombstone, record.data)
            except VersionConflict:
                continue

    def singleton_view(
        self,
        ctx: ResourceContext,
        spec: ResourceSpec,
        generated: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The session's singleton; made now (from ``generated``, if given) when it has none."""
        entity, _ = retried(
            lambda: self._singleton(ctx, spec, generated), singular(spec.name), self.races
        )
        return entity

    def _singleton(
        self,
        ctx: ResourceContext,
        spec: ResourceSpec,
        generated: Mapping[str, Any] | None = None,
    ) -> tuple[dict[str, Any], EntityRead]:
        record = self._records.own(ctx, spec, "_")
        if record is not None and record.data is not None:
            # Computed fields of a singleton read other collections, which change without it.
            return computed(dict(record.data), spec, ctx), EntityRead(record, record.version)
        entity = (
            dict(generated)
            if generated is not None
            else self._generate(spec, f"{ctx.seeds}:{spec.name}")
        )
        entity = self._finish_write(ctx, spec, entity)
        version = record.version if record is not None else None
        # A tombstone read is no entity: the singleton is made anew.
        stored = self._records.write_over(
            ctx, spec, version, EntityRecord("_", entity, ctx.now()), None
        )
        return entity, EntityRead(stored, stored.version)

    def seed_shared(self, now: float) -> None:
        """Write each spec's shared seed set; the same for every session and every restart."""
        ctx = ResourceContext(self, SHARED_SCOPE, now, {})
        seed_shared(
            self._store,
            list(self._by_name.values()),
            ctx,
            self._generator,
            self._resolve,
            lambda spec, seq: new_id(SHARED_SCOPE, spec, seq, self._generator, self._resolve),
        )

    # -- helpers

    def _require_parent(self, ctx: ResourceContext, spec: ResourceSpec, parent_id: Any) -> None:
        parent = self.by_name(spec.parent) if spec.parent else None
        if parent is None:
            return
        if self._records.get(ctx, parent, str(parent_id)) is not None:
            return
        if ctx.unknown_ids != "generated":
            raise not_found(parent, parent_id)
        # Made without a grandparent: its id (/users/{u}/posts/{p}/comments) is not known here.
        retried(
            lambda: self._read(ctx, parent, parent_id, None, None, create=True, revive=True),
            f"{singular(parent.name)} {parent_id}",
            self.races,
        )

    def _prefill(self, ctx: ResourceContext, spec: ResourceSpec, parent_id: Any) -> None:
        if spec.prefill <= 0 or spec.seed or spec.seed_count:
            return
        marker = f"prefilled:{spec.name}:{parent_id}"
        try:
            # Put-if-absent: of two first lists at once, one prefills.
            self._store.put_new(
                ctx.scope,
                META_COLLECTION,
                EntityRecord(marker, {}, ctx.now()),
                now=ctx.now(),
                expires_at=ctx.now() + self._ttl,
            )
        except EntityExists:
            return
        for _ in range(spec.prefill):
            self.create(ctx, ResourceAction(spec, "create", parent_id=parent_id), None)

    def _next_seq(self, ctx: ResourceContext, spec: ResourceSpec) -> int:
        return next_sequence(self._store, ctx.scope, spec, ctx.now(), self._ttl)

    def _new_id(self, ctx: ResourceContext, spec: ResourceSpec, seq: int) -> Any:
        return new_id(ctx.seeds, spec, seq, self._generator, self._resolve)

    def _generate(self, spec: ResourceSpec, seed: str) -> dict[str, Any]:
        return generate_entity(self._generator, spec, seed)

    def _finish_write(
        self, ctx: ResourceContext, spec: ResourceSpec, entity: dict[str, Any]
    ) -> dict[str, Any]:
        entity = fitted(self._generator, spec, entity)
        entity = computed(entity, spec, ctx)
        for hook in self._on_write:
            hook(ctx, spec, entity)
        return entity
