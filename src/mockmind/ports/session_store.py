"""Where sessions live: their state, their history and their version for optimistic locking."""

from __future__ import annotations

from typing import Protocol

from mockmind.domain.session_listing import SessionPage, SessionQuery
from mockmind.domain.sessions import Session


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
