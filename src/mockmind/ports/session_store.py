"""Where sessions live: their state, their history and their version for optimistic locking."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from mockmind.domain.journal import JournalEvent
from mockmind.domain.session_listing import SessionPage, SessionQuery
from mockmind.domain.sessions import Session
from mockmind.ports.journal import Journal


class SessionStore(Protocol):
    def get(self, session_id: str, *, now: float) -> Session | None:
        """The session, or None when it does not exist or ``expires_at`` has passed.

        Expired items are filtered on read because native TTL deletion (DynamoDB) lags.
        """
        ...

    def put(self, session: Session, *, expected_version: int | None) -> Session:
        """Write ``session`` if the stored version is still ``expected_version``.

        ``expected_version=None`` means the session must not exist yet (or has expired).
        Returns the stored session with its version incremented; raises ``VersionConflict``
        when another writer got there first.
        """
        ...

    def update(self, session: Session, *, base: Session) -> Session:
        """Write ``session``, a change of ``base`` (the session as this store returned it),
        if the stored version is still ``base.version``: ``put`` with that expected version.

        Only what changed is written where the store keeps parts apart
        (``domain.sessions.session_delta``): the interactions added, those dropped past the
        history bound, the state keys set, the times and counts. A session whose history is
        not ``base``'s with interactions dropped and added is written whole.
        """
        ...

    def delete(self, session_id: str) -> None: ...

    def list(self, query: SessionQuery, *, now: float) -> SessionPage:
        """Live sessions newest first by last activity (``domain/session_listing``): the page
        ``query`` asks for, and the cursor of the next one. Without reading every session:
        DynamoDB queries an index of sessions by activity, never scans the table."""
        ...


class EventAtSave(Protocol):
    """A request's journal event, to be built by the save that records the request: the
    event's step is the saved session's ``requests``, which only the save that holds settles
    (a lost race re-reads and counts again)."""

    def build(self, saved: Session) -> tuple[JournalEvent, float] | None:
        """The event of the request saved as ``saved`` and when it may expire; None when it
        cannot be recorded (the journal never fails a request)."""
        ...

    def kept(self, event: JournalEvent) -> None:
        """Told once the save that holds ``event`` has been written."""
        ...


@runtime_checkable
class KeepsJournalEvents(Protocol):
    """An optional capability of a session store: keeping a request's journal event in what
    its save writes for the request's interaction, for a journal that reads them there (one
    write a request instead of two: adapters/aws/session_store.py). A store without it, or
    one that declines a journal, is saved as ``SessionStore`` says and the event appended to
    the journal after."""

    def keeps_events_of(self, journal: Journal) -> bool:
        """Whether ``journal`` reads the events this store keeps."""
        ...

    def put(
        self, session: Session, *, expected_version: int | None, event: EventAtSave | None = None
    ) -> Session:
        """``SessionStore.put``; with ``event``, its built event kept with the newest
        interaction where it can be (``event.kept`` says so, after the write)."""
        ...

    def update(
        self, session: Session, *, base: Session, event: EventAtSave | None = None
    ) -> Session:
        """``SessionStore.update``, keeping ``event`` as ``put`` does."""
        ...
