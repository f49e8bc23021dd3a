"""Hourly request counters in the SQLite file: one row per hour and counter name."""

from __future__ import annotations

from collections.abc import Mapping

from mockmind.adapters.sqlite.database import SqliteDatabase


class SqliteStatsCounter:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db
        # The hour this process last purged expired rows in: once an hour, not per request.
        self._purged: int | None = None

    def add(self, hour: int, counts: Mapping[str, int], *, expires_at: float) -> None:
        rows = [(hour, name, value, expires_at) for name, value in counts.items()]
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO stats (hour, name, value, expires_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (hour, name) DO UPDATE SET value = value + excluded.value,"
                " expires_at = MAX(expires_at, excluded.expires_at)",
                rows,
            )
            if self._purged != hour:
                conn.execute("DELETE FROM stats WHERE expires_at <= ?", (hour * 3600,))
                self._purged = hour

    def read(self, first: int, last: int, *, now: float) -> dict[int, dict[str, int]]:
        rows = self._db.query(
            "SELECT hour, name, value FROM stats"
            " WHERE hour BETWEEN ? AND ? AND expires_at > ? ORDER BY hour, name",
            (first, last, now),
        )
        found: dict[int, dict[str, int]] = {}
        for hour, name, value in rows:
            found.setdefault(int(str(hour)), {})[str(name)] = int(str(value))
        return found
