"""A session's entity records over the shared seed set, copy-on-write.

A session sees its own records and, where it has none, the shared scope's. A write always goes
to the session's scope: a change of a shared entity becomes the session's own copy, a delete
its tombstone (a record without data), which shadows the shared entity for that session only.
Every write is noted in the request's journal of changes, as the session saw it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockmind.domain.journal import EntityChange
from mockmind.domain.resources.context import ResourceContext
from mockmind.domain.resources.specs import ResourceSpec
from mockmind.domain.sessions import SHARED_SCOPE
from mockmind.ports.entity_store import EntityRecord, EntityStore, MarksListings


class ScopedRecords:
    def __init__(self, store: EntityStore, ttl_seconds: float) -> None:
        self.store = store
        self.ttl = ttl_seconds
        self._marks = store if isinstance(store, MarksListings) else None

    def mark(self, ctx: ResourceContext, spec: ResourceSpec) -> tuple[int, int] | None:
        """What the store says of the collection the session sees (its own records and the
        shared ones): the same pair while neither changes; None when it cannot tell."""
        marks = self._marks
        if marks is None:
            return None
        now = ctx.now()
        own = marks.listing_mark(ctx.scope, spec.name, now=now)
        shared = marks.listing_mark(SHARED_SCOPE, spec.name, now=now)
        return None if own is None or shared is None else (own, shared)

    def own(self, ctx: ResourceContext, spec: ResourceSpec, key: str) -> EntityRecord | None:
        """The session's own record, tombstones included."""
        return self.store.get(ctx.scope, spec.name, key, now=ctx.now())

    def shared(self, ctx: ResourceContext, spec: ResourceSpec, key: str) -> EntityRecord | None:
        record = self.store.get(SHARED_SCOPE, spec.name, key, now=ctx.now())
        return record if record is not None and record.data is not None else None

    def get(self, ctx: ResourceContext, spec: ResourceSpec, entity_id: str) -> EntityRecord | None:
        """The live record the session sees under the id: its own, else the shared one."""
        record = self.own(ctx, spec, entity_id)
        if record is None:
            return self.shared(ctx, spec, entity_id)
        return record if record.data is not None else None

    def put(
        self,
        ctx: ResourceContext,
        spec: ResourceSpec,
        record: EntityRecord,
        before: Mapping[str, Any] | None,
    ) -> None:
        """Write ``record`` in the session's scope whatever is there."""
        self.store.put(ctx.scope, spec.name, record, expires_at=ctx.now() + self.ttl)
        note(ctx, spec, record.id, before, record.data)

    def write_over(
        self,
        ctx: ResourceContext,
        spec: ResourceSpec,
        own_version: int | None,
        record: EntityRecord,
        before: Mapping[str, Any] | None,
    ) -> EntityRecord:
        """Write ``record`` in the session's scope over what was read there: its own record
        at ``own_version``, or none (a shared entity, or a new one). ``VersionConflict`` when
        another write came between. ``before`` is the entity as read (None: there was none),
        for the request's journal of changes."""
        expires_at = ctx.now() + self.ttl
        if own_version is None:
            stored = self.store.put_new(
                ctx.scope, spec.name, record, now=ctx.now(), expires_at=expires_at
            )
        else:
            stored = self.store.put(
                ctx.scope, spec.name, record, expires_at=expires_at, expected_version=own_version
            )
        note(ctx, spec, record.id, before, record.data)
        return stored

    def live(self, ctx: ResourceContext, spec: ResourceSpec) -> list[EntityRecord]:
        """The collection's live records the session sees, oldest first; noted in the
        request's ``seen`` with the version of the session's own record read (None: shared)."""
        now = ctx.now()
        own = self.store.list(ctx.scope, spec.name, now=now)
        shared = self.store.list(SHARED_SCOPE, spec.name, now=now)
        if shared and not own:
            # Nothing of the session's own (most sessions, for a seeded catalogue): the shared
            # records as they are, oldest first as the store lists them, none to merge or sort.
            live = [r for r in shared if r.data is not None]
            ctx.seen[spec.name] = [(r, None) for r in live]
            return live
        if shared:
            own_ids = {r.id for r in own}
            merged = [r for r in shared if r.id not in own_ids]
            merged += own
            if own:
                merged.sort(key=_age)
            live = [r for r in merged if r.data is not None]
            ctx.seen[spec.name] = [(r, r.version if r.id in own_ids else None) for r in live]
            return live
        # Each store lists oldest first, ties by id (the port's order): the session's own
        # records alone need no merge nor sort, which were a tenth of a list request.
        live = [r for r in own if r.data is not None]
        ctx.seen[spec.name] = [(r, r.version) for r in live]
        return live


def _age(record: EntityRecord) -> tuple[float, str]:
    return (record.created_at, record.id)


def note(
    ctx: ResourceContext,
    spec: ResourceSpec,
    key: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> None:
    """Record a write in the request's journal of changes, when something records them."""
    if ctx.changes is not None:
        ctx.changes.append(
            EntityChange(
                spec.name,
                key,
                None if before is None else dict(before),
                None if after is None else dict(after),
            )
        )
