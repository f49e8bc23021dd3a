"""Journals in process: a bounded list per session, dropped when the session ends.

Events recorded by the engine are kept unbuilt (``KeepsUnbuiltEvents``): the list holds the
pieces each was to be made of, and a read builds those it returns, once. Every entry is an
unbuilt event's tuple, its step first (read on every append); an event appended built is kept
as one that builds to itself.
"""

from __future__ import annotations

import threading

from mockmind.adapters.memory.lifetimes import SessionLifetimes
from mockmind.domain.journal import JournalEvent, JournalPage
from mockmind.ports.journal import UnbuiltEvent


class _Built:
    """The builder of an event appended built: the event itself, kept after its step."""

    def build_unbuilt(self, unbuilt: UnbuiltEvent) -> JournalEvent | None:
        event: JournalEvent = unbuilt[2]
        return event


_BUILT = _Built()


def _kept(event: JournalEvent) -> UnbuiltEvent:
    return (event.seq, _BUILT, event)


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
        self._events: dict[str, list[UnbuiltEvent]] = {}
        # Each journal lives as long as its newest event (the session's latest expiry).
        self._expires: dict[str, float] = {}
        self._lock = threading.Lock()
        # The session's end (expiry, the cap, a delete) takes its journal with it.
        lifetimes.on_end(self.delete)

    def append(self, session_id: str, event: JournalEvent, *, expires_at: float) -> bool:
        return self.append_unbuilt(session_id, _kept(event), expires_at=expires_at)

    def append_unbuilt(self, session_id: str, event: UnbuiltEvent, *, expires_at: float) -> bool:
        # acquire and release rather than ``with``: a third of the cost, on every request.
        lock = self._lock
        lock.acquire()
        try:
            events = self._events.get(session_id)
            if events is None:
                events = self._events[session_id] = []
            # Events are kept in step order, so a step past the last is new without looking
            # through them all (every request appends one).
            seq = event[0]
            late = bool(events) and events[-1][0] >= seq
            if late and any(kept[0] == seq for kept in events):
                return False
            held = self._expires.get(session_id)
            if held is None or held < expires_at:
                self._expires[session_id] = expires_at
            if late:
                # A late writer's earlier step: put it in order (rare: one per race).
                events.append(event)
                events.sort(key=lambda e: e[0])
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


def _built(kept: list[UnbuiltEvent]) -> tuple[JournalEvent, ...]:
    """The kept events, each unbuilt one built and kept built in its place (one that cannot be
    built is dropped, as it would not have been appended)."""
    events: list[JournalEvent] = []
    for entry in kept:
        event = entry[2] if entry[1] is _BUILT else entry[1].build_unbuilt(entry)
        if event is not None:
            events.append(event)
    if len(events) != len(kept) or any(entry[1] is not _BUILT for entry in kept):
        kept[:] = [_kept(event) for event in events]
    return tuple(events)
