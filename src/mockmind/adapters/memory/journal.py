"""Journals in process: a bounded list per session, dropped when the session ends.

Events recorded by the engine are kept unbuilt (``KeepsUnbuiltEvents``): the list holds the
pieces each was to be made of, and a read builds those it returns, once.
"""

from __future__ import annotations

import threading

from mockmind.adapters.memory.lifetimes import SessionLifetimes
from mockmind.domain.journal import JournalEvent, JournalPage
from mockmind.ports.journal import UnbuiltEvent

_Kept = JournalEvent | UnbuiltEvent


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
        self._events: dict[str, list[_Kept]] = {}
        # Each journal lives as long as its newest event (the session's latest expiry).
        self._expires: dict[str, float] = {}
        self._lock = threading.Lock()
        # The session's end (expiry, the cap, a delete) takes its journal with it.
        lifetimes.on_end(self.delete)

    def append(self, session_id: str, event: JournalEvent, *, expires_at: float) -> bool:
        return self.append_unbuilt(session_id, event, expires_at=expires_at)

    def append_unbuilt(self, session_id: str, event: _Kept, *, expires_at: float) -> bool:
        # acquire and release rather than ``with``: a third of the cost, on every request.
        lock = self._lock
        lock.acquire()
        try:
            events = self._events.get(session_id)
            if events is None:
                events = self._events[session_id] = []
            # Events are kept in step order, so a step past the last is new without looking
            # through them all (every request appends one).
            late = bool(events) and events[-1].seq >= event.seq
            if late and any(kept.seq == event.seq for kept in events):
                return False
            held = self._expires.get(session_id)
            if held is None or held < expires_at:
                self._expires[session_id] = expires_at
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
        finally:
            lock.release()

    def read(
        self, session_id: str, *, now: float, after: int = 0, limit: int | None = None
    ) -> JournalPage:
        with self._lock:
            if self._expires.get(session_id, now) <= now:
                return JournalPage((), 0)
            kept = self._events.get(session_id)
            events = _built(kept) if kept else ()
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


def _built(kept: list[_Kept]) -> tuple[JournalEvent, ...]:
    """The kept events, each unbuilt one built and put in its place (one that cannot be
    built is dropped, as it would not have been appended)."""
    if all(isinstance(e, JournalEvent) for e in kept):
        return tuple(kept)  # type: ignore[arg-type]
    events: list[JournalEvent] = []
    for entry in kept:
        event = entry if isinstance(entry, JournalEvent) else entry.build()
        if event is not None:
            events.append(event)
    kept[:] = events
    return tuple(events)
