"""Writing a whole world into a session's scope: a reset to a step, a fork, an import.

A world (``domain/journal.Entities``) is what the session sees: its own entities over the
shared seed set. Written back, it keeps copy-on-write: an entity equal to the shared one is
left to the shared set, one that differs gets the scope's own record, and a shared entity the
world lacks gets a tombstone. Records keep the creation time and parent of the record they
come from (``known``), so lists keep their order; an entity without one (an import) is
stamped in the world's order.

Beside the entities a scope keeps bookkeeping, which the next requests depend on: each
collection's id sequence (an integer id given out again would collide with a copied entity)
and markers such as "this list was prefilled" (without it, a list makes its entities again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from mockmind.domain.resources.specs import META_COLLECTION, ResourceSpec
from mockmind.domain.sessions import SHARED_SCOPE
from mockmind.lean_dataclass import dataclass
from mockmind.ports.entity_store import EntityRecord, EntityStore

# collection -> id -> the scope's own record (tombstones too)
Records = dict[str, dict[str, EntityRecord]]

_SEQUENCE = "seq:"


@dataclass(frozen=True)
class Bookkeeping:
    """A scope's markers (records of the bookkeeping collection, with their creation times)
    and the last number of each collection's id sequence."""

    markers: tuple[EntityRecord, ...] = ()
    sequences: Mapping[str, int] = field(default_factory=dict)

    def until(self, at: float | None) -> Bookkeeping:
        """The markers set by ``at`` (None: none), the sequences as they are: numbers given
        out later are never given again, so no later id collides with a copied one."""
        markers = () if at is None else tuple(m for m in self.markers if m.created_at <= at)
        return Bookkeeping(markers, self.sequences)

    def to_dict(self) -> dict[str, Any]:
        return {
            "markers": [
                {"id": m.id, "created_at": m.created_at, "data": dict(m.data or {})}
                for m in self.markers
            ],
            "sequences": dict(self.sequences),
        }


class ScopeCopies:
    def __init__(self, store: EntityStore, specs: Sequence[ResourceSpec], ttl: float) -> None:
        self._store = store
        self._specs = tuple(specs)
        self._ttl = ttl

    def collections(self) -> frozenset[str]:
        return frozenset(spec.name for spec in self._specs)

    def records(self, scope: str, now: float) -> Records:
        """The scope's own records, tombstones included."""
        return {
            spec.name: {r.id: r for r in self._store.list(scope, spec.name, now=now)}
            for spec in self._specs
        }

    def bookkeeping(self, scope: str, now: float) -> Bookkeeping:
        markers = tuple(
            r for r in self._store.list(scope, META_COLLECTION, now=now) if r.data is not None
        )
        sequences: dict[str, int] = {}
        for spec in self._specs:
            # Adding 0 reads a counter in one step on every store (0 when it has none).
            value = self._store.increment(
                scope,
                META_COLLECTION,
                _SEQUENCE + spec.name,
                now=now,
                expires_at=now + self._ttl,
                by=0,
            )
            if value:
                sequences[spec.name] = value
        return Bookkeeping(markers, sequences)

    def write(
        self,
        scope: str,
        world: Mapping[str, Mapping[str, Mapping[str, Any]]],
        *,
        now: float,
        known: Records,
        bookkeeping: Bookkeeping,
    ) -> None:
        """Make ``world`` the scope's: what the scope held goes first (records, tombstones,
        counters), then the world and the bookkeeping are written."""
        self._store.drop_scope(scope, [*self.collections(), META_COLLECTION])
        expires_at = now + self._ttl
        stamp = 0
        for spec in self._specs:
            wanted = world.get(spec.name, {})
            shared = (
                {}
                if spec.singleton
                else {r.id: r for r in self._store.list(SHARED_SCOPE, spec.name, now=now)}
            )
            for entity_id, data in wanted.items():
                seed = shared.get(entity_id)
                if seed is not None and seed.data == data:
                    continue
                hint = known.get(spec.name, {}).get(entity_id) or seed
                if hint is not None:
                    created_at, parent = hint.created_at, hint.parent
                else:
                    stamp += 1
                    created_at, parent = now + stamp * 1e-6, _parent(spec, data)
                record = EntityRecord(entity_id, dict(data), created_at, parent)
                self._store.put(scope, spec.name, record, expires_at=expires_at)
            for entity_id, seed in shared.items():
                if entity_id not in wanted:
                    tombstone = EntityRecord(entity_id, None, seed.created_at, seed.parent)
                    self._store.put(scope, spec.name, tombstone, expires_at=expires_at)
        for marker in bookkeeping.markers:
            self._store.put(scope, META_COLLECTION, marker, expires_at=expires_at)
        for name, value in bookkeeping.sequences.items():
            self._store.increment(
                scope,
                META_COLLECTION,
                _SEQUENCE + name,
                now=now,
                expires_at=expires_at,
                by=value,
            )


def _parent(spec: ResourceSpec, entity: Mapping[str, Any]) -> str | None:
    """The parent a nested entity names in its parent field (as a create records it)."""
    if spec.parent_field is None:
        return None
    value = entity.get(spec.parent_field)
    return None if value is None else str(value)
