from __future__ import annotations

import threading
from dataclasses import replace

from mockmind.domain.errors import EntityExists, VersionConflict
from mockmind.ports.entity_store import EntityRecord

_Entry = tuple[float | None, EntityRecord]


class MemoryEntityStore:
    """Entities in dicts; every write checks and writes under one lock, as the durable stores
    do in one statement."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], dict[str, _Entry]] = {}
        self._counters: dict[tuple[str, str, str], tuple[float | None, int]] = {}
        self._lock = threading.Lock()

    def get(
        self, scope: str, collection: str, entity_id: str, *, now: float
    ) -> EntityRecord | None:
        entry = self._items.get((scope, collection), {}).get(entity_id)
        if entry is None or not _live(entry[0], now):
            return None
        return entry[1]

    def put(
        self,
        scope: str,
        collection: str,
        record: EntityRecord,
        *,
        expires_at: float | None,
        expected_version: int | None = None,
    ) -> EntityRecord:
        with self._lock:
            items = self._items.setdefault((scope, collection), {})
            current = items.get(record.id)
            version = current[1].version if current is not None else 0
            if expected_version is not None and (current is None or version != expected_version):
                raise VersionConflict(
                    f"{collection} {record.id} changed since version {expected_version}"
                )
            stored = replace(record, version=version + 1)
            items[record.id] = (expires_at, stored)
            return stored

    def put_new(
        self,
        scope: str,
        collection: str,
        record: EntityRecord,
        *,
        now: float,
        expires_at: float | None,
    ) -> EntityRecord:
        with self._lock:
            items = self._items.setdefault((scope, collection), {})
            current = items.get(record.id)
            if current is not None and _live(current[0], now):
                raise EntityExists(f"{collection} {record.id} already exists")
            # One more than an expired record's, so a write still holding its version fails.
            version = current[1].version if current is not None else 0
            stored = replace(record, version=version + 1)
            items[record.id] = (expires_at, stored)
            return stored

    def delete(self, scope: str, collection: str, entity_id: str) -> None:
        with self._lock:
            self._items.get((scope, collection), {}).pop(entity_id, None)

    def list(self, scope: str, collection: str, *, now: float) -> list[EntityRecord]:
        entries = list(self._items.get((scope, collection), {}).values())
        live = [record for expires_at, record in entries if _live(expires_at, now)]
        return sorted(live, key=lambda r: (r.created_at, r.id))

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
        with self._lock:
            current = self._counters.get((scope, collection, key))
            value = (current[1] if current is not None and _live(current[0], now) else 0) + by
            self._counters[(scope, collection, key)] = (expires_at, value)
            return value


def _live(expires_at: float | None, now: float) -> bool:
    return expires_at is None or expires_at > now
