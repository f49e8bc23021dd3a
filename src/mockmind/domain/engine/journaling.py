"""Recording each request of a session in its journal (domain/journal.py), once it is saved.

The step is the session's request count after the save (``Session.requests``): each request's
save raises it by one under optimistic locking, so it counts the session's requests from 1,
each number once. Not its version: the save of a callback's delivery records raises that too,
and the steps would skip. A
second writer of the same step (a session made anew under an id whose journal was still kept)
is refused by the journal's put-if-absent append: logged, and the request is answered all the
same. Nothing the journal does fails a request.

Where the session store keeps events with the interactions it writes (``KeepsJournalEvents``,
ports/session_store.py: DynamoDB, one item a request instead of two), the event is handed to
the save as a ``PendingEvent`` and built by it, once the step the save settles on is known;
its ``latency_ms`` is then taken before the save's own writes rather than after. When that
store does not keep it (too large, a grace longer than it keeps items), it is appended to the
journal after the save, as for every other store.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from functools import lru_cache
from typing import Any

from mockmind.domain.client_input import DEFAULT_LIMITS, InputLimits
from mockmind.domain.costs import CostTracker, Totals
from mockmind.domain.engine.world import World
from mockmind.domain.http import MockRequest, MockResponse
from mockmind.domain.journal import (
    EntityChange,
    JournalEvent,
    RecordedExchange,
    StateChange,
    StateMove,
)
from mockmind.domain.redaction import (
    is_secret,
    is_secret_name,
    redacted_answer,
    redacted_json_bytes,
)
from mockmind.domain.sessions import Interaction, Session, StateValue
from mockmind.lean_dataclass import built, dataclass
from mockmind.ports.journal import Journal, KeepsUnbuiltEvents, UnbuiltEvent

logger = logging.getLogger("mockmind.journal")

MASK = "***"
# Headers that carry a credential whatever their name says: never kept.
_CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)
FALLBACK_REASON_HEADER = "X-Mockmind-Fallback-Reason"

# A request's model calls, tokens and cost.
_Spent = tuple[int, int, float]
_NOTHING_SPENT: _Spent = (0, 0, 0.0)


@dataclass(slots=True)
class RequestTrace:
    """What a request did besides its answer, gathered by the engine's steps as they run."""

    # The entity writes, in order: the resource context appends to this list.
    changes: list[EntityChange] = field(default_factory=list)
    rules: Sequence[str] = ()
    # ``METHOD /path/{template}``: what a state-machine move is recorded as made by.
    trigger: str | None = None


