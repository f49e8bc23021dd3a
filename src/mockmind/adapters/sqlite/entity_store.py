from __future__ import annotations

import json

from mockmind.adapters.sqlite.database import SqliteDatabase
from mockmind.ports.entity_store import EntityRecord

_LIVE = "(expires_at IS NULL OR expires_at > ?)"


class SqliteEntityStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def get(
        self, scope: str, collection: str, entity_id: str, *, now: float
    ) -> EntityRecord | None:
        rows = self._db.query(
            "SELECT id, data, created_at, parent FROM entities "
            f"WHERE scope = ? AND collection = ? AND id = ? AND {_LIVE}",
            (scope, collection, entity_id, now),
        )
        return _record(rows[0]) if rows else None

    def put(
        self, scope: str, collection: str, record: EntityRecord, *, expires_at: float | None
    ) -> None:
        data = None if record.data is None else json.dumps(record.data, separators=(",", ":"))
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO entities "
                "(scope, collection, id, created_at, expires_at, parent, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (scope, collection, record.id, record.created_at, expires_at, record.parent, data),
            )

    def delete(self, scope: str, collection: str, entity_id: str) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "DELETE FROM entities WHERE scope = ? AND collection = ? AND id = ?",
                (scope, collection, entity_id),
            )

    def list(self, scope: str, collection: str, *, now: float) -> list[EntityRecord]:
        rows = self._db.query(
            "SELECT id, data, created_at, parent FROM entities "
            f"WHERE scope = ? AND collection = ? AND {_LIVE} ORDER BY created_at, id",
            (scope, collection, now),
        )
        return [_record(row) for row in rows]


def _record(row: tuple[object, ...]) -> EntityRecord:
    entity_id, data, created_at, parent = row
    return EntityRecord(
        id=str(entity_id),
        data=None if data is None else json.loads(str(data)),
        created_at=float(str(created_at)),
        parent=None if parent is None else str(parent),
    )
