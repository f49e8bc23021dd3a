"""Journals in the SQLite file: one row per event, keyed by session and step."""

from __future__ import annotations

import json

from mockmind.adapters.sqlite.database import SqliteDatabase
from mockmind.domain.journal import JournalEvent, JournalPage


class SqliteJournal:
    def __init__(self, db: SqliteDatabase, *, max_events: int) -> None:
        if max_events < 1:
            raise ValueError(f"max_events must be at least 1, not {max_events}")
        self._db = db
        self.max_events = max_events

    def append(self, session_id: str, event: JournalEvent, *, expires_at: float) -> bool:
        data = json.dumps(event.to_dict(), separators=(",", ":"), ensure_ascii=False)
        with self._db.transaction() as conn:
            added = conn.execute(
                "INSERT OR IGNORE INTO journal (session_id, seq, expires_at, data)"
                " VALUES (?, ?, ?, ?)",
                (session_id, event.seq, expires_at, data),
            ).rowcount
            if not added:
                return False
            # The session's kept events live as long as its newest: they go with the session.
            conn.execute(
                "UPDATE journal SET expires_at = ? WHERE session_id = ? AND expires_at < ?",
                (expires_at, session_id, expires_at),
            )
            conn.execute(
                "DELETE FROM journal WHERE session_id = ? AND seq <= "
                "(SELECT MAX(seq) FROM journal WHERE session_id = ?) - ?",
                (session_id, session_id, self.max_events),
            )
            return True

    def read(
        self, session_id: str, *, now: float, after: int = 0, limit: int | None = None
    ) -> JournalPage:
        first = self._db.query(
            "SELECT MIN(seq) FROM journal WHERE session_id = ? AND expires_at > ?",
            (session_id, now),
        )
        first_seq = first[0][0] if first else None
        if first_seq is None:
            return JournalPage((), 0)
        rows = self._db.query(
            "SELECT data FROM journal WHERE session_id = ? AND seq > ? AND expires_at > ?"
            " ORDER BY seq LIMIT ?",
            (session_id, after, now, -1 if limit is None else limit),
        )
        events = tuple(JournalEvent.from_dict(json.loads(str(row[0]))) for row in rows)
        return JournalPage(events, int(str(first_seq)) - 1)

    def delete(self, session_id: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM journal WHERE session_id = ?", (session_id,))

    def purge_expired(self, *, now: float) -> int:
        with self._db.transaction() as conn:
            return conn.execute("DELETE FROM journal WHERE expires_at <= ?", (now,)).rowcount
