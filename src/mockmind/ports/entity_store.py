"""Where resources live: entities by scope (a session, or the shared seed set) and collection.

Several processes may share one store (two servers on one SQLite file, Lambda environments on
one table), so no write here is a read followed by a write: a create is put-if-absent, an
update is conditional on the version it read, and a counter is incremented in one step.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import field
from typing import Any, Protocol, runtime_checkable

from mockmind.lean_dataclass import dataclass


@dataclass(frozen=True)
class EntityRecord:
    """One stored entity. ``data`` is None for a tombstone: a shared entity a session deleted.

    ``version`` is the stored copy's, not the entity's: 0 for a record not stored yet (or
    stored before versions existed), and one more on every write. A record read and written
    back carries the version it was read at. Two records of the same content are equal
    whatever their versions.
    """

    id: str
    data: Mapping[str, Any] | None
    created_at: float
    parent: str | None = None
    version: int = field(default=0, compare=False)


class EntityStore(Protocol):
    def get(
        self, scope: str, collection: str, entity_id: str, *, now: float
    ) -> EntityRecord | None: ...

    def put(
        self,
        scope: str,
        collection: str,
        record: EntityRecord,
        *,
        expires_at: float | None,
        expected_version: int | None = None,
    ) -> EntityRecord:
        """Insert or replace; ``expires_at=None`` keeps it forever (the shared seed set).

        With ``expected_version``, only if the stored record (live or expired) is still at
        that version: ``VersionConflict`` when it is not, or is gone. Returns the record as
        stored, its version one more than the version it replaced (1 when there was none).
        """
        ...

    def put_new(
        self,
        scope: str,
        collection: str,
        record: EntityRecord,
        *,
        now: float,
        expires_at: float | None,
    ) -> EntityRecord:
        """Insert a record whose id no live record has (an expired one is replaced).

        ``EntityExists`` when one has it, tombstones included. Returns the record as stored.
        """
        ...

    def delete(self, scope: str, collection: str, entity_id: str) -> None: ...

    def drop_scope(self, scope: str, collections: Collection[str]) -> None:
        """Delete every record and counter of ``scope`` in ``collections``, expired or not
        (a deleted session's). A store that can find a scope's collections itself may drop
        the others too."""
        ...

    def list(self, scope: str, collection: str, *, now: float) -> list[EntityRecord]:
        """Every live record of the collection in this scope, oldest first (by ``created_at``,
        then ``id``): a scope's own records are listed in this order without a sort."""
        ...

    def increment(
        self,
        scope: str,
        collection: str,
        key: str,
        *,
        now: float,
        expires_at: float | None,
        by: int = 1,
    ) -> int:
        """Add ``by`` to a counter and return its new value, in one step for every process.

        A counter that does not exist, or has expired, starts again from 0. A counter is not
        a record (``get`` and ``list`` do not see it); ``expires_at`` moves with each
        increment.
        """
        ...


@runtime_checkable
class MarksListings(Protocol):
    """An optional capability of an entity store: saying, without listing a collection,
    that its live records are still the ones it last listed (a store in process knows; one
    shared by processes would have to ask). A store without it is listed every time."""

    def listing_mark(self, scope: str, collection: str, *, now: float) -> int | None:
        """A number that stays the same while the collection's live records in ``scope`` do,
        and changes with any write or removal there; None when the store cannot vouch for
        them at ``now`` (not listed since its last write, or a record of it has expired)."""
        ...