class JournalKeeper:
    def __init__(
        self,
        journal: Journal,
        world: World,
        *,
        grace_seconds: float = 0.0,
        limits: InputLimits = DEFAULT_LIMITS,
        costs: CostTracker | None = None,
        kept_by_sessions: bool = False,
    ) -> None:
        self._journal = journal
        self._world = world
        self._grace = grace_seconds
        self._limits = limits
        self._costs = costs
        # The session store keeps the events this journal reads (the module's docstring).
        self.kept_by_sessions = kept_by_sessions
        # The journal itself when it keeps events unbuilt until they are read.
        self._unbuilt = journal if isinstance(journal, KeepsUnbuiltEvents) else None

    def at_save(
        self,
        *,
        request: MockRequest,
        response: MockResponse,
        state: Mapping[str, Any],
        trace: RequestTrace,
        at: float,
        clock: Callable[[], float],
        spent_before: Totals | None,
    ) -> PendingEvent | None:
        """The request's event for the session's save to build and keep; None when the
        session store does not keep events (``record`` appends it after the save)."""
        if not self.kept_by_sessions:
            return None
        return PendingEvent(self, request, response, state, trace, at, clock, spent_before)

    def spent(self, session_id: str) -> Totals | None:
        """The session's model totals so far (None without a model): taken before the
        request, the difference after it is what this request spent."""
        return self._costs.session(session_id) if self._costs is not None else None

    def record(
        self,
        base: Session,
        saved: Session,
        request: MockRequest,
        response: MockResponse,
        remembered: Interaction,
        state: Mapping[str, Any],
        trace: RequestTrace,
        at: float,
        latency_ms: float,
        spent_before: Totals | None,
        pending: PendingEvent | None = None,
    ) -> bool:
        """Append the request's event; whether it was recorded. ``pending``: the event
        handed to the save (``at_save``), appended here only when the save did not keep it.
        A journal that keeps events unbuilt (``KeepsUnbuiltEvents``) is handed the pieces,
        which it builds into the event when it is read.

        ``remembered``: the interaction the session remembered, whose JSON body, secrets
        masked, the event keeps too (masking a ten-entity list that names a secret-like key
        was a fifth of its request, bench/RESULTS.md section 4).
        """
        if pending is not None and (pending.event is not None or pending.failed):
            # Kept by the save, or not recorded (its failure logged once, by the save).
            return pending.event is not None
        expires_at = saved.expires_at + self._grace
        try:
            # Without a model (no totals before) nothing was spent: no call to learn it.
            spent = _NOTHING_SPENT if spent_before is None else self._spent_by(saved, spent_before)
            pieces = (
                base.state,
                request,
                response,
                remembered,
                state,
                trace,
                at,
                latency_ms,
                spent,
            )
            if self._unbuilt is not None:
                # What the event is made of is the request's own and left as it is: built
                # from it later, the event is the one built now. The base session's state,
                # not the sessions (a journal of 200 events would keep 400 of them, and their
                # histories, alive).
                unbuilt: UnbuiltEvent = (saved.requests, self, saved.id, *pieces)
                added = self._unbuilt.append_unbuilt(saved.id, unbuilt, expires_at=expires_at)
            else:
                event = self._event(saved.requests, *pieces)
                added = self._journal.append(saved.id, event, expires_at=expires_at)
        except Exception:  # the journal is a record: the request is answered without it
            logger.exception("session %s: step %d not journaled", saved.id, saved.requests)
            return False
        if not added:
            logger.warning(
                "session %s: step %d was already journaled by another writer; this request's "
                "event is not kept",
                saved.id,
                saved.requests,
            )
            return False
        return True

    def build_unbuilt(self, unbuilt: UnbuiltEvent) -> JournalEvent | None:
        """The event ``record`` handed its journal unbuilt (``EventBuilder``)."""
        seq, _, session_id, *pieces = unbuilt
        try:
            return self._event(seq, *pieces)
        except Exception:  # the journal is a record: a read goes on without the event
            logger.exception("session %s: step %d not journaled", session_id, seq)
            return None

    def _spent_by(self, saved: Session, spent_before: Totals | None) -> _Spent:
        """What the request's model calls cost: the session's totals now less those before."""
        if spent_before is None:
            return _NOTHING_SPENT
        after = self.spent(saved.id)
        assert after is not None  # taken from the same tracker
        return (
            after.calls - spent_before.calls,
            (after.prompt_tokens + after.completion_tokens)
            - (spent_before.prompt_tokens + spent_before.completion_tokens),
            after.cost_usd - spent_before.cost_usd,
        )

    def _event(
        self,
        seq: int,
        base_state: Mapping[str, StateValue],
        request: MockRequest,
        response: MockResponse,
        remembered: Interaction,
        state: Mapping[str, Any],
        trace: RequestTrace,
        at: float,
        latency_ms: float,
        spent: _Spent,
    ) -> JournalEvent:
        calls, tokens, cost = spent
        return JournalEvent.recorded(
            seq=seq,
            at=at,
            exchange=self._exchange(request, response, remembered),
            source=response.source,
            latency_ms=latency_ms,
            fallback_reason=response.headers.get(FALLBACK_REASON_HEADER),
            llm_calls=calls,
            tokens=tokens,
            cost_usd=cost,
            rules=tuple(trace.rules),
            moves=self._moves(trace),
            changes=tuple(trace.changes),
            state_changes=state_changes(base_state, state),
        )

    def _exchange(
        self, request: MockRequest, response: MockResponse, remembered: Interaction
    ) -> RecordedExchange:
        # A JSON answer is masked once, for the session and the journal alike.
        body = remembered.response_body if response.body_kind == "json" else recorded_body(response)
        # Made without the frozen __init__ (lean_dataclass.built): one for every request.
        return built(
            RecordedExchange,
            method=request.method,
            path=request.path,
            # A key that names no secret keeps its values without a look at each.
            query={
                k: tuple(MASK if is_secret(k, v) else v for v in values)
                if is_secret_name(k)
                else tuple(values)
                for k, values in request.query.items()
            },
            request_headers=masked_headers(request.headers),
            request_body=self._request_body(request.body),
            status=response.status,
            response_headers=masked_headers(response.headers),
            response_body=body,
        )

    def _request_body(self, raw: bytes) -> Any:
        """The body as JSON when it is JSON (secrets masked), else as text; None when empty."""
        if not raw:
            return None
        masked = redacted_json_bytes(raw, self._limits)
        if not masked:
            # JSON that may hold a secret but cannot be read to mask it: not kept.
            return None
        try:
            return json.loads(masked)
        except ValueError:
            return masked.decode("utf-8", errors="replace")

    def _moves(self, trace: RequestTrace) -> tuple[StateMove, ...]:
        """Each change of a governed entity's state field: a move of its machine. A new
        entity starting in its initial state is no move."""
        if not self._world.machines:
            return ()
        moves: list[StateMove] = []
        for change in trace.changes:
            machine = self._world.machine_for(change.collection)
            if machine is None or change.before is None or change.after is None:
                continue
            before = change.before.get(machine.field)
            after = change.after.get(machine.field)
            if after is None or before == after:
                continue
            moves.append(
                StateMove(
                    machine=machine.name,
                    entity_id=change.id,
                    from_state=None if before is None else str(before),
                    to_state=str(after),
                    transition=trace.trigger or "",
                )
            )
        return tuple(moves)


