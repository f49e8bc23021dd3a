"""Where each session's journal lives: its last ``max_events`` events, expiring with it."""

from __future__ import annotations

from typing import Protocol

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
