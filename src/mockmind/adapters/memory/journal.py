"""Journals in process: a bounded list per session, dropped when the session ends."""

from __future__ import annotations

import threading

from mockmind.adapters.memory.lifetimes import SessionLifetimes
from mockmind.domain.journal import JournalEvent, JournalPage


class MemoryJournal:
    def __init__(self, lifetimes: SessionLifetimes, *, max_events: int) -> None:
        if max_events < 1:
            raise ValueError(f"max_events must be at least 1, not {max_events}")
        self.max_events = max_events
        # A list, not a bounded deque: a deque takes 760 bytes however few events it holds
        # (its first 64-slot block), a list of one 88. Most sessions of a churning client
        # have one or two requests, and every live session holds its journal: the deque
        # was 803 of the 6,246 bytes a one-request session held (tracemalloc of `serve`
        # under bench row 9's churn), so the live sessions' memory followed it.
        self._events: dict[str, list[JournalEvent]] = {}
        # Each journal lives as long as its newest event (the session's latest expiry).
        self._expires: dict[str, float] = {}
        self._lock = threading.Lock()
        # The session's end (expiry, the cap, a delete) takes its journal with it.
        lifetimes.on_end(self.delete)

    def append(self, session_id: str, event: JournalEvent, *, expires_at: float) -> bool:
        with self._lock:
            events = self._events.get(session_id)
            if events is None:
                events = self._events[session_id] = []
            # Events are kept in step order, so a step past the last is new without looking
            # through them all (every request appends one).
            late = bool(events) and events[-1].seq >= event.seq
            if late and any(kept.seq == event.seq for kept in events):
                return False
            self._expires[session_id] = max(expires_at, self._expires.get(session_id, expires_at))
            if late:
                # A late writer's earlier step: put it in order (rare: one per race).
                events.append(event)
                events.sort(key=lambda e: e.seq)
            else:
                events.append(event)
            if len(events) > self.max_events:
                # One past the bound (one event a call): the oldest goes, as from a deque.
                del events[0]
            return True

    def read(
        self, session_id: str, *, now: float, after: int = 0, limit: int | None = None
    ) -> JournalPage:
        with self._lock:
            if self._expires.get(session_id, now) <= now:
                return JournalPage((), 0)
            events = tuple(self._events.get(session_id, ()))
        dropped = events[0].seq - 1 if events else 0
        selected = [e for e in events if e.seq > after]
        if limit is not None:
            selected = selected[:limit]
        return JournalPage(tuple(selected), dropped)

    def holds(self, session_id: str) -> bool:
        """Whether anything of the session's journal is still held (for tests of freeing)."""
        return session_id in self._events or session_id in self._expires

    def delete(self, session_id: str) -> None:
        with self._lock:
            self._events.pop(session_id, None)
            self._expires.pop(session_id, None)
