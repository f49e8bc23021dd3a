"""Where each session's journal lives: its last ``max_events`` events, expiring with it."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from mockmind.domain.journal import JournalEvent, JournalPage


class Journal(Protocol):
    max_events: int

    def append(self, session_id: str, event: JournalEvent, *, expires_at: float) -> bool:
        """Add the event, kept until ``expires_at`` (the session's expiry, plus the store's
        grace where entities outlive their session), then drop the session's events beyond
        the last ``max_events``. False when the session already has an event at that step
        (another writer recorded it: nothing is overwritten).
        """
        ...

    def read(
        self, session_id: str, *, now: float, after: int = 0, limit: int | None = None
    ) -> JournalPage:
        """The session's kept events with ``seq > after``, oldest first, at most ``limit``;
        ``dropped`` counts the steps before the first kept one (0: the journal is whole)."""
        ...

    def delete(self, session_id: str) -> None:
        """Drop every event of the session."""
        ...


class EventBuilder(Protocol):
    """What builds the events it hands a journal unbuilt (``UnbuiltEvent``)."""

    def build_unbuilt(self, unbuilt: UnbuiltEvent) -> JournalEvent | None:
        """The event; None when it cannot be built (logged: the journal never fails a
        request, nor a read)."""
        ...


# A request's event kept as the pieces it is made of, built only when it is read: most events
# of a journal in process are never read, and building one (masking, copying) was a tenth of
# a cached answer (bench/RESULTS.md, row 1). A plain tuple: its step, the ``EventBuilder``
# that builds it, then the pieces only that builder reads; one is made for every request, and
# an object with fields set by its ``__init__`` cost 2.8k instructions (a Python call) where
# the tuple costs a tenth of it.
UnbuiltEvent = tuple[int, EventBuilder, *tuple[Any, ...]]


@runtime_checkable
class KeepsUnbuiltEvents(Protocol):
    """An optional capability of a journal: holding an event unbuilt until it is read (a
    journal in process, whose events are the objects the request left). Stores that write
    events out take them built (``Journal.append``)."""

    def append_unbuilt(self, session_id: str, event: UnbuiltEvent, *, expires_at: float) -> bool:
        """``Journal.append`` of an event built when it is first read."""
        ...
