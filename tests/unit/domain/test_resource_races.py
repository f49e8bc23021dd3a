"""Resource writes that lose a race to another writer: re-read and re-applied, or refused.

``Interfering`` is a memory store in which another writer gets in just before the writes a
test picks, as another request (or another process on the same store) would.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from mockmind.adapters.memory import MemoryEntityStore
from mockmind.app.bootstrap import build
from mockmind.config import parse_config
from mockmind.domain.errors import RequestError, VersionConflict
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.http import MockRequest
from mockmind.domain.resources import ResourceAction, ResourceService, ResourceSpec, races
from mockmind.domain.resources.races import WRITE_ATTEMPTS, RaceTally
from mockmind.domain.sessions import Session
from mockmind.ports import EntityRecord
from tests.support.clock import still_lifetimes

ORDERS = ResourceSpec("orders", "/orders", "/orders/{orderId}", "orderId")
NUMBERED = ResourceSpec("tickets", "/tickets", "/tickets/{ticketId}", "ticketId", id_kind="integer")
SEEDED = ResourceSpec(
    "seats", "/seats", "/seats/{seatId}", "seatId", id_kind="integer", seed_count=3
)
ITEMS = ResourceSpec("items", "/items", "/items/{itemId}", "itemId")
NOW = 1000.0


class Interfering(MemoryEntityStore):
    """Runs the next queued interference just before a conditional write or a create."""

    def __init__(self) -> None:
        super().__init__(still_lifetimes())
        self.before_update: list[Callable[[], None]] = []
        self.before_create: list[Callable[[], None]] = []

    def put(
        self,
        scope: str,
        collection: str,
        record: EntityRecord,
        *,
        expires_at: float | None,
        expected_version: int | None = None,
    ) -> EntityRecord:
        if expected_version is not None and self.before_update:
            self.before_update.pop(0)()
        return super().put(
            scope, collection, record, expires_at=expires_at, expected_version=expected_version
        )

    def put_new(
        self,
        scope: str,
        collection: str,
        record: EntityRecord,
        *,
        now: float,
        expires_at: float | None,
    ) -> EntityRecord:
        if self.before_create:
            self.before_create.pop(0)()
        return super().put_new(scope, collection, record, now=now, expires_at=expires_at)


@pytest.fixture
def store() -> Interfering:
    return Interfering()


@pytest.fixture
def service(store: Interfering) -> ResourceService:
    specs = {spec.name: spec for spec in (ORDERS, NUMBERED, SEEDED, ITEMS)}
    return ResourceService(
        specs, store, OfflineGenerator(), lambda ref: {}, entity_ttl_seconds=3600
    )


def _create(service: ResourceService, spec: ResourceSpec, body: Any) -> dict[str, Any]:
    ctx = service.context("s1", NOW, {})
    return service.create(ctx, ResourceAction(spec, "create"), body)


def _patch(service: ResourceService, entity_id: Any, body: Any) -> dict[str, Any]:
    ctx = service.context("s1", NOW, {})
    action = ResourceAction(ORDERS, "merge", entity_id=entity_id)
    return service.write(ctx, action, body, merge=True)


def _stored(service: ResourceService, spec: ResourceSpec, entity_id: Any) -> dict[str, Any]:
    return service.read(service.context("s1", NOW, {}), spec, entity_id)


def test_a_patch_that_lost_a_race_is_applied_over_the_winners_write(
    service: ResourceService, store: Interfering
) -> None:
    order = _create(service, ORDERS, {"a": 1})
    store.before_update.append(lambda: _patch(service, order["id"], {"b": 2}))
    patched = _patch(service, order["id"], {"c": 3})
    assert {k: patched[k] for k in "abc"} == {"a": 1, "b": 2, "c": 3}
    assert _stored(service, ORDERS, order["id"]) == patched
    assert service.races.as_dict() == {
        "entity": {"retried": 1, "given_up": 0},
        "session": {"retried": 0, "given_up": 0},
    }


def test_a_change_is_decided_again_on_the_fresh_read(
    service: ResourceService, store: Interfering
) -> None:
    """Two requests paying one order: the one writing second finds it paid, and is refused."""
    order = _create(service, ORDERS, {"status": "placed"})

    def pay(entity: dict[str, Any]) -> dict[str, Any]:
        if entity["status"] != "placed":
            raise RequestError(409, "Conflict", f"order is {entity['status']}")
        return {**entity, "status": "paid", "paid_by": "this one"}

    store.before_update.append(lambda: _patch(service, order["id"], {"status": "paid"}))
    action = ResourceAction(ORDERS, "read", entity_id=order["id"])
    with pytest.raises(RequestError) as refused:
        service.update(service.context("s1", NOW, {}), action, pay)
    assert refused.value.status == 409
    assert "paid_by" not in _stored(service, ORDERS, order["id"])


def test_a_write_that_loses_every_race_is_answered_409_and_writes_nothing(
    service: ResourceService, store: Interfering
) -> None:
    order = _create(service, ORDERS, {"n": 0})
    count = iter(range(1, 100))

    def another_writer() -> None:
        _patch(service, order["id"], {"n": next(count)})
        store.before_update.append(another_writer)

    store.before_update.append(another_writer)
    with pytest.raises(RequestError) as conflict:
        _patch(service, order["id"], {"mine": True})
    store.before_update.clear()
    error = conflict.value
    assert (error.status, error.title) == (409, "Conflict")
    assert error.headers == {"Retry-After": "1"}
    assert f"order {order['id']}" in error.detail
    assert error.body()["status"] == 409
    stored = _stored(service, ORDERS, order["id"])
    assert "mine" not in stored
    assert stored["n"] == WRITE_ATTEMPTS
    # Every turn after the first followed a lost race; the last loss gave the write up.
    assert service.races.as_dict()["entity"] == {"retried": WRITE_ATTEMPTS - 1, "given_up": 1}


def test_a_create_that_finds_its_id_taken_takes_the_next_number(
    service: ResourceService, store: Interfering
) -> None:
    taken = EntityRecord("1", {"id": 1, "by": "someone else"}, NOW)
    store.before_create.append(lambda: store.put("s1", "tickets", taken, expires_at=None))
    created = _create(service, NUMBERED, {"by": "me"})
    assert created["id"] == 2
    assert service.races.as_dict()["entity"] == {"retried": 1, "given_up": 0}
    assert _stored(service, NUMBERED, 1)["by"] == "someone else"
    assert _stored(service, NUMBERED, 2)["by"] == "me"


def test_one_writer_numbers_after_the_shared_seeds_as_before(service: ResourceService) -> None:
    service.seed_shared(NOW)
    assert [_create(service, SEEDED, {})["id"] for _ in range(3)] == [4, 5, 6]
    other = service.context("s2", NOW, {})
    assert service.create(other, ResourceAction(SEEDED, "create"), {})["id"] == 4


def test_a_session_numbered_before_counters_continues_after_its_last_number(
    service: ResourceService, store: Interfering
) -> None:
    """Releases before counters kept ``{"n": last}``; the counter starts after it."""
    legacy = EntityRecord("seq:tickets", {"n": 5}, NOW)
    store.put("s1", "__meta__", legacy, expires_at=NOW + 3600)
    assert [_create(service, NUMBERED, {})["id"] for _ in range(2)] == [6, 7]


def test_an_entity_two_readers_generate_at_once_is_the_first_ones(
    service: ResourceService, store: Interfering
) -> None:
    def first_reader() -> None:
        ctx = service.context("s1", NOW, {})
        service.read(ctx, ORDERS, "o-9", generated={"by": "first"})

    store.before_create.append(first_reader)
    ctx = service.context("s1", NOW, {})
    assert service.read(ctx, ORDERS, "o-9", generated={"by": "second"})["by"] == "first"


def test_clearing_clears_what_the_request_read_and_not_what_came_since(
    service: ResourceService,
) -> None:
    kept_before = _create(service, ITEMS, {"n": 1})
    ctx = service.context("s1", NOW, {})
    assert [item["n"] for item in service.all(ctx, ITEMS)] == [1]
    added_since = _create(service, ITEMS, {"n": 2})
    service.clear(ctx, "items")
    remaining = service.all(service.context("s1", NOW, {}), ITEMS)
    assert [item["id"] for item in remaining] == [added_since["id"]]
    assert kept_before["id"] != added_since["id"]


# ------------------------------------------------------------------------ session saves

CONFIG = """
intelligent_behavior:
  session_tracking: {method: header}
