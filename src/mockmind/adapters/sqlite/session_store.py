from __future__ import annotations

import json

from mockmind.adapters.sqlite.database import SqliteDatabase
from mockmind.domain.errors import VersionConflict
from mockmind.domain.session_listing import SessionPage, SessionQuery, cut
from mockmind.domain.sessions import (
    Session,
    SessionSummary,
    session_from_dict,
    session_to_dict,
)


class SqliteSessionStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def get(self, session_id: str, *, now: float) -> Session | None:
        rows = self._db.query(
            "SELECT data FROM sessions WHERE id = ? AND expires_at > ?", (session_id, now)
        )
        if not rows:
            return None
        return session_from_dict(json.loads(str(rows[0][0])))

    def put(self, session: Session, *, expected_version: int | None) -> Session:
        stored = session.with_version((expected_version or 0) + 1)
        data = json.dumps(session_to_dict(stored), separators=(",", ":"))
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
                cursor = conn.execute(
                    "UPDATE sessions SET version = ?, expires_at = ?, data = ?, activity = ? "
                    "WHERE id = ? AND version = ?",
                    (
                        stored.version,
                        stored.expires_at,
                        data,
                        activity,
                        stored.id,
                        expected_version,
                    ),
                )
            if cursor.rowcount != 1:
                raise VersionConflict(
                    f"session {session.id} changed since version {expected_version}"
                )
        return stored

    def delete(self, session_id: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

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
        summaries = [SessionSummary.of(session_from_dict(json.loads(str(r[0])))) for r in rows]
        return cut(summaries, query.limit)
