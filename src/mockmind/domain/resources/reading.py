"""The read path: where the entity a request names is, for the session, and when it is 404.

The session's own record comes first, then the shared seed set's. A tombstone (the session
deleted it) is 404, unless the request revives deleted ids, when it is as if never seen. The
same id under another parent is 404 too, or, where ids never seen are read through, another
entity kept under a key of its own. What an id never seen stands for is the request's
(``ResourceContext.unknown_ids``).
"""

from __future__ import annotations

from typing import Any

from mockmind.domain.errors import RequestError
from mockmind.domain.resources.context import ResourceContext
from mockmind.domain.resources.scoped_records import ScopedRecords
from mockmind.domain.resources.specs import ResourceSpec
from mockmind.domain.words import singular
from mockmind.lean_dataclass import dataclass
from mockmind.ports.entity_store import EntityRecord


@dataclass(frozen=True)
class Found:
    """Where an entity is for the session: the key it is (or is to be made) under, the
    session's own record there (a tombstone when a deleted id is revived; None: it has none),
    and the live record read (None: there is none, the entity is to be made)."""

    key: str
    own: EntityRecord | None
    record: EntityRecord | None


@dataclass(frozen=True)
class EntityRead:
    """Where an entity was read: its record, and the version of the session's own record
    (None when there was none: the entity is a shared one, or new)."""

    record: EntityRecord
    own_version: int | None
    # This read made the entity: it was never seen before.
    made: bool = False


def find(
    records: ScopedRecords,
    ctx: ResourceContext,
    spec: ResourceSpec,
    entity_id: Any,
    parent_id: Any,
    *,
    create: bool,
    revive: bool,
) -> Found:
    """The entity of ``spec`` under ``entity_id`` (and ``parent_id``, when given) for the
    session. A deleted one, or one under another parent, is 404 unless ``revive`` (with
    ``create``); one never seen is 404 without ``create``."""
    key = str(entity_id)
    own = records.own(ctx, spec, key)
    deleted = own is not None and own.data is None
    if deleted and not (create and revive):
        raise not_found(spec, entity_id)
    record = None if deleted else own or records.shared(ctx, spec, key)
    if record is not None and parent_id is not None and record.parent not in (None, str(parent_id)):
        if not (create and revive):
            raise not_found(spec, entity_id)
        # The same id under another parent (a slug: ``guides`` in two branches), where ids
        # never seen are read through: another entity, kept under a key of its own.
        key = f"{parent_id}/{key}"
        own = records.own(ctx, spec, key)
        deleted = own is not None and own.data is None
        record = None if deleted else own or records.shared(ctx, spec, key)
    if record is None and not create:
        raise not_found(spec, entity_id)
    return Found(key, own, record)


def makes_unknown(ctx: ResourceContext, *, change: bool) -> bool:
    """Whether an id never seen is made now, for a read or for a change (or delete)."""
    if ctx.unknown_ids == "generated_on_read":
        return not change
    return ctx.unknown_ids == "generated"


def naming(spec: ResourceSpec, entity_id: Any) -> str:
    """The entity as an error names it: ``order 7``, or ``cart`` for a singleton."""
    return singular(spec.name) if spec.singleton else f"{singular(spec.name)} {entity_id}"


def not_found(spec: ResourceSpec, entity_id: Any) -> RequestError:
    return RequestError(404, "Not Found", f"{singular(spec.name)} {entity_id} does not exist")
