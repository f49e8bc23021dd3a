"""A bounded memo: answers remembered by key, the oldest forgotten first.

Request paths carry ids, so a memo keyed by them must stay bounded. Entries are dropped in
insertion order, which costs nothing per hit (an LRU would reorder on every read).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable


class BoundedMemo[K: Hashable, V]:
    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: dict[K, V] = {}
        # A look-up is the dict's own ``get``, bound once: the memos are read on every request
        # (half a dozen a store read), and a method of this class around it was a Python call
        # each time.
        self.get: Callable[[K], V | None] = self._entries.get

    def put(self, key: K, value: V) -> None:
        entries = self._entries
        while len(entries) >= self._size:
            try:
                entries.pop(next(iter(entries)), None)
            except (RuntimeError, StopIteration):
                # Another thread changed the dict between iter and next; its change made room
                # or will be retried on the next loop.
                continue
        entries[key] = value

    def __len__(self) -> int:
        return len(self._entries)
