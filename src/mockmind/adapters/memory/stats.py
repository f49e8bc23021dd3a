"""Hourly request counters in process: a dict of hours, the expired ones dropped as hours pass."""

from __future__ import annotations

import threading
from collections.abc import Mapping


class MemoryStatsCounter:
    def __init__(self) -> None:
        self._hours: dict[int, dict[str, int]] = {}
        self._expires: dict[int, float] = {}
        self._lock = threading.Lock()

    def add(self, hour: int, counts: Mapping[str, int], *, expires_at: float) -> None:
        with self._lock:
            bucket = self._hours.get(hour)
            if bucket is None:
                # A new hour: the time to drop the buckets that expired (at most one an hour).
                bucket = self._hours[hour] = {}
                self._drop_expired(hour)
            for name, value in counts.items():
                bucket[name] = bucket.get(name, 0) + value
            self._expires[hour] = max(expires_at, self._expires.get(hour, expires_at))

    def read(self, first: int, last: int, *, now: float) -> dict[int, dict[str, int]]:
        with self._lock:
            return {
                hour: dict(bucket)
                for hour, bucket in self._hours.items()
                if first <= hour <= last and self._expires.get(hour, now) > now
            }

    def _drop_expired(self, current: int) -> None:
        # Expiry is a time; an hour bucket's expiry is after its hour ends, so comparing it with
        # the start of the hour being added is enough (and needs no clock here).
        start = current * 3600
        for hour in [h for h, until in self._expires.items() if until <= start]:
            self._hours.pop(hour, None)
            self._expires.pop(hour, None)
