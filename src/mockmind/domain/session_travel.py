"""A session's past, for the admin routes: its journal, its world after any kept step, the
difference between two steps, and deleting all of it.

The world after step N is the world now (the session's view of every collection, its state)
with the changes of the later steps undone (``domain/journal.world_at``). The world now and
the journal are read between two reads of the session: when a request of the session was
saved in between, they are read again, so they always belong together.
"""

from __future__ import annotations

from mockmind.domain.auth import TokenIssuer
from mockmind.domain.errors import RequestError
from mockmind.domain.journal import (
    Entities,
    JournalEvent,
    JournalPage,
    StepOutOfReach,
    WorldAt,
    WorldDiff,
    diff_worlds,
    world_at,
)
from mockmind.domain.resources import ResourceService
from mockmind.domain.sessions import Session, is_valid_session_id
from mockmind.lean_dataclass import dataclass
from mockmind.ports.journal import Journal
from mockmind.ports.session_store import SessionStore

# Reads of the world now taken again when the session's requests keep coming in between.
_READ_ATTEMPTS = 5


@dataclass(frozen=True)
class Past:
    """The world now, and the journal that leads to it."""

    session: Session
    now: WorldAt
    page: JournalPage

    def at(self, step: int) -> WorldAt:
        return world_at(
            step, now_entities=self.now.entities, now_state=self.now.state, page=self.page
        )


class SessionTravel:
    def __init__(
        self,
        sessions: SessionStore,
        journal: Journal | None,
        resources: ResourceService,
        auth: TokenIssuer | None = None,
    ) -> None:
        self._sessions = sessions
        self._journal = journal
        self._resources = resources
        self._auth = auth

    def live(self, session_id: str, now: float) -> Session:
        found = None
        if is_valid_session_id(session_id):
            found = self._sessions.get(session_id, now=now)
        if found is None:
            raise RequestError(404, "Not Found", f"no live session {session_id!r}")
        return found

    def journal(self) -> Journal:
        if self._journal is None:
            raise RequestError(404, "Not Found", "the journal is off (journal.enabled: false)")
        return self._journal

    def page(self, session_id: str, now: float, after: int, limit: int | None) -> JournalPage:
        self.live(session_id, now)
        return self.journal().read(session_id, now=now, after=after, limit=limit)

    def at(self, session_id: str, step: int, now: float) -> WorldAt:
        past = self.past(session_id, now)
        return world_at(
            step, now_entities=past.now.entities, now_state=past.now.state, page=past.page
        )

    def diff(self, session_id: str, older: int, newer: int, now: float) -> WorldDiff:
        past = self.past(session_id, now)
        worlds = [
            world_at(step, now_entities=past.now.entities, now_state=past.now.state, page=past.page)
            for step in (older, newer)
        ]
        return diff_worlds(worlds[0], worlds[1])

    def request_at(self, session_id: str, step: int, now: float) -> tuple[JournalEvent, WorldAt]:
        """Step ``step``'s journal event, and the world it met: the world after the step
        before it (404 for a step the journal never had, 409 for one it dropped)."""
        past = self.past(session_id, now)
        event = next((e for e in past.page.events if e.seq == step), None)
        if event is None:
            held = past.page.last_seq
            raise StepOutOfReach(
                f"step {step} is not a request of the journal: it holds steps "
                f"{past.page.dropped + 1} to {held}"
                if held > past.page.dropped
                else f"step {step} is not a request of the journal: it holds no step",
                dropped=0 < step <= past.page.dropped,
            )
        return event, past.at(step - 1)

    def entities_now(self, session_id: str, now: float) -> Entities:
        """The session's entities now, by collection and id (no journal needed)."""
        session = self.live(session_id, now)
        state = {key: held.value for key, held in session.state.items()}
        return self._resources.entities_now(self._resources.context(session_id, now, state))

    def delete(self, session_id: str) -> None:
        """The session and everything kept for it: its journal, its entities (tombstones and
        counters too), the tokens its logins were issued and, in a store that frees a session's
        data when it ends (memory), its cache entries and vectors. 404 for an id no session can
        have."""
        if not is_valid_session_id(session_id):
            raise RequestError(404, "Not Found", f"no session can have the id {session_id!r}")
        if self._auth is not None:
            # From time 0: expired tokens' entries go too.
            self._auth.revoke_session(session_id, now=0.0)
        if self._journal is not None:
            self._journal.delete(session_id)
        self._resources.drop_scope(session_id)
        self._sessions.delete(session_id)

    def past(self, session_id: str, now: float) -> Past:
        journal = self.journal()
        for _ in range(_READ_ATTEMPTS):
            session = self.live(session_id, now)
            state = {key: held.value for key, held in session.state.items()}
            ctx = self._resources.context(session_id, now, state)
            entities = self._resources.entities_now(ctx)
            page = journal.read(session_id, now=now)
            again = self.live(session_id, now)
            if again.version != session.version:
                continue
            if page.last_seq != session.requests:
                raise RequestError(
                    409,
                    "Conflict",
                    f"session {session_id!r} made {session.requests} requests and its journal "
                    f"holds steps up to {page.last_seq}: time travel needs every step recorded",
                )
            return Past(session, WorldAt(session.requests, entities, state), page)
        raise RequestError(
            503,
            "Service Unavailable",
            f"session {session_id!r} kept taking requests while its world was read "
            f"({_READ_ATTEMPTS} tries)",
            headers={"Retry-After": "1"},
        )
