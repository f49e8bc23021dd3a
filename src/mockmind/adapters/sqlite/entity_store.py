"""Entities in one SQLite table. Every write is one statement in a ``BEGIN IMMEDIATE``
transaction, its condition in its ``WHERE`` clause and its new version from ``RETURNING``, so
two processes on one file cannot both pass a check before either writes."""

from __future__ import annotations

import json
from collections.abc import Collection

from mockmind.adapters.sqlite.database import SqliteDatabase
from mockmind.domain.errors import EntityExists, VersionConflict
from mockmind.ports.entity_store import EntityRecord

_LIVE = "(expires_at IS NULL OR expires_at > ?)"
_COLUMNS = "id, data, created_at, parent, version"
_INSERT = (
    "INSERT INTO entities (scope, collection, id, created_at, expires_at, parent, data, version) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, 1) "
    "ON CONFLICT (scope, collection, id) DO UPDATE SET created_at = excluded.created_at, "
    "expires_at = excluded.expires_at, parent = excluded.parent, data = excluded.data, "
    "version = entities.version + 1"
)


class SqliteEntityStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def get(
        self, scope: str, collection: str, entity_id: str, *, now: float
    ) -> EntityRecord | None:
        rows = self._db.query(
            f"SELECT {_COLUMNS} FROM entities "
            f"WHERE scope = ? AND collection = ? AND id = ? AND {_LIVE}",
            (scope, collection, entity_id, now),
        )
        return _record(rows[0]) if rows else None

    def put(
        self,
        scope: str,
        collection: str,
        record: EntityRecord,
        *,
        expires_at: float | None,
        expected_version: int | None = None,
    ) -> EntityRecord:
        data = _data(record)
        with self._db.transaction() as conn:
            if expected_version is None:
                rows = conn.execute(
                    _INSERT + " RETURNING version",
                    (*_row(scope, collection, record, expires_at), data),
                ).fetchall()
            else:
                rows = conn.execute(
                    "UPDATE entities SET created_at = ?, expires_at = ?, parent = ?, data = ?, "
                    "version = version + 1 "
                    "WHERE scope = ? AND collection = ? AND id = ? AND version = ? "
                    "RETURNING version",
                    (
                        *(record.created_at, expires_at, record.parent, data),
                        *(scope, collection, record.id, expected_version),
                    ),
                ).fetchall()
        if not rows:
            raise VersionConflict(
                f"{collection} {record.id} changed since version {expected_version}"
            )
        return _stored(record, rows[0])

    def put_new(
        self,
        scope: str,
        collection: str,
        record: EntityRecord,
        *,
        now: float,
        expires_at: float | None,
    ) -> EntityRecord:
        with self._db.transaction() as conn:
            # An expired row is taken over; a live one makes the upsert a no-op, and no row.
            rows = conn.execute(
                _INSERT + " WHERE entities.expires_at IS NOT NULL AND entities.expires_at <= ? "
                "RETURNING version",
                (*_row(scope, collection, record, expires_at), _data(record), now),
            ).fetchall()
        if not rows:
            raise EntityExists(f"{collection} {record.id} already exists")
        return _stored(record, rows[0])

    def delete(self, scope: str, collection: str, entity_id: str) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "DELETE FROM entities WHERE scope = ? AND collection = ? AND id = ?",
                (scope, collection, entity_id),
            )

    def drop_scope(self, scope: str, collections: Collection[str] = ()) -> None:
        """Every record and counter of ``scope``, in whatever collection (rows say their
        scope)."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM entities WHERE scope = ?", (scope,))
            conn.execute("DELETE FROM counters WHERE scope = ?", (scope,))

    def list(self, scope: str, collection: str, *, now: float) -> list[EntityRecord]:
        rows = self._db.query(
            f"SELECT {_COLUMNS} FROM entities "
            f"WHERE scope = ? AND collection = ? AND {_LIVE} ORDER BY created_at, id",
            (scope, collection, now),
        )
        return [_record(row) for row in rows]

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
        with self._db.transaction() as conn:
            rows = conn.execute(
                "INSERT INTO counters (scope, collection, key, value, expires_at) "
                "VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (scope, collection, key) DO UPDATE SET "
                "value = CASE WHEN counters.expires_at IS NOT NULL AND counters.expires_at <= ? "
                "THEN 0 ELSE counters.value END + excluded.value, "
                "expires_at = excluded.expires_at "
                "RETURNING value",
                (scope, collection, key, by, expires_at, now),
            ).fetchall()
        return int(str(rows[0][0]))


def _row(
    scope: str, collection: str, record: EntityRecord, expires_at: float | None
) -> tuple[object, ...]:
    """The first parameters of ``_INSERT``; ``data`` follows."""
    return (scope, collection, record.id, record.created_at, expires_at, record.parent)


def _data(record: EntityRecord) -> str | None:
    return None if record.data is None else json.dumps(record.data, separators=(",", ":"))


def _stored(record: EntityRecord, row: tuple[object, ...]) -> EntityRecord:
    return EntityRecord(record.id, record.data, record.created_at, record.parent, int(str(row[0])))


def _record(row: tuple[object, ...]) -> EntityRecord:
    entity_id, data, created_at, parent, version = row
    return EntityRecord(
        id=str(entity_id),
        data=None if data is None else json.loads(str(data)),
        created_at=float(str(created_at)),
        parent=None if parent is None else str(parent),
        version=int(str(version)),
    )