class PendingEvent:
    """A request's event handed to its session's save (ports/session_store.EventAtSave):
    built from the session that save writes, and the event once kept."""

    __slots__ = (
        "_at",
        "_clock",
        "_keeper",
        "_request",
        "_response",
        "_spent_before",
        "_state",
        "_trace",
        "base",
        "event",
        "failed",
        "remembered",
    )

    def __init__(
        self,
        keeper: JournalKeeper,
        request: MockRequest,
        response: MockResponse,
        state: Mapping[str, Any],
        trace: RequestTrace,
        at: float,
        clock: Callable[[], float],
        spent_before: Totals | None,
    ) -> None:
        self._keeper = keeper
        self._request = request
        self._response = response
        self._state = state
        self._trace = trace
        self._at = at
        self._clock = clock
        self._spent_before = spent_before
        # The interaction the session remembers and the session it is applied to (set by
        # the session keeper before each try of its save), and the event its save kept.
        self.remembered: Interaction | None = None
        self.base: Session | None = None
        self.event: JournalEvent | None = None
        self.failed = False

    def build(self, saved: Session) -> tuple[JournalEvent, float] | None:
        keeper = self._keeper
        if self.remembered is None or self.base is None or self.failed:
            # Failed at a try before, whose save lost a race: logged once, not tried again.
            return None
        try:
            event = keeper._event(
                saved.requests,
                self.base.state,
                self._request,
                self._response,
                self.remembered,
                self._state,
                self._trace,
                self._at,
                (self._clock() - self._at) * 1000.0,
                keeper._spent_by(saved, self._spent_before),
            )
        except Exception:  # the journal is a record: the request is saved without it
            logger.exception("session %s: step %d not journaled", saved.id, saved.requests)
            self.failed = True
            return None
        return event, saved.expires_at + keeper._grace

    def kept(self, event: JournalEvent) -> None:
        self.event = event


def recorded_body(response: MockResponse) -> Any:
    """The answer's body as the journal keeps it: JSON with secrets masked, text as text, None
    when there is none."""
    if response.body_kind == "json":
        return redacted_answer(response.body, response.encoded())
    if response.body_kind == "text":
        return response.text.decode("utf-8", errors="replace")
    return None


def masked_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with every credential's value masked: cookies and authorization always, any
    other by its name and value (``redaction.is_secret``)."""
    masked = dict(headers)
    rules = _mask_rules(tuple(headers))
    if rules is None:
        return masked
    # The copy keeps the headers' order; only the few names that may hold a secret are
    # looked at (every request's ``authorization``), not every header.
    always, by_value = rules
    for name in always:
        masked[name] = MASK
    for name in by_value:
        if is_secret(name, masked[name]):
            masked[name] = MASK
    return masked


@lru_cache(maxsize=1024)
def _mask_rules(names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The names always masked and those masked as their value says; None when none of these
    names can hold a secret (most requests: every one is journaled with its headers, and
    clients send the same names)."""
    always = tuple(name for name in names if name.lower() in _CREDENTIAL_HEADERS)
    by_value = tuple(
        name for name in names if name.lower() not in _CREDENTIAL_HEADERS and is_secret_name(name)
    )
    return (always, by_value) if always or by_value else None


def state_changes(
    base_state: Mapping[str, StateValue], state: Mapping[str, Any]
) -> tuple[StateChange, ...]:
    """The session-state keys the request set, against the state of the session it was
    applied to; a key set to the value it had is no change."""
    changes: list[StateChange] = []
    for key, value in state.items():
        held = base_state.get(key)
        if held is not None and held.value == value:
            continue
        changes.append(
            StateChange(
                key=key,
                before=None if held is None else held.value,
                after=value,
                before_set=held is not None,
            )
        )
    return tuple(changes)
