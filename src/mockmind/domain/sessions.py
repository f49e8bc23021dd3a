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
from functools import lru_cache
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
    return _is_valid_id(candidate)


# Remembered: each request of a session checks the id it carries again (the match costs
# several times the look-up); bounded, as clients choose their ids.
@lru_cache(maxsize=4096)
def _is_valid_id(candidate: str) -> bool:
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

    @staticmethod
    def answered(
        at: float,
        method: str,
        path: str,
        status: int,
        request_body: Any,
        response_body: Any,
        source: str,
        query: str,
    ) -> Interaction:
        """A request the mock answered (no ``delivery``), as the constructor makes it,
        without the frozen ``__init__``'s nine ``object.__setattr__`` calls: every request
        of a session remembers one (bench/RESULTS.md, row 1). Its fields are filled in place,
        in the constructor's order (so they share the class's keys): a dict of them put in
        as its ``__dict__`` cost 2k instructions more (micro.sh). A static method: a class
        method's binding cost 0.7k more a call."""
        interaction = object.__new__(Interaction)
        fields = interaction.__dict__
        fields["at"] = at
        fields["method"] = method
        fields["path"] = path
        fields["status"] = status
        fields["request_body"] = request_body
        fields["response_body"] = response_body
        fields["source"] = source
        fields["query"] = query
        fields["delivery"] = None
        return interaction

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
    # How many interactions were dropped from the front of the history past its bound: the
    # number of ``history[0]`` among every interaction the session remembered. Stores that
    # keep interactions one by one name them by it, and write only those a save adds.
    history_start: int = 0

    def touched(self, now: float, timeout_seconds: float) -> Session:
        """Expiry slides with activity."""
        return replace(self, last_seen=now, expires_at=now + timeout_seconds)

    def with_interaction(self, interaction: Interaction, max_history: int) -> Session:
        history, start = self._remembering(interaction, max_history)
        return replace(self, history=history, history_start=start)

    def _remembering(
        self, interaction: Interaction, max_history: int
    ) -> tuple[tuple[Interaction, ...], int]:
        """The history with the interaction added, the oldest dropped past ``max_history``,
        and the number of its first interaction."""
        history = self.history
        start = self.history_start
        if len(history) < max_history:
            # A concatenation: ``(*history, interaction)`` builds a list and then the tuple,
            # two copies of the history rather than one.
            return history + (interaction,), start  # noqa: RUF005
        dropped = len(history) + 1 - max_history
        kept = history[dropped:] + (interaction,) if max_history > 0 else ()  # noqa: RUF005
        return kept, start + dropped

    def with_version(self, version: int) -> Session:
        """The session as a store saves it (itself when it already has that version)."""
        if self.version == version:
            return self
        fields = self.__dict__.copy()
        fields["version"] = version
        return _session_of(fields)

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
        version: int | None = None,
    ) -> Session:
        """Touched, the interaction remembered, the state and login changed: one new session;
        with ``version``, numbered so (a save's ``with_version`` then has nothing to change).

        What a request does to its session, as one copy rather than one per change; it runs
        on every request, cached answers included (``session_after``).
        """
        return session_after(
            self, interaction, timeout_seconds, max_history, state, authenticated, version
        )


def session_after(
    session: Session,
    interaction: Interaction,
    timeout_seconds: float,
    max_history: int,
    state: dict[str, Any],
    authenticated: bool | None,
    version: int | None,
) -> Session:
    """``Session.after_request``, its arguments by position: the engine's save of every
    request calls it, without a method's look-up and five keywords to match."""
    now = interaction.at
    merged = session.state
    if state:
        merged = {**merged, **{k: StateValue(v, now) for k, v in state.items()}}
    history, start = session._remembering(interaction, max_history)
    # Filled in place, in the constructor's order (so they share the class's keys): a copy
    # of the session's dict put in as the new one's ``__dict__`` cost 0.7k instructions more.
    # Every one of Session's fields: one added there is added here too.
    changed: Session = object.__new__(Session)
    fields = changed.__dict__
    fields["id"] = session.id
    fields["created_at"] = session.created_at
    fields["last_seen"] = now
    fields["expires_at"] = now + timeout_seconds
    fields["version"] = session.version if version is None else version
    fields["authenticated"] = session.authenticated if authenticated is None else authenticated
    fields["state"] = merged
    fields["history"] = history
    fields["requests"] = session.requests + 1
    fields["history_start"] = start
    return changed


def _session_of(fields: dict[str, Any]) -> Session:
    """A session holding ``fields`` (every one of Session's, and nothing else), made without
    the frozen ``__init__``: it sets each field through ``object.__setattr__``, and every
    request makes two sessions (its save and the stored copy), so the copies are made from
    the fields of the session they change (``replace`` costs more still)."""
    session: Session = object.__new__(Session)
    object.__setattr__(session, "__dict__", fields)
    return session


