from __future__ import annotations

import json
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mockmind.domain.errors import StoreError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    data TEXT NOT NULL,
    activity TEXT
);
CREATE TABLE IF NOT EXISTS session_history (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
CREATE TABLE IF NOT EXISTS response_cache (
    key TEXT PRIMARY KEY,
    expires_at REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entities (
    scope TEXT NOT NULL,
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL,
    parent TEXT,
    data TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, collection, id)
);
CREATE TABLE IF NOT EXISTS counters (
    scope TEXT NOT NULL,
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    value INTEGER NOT NULL,
    expires_at REAL,
    PRIMARY KEY (scope, collection, key)
);
CREATE TABLE IF NOT EXISTS journal (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
CREATE TABLE IF NOT EXISTS stats (
    hour INTEGER NOT NULL,
    name TEXT NOT NULL,
    value INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (hour, name)
);
CREATE TABLE IF NOT EXISTS day_stats (
    day INTEGER NOT NULL,
    name TEXT NOT NULL,
    value INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (day, name)
);
CREATE INDEX IF NOT EXISTS response_cache_expiry ON response_cache (expires_at);
"""


# How long a write waits for another process's write to finish before it fails. Writes are
# short (a few rows); with `serve --workers N` at most N wait at once, one per process.
_BUSY_TIMEOUT_SECONDS = 5.0


def _enter_wal(conn: sqlite3.Connection) -> None:
    """WAL mode, waiting for connections opening the same file at the same moment.

    Switching a rollback-journal file (a new one, or one written by an older SQLite user) to
    WAL needs its exclusive lock, and SQLite answers "database is locked" at once, without the
    busy handler, when another connection holds a shared lock there: four workers starting on
    one old file saw it about one time in seven. So the switch is tried again until the busy
    timeout has gone; once the file is WAL, the switch is a read and never waits.
    """
    deadline = time.monotonic() + _BUSY_TIMEOUT_SECONDS
    pause = 0.001
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


class SqliteDatabase:
    """One connection shared by the stores, serialised by a lock.

    Several processes may open one file (`serve --workers`, a second server, an inspecting
    CLI): WAL mode lets them read while one writes, every write transaction takes the write
    lock when it begins (``BEGIN IMMEDIATE``, so two never deadlock upgrading a read), and a
    process that finds the lock taken waits up to ``_BUSY_TIMEOUT_SECONDS`` for it.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            # The busy timeout is set at connect, so it covers the journal mode and the schema
            # below too: processes starting together on a new file wait for each other there.
            self._conn = self._connect()
            histories_apart = self._has_table("session_history")
            self._conn.executescript(_SCHEMA)
            self._add_entity_versions()
            self._add_session_activity()
            if not histories_apart:
                self._move_histories_apart()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {self.path}: {exc}") from exc
        self._lock = threading.RLock()
        _OPENED.add(self)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            timeout=_BUSY_TIMEOUT_SECONDS,
            check_same_thread=False,
            isolation_level=None,
        )
        _enter_wal(conn)
        # In WAL mode NORMAL cannot corrupt the file; it syncs at checkpoints instead of on
        # every commit, which took three times as long as the rest of a request (a create
        # commits a counter, an entity and a session). A power cut may lose the last writes.
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def reopen(self) -> None:
        """A connection again after ``close``: in a process forked from this one, which
        closed its own before forking (SQLite's rule: no connection, nor the locks it
        records, may cross a fork; https://sqlite.org/howtocorrupt.html, 2.6)."""
        try:
            conn = self._connect()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {self.path}: {exc}") from exc
        self._conn = conn
        self._lock = threading.RLock()

    def _add_entity_versions(self) -> None:
        """A file written before entities had versions gets the column (every row at 0)."""

        def missing() -> bool:
            columns = self._conn.execute("PRAGMA table_info(entities)").fetchall()
            return "version" not in {str(column[1]) for column in columns}

        if not missing():
            return
        # Checked again inside the write lock: another process may be adding it too.
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            if missing():
                self._conn.execute(
                    "ALTER TABLE entities ADD COLUMN version INTEGER NOT NULL DEFAULT 0"
                )
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _add_session_activity(self) -> None:
        """Sessions get their listing key (``domain/session_listing``) and its index; a file
        from before the key gains the column, its rows' keys worked out from their data as a
        save would write them (a new file has the column from the start)."""

        def missing() -> bool:
            columns = self._conn.execute("PRAGMA table_info(sessions)").fetchall()
            return "activity" not in {str(column[1]) for column in columns}

        if missing():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                if missing():
                    self._conn.execute("ALTER TABLE sessions ADD COLUMN activity TEXT")
                    # micros(): half up, then whole microseconds (times are positive).
                    self._conn.execute(
                        "UPDATE sessions SET activity = printf('%020d', CAST("
                        "json_extract(data, '$.last_seen') * 1000000 + 0.5 AS INTEGER)) "
                        "|| '#' || id"
                    )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        self._conn.execute("CREATE INDEX IF NOT EXISTS sessions_by_activity ON sessions (activity)")

    def _has_table(self, name: str) -> bool:
        found = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return found is not None

    def _move_histories_apart(self) -> None:
        """A file from before sessions kept their interactions one row each
        (``session_history``) has each history inside its session's data: moved out, so a
        save appends a row rather than rewriting the session (``session_store.py``)."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            rows = self._conn.execute(
                "SELECT id, data FROM sessions WHERE json_array_length(data, '$.history') > 0"
            ).fetchall()
            for session_id, data in rows:
                document = json.loads(str(data))
                history = document.pop("history")
                start = int(document.get("history_start", 0))
                self._conn.executemany(
                    "INSERT OR REPLACE INTO session_history (session_id, seq, data) "
                    "VALUES (?, ?, ?)",
                    [
                        (session_id, start + n, json.dumps(i, separators=(",", ":")))
                        for n, i in enumerate(history)
                    ],
                )
                self._conn.execute(
                    "UPDATE sessions SET data = ? WHERE id = ?",
                    (json.dumps(document, separators=(",", ":")), session_id),
                )
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite error on {self.path}: {exc}") from exc

    def query(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        with self._lock:
            try:
                return list(self._conn.execute(sql, params).fetchall())
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite error on {self.path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()


_OPENED: weakref.WeakSet[SqliteDatabase] = weakref.WeakSet()


def close_databases() -> int:
    """Every database still in use closed, before this process forks workers; how many."""
    databases = list(_OPENED)
    for database in databases:
        database.close()
    return len(databases)


def reopen_databases() -> int:
    """In a worker forked after ``close_databases``: each opened again; how many."""
    databases = list(_OPENED)
    for database in databases:
        database.reopen()
    return len(databases)
