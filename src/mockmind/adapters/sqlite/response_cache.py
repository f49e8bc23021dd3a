from __future__ import annotations

import json

from mockmind.adapters.sqlite.database import SqliteDatabase
from mockmind.ports.response_cache import CachedResponse


class SqliteResponseCache:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    def get(self, key: str, *, now: float) -> CachedResponse | None:
        rows = self._db.query(
            "SELECT data FROM response_cache WHERE key = ? AND expires_at > ?", (key, now)
        )
        if not rows:
            return None
        data = json.loads(str(rows[0][0]))
        return CachedResponse.from_dict(data)

    def put(
        self,
        key: str,
        response: CachedResponse,
        *,
        expires_at: float,
        session_id: str | None = None,
    ) -> None:
        # An entry lives until its expiry here; ``session_id`` matters only to a store that
        # frees a session's data when the session ends (the memory one).
        data = json.dumps(
            response.to_dict(),
            separators=(",", ":"),
        )
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO response_cache (key, expires_at, data) VALUES (?, ?, ?)",
                (key, expires_at, data),
            )

    def purge_expired(self, *, now: float) -> int:
        with self._db.transaction() as conn:
            return conn.execute("DELETE FROM response_cache WHERE expires_at <= ?", (now,)).rowcount
