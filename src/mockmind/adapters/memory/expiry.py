"""Keys by the time they expire, so the memory stores free what has expired a few at a time.

A timing wheel: each key sits in the bucket of the ``resolution``-long slot its expiry falls
in, and a heap orders the slots. Scheduling, rescheduling and cancelling a key cost O(1) (plus
one heap push when a slot is first used); ``due`` hands out at most ``limit`` keys, so a store
that calls it on every write frees its expired entries in small steps and never scans the
whole store. A key comes out at most ``resolution`` seconds after it expired; readers check
the exact expiry, so that lateness is never seen, only paid for in memory.

Not thread-safe: each store calls it under its own lock.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Hashable


class ExpiryQueue[K: Hashable]:
    def __init__(self, resolution: float = 1.0) -> None:
        if resolution <= 0:
            raise ValueError(f"resolution must be positive, not {resolution}")
        self._resolution = resolution
        self._slot_of: dict[K, int] = {}
        # Sets, not dicts: ``set.pop`` resumes where it left off, so emptying a big slot one
        # key at a time stays linear (taking a dict's first key again and again does not).
        self._slots: dict[int, set[K]] = {}
        self._order: list[int] = []
        # When the earliest slot in ``_order`` ends (``inf`` with none): ``due`` may hand out
        # keys once it has passed. An attribute rather than a method: the session store asks
        # it on every save, and most saves find nothing due.
        self.next_due = math.inf

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, key: K) -> bool:
        return key in self._slot_of

    def schedule(self, key: K, expires_at: float | None) -> None:
        """``key`` expires at ``expires_at`` (None: never, which cancels it)."""
        if expires_at is None:
            self.cancel(key)
            return
        # The slot ends at or after the expiry: a key taken from a slot that has ended has
        # certainly expired.
        slot = math.ceil(expires_at / self._resolution)
        old = self._slot_of.get(key)
        if old == slot:
            return
        if old is not None:
            self._leave(key, old)
        members = self._slots.get(slot)
        if members is None:
            members = self._slots[slot] = set()
            heapq.heappush(self._order, slot)
            self.next_due = self._order[0] * self._resolution
        members.add(key)
        self._slot_of[key] = slot

    def cancel(self, key: K) -> None:
        slot = self._slot_of.pop(key, None)
        if slot is not None:
            self._leave(key, slot)

    def due(self, now: float, limit: int) -> list[K]:
        """Up to ``limit`` keys that expired by ``now``, no longer scheduled once returned."""
        taken: list[K] = []
        order = self._order
        while order and len(taken) < limit and order[0] * self._resolution <= now:
            slot = order[0]
            members = self._slots.get(slot)
            while members and len(taken) < limit:
                key = members.pop()
                del self._slot_of[key]
                taken.append(key)
            if not members:
                heapq.heappop(order)
                self._slots.pop(slot, None)
        self.next_due = order[0] * self._resolution if order else math.inf
        return taken

    def _leave(self, key: K, slot: int) -> None:
        members = self._slots[slot]
        members.discard(key)
        if not members:
            # Its heap entry stays until it comes to the top, where ``due`` drops it; a slot
            # used again before then is pushed again, and the older entry finds it emptied
            # or shares its keys.
            del self._slots[slot]
