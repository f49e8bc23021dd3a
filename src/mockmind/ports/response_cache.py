"""Generated responses kept for a while so repeated requests cost no generation."""

from __future__ import annotations

from dataclasses import field
from typing import Any, Protocol

from mockmind.lean_dataclass import dataclass


@dataclass(frozen=True)
class CachedResponse:
    status: int
    body: Any
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    # The body's JSON bytes, for a store that keeps entries in process; not persisted.
    encoded: bytes | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form stores persist."""
        return {
            "status": self.status,
            "body": self.body,
            "media_type": self.media_type,
            "headers": self.headers,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CachedResponse:
        return cls(
            status=int(data["status"]),
            body=data["body"],
            media_type=str(data["media_type"]),
            headers=dict(data["headers"]),
        )


class ResponseCache(Protocol):
    def get(self, key: str, *, now: float) -> CachedResponse | None:
        """The entry, or None when absent or past its expiry."""
        ...

    def put(
        self,
        key: str,
        response: CachedResponse,
        *,
        expires_at: float,
        session_id: str | None = None,
    ) -> None:
        """Keep ``response`` under ``key`` until ``expires_at``.

        ``session_id`` names the session the answer was made for (None: no session). A store
        that frees a session's data when the session ends drops the entry with it; the others
        keep it until ``expires_at``.
        """
        ...

    def purge_expired(self, *, now: float) -> int:
        """Drop entries past their expiry; returns how many went (a no-op where TTL is native)."""
        ...
