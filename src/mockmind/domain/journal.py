"""A session's journal: one event per request, with every change the request made.

An event records what was asked (secrets masked before it gets here), what was answered, what
made the answer (source, fallback reason, LLM calls, tokens, cost, the rules that fired) and
what changed: each entity write as its value before and after, each state-machine move, each
session-state key. Steps are the session's request numbers, counted from 1.

Because every change keeps its ``before``, the world at any step is rebuilt exactly from the
world as it is now by undoing, newest first, the changes of the steps after it
(``world_at``). That needs only the events after the step, so it works on a journal bounded to
its last ``max_events`` (the oldest are dropped): a step before the first kept one is out of
reach, and ``JournalPage.dropped`` says how many came before it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import field, replace
from typing import Any

from mockmind.domain.errors import RequestError
from mockmind.lean_dataclass import dataclass


@dataclass(frozen=True)
class EntityChange:
    """One entity write: ``before`` None when it was created, ``after`` None when deleted."""

    collection: str
    id: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "id": self.id,
            "before": None if self.before is None else dict(self.before),
            "after": None if self.after is None else dict(self.after),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EntityChange:
        return cls(
            collection=str(data["collection"]),
            id=str(data["id"]),
            before=data.get("before"),
            after=data.get("after"),
        )


@dataclass(frozen=True)
class StateMove:
    """A state machine moved an entity: ``transition`` names the trigger (or the path)."""

    machine: str
    entity_id: str
    from_state: str | None
    to_state: str
    transition: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "machine": self.machine,
            "entity_id": self.entity_id,
            "from": self.from_state,
            "to": self.to_state,
            "transition": self.transition,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StateMove:
        source = data.get("from")
        return cls(
            machine=str(data["machine"]),
            entity_id=str(data["entity_id"]),
            from_state=None if source is None else str(source),
            to_state=str(data["to"]),
            transition=str(data["transition"]),
        )


@dataclass(frozen=True)
class StateChange:
    """A session-state key set (or, with ``after_set`` False, removed) by the request."""

    key: str
    before: Any
    after: Any
    before_set: bool = True
    after_set: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "before": self.before,
            "after": self.after,
            "before_set": self.before_set,
            "after_set": self.after_set,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StateChange:
        return cls(
            key=str(data["key"]),
            before=data.get("before"),
            after=data.get("after"),
            before_set=bool(data.get("before_set", True)),
            after_set=bool(data.get("after_set", True)),
        )


@dataclass(frozen=True)
class RecordedExchange:
    """A request and its answer as the journal keeps them (masked by the caller)."""

    method: str
    path: str
    query: Mapping[str, Sequence[str]]
    request_headers: Mapping[str, str]
    request_body: Any
    status: int
    response_headers: Mapping[str, str]
    response_body: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "request": {
                "method": self.method,
                "path": self.path,
                "query": {k: list(v) for k, v in self.query.items()},
                "headers": dict(self.request_headers),
                "body": self.request_body,
            },
            "response": {
                "status": self.status,
                "headers": dict(self.response_headers),
                "body": self.response_body,
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecordedExchange:
        request, response = data["request"], data["response"]
        return cls(
            method=str(request["method"]),
            path=str(request["path"]),
            query={str(k): tuple(map(str, v)) for k, v in request.get("query", {}).items()},
            request_headers={str(k): str(v) for k, v in request.get("headers", {}).items()},
            request_body=request.get("body"),
            status=int(response["status"]),
            response_headers={str(k): str(v) for k, v in response.get("headers", {}).items()},
            response_body=response.get("body"),
        )


@dataclass(frozen=True)
class JournalEvent:
    """One request of a session, step ``seq`` (from 1), and what it did."""

    seq: int
    at: float
    exchange: RecordedExchange
    source: str
    latency_ms: float
    fallback_reason: str | None = None
    llm_calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    rules: tuple[str, ...] = ()
    moves: tuple[StateMove, ...] = ()
    changes: tuple[EntityChange, ...] = ()
    state_changes: tuple[StateChange, ...] = field(default=())

    def __post_init__(self) -> None:
        _check_seq(self.seq)

    @classmethod
    def recorded(
        cls,
        *,
        seq: int,
        at: float,
        exchange: RecordedExchange,
        source: str,
        latency_ms: float,
        fallback_reason: str | None,
        llm_calls: int,
        tokens: int,
        cost_usd: float,
        rules: tuple[str, ...],
        moves: tuple[StateMove, ...],
        changes: tuple[EntityChange, ...],
        state_changes: tuple[StateChange, ...],
    ) -> JournalEvent:
        """The event with every field given, checked as ``__init__`` checks it, made without
        it: the frozen ``__init__`` sets its thirteen fields one ``object.__setattr__`` at a
        time, and every request of a session records one (bench/RESULTS.md, row 1)."""
        _check_seq(seq)
        event = object.__new__(cls)
        object.__setattr__(
            event,
            "__dict__",
            {
                "seq": seq,
                "at": at,
                "exchange": exchange,
                "source": source,
                "latency_ms": latency_ms,
                "fallback_reason": fallback_reason,
                "llm_calls": llm_calls,
                "tokens": tokens,
                "cost_usd": cost_usd,
                "rules": rules,
                "moves": moves,
                "changes": changes,
                "state_changes": state_changes,
            },
        )
        return event

    def without_bodies(self) -> JournalEvent:
        """The event with its request and answer bodies replaced by a note of their size,
        for a store whose items have a size limit (what changed is kept whole)."""
        exchange = replace(
            self.exchange,
            request_body=_left_out(self.exchange.request_body),
            response_body=_left_out(self.exchange.response_body),
        )
        return replace(self, exchange=exchange)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            **self.exchange.to_dict(),
            "source": self.source,
            "fallback_reason": self.fallback_reason,
            "latency_ms": self.latency_ms,
            "llm_calls": self.llm_calls,
            "tokens": self.tokens,
            "cost_usd": self.cost_usd,
            "rules": list(self.rules),
            "moves": [m.to_dict() for m in self.moves],
            "changes": [c.to_dict() for c in self.changes],
            "state_changes": [c.to_dict() for c in self.state_changes],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JournalEvent:
        reason = data.get("fallback_reason")
        return cls(
            seq=int(data["seq"]),
            at=float(data["at"]),
            exchange=RecordedExchange.from_dict(data),
            source=str(data["source"]),
            latency_ms=float(data["latency_ms"]),
            fallback_reason=None if reason is None else str(reason),
            llm_calls=int(data.get("llm_calls", 0)),
            tokens=int(data.get("tokens", 0)),
            cost_usd=float(data.get("cost_usd", 0.0)),
            rules=tuple(map(str, data.get("rules", ()))),
            moves=tuple(StateMove.from_dict(m) for m in data.get("moves", ())),
            changes=tuple(EntityChange.from_dict(c) for c in data.get("changes", ())),
            state_changes=tuple(StateChange.from_dict(c) for c in data.get("state_changes", ())),
        )


_LEFT_OUT = re.compile(r"a body of [0-9]+ characters, too large to keep|a body no longer kept")


def _left_out(body: Any) -> Any:
    if body is None:
        return None
    return {
        "left_out": f"a body of {len(json.dumps(body, default=str))} characters, too large to keep"
    }


def body_no_longer_kept() -> dict[str, str]:
    """The note in place of an answer body a store kept apart from its event and no longer
    has (it expired before the event did)."""
    return {"left_out": "a body no longer kept"}


def is_left_out(body: Any) -> bool:
    """Whether ``body`` is a note left in place of a body (``without_bodies``,
    ``body_no_longer_kept``)."""
    return (
        isinstance(body, dict)
        and len(body) == 1
        and isinstance(body.get("left_out"), str)
        and _LEFT_OUT.fullmatch(body["left_out"]) is not None
    )


@dataclass(frozen=True)
class JournalPage:
    """Events in step order, and how many steps before the first kept one were dropped."""

    events: tuple[JournalEvent, ...]
    dropped: int = 0

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq if self.events else self.dropped


# A world as time travel sees it: collection -> id -> entity, and the session's state.
Entities = dict[str, dict[str, dict[str, Any]]]


@dataclass(frozen=True)
class WorldAt:
    step: int
    entities: Entities
    state: dict[str, Any]


class StepOutOfReach(RequestError):
    """The step asked for is before the first kept event (its changes were dropped: 409),
    or is no step of the journal (after the last, or below 0: 404)."""

    def __init__(self, detail: str, *, dropped: bool) -> None:
        if dropped:
            super().__init__(409, "Conflict", detail)
        else:
            super().__init__(404, "Not Found", detail)


def world_at(
    step: int,
    *,
    now_entities: Mapping[str, Mapping[str, Mapping[str, Any]]],
    now_state: Mapping[str, Any],
    page: JournalPage,
) -> WorldAt:
    """The world after step ``step`` (0: before the first kept step's changes, when the journal
    still holds step 1), rebuilt from the world now by undoing the later steps' changes.

    ``page`` must hold every event after ``step`` up to now.
    """
    first = page.dropped
    last = page.last_seq
    if step < first or step > last:
        raise StepOutOfReach(
            f"step {step} is out of reach: the journal holds steps {first + 1} to {last}"
            if last > first
            else f"step {step} is out of reach: the journal holds no step",
            dropped=0 <= step < first,
        )
    entities: Entities = {
        c: {i: dict(e) for i, e in ids.items()} for c, ids in now_entities.items()
    }
    state = dict(now_state)
    for event in reversed(page.events):
        if event.seq <= step:
            break
        for change in reversed(event.changes):
            _put(entities, change.collection, change.id, change.before)
        for state_change in reversed(event.state_changes):
            if state_change.before_set:
                state[state_change.key] = state_change.before
            else:
                state.pop(state_change.key, None)
    return WorldAt(step=step, entities=entities, state=state)


def _put(
    entities: Entities, collection: str, entity_id: str, value: Mapping[str, Any] | None
) -> None:
    items = entities.setdefault(collection, {})
    if value is None:
        items.pop(entity_id, None)
        if not items:
            del entities[collection]
    else:
        items[entity_id] = dict(value)


@dataclass(frozen=True)
class EntityDiff:
    collection: str
    id: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True)
class WorldDiff:
    """What differs between two worlds: entities added, removed or changed, and state keys."""

    entities: tuple[EntityDiff, ...]
    state: Mapping[str, tuple[Any, Any]]


def diff_worlds(older: WorldAt, newer: WorldAt) -> WorldDiff:
    """Entity by entity (sorted by collection and id) and state key by key."""
    changed: list[EntityDiff] = []
    for collection in sorted(set(older.entities) | set(newer.entities)):
        before_ids = older.entities.get(collection, {})
        after_ids = newer.entities.get(collection, {})
        for entity_id in sorted(set(before_ids) | set(after_ids)):
            before, after = before_ids.get(entity_id), after_ids.get(entity_id)
            if before != after:
                changed.append(EntityDiff(collection, entity_id, before, after))
    state = {
        key: (older.state.get(key), newer.state.get(key))
        for key in sorted(set(older.state) | set(newer.state))
        if older.state.get(key) != newer.state.get(key)
        or (key in older.state) != (key in newer.state)
    }
    return WorldDiff(entities=tuple(changed), state=state)


def _check_seq(seq: int) -> None:
    if seq < 1:
        raise ValueError(f"journal steps count from 1, not {seq}")
