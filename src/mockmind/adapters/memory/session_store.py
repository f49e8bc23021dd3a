from __future__ import annotations

from mockmind.adapters.memory.lifetimes import SessionLifetimes
from mockmind.domain.errors import VersionConflict
from mockmind.domain.session_listing import SessionPage, SessionQuery, page_from
from mockmind.domain.sessions import Session, SessionSummary


class MemorySessionStore:
    """Sessions in a dict, with the same version check the durable stores make.

    A session is freed, with everything the other memory stores keep for it, when it ends
    (``lifetimes.py``): expired, or the least recently used past ``max_sessions``.
    """

    def __init__(self, lifetimes: SessionLifetimes) -> None:
        self._sessions: dict[str, Session] = {}
        self._lifetimes = lifetimes
        self._lock = lifetimes.lock
        lifetimes.held_by(self._forget)

    def __len__(self) -> int:
        return len(self._sessions)

    def holds(self, session_id: str) -> bool:
        """Whether the session is still in memory, expired or not."""
        return session_id in self._sessions

    def get(self, session_id: str, *, now: float) -> Session | None:
        # No lock on the way to a live session: every request reads its session.
        session = self._sessions.get(session_id)
        if session is None:
            return None
        if session.expires_at > now:
            return session
        # Ended now rather than when the sweep comes to it: the request that brings this id
        # back starts a new session, and must not find what the old one left.
        self._lifetimes.end_if_expired(session_id, now)
        return None

    def put(self, session: Session, *, expected_version: int | None) -> Session:
        # acquire and release rather than ``with``: a third of the cost, on every save.
        lock = self._lock
        lock.acquire()
        try:
            current = self._sessions.get(session.id)
            if expected_version is None:
                if current is not None and current.expires_at > session.last_seen:
                    raise VersionConflict(f"session {session.id} already exists")
                version = 1
            elif current is None or current.version != expected_version:
                raise VersionConflict(
                    f"session {session.id} changed since version {expected_version}"
                )
            else:
                version = expected_version + 1
            # A request's save has numbered it already (``session_after``): no call to learn
            # that ``with_version`` has nothing to change.
            stored = session if session.version == version else session.with_version(version)
            self._sessions[session.id] = stored
            self._lifetimes.touch(session.id, stored.expires_at)
            return stored
        finally:
            lock.release()

    def update(self, session: Session, *, base: Session) -> Session:
        # The session object itself is kept: nothing is copied or encoded. One check of the
        # version for both ways in (written out again it spared ~0.5k instructions of ~330k).
        return self.put(session, expected_version=base.version)

    def delete(self, session_id: str) -> None:
        self._lifetimes.end(session_id)

    def list(self, query: SessionQuery, *, now: float) -> SessionPage:
        # At most ``max_sessions`` (10,000 by default) are held: sorting them is cheap next to
        # keeping a second ordered structure up to date on every save.
        return page_from(map(SessionSummary.of, list(self._sessions.values())), query, now)

    def _forget(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)
