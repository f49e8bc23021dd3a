from __future__ import annotations

import threading

from mockmind.domain.errors import VersionConflict
from mockmind.domain.sessions import Session


class MemorySessionStore:
    """Sessions in a dict, with the same version check the durable stores make."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def get(self, session_id: str, *, now: float) -> Session | None:
        session = self._sessions.get(session_id)
        if session is None or session.expires_at <= now:
            return None
        return session

    def put(self, session: Session, *, expected_version: int | None) -> Session:
        with self._lock:
            current = self._sessions.get(session.id)
            live = current is not None and current.expires_at > session.last_seen
            if expected_version is None and live:
                raise VersionConflict(f"session {session.id} already exists")
            if expected_version is not None and (
                current is None or current.version != expected_version
            ):
                raise VersionConflict(
                    f"session {session.id} changed since version {expected_version}"
                )
            stored = session.with_version((expected_version or 0) + 1)
            self._sessions[session.id] = stored
            return stored

    def delete(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)
