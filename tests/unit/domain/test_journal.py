"""Time travel from the journal: the world at a step, rebuilt by undoing later changes."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockmind.domain.journal import (
    EntityChange,
    EntityDiff,
    JournalEvent,
    JournalPage,
    RecordedExchange,
    StateChange,
    StateMove,
    StepOutOfReach,
    WorldAt,
    diff_worlds,
    world_at,
)

_EXCHANGE = RecordedExchange("GET", "/", {}, {}, None, 200, {}, None)


def _step(
    seq: int,
    changes: tuple[EntityChange, ...] = (),
    state_changes: tuple[StateChange, ...] = (),
) -> JournalEvent:
    return JournalEvent(
        seq=seq,
        at=float(seq),
        exchange=_EXCHANGE,
        source="store",
        latency_ms=0.5,
        changes=changes,
        state_changes=state_changes,
    )


# A cart flow: step 1 creates the cart, step 2 adds an item, step 3 sets a state key and
# changes the cart again, step 4 deletes the item and the cart.
_STEPS = (
    _step(1, (EntityChange("carts", "c1", None, {"id": "c1", "total": 0}),)),
    _step(
        2,
        (
            EntityChange("items", "i1", None, {"id": "i1", "qty": 2}),
            EntityChange("carts", "c1", {"id": "c1", "total": 0}, {"id": "c1", "total": 10}),
        ),
    ),
    _step(
        3,
        (EntityChange("carts", "c1", {"id": "c1", "total": 10}, {"id": "c1", "total": 12}),),
        (StateChange("coupon", None, "SAVE2", before_set=False),),
    ),
    _step(
        4,
        (
            EntityChange("items", "i1", {"id": "i1", "qty": 2}, None),
            EntityChange("carts", "c1", {"id": "c1", "total": 12}, None),
        ),
        (StateChange("coupon", "SAVE2", "SAVE5"),),
    ),
)
_NOW: dict[str, dict[str, dict[str, Any]]] = {"products": {"p1": {"id": "p1"}}}
_NOW_STATE = {"coupon": "SAVE5"}


def _at(step: int, page: JournalPage | None = None) -> WorldAt:
    return world_at(step, now_entities=_NOW, now_state=_NOW_STATE, page=page or JournalPage(_STEPS))


def test_each_step_of_the_flow() -> None:
    products = {"products": {"p1": {"id": "p1"}}}
    assert _at(4) == WorldAt(4, products, {"coupon": "SAVE5"})
    assert _at(3) == WorldAt(
        3,
        {
            **products,
            "carts": {"c1": {"id": "c1", "total": 12}},
            "items": {"i1": {"id": "i1", "qty": 2}},
        },
        {"coupon": "SAVE2"},
    )
    assert _at(2).entities["carts"] == {"c1": {"id": "c1", "total": 10}}
    assert _at(2).state == {}
    assert _at(1) == WorldAt(1, {**products, "carts": {"c1": {"id": "c1", "total": 0}}}, {})
    assert _at(0) == WorldAt(0, products, {})


def test_the_world_now_is_not_changed_by_travelling() -> None:
    before = json.dumps(_NOW, sort_keys=True)
    _at(0)
    assert json.dumps(_NOW, sort_keys=True) == before


def test_steps_out_of_reach_name_what_the_journal_holds() -> None:
    with pytest.raises(
        StepOutOfReach, match="step 5 is out of reach: the journal holds steps 1 to 4"
    ):
        _at(5)
    kept = JournalPage(_STEPS[2:], dropped=2)
    assert _at(2, kept).entities["carts"] == {"c1": {"id": "c1", "total": 10}}
    with pytest.raises(
        StepOutOfReach, match="step 1 is out of reach: the journal holds steps 3 to 4"
    ):
        _at(1, kept)
    with pytest.raises(StepOutOfReach, match="the journal holds no step"):
        world_at(1, now_entities={}, now_state={}, page=JournalPage(()))


def test_diff_between_two_steps() -> None:
    diff = diff_worlds(_at(1), _at(3))
    assert diff.entities == (
        EntityDiff("carts", "c1", {"id": "c1", "total": 0}, {"id": "c1", "total": 12}),
        EntityDiff("items", "i1", None, {"id": "i1", "qty": 2}),
    )
    assert diff.state == {"coupon": (None, "SAVE2")}
    assert diff_worlds(_at(3), _at(3)).entities == ()


def test_a_state_key_set_to_null_differs_from_an_unset_one() -> None:
    older = WorldAt(0, {}, {})
    newer = WorldAt(1, {}, {"flag": None})
    assert diff_worlds(older, newer).state == {"flag": (None, None)}


def test_bodies_left_out_keep_what_changed() -> None:
    event = JournalEvent(
        seq=1,
        at=0.0,
        exchange=RecordedExchange("POST", "/x", {}, {}, {"big": "a" * 10}, 201, {}, [1, 2]),
        source="offline",
        latency_ms=1.0,
        changes=(EntityChange("x", "1", None, {"id": "1"}),),
    )
    slim = event.without_bodies()
    assert slim.exchange.request_body == {"left_out": "a body of 21 characters, too large to keep"}
    assert slim.exchange.response_body == {"left_out": "a body of 6 characters, too large to keep"}
    assert slim.changes == event.changes
    assert JournalEvent.from_dict(slim.to_dict()) == slim


def test_steps_count_from_one() -> None:
    with pytest.raises(ValueError, match="journal steps count from 1, not 0"):
        _step(0)
    with pytest.raises(ValueError, match="journal steps count from 1, not 0"):
        JournalEvent.recorded(**{**_fields(_STEPS[0]), "seq": 0})


def _fields(event: JournalEvent) -> dict[str, Any]:
    return {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}


def test_an_event_recorded_without_its_init_is_the_event_its_init_makes() -> None:
    for step in _STEPS:
        recorded = JournalEvent.recorded(**_fields(step))
        assert recorded == step
        assert recorded.to_dict() == step.to_dict()
        assert repr(recorded) == repr(step)
    with pytest.raises(dataclasses.FrozenInstanceError):
        recorded.seq = 9  # type: ignore[misc]


# Random histories of writes to a few entities: replaying the changes forward from the empty
# world gives the world at each step (an oracle independent of ``world_at``'s undo).
_ids = st.sampled_from(["a", "b", "c"])
_values = st.none() | st.fixed_dictionaries({"v": st.integers(0, 9)})


@given(st.lists(st.lists(st.tuples(_ids, _values), max_size=3), min_size=1, max_size=8))
def test_undo_agrees_with_replaying_forward(history: list[list[tuple[str, Any]]]) -> None:
    current: dict[str, dict[str, Any]] = {}
    forward: list[dict[str, dict[str, Any]]] = [{}]
    events = []
    for seq, writes in enumerate(history, start=1):
        changes = []
        for entity_id, value in writes:
            changes.append(EntityChange("things", entity_id, current.get(entity_id), value))
            if value is None:
                current.pop(entity_id, None)
            else:
                current[entity_id] = value
        events.append(_step(seq, tuple(changes)))
        forward.append({"things": dict(current)} if current else {})
    page = JournalPage(tuple(events))
    for step, expected in enumerate(forward):
        assert (
            world_at(step, now_entities=forward[-1], now_state={}, page=page).entities == expected
        )


def test_an_event_survives_a_json_line_round_trip() -> None:
    # Recordings are JSON lines of ``to_dict``: whatever the proxy writes, ``learn`` reads back.
    event = JournalEvent(
        seq=3,
        at=1764745200.25,
        exchange=RecordedExchange(
            "POST",
            "/orders/o-1/pay",
            {"expand": ("items", "customer")},
            {"content-type": "application/json", "authorization": "***"},
            {"card": "***", "amount": 12.5},
            200,
            {"content-type": "application/json"},
            {"id": "o-1", "status": "paid"},
        ),
        source="upstream",
        latency_ms=12.75,
        fallback_reason="timeout",
        llm_calls=1,
        tokens=42,
        cost_usd=0.001,
        rules=("require_auth",),
        moves=(StateMove("order", "o-1", "pending", "paid", "POST /orders/{id}/pay"),),
        changes=(EntityChange("orders", "o-1", {"status": "pending"}, {"status": "paid"}),),
        state_changes=(StateChange("coupon", None, "SAVE2", before_set=False),),
    )
    line = json.dumps(event.to_dict())
    assert JournalEvent.from_dict(json.loads(line)) == event
