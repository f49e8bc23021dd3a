"""When each session held in process ends, and who drops what it owned.

The memory backend keeps everything in this process, so nothing is freed unless something
frees it: a session that has expired, and the entities, counters and cached answers it
left, would otherwise stay until the process ends. One ``SessionLifetimes`` is shared by the
memory stores. The session store tells it when a session is saved (``touch``); the stores
that keep a session's data register a callback (``on_end``) and drop that session's data
when it ends. A session ends when:

- its expiry has passed: every save takes up to ``SWEEP_PER_SAVE`` sessions from an expiry
  queue (``expiry.py``) and ends those whose expiry has passed (one a later save renewed is
  queued again, at its new expiry), so no request scans all sessions and the sessions ended
  keep pace with the sessions opened;
- a read finds it expired (``end_if_expired``), so the request that brings its id back
  never sees what the old session left, whether or not the sweep has come to it yet;
- more than ``max_sessions`` are live: the least recently saved one goes;
- it is deleted.

A later request that carries the id of a session that ended starts a new, empty session.

Every end runs under one lock, the session store's: owners' callbacks first, the session's
record last, so a reader that finds the record (without the lock) is never handed a session
whose data is half dropped. An owner's callback takes its own store's lock and must not call
back into the lifetimes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from mockmind.adapters.memory.expiry import ExpiryQueue
from mockmind.ports.clock import Clock

DEFAULT_MAX_SESSIONS = 10_000
# Sessions ended per save, at most: more than the one a save can open, so a backlog drains.
SWEEP_PER_SAVE = 2

SessionEnded = Callable[[str], None]


class SessionLifetimes:
    def __init__(self, clock: Clock, *, max_sessions: int = DEFAULT_MAX_SESSIONS) -> None:
        if max_sessions < 1:
            raise ValueError(f"max_sessions must be at least 1, not {max_sessions}")
        self.clock = clock
        self.max_sessions = max_sessions
        # Re-entrant: the session store holds it while it saves, and a save ends sessions.
        self.lock = threading.RLock()
        self._expiry: ExpiryQueue[str] = ExpiryQueue()
        # Live sessions, least recently saved first.
        self._recent: OrderedDict[str, float] = OrderedDict()
        self._owners: list[SessionEnded] = []
        self._holder: SessionEnded | None = None

    def __len__(self) -> int:
        return len(self._recent)

    def on_end(self, drop: SessionEnded) -> None:
        """Call ``drop(session_id)`` when a session ends, to drop the data it owned."""
        self._owners.append(drop)

    def held_by(self, forget: SessionEnded) -> None:
        """The session store's own callback: removes the session's record, after the owners'."""
        if self._holder is not None:
            raise RuntimeError("these lifetimes already belong to a session store")
        self._holder = forget

    def touch(self, session_id: str, expires_at: float) -> None:
        """A session was saved, live until ``expires_at``: it is now the most recently used.

        Then ends a few expired sessions, and the least recently used beyond the cap.

        Called under ``lock``, which the session store holds while it saves (taken again
        here, it was a tenth of the save of every request).
        """
        recent = self._recent
        before = recent.get(session_id)
        recent[session_id] = expires_at
        recent.move_to_end(session_id)
        expiry = self._expiry
        # The queue holds each live session at a slot that ends no later than its expiry's:
        # a save that only moves the expiry on (every request of a live session) leaves it
        # there, and the sweep moves on one it finds still live. One queue operation per
        # session and timeout rather than one per save.
        if before is None or expires_at < before:
            expiry.schedule(session_id, expires_at)
        now = self.clock.now()
        if expiry.next_due <= now:
            for due in expiry.due(now, SWEEP_PER_SAVE):
                live_until = recent.get(due)
                if live_until is not None and live_until > now:
                    expiry.schedule(due, live_until)
                else:
                    self._end(due)
        # Only a session new to ``_recent`` adds to it: a save of a held one cannot pass the cap.
        if before is None:
            while len(recent) > self.max_sessions:
                oldest = next(iter(recent))
                expiry.cancel(oldest)
                self._end(oldest)

    def end_if_expired(self, session_id: str, now: float) -> None:
        """End the session if it is still expired at ``now`` under the lock (a save may have
        renewed it since the caller looked)."""
        with self.lock:
            expires_at = self._recent.get(session_id)
            if expires_at is not None and expires_at <= now:
                self._expiry.cancel(session_id)
                self._end(session_id)

    def end(self, session_id: str) -> None:
        with self.lock:
            self._expiry.cancel(session_id)
            self._end(session_id)

    def _end(self, session_id: str) -> None:
        self._recent.pop(session_id, None)
        for drop in self._owners:
            drop(session_id)
        if self._holder is not None:
            self._holder(session_id)
