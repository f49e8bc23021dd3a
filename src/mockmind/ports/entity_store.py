"""Where resources live: entities by scope (a session, or the shared seed set) and collection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class EntityRecord:
    """One stored entity. ``data`` is None for a tombstone: a shared entity a session deleted."""

    id: str
    data: Mapping[str, Any] | None
    created_at: float
    parent: str | None = None


class EntityStore(Protocol):
    def get(
        self, scope: str, collection: str, entity_id: str, *, now: float
    ) -> EntityRecord | None: ...

    def put(
        self, scope: str, collection: str, record: EntityRecord, *, expires_at: float | None
    ) -> None:
        """Insert or replace; ``expires_at=None`` keeps it forever (the shared seed set)."""
        ...

    def delete(self, scope: str, collection: str, entity_id: str) -> None: ...

    def list(self, scope: str, collection: str, *, now: float) -> list[EntityRecord]:
        """Every live record of the collection in this scope, oldest first."""
        ...
