"""What the admin routes do to whole sessions: list them, reset one (empty, or back to a
step), fork one (a new session with the world as it was at a step), export one as a fixture
and import a fixture as a new session.

A world at step N comes from ``session_travel`` (the world now with the later steps' changes
undone); it is written into a scope by ``resources/scope_copies``. A copy's journal holds the
original's steps up to N, so time travel works on it as on the original, and its next request
is step N+1.

Login is not journaled: a session reset to a step, or forked, keeps the login it has now.
None of this runs as one transaction: a request of the session arriving while it is reset may
be saved before or after, as with two requests; a reset whose session changed between its
read and its write is refused (409) before it changes anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from mockmind.domain.auth import TokenIssuer
from mockmind.domain.errors import EntityExists, RequestError, VersionConflict
from mockmind.domain.journal import JournalEvent, JournalPage, WorldAt
from mockmind.domain.resources import ResourceService
from mockmind.domain.resources.specs import META_COLLECTION
from mockmind.domain.session_fixture import FIXTURE_FORMAT, Fixture, checked
from mockmind.domain.session_listing import SessionPage, SessionQuery
from mockmind.domain.session_travel import SessionTravel
from mockmind.domain.sessions import (
    SHARED_SCOPE,
    Session,
    SessionSummary,
    StateValue,
    is_valid_session_id,
    new_session_id,
    session_to_dict,
)
from mockmind.lean_dataclass import dataclass
from mockmind.ports.entity_store import EntityRecord, EntityStore
from mockmind.ports.journal import Journal
from mockmind.ports.session_store import SessionStore

_DAY = 86_400.0
# Where import remembers which session each fixture became: a bookkeeping record of the
# shared scope, which every backend's entity store has and no session reads.
_IMPORTED = "imported:"


class ImportLedger:
    def __init__(self, store: EntityStore, *, ttl: float) -> None:
        self._store = store
        self._ttl = ttl

    def find(self, digest: str, now: float) -> str | None:
        record = self._store.get(SHARED_SCOPE, META_COLLECTION, _IMPORTED + digest, now=now)
        found = (record.data or {}).get("session_id") if record is not None else None
        return found if isinstance(found, str) else None

    def claim(self, digest: str, session_id: str, now: float, *, replacing: bool) -> bool:
        """Note ``session_id`` as the fixture's session; False when another import noted
        its own first (``replacing``: over a note whose session has ended)."""
        record = EntityRecord(_IMPORTED + digest, {"session_id": session_id}, now)
        expires_at = now + self._ttl
        if replacing:
            self._store.put(SHARED_SCOPE, META_COLLECTION, record, expires_at=expires_at)
            return True
        try:
            self._store.put_new(
                SHARED_SCOPE, META_COLLECTION, record, now=now, expires_at=expires_at
            )
        except EntityExists:
            return False
        return True


@dataclass(frozen=True)
class Imported:
    session_id: str
    digest: str
    imported: bool


class SessionAdmin:
    def __init__(
        self,
        sessions: SessionStore,
        journal: Journal | None,
        resources: ResourceService,
        entities: EntityStore,
        *,
        session_timeout_seconds: float,
        journal_grace_seconds: float,
        auth: TokenIssuer | None = None,
    ) -> None:
        self._sessions = sessions
        self._journal = journal
        self._resources = resources
        self._copies = resources.copies()
        self._travel = SessionTravel(sessions, journal, resources, auth)
        self._timeout = session_timeout_seconds
        self._grace = journal_grace_seconds
        self._ledger = ImportLedger(entities, ttl=max(session_timeout_seconds, _DAY))

    def list(self, query: SessionQuery, now: float) -> SessionPage:
        return self._sessions.list(query, now=now)

    def reset(self, session_id: str, to: int | None, now: float) -> SessionSummary:
        """Empty the session (``to`` None), or put it back as it was after step ``to``."""
        if to is None:
            current = self._travel.live(session_id, now)
            # Everything kept for it goes, as a delete takes it (in memory, its cached
            # answers too); then the same id starts again, created now.
            self._travel.delete(session_id)
            blank = Session(
                id=session_id, created_at=now, last_seen=now, expires_at=current.expires_at
            )
            return SessionSummary.of(self._save(blank, None))
        past = self._travel.past(session_id, now)
        world = past.at(to)
        at = _time_of(past.page, to)
        session = past.session
        known = self._copies.records(session_id, now)
        bookkeeping = self._copies.bookkeeping(session_id, now).until(at)
        back = replace(
            session,
            requests=to,
            state=_state(world, session, at),
            history=tuple(i for i in session.history if at is not None and i.at <= at),
        )
        # The session first: a request saved since it was read makes this a conflict, before
        # anything else changed.
        saved = self._save(back, session.version)
        self._copies.write(
            session_id, world.entities, now=now, known=known, bookkeeping=bookkeeping
        )
        journal = self._travel.journal()
        journal.delete(session_id)
        self._append(saved, [e for e in past.page.events if e.seq <= to])
        return SessionSummary.of(saved)

    def fork(
        self, session_id: str, at_step: int | None, new_id: str | None, now: float
    ) -> SessionSummary:
        """A new session (``new_id``, or a random one) whose world is the session's after
        step ``at_step`` (None: its latest), and whose journal holds those steps."""
        if new_id is not None and not is_valid_session_id(new_id):
            raise RequestError(
                400,
                "Bad Request",
                f"{new_id!r} cannot be a session id (1 to 128 of A-Z a-z 0-9 _ . -)",
            )
        fork_id = new_id if new_id is not None else new_session_id()
        if self._journal is None:
            if at_step is not None:
                self._travel.journal()  # 404: the journal is off
            source = self._travel.live(session_id, now)
            state = {k: v.value for k, v in source.state.items()}
            ctx = self._resources.context(session_id, now, state)
            world = WorldAt(source.requests, self._resources.entities_now(ctx), state)
            events: list[JournalEvent] = []
            at: float | None = now
        else:
            past = self._travel.past(session_id, now)
            source = past.session
            step = source.requests if at_step is None else at_step
            world = past.at(step)
            at = _time_of(past.page, step)
            events = [e for e in past.page.events if e.seq <= step]
        known = self._copies.records(session_id, now)
        bookkeeping = self._copies.bookkeeping(session_id, now).until(at)
        fork = Session(
            id=fork_id,
            created_at=now,
            last_seen=now,
            expires_at=now + self._timeout,
            authenticated=source.authenticated,
            state=_state(world, source, at),
            history=tuple(i for i in source.history if at is not None and i.at <= at),
            requests=world.step,
        )
        saved = self._save(fork, None)
        self._copies.write(fork_id, world.entities, now=now, known=known, bookkeeping=bookkeeping)
        self._append(saved, events)
        return SessionSummary.of(saved)

    def export(self, session_id: str, now: float) -> dict[str, Any]:
        """The session's fixture (``domain/session_fixture``), without its digest: the world
        it sees now, its kept journal, its session record and bookkeeping."""
        if self._journal is None:
            session = self._travel.live(session_id, now)
            state = {k: v.value for k, v in session.state.items()}
            ctx = self._resources.context(session_id, now, state)
            entities = self._resources.entities_now(ctx)
            events: tuple[JournalEvent, ...] = ()
        else:
            past = self._travel.past(session_id, now)
            session, entities, events = past.session, past.now.entities, past.page.events
        record = session_to_dict(session)
        del record["version"]
        record["bookkeeping"] = self._copies.bookkeeping(session_id, now).to_dict()
        return {
            "format": FIXTURE_FORMAT,
            "session": record,
            "entities": entities,
            "journal": [event.to_dict() for event in events],
        }

    def import_fixture(self, fixture: Fixture, now: float) -> Imported:
        """A new session with the fixture's world and journal; the session an earlier import
        of the same fixture made, while it lives (idempotent by digest)."""
        fixture = checked(fixture, self._copies.collections())
        earlier = self._ledger.find(fixture.digest, now)
        if earlier is not None and self._sessions.get(earlier, now=now) is not None:
            return Imported(earlier, fixture.digest, imported=False)
        new_id = new_session_id()
        if not self._ledger.claim(fixture.digest, new_id, now, replacing=earlier is not None):
            # Another import of the same fixture got there first: its session is the one.
            winner = self._ledger.find(fixture.digest, now)
            if winner is not None:
                return Imported(winner, fixture.digest, imported=False)
        source = fixture.session
        session = replace(
            source,
            id=new_id,
            created_at=now,
            last_seen=now,
            expires_at=now + self._timeout,
            version=0,
        )
        saved = self._save(session, None)
        self._copies.write(
            new_id, fixture.entities, now=now, known={}, bookkeeping=fixture.bookkeeping
        )
        self._append(saved, fixture.journal)
        return Imported(new_id, fixture.digest, imported=True)

    def _save(self, session: Session, expected_version: int | None) -> Session:
        try:
            return self._sessions.put(session, expected_version=expected_version)
        except VersionConflict:
            if expected_version is None:
                raise RequestError(
                    409, "Conflict", f"a live session already has the id {session.id!r}"
                ) from None
            raise RequestError(
                409,
                "Conflict",
                f"session {session.id!r} took a request while this ran; nothing was changed: "
                "try again",
            ) from None

    def _append(self, session: Session, events: Sequence[JournalEvent]) -> None:
        if self._journal is None:
            return
        expires_at = session.expires_at + self._grace
        for event in events[-self._journal.max_events :]:
            self._journal.append(session.id, event, expires_at=expires_at)


def _time_of(page: JournalPage, step: int) -> float | None:
    """When step ``step`` was taken (None: step 0, before any); for a step whose event was
    dropped, just before the first kept one."""
    if step == 0:
        return None
    taken = [e.at for e in page.events if e.seq <= step]
    if taken:
        return taken[-1]
    return page.events[0].at - 1e-6 if page.events else None


def _state(world: WorldAt, session: Session, at: float | None) -> dict[str, StateValue]:
    """The world's state as session state: a key that still holds the value it holds now
    keeps when it was set; the others were set by step ``at``."""
    held: Mapping[str, StateValue] = session.state
    return {
        key: held[key]
        if key in held and held[key].value == value
        else StateValue(value, at if at is not None else session.created_at)
        for key, value in world.state.items()
    }
