"""Request counters in process: a dict of hours and one of days, the expired ones dropped as
hours and days pass."""

from __future__ import annotations

import threading
from collections.abc import Mapping


class MemoryStatsCounter:
    def __init__(self) -> None:
        self._hours: dict[int, dict[str, int]] = {}
        self._expires: dict[int, float] = {}
        self._days: dict[int, dict[str, int]] = {}
        self._day_expires: dict[int, float] = {}
        self._lock = threading.Lock()

    def add(self, hour: int, counts: Mapping[str, int], *, expires_at: float) -> None:
        # acquire and release rather than ``with``: a third of the cost, on every request.
        lock = self._lock
        lock.acquire()
        try:
            bucket = self._hours.get(hour)
            if bucket is None:
                # A new hour: the time to drop the buckets that expired (at most one an hour).
                bucket = self._hours[hour] = {}
                self._drop_expired(hour)
            # By name, not ``items()``: the counts of most requests are a read-only proxy,
            # whose ``items`` is a method looked up and called on the dict it wraps.
            for name in counts:
                bucket[name] = bucket.get(name, 0) + counts[name]
            # Written only when it grows (every request of the hour brings the same one).
            kept = self._expires.get(hour)
            if kept is None or expires_at > kept:
                self._expires[hour] = expires_at
        finally:
            lock.release()

    def read(self, first: int, last: int, *, now: float) -> dict[int, dict[str, int]]:
        with self._lock:
            return {
                hour: dict(bucket)
                for hour, bucket in self._hours.items()
                if first <= hour <= last and self._expires.get(hour, now) > now
            }

    def add_to_day(
        self, day: int, counts: Mapping[str, int], *, expires_at: float
    ) -> dict[str, int]:
        with self._lock:
            bucket = self._days.get(day)
            if bucket is None:
                bucket = self._days[day] = {}
                # A new day: the expired days go (their expiry is past the new day's start).
                start = day * 86_400
                for old in [d for d, until in self._day_expires.items() if until <= start]:
                    self._days.pop(old, None)
                    self._day_expires.pop(old, None)
            for name, value in counts.items():
                bucket[name] = bucket.get(name, 0) + value
            self._day_expires[day] = max(expires_at, self._day_expires.get(day, expires_at))
            return dict(bucket)

    def read_day(self, day: int, *, now: float) -> dict[str, int]:
        with self._lock:
            bucket = self._days.get(day)
            if bucket is None or self._day_expires.get(day, now) <= now:
                return {}
            return dict(bucket)

    def _drop_expired(self, current: int) -> None:
        # Expiry is a time; an hour bucket's expiry is after its hour ends, so comparing it with
        # the start of the hour being added is enough (and needs no clock here).
        start = current * 3600
        for hour in [h for h, until in self._expires.items() if until <= start]:
            self._hours.pop(hour, None)
            self._expires.pop(hour, None)
