"""Opening a request's session, and saving what the request did to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mockmind.domain.auth import TokenIssuer, bearer_token
from mockmind.domain.engine.answers import trimmed
from mockmind.domain.engine.exchange import SessionChanges
from mockmind.domain.engine.settings import EngineSettings
from mockmind.domain.errors import RequestError, VersionConflict
from mockmind.domain.http import MockRequest, MockResponse
from mockmind.domain.redaction import redacted_answer, redacted_json_bytes, redacted_query
from mockmind.domain.resources.races import WRITE_ATTEMPTS, RaceTally, tries
from mockmind.domain.sessions import (
    Interaction,
    Session,
    SessionIdPlaces,
    new_session_id,
    session_after,
)
from mockmind.ports.session_store import EventAtSave, KeepsJournalEvents, SessionStore

if TYPE_CHECKING:
    from mockmind.domain.engine.journaling import PendingEvent

# As for entities (domain/resources/races.py): every request of a session saves it, so many
# requests of one session at once (two servers, Lambda environments) race for each save.
_SAVE_ATTEMPTS = WRITE_ATTEMPTS


# A request's save: what it remembered, the session it was applied to (the one read last,
# after a lost race) and the session as stored.
Saved = tuple[Interaction, Session, Session]


class SessionKeeper:
    def __init__(
        self,
        store: SessionStore,
        settings: EngineSettings,
        auth: TokenIssuer | None,
        races: RaceTally,
    ) -> None:
        self._store = store
        self._settings = settings
        self._auth = auth
        self._races = races
        self._id_places = SessionIdPlaces(settings.tracking)
        # A store that can keep a request's journal event with its interaction (one write
        # instead of two: ports/session_store.py); None for one that cannot.
        self.keeping = store if isinstance(store, KeepsJournalEvents) else None

    def open(self, request: MockRequest, now: float) -> tuple[Session | None, bool]:
        """The request's session and whether it is new; None when sessions are not tracked."""
        session_id = self._id_places.carried(request)
        if session_id is None and self._auth is not None:
            # A bearer token this mock issued names its session, for clients without cookies.
            session_id = self._auth.session_of(bearer_token(request.headers), now)
        if session_id is not None:
            existing = self._store.get(session_id, now=now)
            if existing is not None:
                return existing, False
            # A well-formed id we have not seen: the client names a new, empty session.
            return self._blank(session_id, now), True
        if not self._settings.tracking.auto_create:
            return None, False
        return self._blank(new_session_id(), now), True

    def is_authenticated(self, request: MockRequest, session: Session | None, now: float) -> bool:
        if session is not None and session.authenticated:
            return True
        auth = self._auth
        return auth is not None and auth.session_of(bearer_token(request.headers), now) is not None

    def remember(
        self,
        session: Session,
        is_new: bool,
        request: MockRequest,
        response: MockResponse,
        changes: SessionChanges,
        now: float,
        event: PendingEvent | None = None,
    ) -> Saved:
        """Append the interaction and apply the changes, retrying on a lost race; with
        ``event`` (for a store in ``keeping``), the request's journal event built and kept by
        the save that holds."""
        settings = self._settings
        body = request.body
        interaction = Interaction.answered(
            now,
            request.method,
            request.path,
            response.status,
            # Most requests (every GET) carry no body: nothing to mask or trim.
            trimmed(redacted_json_bytes(body, settings.limits)) if body else None,
            (
                redacted_answer(response.body, response.encoded())
                if response.body_kind == "json"
                else None
            ),
            response.source,
            redacted_query(request.query),
        )
        keeping = None
        if event is not None:
            event.remembered = interaction
            event.base = session
            keeping = self.keeping
        timeout = settings.session_timeout_seconds
        max_history = settings.max_history_length
        state = changes.state
        authenticated = changes.authenticated
        # The first try made here rather than through ``_save`` (no closure, two calls less):
        # the only one almost every request makes.
        expected = None if is_new else session.version
        changed = session_after(
            session,
            interaction,
            timeout,
            max_history,
            state,
            authenticated,
            (expected or 0) + 1,
        )
        try:
            saved = _stored(self._store, session, expected, changed, keeping, event)
            return interaction, session, saved
        except VersionConflict:
            pass

        def update(current: Session, version: int) -> Session:
            if event is not None:
                event.base = current
            return session_after(
                current, interaction, timeout, max_history, state, authenticated, version
            )

        base, saved = _retried(self._store, session, update, now, self._races, keeping, event)
        return interaction, base, saved

    def _blank(self, session_id: str, now: float) -> Session:
        timeout = self._settings.session_timeout_seconds
        return Session(id=session_id, created_at=now, last_seen=now, expires_at=now + timeout)


