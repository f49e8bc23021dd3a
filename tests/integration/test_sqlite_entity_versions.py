"""A SQLite file written before entities had versions: opened, it gains them, and keeps its data."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from mockmind.adapters.sqlite import SqliteDatabase, SqliteEntityStore
from mockmind.domain.errors import VersionConflict
from mockmind.ports import EntityRecord

# The entities table as it was before versions.
_OLD_ENTITIES = """
CREATE TABLE entities (
    scope TEXT NOT NULL,
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL,
    parent TEXT,
    data TEXT,
    PRIMARY KEY (scope, collection, id)
);
INSERT INTO entities VALUES ('s1', 'orders', 'o', 1.0, NULL, NULL, '{"status": "placed"}');
"""


def _old_file(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.executescript(_OLD_ENTITIES)
    conn.close()


def test_an_old_file_gains_versions_and_keeps_its_entities(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_file(path)
    db = SqliteDatabase(path)
    store = SqliteEntityStore(db)
    read = store.get("s1", "orders", "o", now=0.0)
    assert read == EntityRecord("o", {"status": "placed"}, 1.0)
    assert read is not None
    assert read.version == 0
    changed = EntityRecord("o", {"status": "paid"}, 1.0)
    assert store.put("s1", "orders", changed, expires_at=None, expected_version=0).version == 1
    with pytest.raises(VersionConflict):
        store.put("s1", "orders", changed, expires_at=None, expected_version=0)
    db.close()


def _open_at_once(path: Path, connections: int) -> tuple[int, list[BaseException]]:
    opened: list[SqliteDatabase] = []
    failures: list[BaseException] = []
    start = threading.Barrier(connections)

    def open_it() -> None:
        start.wait()
        try:
            opened.append(SqliteDatabase(path))
        except BaseException as exc:  # re-raised below
            failures.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for db in opened:
        db.close()
    return len(opened), failures


def test_connections_opening_an_old_file_at_once_all_start(tmp_path: Path) -> None:
    # Switching an old file to WAL is refused at once ("database is locked") to a connection
    # that finds another one's shared lock there; it happened about one round in seven, so
    # twenty rounds make the race all but certain to show.
    for round_number in range(20):
        path = tmp_path / f"old-{round_number}.db"
        _old_file(path)
        assert _open_at_once(path, 4) == (4, [])