@dataclass(frozen=True)
class SessionDelta:
    """What a save changes in a stored session besides its times, counts and login: the
    interactions it adds (numbered as ``history_start`` numbers them), the numbers of those
    it drops past the history bound, the state keys it sets and those it removes."""

    appended: tuple[tuple[int, Interaction], ...]
    dropped: range
    state_set: dict[str, StateValue]
    state_removed: tuple[str, ...]


def session_delta(base: Session, session: Session) -> SessionDelta | None:
    """What ``session`` changes in ``base``, or None when its history is not ``base``'s with
    interactions dropped from the front and added at the end (the session was rewritten).

    Interactions and state values a change keeps are the same objects (``after_request``
    shares them), so comparing by identity is exact and costs nothing per interaction.
    """
    base_start, base_end = base.history_start, base.history_start + len(base.history)
    start, end = session.history_start, session.history_start + len(session.history)
    if start < base_start or end < base_end:
        return None
    if start < base_end and (
        session.history[0] is not base.history[start - base_start]
        or session.history[base_end - 1 - start] is not base.history[-1]
    ):
        return None
    appended = tuple((n, session.history[n - start]) for n in range(max(start, base_end), end))
    earlier = base.state
    return SessionDelta(
        appended=appended,
        dropped=range(base_start, min(start, base_end)),
        state_set={k: v for k, v in session.state.items() if earlier.get(k) is not v},
        state_removed=tuple(k for k in earlier if k not in session.state),
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
    raw = SessionIdPlaces(tracking).raw(request)
    if raw is None:
        return _NOT_CARRIED
    if is_valid_session_id(raw):
        return SessionLookup(raw, carried=True, malformed=False)
    return _MALFORMED


class SessionIdPlaces:
    """Where a request carries its session id under ``tracking``, settled once: the engine
    reads the id of every request, and the tracking's names (the header's lower-cased) and
    order of places do not change."""

    def __init__(self, tracking: SessionTracking) -> None:
        self._method = tracking.method
        self._cookie = tracking.cookie_name
        self._header = tracking.header_name.lower()
        self._param = tracking.query_param

    def raw(self, request: MockRequest) -> str | None:
        """The id the request carries, well-formed or not; None when it carries none. The
        configured place first, then cookie, header, query parameter; an empty value counts
        as none. Each place is read only when the ones before it carry nothing."""
        method = self._method
        if method == "cookie":
            raw = (
                request.cookies.get(self._cookie)
                or request.headers.get(self._header)
                or request.query_value(self._param)
            )
        elif method == "header":
            raw = (
                request.headers.get(self._header)
                or request.cookies.get(self._cookie)
                or request.query_value(self._param)
            )
        else:
            raw = (
                request.query_value(self._param)
                or request.cookies.get(self._cookie)
                or request.headers.get(self._header)
            )
        return raw or None

    def carried(self, request: MockRequest) -> str | None:
        """``session_id_from(...).session_id``, without the lookup object."""
        raw = self.raw(request)
        return raw if raw is not None and _is_valid_id(raw) else None


_MALFORMED = SessionLookup(None, carried=False, malformed=True)
_NOT_CARRIED = SessionLookup(None, carried=False)


def session_to_dict(session: Session) -> dict[str, Any]:
    """A JSON-ready form for stores that persist sessions as documents."""
    return {
        **session_head_to_dict(session),
        "history": [interaction_to_dict(i) for i in session.history],
    }


def session_head_to_dict(session: Session) -> dict[str, Any]:
    """``session_to_dict`` without the history, for stores that keep interactions apart."""
    return {
        "id": session.id,
        "created_at": session.created_at,
        "last_seen": session.last_seen,
        "expires_at": session.expires_at,
        "version": session.version,
        "requests": session.requests,
        "authenticated": session.authenticated,
        "state": {k: state_value_to_dict(v) for k, v in session.state.items()},
    }


def state_value_to_dict(value: StateValue) -> dict[str, Any]:
    return {"value": value.value, "updated_at": value.updated_at}


def state_value_from_dict(data: dict[str, Any]) -> StateValue:
    return StateValue(data["value"], float(data["updated_at"]))


def interaction_to_dict(i: Interaction) -> dict[str, Any]:
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


def interaction_from_dict(i: dict[str, Any]) -> Interaction:
    return Interaction(
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


def session_from_dict(
    data: dict[str, Any], history: tuple[Interaction, ...] | None = None
) -> Session:
    """The session of ``session_to_dict``'s form; ``history`` when the store keeps it apart
    (then ``data`` has none, and may say the number of its first interaction)."""
    return Session(
        id=str(data["id"]),
        created_at=float(data["created_at"]),
        last_seen=float(data["last_seen"]),
        expires_at=float(data["expires_at"]),
        version=int(data["version"]),
        # Sessions stored before requests were counted have none: 0.
        requests=int(data.get("requests", 0)),
        authenticated=bool(data.get("authenticated", False)),
        state={k: state_value_from_dict(v) for k, v in data.get("state", {}).items()},
        history=(
            tuple(interaction_from_dict(i) for i in data.get("history", []))
            if history is None
            else history
        ),
        history_start=int(data.get("history_start", 0)),
    )