"""


def _get(app: Any, path: str) -> Any:
    request = MockRequest(method="GET", path=path, headers={"x-session-id": "s-1"}, body=b"")
    return asyncio.run(app.engine.handle(request)).response


def test_a_session_save_that_lost_races_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    app = build(parse_config(CONFIG, env={}), env={})
    put = app.sessions.put
    lost = iter([True, True])

    def racing(session: Session, *, expected_version: int | None) -> Session:
        if next(lost, False):
            raise VersionConflict("another request saved it first")
        return put(session, expected_version=expected_version)

    monkeypatch.setattr(app.sessions, "put", racing)
    assert _get(app, "/anything").status == 200
    saved = app.sessions.get("s-1", now=time.time())
    assert saved is not None
    assert [i.path for i in saved.history] == ["/anything"]
    assert app.engine.races.as_dict()["session"] == {"retried": 2, "given_up": 0}


def test_a_session_that_cannot_be_saved_is_answered_503(monkeypatch: pytest.MonkeyPatch) -> None:
    app = build(parse_config(CONFIG, env={}), env={})

    def always_lost(session: Session, *, expected_version: int | None) -> Session:
        raise VersionConflict("another request saved it first")

    monkeypatch.setattr(app.sessions, "put", always_lost)
    response = _get(app, "/anything")
    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    body = json.loads(response.encoded())
    assert body["title"] == "Service Unavailable"
    assert "session s-1" in body["detail"]
    assert app.engine.races.as_dict()["session"] == {
        "retried": WRITE_ATTEMPTS - 1,
        "given_up": 1,
    }


def test_the_engine_counts_on_its_worlds_tally() -> None:
    """One tally per process: the entity writes' and the session saves' lost races together,
    which is what the health route shows."""
    app = build(parse_config(CONFIG, env={}), env={})
    assert app.engine.races is app.engine.world.resources.races


def test_a_delete_that_loses_every_race_is_409_naming_the_entity(
    service: ResourceService, store: Interfering
) -> None:
    order = _create(service, ORDERS, {"n": 0})

    def another_writer() -> None:
        _patch(service, order["id"], {"n": 1})
        store.before_update.append(another_writer)

    store.before_update.append(another_writer)
    ctx = service.context("s1", NOW, {})
    with pytest.raises(RequestError) as conflict:
        service.delete(ctx, ResourceAction(ORDERS, "delete", entity_id=order["id"]))
    store.before_update.clear()
    assert conflict.value.detail == (
        f"order {order['id']} kept being changed by other requests while this one wrote it "
        f"({WRITE_ATTEMPTS} tries); nothing was written, send the request again"
    )
    assert service.races.as_dict()["entity"] == {"retried": WRITE_ATTEMPTS - 1, "given_up": 1}
    assert _stored(service, ORDERS, order["id"])["n"] == 1


def test_clearing_goes_on_past_an_item_changed_since_it_was_read(
    service: ResourceService, store: Interfering
) -> None:
    changed = _create(service, ITEMS, {"n": 1})
    cleared = _create(service, ITEMS, {"n": 2})
    ctx = service.context("s1", NOW, {})
    assert [item["n"] for item in service.all(ctx, ITEMS)] == [1, 2]

    def another_writer() -> None:
        other = service.context("s1", NOW, {})
        action = ResourceAction(ITEMS, "merge", entity_id=changed["id"])
        service.write(other, action, {"n": 9}, merge=True)

    store.before_update.append(another_writer)
    service.clear(ctx, "items")
    remaining = service.all(service.context("s1", NOW, {}), ITEMS)
    assert [(item["id"], item["n"]) for item in remaining] == [(changed["id"], 9)]
    assert cleared["id"] != changed["id"]


def test_a_tally_counts_every_give_up_and_retry() -> None:
    tally = RaceTally()
    for _ in range(3):
        tally.count_give_up("entity")
    tally.count_retry("session")
    tally.count_retry("session")
    assert tally.as_dict() == {
        "entity": {"retried": 0, "given_up": 3},
        "session": {"retried": 2, "given_up": 0},
    }


def test_the_pause_before_each_turn_again_is_full_jitter_doubling_to_its_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Turn n (from 1) pauses a random time in [0, min(0.05, 0.001 * 2**(n-1))] seconds: the
    bounds asked of the random source and the pause slept are those, turn by turn."""
    asked: list[tuple[float, float]] = []
    slept: list[float] = []

    def uniform(low: float, high: float) -> float:
        asked.append((low, high))
        return high / 2

    monkeypatch.setattr(races.random, "uniform", uniform)
    monkeypatch.setattr(races.time, "sleep", slept.append)
    tally = RaceTally()
    turns = []
    for turn in races.tries(tally, "session"):
        turns.append(turn)
        # No pause before the first turn; one before each turn after it, and only then.
        assert len(slept) == turn
    assert turns == [0, 1, 2, 3, 4, 5, 6, 7]
    caps = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.05]
    assert asked == [(0, cap) for cap in caps]
    assert slept == [cap / 2 for cap in caps]
    assert tally.as_dict()["session"] == {"retried": 7, "given_up": 0}