def save_with_retry(
    store: SessionStore,
    session: Session,
    is_new: bool,
    update: Callable[[Session], Session],
    now: float,
    races: RaceTally,
    *,
    keeping: KeepsJournalEvents | None = None,
    event: EventAtSave | None = None,
) -> Session:
    """Optimistic locking: on a lost race, re-read and re-apply the change (after a short
    random pause, so racing savers fall out of step). ``keeping``: ``store`` itself, which
    keeps ``event`` with what it writes."""
    return _save(
        store,
        session,
        is_new,
        lambda current, _version: update(current),
        now,
        races,
        keeping=keeping,
        event=event,
    )[1]


def _save(
    store: SessionStore,
    session: Session,
    is_new: bool,
    update: _Update,
    now: float,
    races: RaceTally,
    *,
    keeping: KeepsJournalEvents | None,
    event: EventAtSave | None,
) -> tuple[Session, Session]:
    """``save_with_retry``, with the session the save that held was applied to; ``update``
    is also told the version the session is saved as."""
    # The first try outside the loop of tries: it is the only one almost every save makes.
    try:
        return session, _write(
            store, session, None if is_new else session.version, update, keeping, event
        )
    except VersionConflict:
        pass
    return _retried(store, session, update, now, races, keeping, event)


def _retried(
    store: SessionStore,
    session: Session,
    update: _Update,
    now: float,
    races: RaceTally,
    keeping: KeepsJournalEvents | None,
    event: EventAtSave | None,
) -> tuple[Session, Session]:
    """The tries of a save after its first lost a race, each from the session read anew."""
    for turn in tries(races, "session"):
        if not turn:
            continue
        fresh = store.get(session.id, now=now)
        current, expected = (fresh, fresh.version) if fresh else (session, None)
        try:
            return current, _write(store, current, expected, update, keeping, event)
        except VersionConflict:
            continue
    races.count_give_up("session")
    raise VersionConflict(
        f"session {session.id}: gave up after {_SAVE_ATTEMPTS} conflicting writes"
    )


# A save's change of the session it is applied to, numbered as the version it is saved as.
_Update = Callable[[Session, int], Session]


def _write(
    store: SessionStore,
    current: Session,
    expected: int | None,
    update: _Update,
    keeping: KeepsJournalEvents | None,
    event: EventAtSave | None,
) -> Session:
    return _stored(store, current, expected, update(current, (expected or 0) + 1), keeping, event)


def _stored(
    store: SessionStore,
    current: Session,
    expected: int | None,
    changed: Session,
    keeping: KeepsJournalEvents | None,
    event: EventAtSave | None,
) -> Session:
    """``changed`` saved over ``current``: put when new (``expected`` None), else an update;
    through ``keeping`` when it keeps the journal event with the save."""
    if keeping is not None:
        if expected is None:
            return keeping.put(changed, expected_version=None, event=event)
        return keeping.update(changed, base=current, event=event)
    if expected is None:
        return store.put(changed, expected_version=None)
    return store.update(changed, base=current)


def session_busy(session_id: str) -> RequestError:
    """The answer when a request's session could not be saved: 503, to be sent again."""
    return RequestError(
        503,
        "Service Unavailable",
        f"session {session_id} kept being changed by other requests while this one saved it "
        f"({_SAVE_ATTEMPTS} tries): the request was carried out, but its session did not "
        "record it (history, state, login)",
        headers={"Retry-After": "1"},
    )
