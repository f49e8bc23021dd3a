"""A SQLite file written before sessions were listed or counted their requests: opened, its
sessions gain their listing key (from their data) and count 0 requests."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from mockmind.adapters.sqlite import SqliteDatabase, SqliteSessionStore
from mockmind.domain.session_listing import SessionQuery
from mockmind.domain.sessions import SessionSummary

# The sessions table as it was before the listing, and a session saved then (no "requests").
_OLD_SESSIONS = """
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    data TEXT NOT NULL
);
"""
_OLD = {
    "id": "old-1",
    "created_at": 900.0,
    "last_seen": 1000.5,
    "expires_at": 5000.0,
    "version": 3,
    "authenticated": True,
    "state": {},
    "history": [],
}


def test_an_old_file_lists_its_sessions(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(_OLD_SESSIONS)
        conn.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?)", ("old-1", 3, 5000.0, json.dumps(_OLD))
        )
    conn.close()

    db = SqliteDatabase(path)
    try:
        store = SqliteSessionStore(db)
        page = store.list(SessionQuery(), now=1001.0)
        assert page.sessions == (SessionSummary("old-1", 900.0, 1000.5, 5000.0, 0, True),)
        assert page.next_cursor is None
        loaded = store.get("old-1", now=1001.0)
        assert loaded is not None
        assert (loaded.requests, loaded.version) == (0, 3)
        rows = db.query("SELECT activity FROM sessions", ())
        assert rows == [("00000000001000500000#old-1",)]
    finally:
        db.close()
    # Opened again, nothing is added twice.
    SqliteDatabase(path).close()


def test_an_old_files_histories_move_to_a_row_per_interaction(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    interactions = [
        {"at": 1000.0 + n, "method": "GET", "path": f"/p/{n}", "status": 200} for n in range(3)
    ]
    with sqlite3.connect(path) as conn:
        conn.executescript(_OLD_SESSIONS)
        conn.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?)",
            ("old-1", 3, 5000.0, json.dumps({**_OLD, "history": interactions})),
        )
    conn.close()

    db = SqliteDatabase(path)
    try:
        store = SqliteSessionStore(db)
        loaded = store.get("old-1", now=1001.0)
        assert loaded is not None
        assert [i.path for i in loaded.history] == ["/p/0", "/p/1", "/p/2"]
        assert loaded.history_start == 0
        data = db.query("SELECT data FROM sessions", ())[0][0]
        assert "history" not in json.loads(str(data))
        rows = db.query("SELECT session_id, seq FROM session_history ORDER BY seq", ())
        assert rows == [("old-1", 0), ("old-1", 1), ("old-1", 2)]
    finally:
        db.close()
    reopened = SqliteDatabase(path)
    try:
        again = SqliteSessionStore(reopened).get("old-1", now=1001.0)
        assert again == loaded
    finally:
        reopened.close()
