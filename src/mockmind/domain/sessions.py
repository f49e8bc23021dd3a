"""Sessions: which one a request belongs to, and what a session remembers.

A session id comes from a cookie, a header or a query parameter. Ids mockmind makes are 256
random bits. A client may also bring its own well-formed id (CI scripts like fixed names such as
``checkout-test-1``); that id is then a new, empty session of its own. A malformed id is never
looked up, so it cannot reach another session's data.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import field, replace
from typing import Any, Literal

from mockmind.domain.http import MockRequest
from mockmind.lean_dataclass import dataclass

TrackingMethod = Literal["cookie", "header", "query_param"]

_VALID_ID = re.compile(r"[A-Za-z0-9_.\-]{1,128}")

# Scopes the engine keeps entities under that belong to no client: the shared seed set every
# session reads, and the scope of requests without a session. No client-supplied id may name
# one, or its writes would land where every session (or every anonymous request) sees them.
SHARED_SCOPE = "__shared__"
ANONYMOUS_SCOPE = "__anonymous__"
INTERNAL_SCOPES = frozenset({SHARED_SCOPE, ANONYMOUS_SCOPE})
# The same rule as a JSON Schema pattern (ECMA-262), for documents that describe session ids.
SESSION_ID_PATTERN = "^(?!(?:" + "|".join(sorted(INTERNAL_SCOPES)) + r")$)[A-Za-z0-9_.\-]{1,128}$"


def new_session_id() -> str:
    """A fresh id that never starts with ``-``: ids are typed as arguments of the CLI's session
    commands, where a leading ``-`` reads as an option (one id in 64 would)."""
    token = secrets.token_urlsafe(32)
    while token.startswith("-"):
        token = secrets.token_urlsafe(32)
    return token


def is_valid_session_id(candidate: str) -> bool:
    """A whole-string match (``$`` would accept a final newline), and no internal scope."""
    return _VALID_ID.fullmatch(candidate) is not None and candidate not in INTERNAL_SCOPES


@dataclass(frozen=True)
class Interaction:
    """One request and what was answered, as remembered for later prompts."""

    at: float
    method: str
    path: str
    status: int
    request_body: Any = None
    response_body: Any = None
    source: str = ""
    # The query string as sent, secrets masked (``limit=2&offset=0``); empty without one.
    query: str = ""

    @property
    def target(self) -> str:
        """The path with its query string, as the request named it."""
        return f"{self.path}?{self.query}" if self.query else self.path

    # For a request the mock sent (a callback, a webhook): its name, target, attempts, final
    # status or error (``domain/callbacks/courier``); None for a request the mock answered.
    delivery: dict[str, Any] | None = None


@dataclass(frozen=True)
class StateValue:
    value: Any
    updated_at: float


@dataclass(frozen=True)
class Session:
    id: str
    created_at: float
    last_seen: float
    expires_at: float
    version: int = 0
    authenticated: bool = False
    state: dict[str, StateValue] = field(default_factory=dict)
    history: tuple[Interaction, ...] = ()
    # The requests the mock answered for this session: raised by a request's save only, so
    # it numbers the journal's steps (``version`` also counts saves of delivery records).
    requests: int = 0

    def touched(self, now: float, timeout_seconds: float) -> Session:
        """Expiry slides with activity."""
        return replace(self, last_seen=now, expires_at=now + timeout_seconds)

    def with_interaction(self, interaction: Interaction, max_history: int) -> Session:
        return replace(self, history=self._remembering(interaction, max_history))

    def _remembering(self, interaction: Interaction, max_history: int) -> tuple[Interaction, ...]:
        """The history with the interaction added, the oldest dropped past ``max_history``."""
        history = (*self.history, interaction)
        if len(history) > max_history:
            history = history[len(history) - max_history :]
        return history

    def with_version(self, version: int) -> Session:
        """The session as a store saves it. Built directly: ``replace`` costs twice as much,
        and every request saves its session."""
        return Session(
            self.id,
            self.created_at,
            self.last_seen,
            self.expires_at,
            version,
            self.authenticated,
            self.state,
            self.history,
            self.requests,
        )

    def with_state(self, key: str, value: Any, now: float) -> Session:
        return replace(self, state={**self.state, key: StateValue(value, now)})

    def after_request(
        self,
        interaction: Interaction,
        *,
        timeout_seconds: float,
        max_history: int,
        state: dict[str, Any],
        authenticated: bool | None,
    ) -> Session:
        """Touched, the interaction remembered, the state and login changed: one new session.

        What a request does to its session, as one copy rather than one per change; it runs
        on every request, cached answers included.
        """
        now = interaction.at
        merged = self.state
        if state:
            merged = {**merged, **{k: StateValue(v, now) for k, v in state.items()}}
        return Session(
            id=self.id,
            created_at=self.created_at,
            last_seen=now,
            expires_at=now + timeout_seconds,
            version=self.version,
            authenticated=self.authenticated if authenticated is None else authenticated,
            state=merged,
            history=self._remembering(interaction, max_history),
            requests=self.requests + 1,
        )


def micros(seconds: float) -> int:
    """Epoch seconds in whole microseconds (rounded half up; times are never negative)."""
    return math.floor(seconds * 1_000_000 + 0.5)


def activity_key(last_seen: float, session_id: str) -> str:
    """``<last_seen in microseconds, 20 digits>#<id>``: sorts as text as the times do, ties
    by id (``domain/session_listing``)."""
    return f"{micros(last_seen):020d}#{session_id}"


@dataclass(frozen=True)
class SessionSummary:
    """What a listing shows of a session: when it began, was last active and expires, how
    many requests it made, and whether it is logged in."""

    id: str
    created_at: float
    last_seen: float
    expires_at: float
    requests: int
    authenticated: bool

    @classmethod
    def of(cls, session: Session) -> SessionSummary:
        return cls(
            session.id,
            session.created_at,
            session.last_seen,
            session.expires_at,
            session.requests,
            session.authenticated,
        )

    @property
    def activity_key(self) -> str:
        """Where the session stands in a listing (``domain/session_listing``)."""
        return activity_key(self.last_seen, self.id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "last_seen": self.last_seen,
            "expires_at": self.expires_at,
            "requests": self.requests,
            "authenticated": self.authenticated,
        }


@dataclass(frozen=True)
class SessionTracking:
    method: TrackingMethod = "cookie"
    cookie_name: str = "mockforge_session"
    header_name: str = "X-Session-ID"
    query_param: str = "session_id"
    auto_create: bool = True


@dataclass(frozen=True)
class SessionLookup:
    """The id a request carries, and whether it carried one at all."""

    session_id: str | None
    carried: bool
    malformed: bool = False


def session_id_from(request: MockRequest, tracking: SessionTracking) -> SessionLookup:
    """Read the id where the tracking method says; other places are also accepted.

    The configured place wins, but a client that sends the header while the server tracks by
    cookie (a common CI setup) still keeps its session.
    """
    # Looked up one place at a time, the configured one first: this runs on every request.
    for method in _PLACES_IN_ORDER[tracking.method]:
        if method == "cookie":
            raw = request.cookies.get(tracking.cookie_name)
        elif method == "header":
            raw = request.headers.get(tracking.header_name.lower())
        else:
            raw = request.query_value(tracking.query_param)
        if not raw:
            continue
        if is_valid_session_id(raw):
            return SessionLookup(raw, carried=True)
        return _MALFORMED
    return _NOT_CARRIED


_PLACES: tuple[TrackingMethod, ...] = ("cookie", "header", "query_param")
_PLACES_IN_ORDER = {first: (first, *(m for m in _PLACES if m != first)) for first in _PLACES}
_MALFORMED = SessionLookup(None, carried=False, malformed=True)
_NOT_CARRIED = SessionLookup(None, carried=False)


def session_to_dict(session: Session) -> dict[str, Any]:
    """A JSON-ready form for stores that persist sessions as documents."""
    return {
        "id": session.id,
        "created_at": session.created_at,
        "last_seen": session.last_seen,
        "expires_at": session.expires_at,
        "version": session.version,
        "requests": session.requests,
        "authenticated": session.authenticated,
        "state": {
            k: {"value": v.value, "updated_at": v.updated_at} for k, v in session.state.items()
        },
        "history": [_interaction_to_dict(i) for i in session.history],
    }


def _interaction_to_dict(i: Interaction) -> dict[str, Any]:
    data = {
        "at": i.at,
        "method": i.method,
        "path": i.path,
        "query": i.query,
        "status": i.status,
        "request_body": i.request_body,
        "response_body": i.response_body,
        "source": i.source,
    }
    if i.delivery is not None:
        data["delivery"] = i.delivery
    return data


def session_from_dict(data: dict[str, Any]) -> Session:
    return Session(
        id=str(data["id"]),
        created_at=float(data["created_at"]),
        last_seen=float(data["last_seen"]),
        expires_at=float(data["expires_at"]),
        version=int(data["version"]),
        # Sessions stored before requests were counted have none: 0.
        requests=int(data.get("requests", 0)),
        authenticated=bool(data.get("authenticated", False)),
        state={
            k: StateValue(v["value"], float(v["updated_at"]))
            for k, v in data.get("state", {}).items()
        },
        history=tuple(
            Interaction(
                at=float(i["at"]),
                method=str(i["method"]),
                path=str(i["path"]),
                status=int(i["status"]),
                request_body=i.get("request_body"),
                response_body=i.get("response_body"),
                source=str(i.get("source", "")),
                query=str(i.get("query", "")),
                delivery=dict(i["delivery"]) if i.get("delivery") is not None else None,
            )
            for i in data.get("history", [])
        ),
    )
