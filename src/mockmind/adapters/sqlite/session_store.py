"""Sessions in SQLite: one row each in ``sessions`` (everything but the history, and the
number of its first interaction), and one row per interaction in ``session_history``.

A request's save then updates its session's row, adds its interaction's row and deletes the
row its history bound drops, rather than rewriting the whole history.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from mockmind.adapters.sqlite.database import SqliteDatabase
from mockmind.domain.errors import VersionConflict
from mockmind.domain.session_listing import SessionPage, SessionQuery, cut
from mockmind.domain.sessions import (
    Session,
    SessionSummary,
    interaction_from_dict,
    interaction_to_dict,
    session_delta,
    session_from_dict,
    session_head_to_dict,
)

_INSERT_INTERACTION = "INSERT INTO session_history (session_id, seq, data) VALUES (?, ?, ?)"


class SqliteSessionStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def get(self, session_id: str, *, now: float) -> Session | None:
        # One statement, so the session and its history are read from one snapshot even while
        # another process saves.
        rows = self._db.query(
            "SELECT s.data, h.data FROM sessions s "
            "LEFT JOIN session_history h ON h.session_id = s.id "
            "WHERE s.id = ? AND s.expires_at > ? ORDER BY h.seq",
            (session_id, now),
        )
        if not rows:
            return None
        history = tuple(interaction_from_dict(json.loads(str(r[1]))) for r in rows if r[1])
        return session_from_dict(json.loads(str(rows[0][0])), history)

    def put(self, session: Session, *, expected_version: int | None) -> Session:
        stored = session.with_version((expected_version or 0) + 1)
        data = _head(stored)
        activity = SessionSummary.of(stored).activity_key
        with self._db.transaction() as conn:
            if expected_version is None:
                # Insert, or take over a row whose session has expired.
                cursor = conn.execute(
                    "INSERT INTO sessions (id, version, expires_at, data, activity) "
                    "VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET version = excluded.version, "
                    "expires_at = excluded.expires_at, data = excluded.data, "
                    "activity = excluded.activity "
                    "WHERE sessions.expires_at <= ?",
                    (
                        stored.id,
                        stored.version,
                        stored.expires_at,
                        data,
                        activity,
                        session.last_seen,
                    ),
                )
            else:
                cursor = _update_row(conn, stored, data, activity, expected_version)
            if cursor.rowcount != 1:
                raise VersionConflict(
                    f"session {session.id} changed since version {expected_version}"
                )
            conn.execute("DELETE FROM session_history WHERE session_id = ?", (stored.id,))
            conn.executemany(
                _INSERT_INTERACTION,
                [
                    (stored.id, stored.history_start + n, _encoded(interaction_to_dict(i)))
                    for n, i in enumerate(stored.history)
                ],
            )
        return stored

    def update(self, session: Session, *, base: Session) -> Session:
        delta = session_delta(base, session)
        if delta is None:
            return self.put(session, expected_version=base.version)
        stored = session.with_version(base.version + 1)
        activity = SessionSummary.of(stored).activity_key
        with self._db.transaction() as conn:
            cursor = _update_row(conn, stored, _head(stored), activity, base.version)
            if cursor.rowcount != 1:
                raise VersionConflict(f"session {session.id} changed since version {base.version}")
            if delta.dropped:
                conn.execute(
                    "DELETE FROM session_history WHERE session_id = ? AND seq < ?",
                    (stored.id, delta.dropped.stop),
                )
            conn.executemany(
                _INSERT_INTERACTION,
                [(stored.id, n, _encoded(interaction_to_dict(i))) for n, i in delta.appended],
            )
        return stored

    def delete(self, session_id: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            conn.execute("DELETE FROM session_history WHERE session_id = ?", (session_id,))

    def list(self, query: SessionQuery, *, now: float) -> SessionPage:
        """Read in activity order from the ``sessions_by_activity`` index, a page at a time."""
        rows = self._db.query(
            "SELECT data FROM sessions WHERE activity >= ? AND activity < ? AND expires_at > ? "
            "AND substr(id, 1, ?) = ? ORDER BY activity DESC LIMIT ?",
            (
                query.lowest,
                query.highest,
                now,
                len(query.prefix),
                query.prefix,
                query.limit + 1,
            ),
        )
        summaries = [SessionSummary.of(session_from_dict(json.loads(str(r[0])), ())) for r in rows]
        return cut(summaries, query.limit)


def _head(session: Session) -> str:
    return _encoded({**session_head_to_dict(session), "history_start": session.history_start})


def _encoded(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))


def _update_row(
    conn: sqlite3.Connection, stored: Session, data: str, activity: str, expected_version: int
) -> sqlite3.Cursor:
    return conn.execute(
        "UPDATE sessions SET version = ?, expires_at = ?, data = ?, activity = ? "
        "WHERE id = ? AND version = ?",
        (stored.version, stored.expires_at, data, activity, stored.id, expected_version),
    )
