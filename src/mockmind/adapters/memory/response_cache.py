from __future__ import annotations

import threading

from mockmind.ports.response_cache import CachedResponse


class MemoryResponseCache:
    """A dict with per-entry expiry and a size bound, oldest entries evicted first."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: dict[str, tuple[float, CachedResponse]] = {}
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, key: str, *, now: float) -> CachedResponse | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= now:
            return None
        return entry[1]

    def put(self, key: str, response: CachedResponse, *, expires_at: float) -> None:
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (expires_at, response)
            while len(self._entries) > self._max_entries:
                # dicts keep insertion order, so the first key is the oldest write.
                del self._entries[next(iter(self._entries))]

    def purge_expired(self, *, now: float) -> int:
        with self._lock:
            dead = [k for k, (expires_at, _) in self._entries.items() if expires_at <= now]
            for key in dead:
                del self._entries[key]
            return len(dead)
