from __future__ import annotations

import threading

from mockmind.ports.entity_store import EntityRecord


class MemoryEntityStore:
    def __init__(self) -> None:
        self._items: dict[tuple[str, str], dict[str, tuple[float | None, EntityRecord]]] = {}
        self._lock = threading.Lock()

    def get(
        self, scope: str, collection: str, entity_id: str, *, now: float
    ) -> EntityRecord | None:
        entry = self._items.get((scope, collection), {}).get(entity_id)
        if entry is None or (entry[0] is not None and entry[0] <= now):
            return None
        return entry[1]

    def put(
        self, scope: str, collection: str, record: EntityRecord, *, expires_at: float | None
    ) -> None:
        with self._lock:
            self._items.setdefault((scope, collection), {})[record.id] = (expires_at, record)

    def delete(self, scope: str, collection: str, entity_id: str) -> None:
        with self._lock:
            self._items.get((scope, collection), {}).pop(entity_id, None)

    def list(self, scope: str, collection: str, *, now: float) -> list[EntityRecord]:
        entries = list(self._items.get((scope, collection), {}).values())
        live = [record for expires_at, record in entries if expires_at is None or expires_at > now]
        return sorted(live, key=lambda r: (r.created_at, r.id))
