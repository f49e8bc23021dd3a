"""Request counters in the SQLite file: one row per hour (``stats``) or day (``day_stats``, the
quotas') and counter name."""

from __future__ import annotations

from collections.abc import Mapping

from mockmind.adapters.sqlite.database import SqliteDatabase


class SqliteStatsCounter:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db
        # The hour this process last purged expired rows in: once an hour, not per request.
        self._purged: int | None = None
        self._purged_day: int | None = None

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

    def add_to_day(
        self, day: int, counts: Mapping[str, int], *, expires_at: float
    ) -> dict[str, int]:
        rows = [(day, name, value, expires_at) for name, value in counts.items()]
        # One write transaction (BEGIN IMMEDIATE): no other process adds between this add and
        # the read of the totals it left.
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO day_stats (day, name, value, expires_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (day, name) DO UPDATE SET value = value + excluded.value,"
                " expires_at = MAX(expires_at, excluded.expires_at)",
                rows,
            )
            if self._purged_day != day:
                conn.execute("DELETE FROM day_stats WHERE expires_at <= ?", (day * 86_400,))
                self._purged_day = day
            found = conn.execute(
                "SELECT name, value FROM day_stats WHERE day = ?", (day,)
            ).fetchall()
        return {str(name): int(value) for name, value in found}

    def read_day(self, day: int, *, now: float) -> dict[str, int]:
        rows = self._db.query(
            "SELECT name, value FROM day_stats WHERE day = ? AND expires_at > ?", (day, now)
        )
        return {str(name): int(str(value)) for name, value in rows}
