"""Replaying a session: its recorded requests run again, in order, against the config in use
now, in a new scratch session, and each answer compared with the one recorded.

The engine is driven in process (no HTTP): each recorded request becomes a ``MockRequest``
again and goes through ``MockEngine.handle`` as a client's would, rules, state machines, the
store and the content source included. Three things make the same requests give the same
answers when nothing changed:

- **The scratch session's seeds are the recorded session's.** Ids and generated content are
  functions of the session's id (``resources/ids.py``, the generator's seed); the scratch
  session is told to follow the recorded one's (``handle(replaying=...)``), so its first cart item
  gets the id the recorded first cart item got, and the paths of later requests that name it
  reach it. Its store, state and cache entries stay its own. Delay rules are not waited: a
  replay compares answers, not timing.
- **The session is carried by the replay.** The recorded cookie is masked; each request carries
  the scratch session's id where the config tracks sessions (and wherever the recorded request
  carried the recorded session's id).
- **Masked credentials are stood in for.** The journal keeps ``***`` for every credential.
  A recorded ``Authorization`` is sent as ``Bearer <token>`` with the token the scratch
  session's own login issued (the latest, when it logged in more than once): a login-protected
  flow logs in and goes on as it did. Before any login it stays ``***`` (no token this mock
  knows, as the recorded one is to the scratch session). A login whose password was masked
  and that succeeded is sent with the password the config lists for that user now (with no
  user list, any password logs in, and ``***`` is one); a login that failed keeps ``***``.
  Other masked values (API keys, secret query parameters) are sent as ``***``.

Answers are compared as the journal records them (secrets masked the same way): status, and
the body path by path, leaving out the paths to ignore. By default those are the fields the
config fills with the clock (``now()`` in a resource's ``on_create`` or ``computed``, or a
transition's ``set``): a replay runs at another time. Bodies too large for the store's items
were not kept (DynamoDB): such a step is compared by status, and says so.

A replay sends no callbacks or webhooks (the steps' deliveries are dropped), calls the model
when one is configured (the scratch session's cache is empty), and is counted in the stats as
the requests it makes. The scratch session, its entities, journal and tokens are deleted
afterwards unless asked to keep it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from mockmind.domain import json_codec
from mockmind.domain.answer_diff import Difference, IgnoredPath, differences, parse_path
from mockmind.domain.engine import MockEngine
from mockmind.domain.engine.journaling import MASK, recorded_body
from mockmind.domain.error_answers import http_answer
from mockmind.domain.errors import MockmindError, RequestError
from mockmind.domain.http import MockRequest, MockResponse
from mockmind.domain.journal import JournalEvent, RecordedExchange, is_left_out
from mockmind.domain.session_travel import SessionTravel
from mockmind.domain.sessions import new_session_id
from mockmind.lean_dataclass import dataclass

# Differences listed per step, at most; the rest are counted.
MAX_DIFFERENCES_PER_STEP = 50
_CALLS_NOW = re.compile(r"\bnow\s*\(")
# Headers of the recorded request the replay does not send as they were.
_NOT_SENT = frozenset({"cookie", "content-length"})


@dataclass(frozen=True)
class ReplayedStep:
    step: int
    method: str
    path: str
    recorded_status: int
    status: int
    differences: tuple[Difference, ...]
    # Differences beyond those listed (MAX_DIFFERENCES_PER_STEP).
    omitted: int = 0
    # What the replay did differently from the recorded request, or could not compare.
    notes: tuple[str, ...] = ()

    @property
    def same(self) -> bool:
        return self.status == self.recorded_status and not self.differences and not self.omitted


@dataclass(frozen=True)
class ReplayReport:
    session_id: str
    scratch_session_id: str
    kept: bool
    ignored: tuple[str, ...]
    steps: tuple[ReplayedStep, ...] = field(default_factory=tuple)

    @property
    def same(self) -> int:
        return sum(step.same for step in self.steps)

    @property
    def differ(self) -> int:
        return len(self.steps) - self.same


class SessionReplay:
    def __init__(self, engine: MockEngine, travel: SessionTravel) -> None:
        self._engine = engine
        self._travel = travel

    def default_ignore(self) -> tuple[str, ...]:
        """``$..field`` for every field the config fills with the clock."""
        world = self._engine.world
        names: set[str] = set()
        for spec in world.resources.specs.values():
            for name, expression in [*spec.on_create.items(), *spec.computed.items()]:
                if _CALLS_NOW.search(expression.text):
                    names.add(name)
        for machine in world.machines.values():
            for transition in machine.transitions:
                for name, expression in transition.set_fields.items():
                    if _CALLS_NOW.search(expression.text):
                        names.add(name)
        return tuple(f"$..{name}" for name in sorted(names))

    async def replay(
        self,
        session_id: str,
        now: float,
        *,
        ignore: Sequence[str] | None = None,
        keep: bool = False,
    ) -> ReplayReport:
        """Replay the session's journal in a new scratch session; 404 for no live session or
        no journal, 409 when the journal no longer holds the session's first steps, 400 for
        a path to ignore that is not one."""
        texts = tuple(ignore) if ignore is not None else self.default_ignore()
        patterns = [parse_path(text) for text in texts]
        self._travel.live(session_id, now)
        page = self._travel.journal().read(session_id, now=now)
        if page.dropped:
            raise RequestError(
                409,
                "Conflict",
                f"session {session_id!r}'s journal no longer holds its first {page.dropped} "
                "steps (journal.max_events): a replay starts from step 1",
            )
        run = _Run(self._engine, session_id, new_session_id(), now)
        steps: list[ReplayedStep] = []
        try:
            for event in page.events:
                steps.append(await run.step(event, patterns))
        finally:
            if not keep:
                run.discard(self._travel)
        return ReplayReport(session_id, run.scratch, keep, texts, tuple(steps))


class _Run:
    """One replay in progress: the scratch session, and the tokens its logins were issued."""

    def __init__(self, engine: MockEngine, recorded: str, scratch: str, now: float) -> None:
        self._engine = engine
        self.recorded = recorded
        self.scratch = scratch
        self._now = now
        self.tokens: list[str] = []

    async def step(self, event: JournalEvent, ignore: Sequence[IgnoredPath]) -> ReplayedStep:
        recorded = event.exchange
        notes: list[str] = []
        request = self._request(recorded, notes)
        try:
            response = (await self._engine.handle(request, replaying=self.recorded)).response
            status, body = response.status, recorded_body(response)
            self._keep_token(response)
        except MockmindError as exc:
            # The engine answers clients' errors itself; what reaches here is mockmind failing,
            # which is what this step now answers.
            answer = http_answer(exc)
            status, body = answer.status, answer.body
            notes.append(f"the engine failed: {exc}")
        found: list[Difference] = []
        omitted = 0
        if is_left_out(recorded.response_body):
            notes.append("the recorded body was too large to keep: compared by status only")
        else:
            found, omitted = differences(
                recorded.response_body, body, ignore, limit=MAX_DIFFERENCES_PER_STEP
            )
        return ReplayedStep(
            step=event.seq,
            method=recorded.method,
            path=recorded.path,
            recorded_status=recorded.status,
            status=status,
            differences=tuple(found),
            omitted=omitted,
            notes=tuple(notes),
        )

    def _request(self, recorded: RecordedExchange, notes: list[str]) -> MockRequest:
        tracking = self._engine.settings.tracking
        headers = {
            name.lower(): self._carried(value)
            for name, value in recorded.request_headers.items()
            if name.lower() not in _NOT_SENT
        }
        query = {key: [self._carried(v) for v in values] for key, values in recorded.query.items()}
        cookies: dict[str, str] = {}
        if tracking.method == "cookie":
            cookies[tracking.cookie_name] = self.scratch
            headers["cookie"] = f"{tracking.cookie_name}={self.scratch}"
        elif tracking.method == "header":
            headers[tracking.header_name.lower()] = self.scratch
        else:
            query[tracking.query_param] = [self.scratch]
        if headers.get("authorization") == MASK:
            if self.tokens:
                headers["authorization"] = f"Bearer {self.tokens[-1]}"
                notes.append("authorization: the token the scratch session's login issued")
            else:
                notes.append("authorization: masked, and no login of the replay issued a token")
        body = recorded.request_body
        if body is not None and self._is_login(recorded, headers, query):
            body = self._login_body(body, recorded.status, notes)
        return MockRequest(
            method=recorded.method,
            path=recorded.path,
            query=query,
            headers=headers,
            cookies=cookies,
            body=_body_bytes(body),
        )

    def _carried(self, value: str) -> str:
        """A value that carried the recorded session's id carries the scratch session's."""
        return self.scratch if value == self.recorded else value

    def _is_login(
        self, recorded: RecordedExchange, headers: Mapping[str, str], query: Mapping[str, Any]
    ) -> bool:
        auth = self._engine.world.auth
        if auth is None:
            return False
        if auth.is_login(recorded.method, recorded.path):
            return True
        # A login route with a parameter in its path: its template, as the engine routes it.
        body = _body_bytes(recorded.request_body)
        probe = MockRequest(recorded.method, recorded.path, query, headers, body=body)
        try:
            template = self._engine.api.route(probe).path_template
        except RequestError:
            return False
        return auth.is_login(recorded.method, template)

    def _login_body(self, body: Any, status: int, notes: list[str]) -> Any:
        auth = self._engine.world.auth
        assert auth is not None  # a login route is the config's
        settings = auth.settings
        if not isinstance(body, dict) or body.get(settings.password_field) != MASK:
            return body
        username = body.get(settings.username_field)
        users = settings.users
        if status >= 400 or users is None or str(username) not in users:
            return body
        notes.append(f"{settings.password_field}: the config's password for {username!r}")
        return {**body, settings.password_field: users[str(username)]}

    def _keep_token(self, response: MockResponse) -> None:
        auth = self._engine.world.auth
        if auth is None or response.status >= 400 or not isinstance(response.body, dict):
            return
        token = response.body.get(auth.settings.token_field)
        # The login's answer names the token; a rule's answer could hold the field as well.
        if isinstance(token, str) and auth.session_of(token, self._now) == self.scratch:
            self.tokens.append(token)

    def discard(self, travel: SessionTravel) -> None:
        """The scratch session and all it left: entities, journal, and its tokens."""
        auth = self._engine.world.auth
        if auth is not None:
            for token in self.tokens:
                auth.revoke(token)
        travel.delete(self.scratch)


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode()
    return json_codec.compact(body)
