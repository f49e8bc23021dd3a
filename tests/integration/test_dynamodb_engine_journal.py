"""The engine's journal on DynamoDB, where the session's save keeps each request's event in
the request's interaction item (one write a request: adapters/aws/session_store.py): the
same events as every other store records (tests/unit/domain/test_engine_journal.py, whose
shop purchase runs here too), built by the save once it knows the step."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from mockmind.adapters.aws import DynamoSessionStore
from mockmind.adapters.aws.provisioning import create_table
from mockmind.app.bootstrap import build
from mockmind.config import load_config, parse_config
from mockmind.domain.engine.journaling import JournalKeeper
from mockmind.domain.journal import StateChange
from mockmind.domain.sessions import Session
from tests.support.aws import AWS_REGION, aws_client, unique_name
from tests.support.clock import ManualClock
from tests.support.paths import EXAMPLES
from tests.unit.domain.test_engine_journal import STATEFUL, Client
from tests.unit.domain.test_engine_journal import (
    test_a_shop_purchase_is_recorded_step_by_step_with_every_change as shop_purchase,
)


@pytest.fixture
def env(moto_endpoint: str) -> Iterator[dict[str, str]]:
    client = aws_client("dynamodb", moto_endpoint)
    name = unique_name("engine-journal")
    create_table(client, name)
    yield {
        "MOCKMIND_STORAGE": "aws",
        "MOCKMIND_TABLE": name,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_REGION": AWS_REGION,
    }
    client.delete_table(TableName=name)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_000.0)


def _journal_items(env: dict[str, str], session_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = aws_client("dynamodb", env["AWS_ENDPOINT_URL"]).query(
        TableName=env["MOCKMIND_TABLE"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"JOURNAL#{session_id}"}},
    )["Items"]
    return items


def test_a_shop_purchase_is_recorded_by_the_sessions_saves(
    env: dict[str, str], clock: ManualClock
) -> None:
    shop = Client(
        build(load_config(EXAMPLES / "shop" / "mockmind.yaml", env=env), env=env, clock=clock)
    )
    assert shop.container.storage == "aws"
    shop_purchase(shop, clock)
    assert shop.session_id is not None
    assert _journal_items(env, shop.session_id) == []


def test_state_keys_are_recorded_against_the_session_each_save_applied_to(
    env: dict[str, str], clock: ManualClock
) -> None:
    client = Client(build(parse_config(STATEFUL, env=env), env=env, clock=clock))
    client.send("POST", "/notes", {"text": "a", "api_key": "sk-live-1"}, cookie="a=b")
    client.send("POST", "/notes", {"text": "b"})
    client.send("GET", "/notes", None)
    assert client.session_id is not None
    assert _journal_items(env, client.session_id) == []

    assert client.container.journal is not None
    page = client.container.journal.read(client.session_id, now=clock.now())
    assert [e.seq for e in page.events] == [2, 3]
    assert page.dropped == 1
    second, third = page.events
    assert second.state_changes == ()
    assert second.rules == ("remember_mode",)
    assert third.state_changes == ()

    fresh = Client(build(parse_config(STATEFUL, env=env), env=env, clock=clock))
    fresh.send("POST", "/notes", {"text": "a", "api_key": "sk-live-1"}, cookie="a=b")
    (event,) = fresh.events()
    assert event.state_changes == (StateChange("mode", None, "writing", before_set=False),)
    assert event.exchange.request_body == {"text": "a", "api_key": "***"}
    assert event.exchange.request_headers["cookie"] == "***"
    assert event.exchange.response_body["api_key"] == "***"


def test_an_event_that_cannot_be_built_fails_neither_the_request_nor_its_save(
    env: dict[str, str],
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*_: Any) -> None:
        raise RuntimeError("no event")

    monkeypatch.setattr(JournalKeeper, "_event", broken)
    client = Client(build(parse_config(STATEFUL, env=env), env=env, clock=clock))
    with caplog.at_level(logging.ERROR, logger="mockmind.journal"):
        assert client.send("POST", "/notes", {"text": "a"}).status == 201
    assert client.session_id is not None
    assert client.container.sessions.get(client.session_id, now=clock.now()) is not None
    assert client.events() == ()
    # Logged once, by the save that tried; not tried again after it.
    assert [r.getMessage() for r in caplog.records if r.name == "mockmind.journal"] == [
        f"session {client.session_id}: step 1 not journaled"
    ]


def test_an_event_that_cannot_be_built_is_not_tried_again_by_a_save_retried_after_a_race(
    env: dict[str, str],
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*_: Any) -> None:
        raise RuntimeError("no event")

    update = DynamoSessionStore.update
    raced: list[int] = []

    def racing(
        store: DynamoSessionStore, session: Session, *, base: Session, event: Any = None
    ) -> Session:
        if not raced:
            # Another server's save of the same session lands first: this one is retried.
            raced.append(base.version)
            DynamoSessionStore(store._table).put(base, expected_version=base.version)
        return update(store, session, base=base, event=event)

    monkeypatch.setattr(JournalKeeper, "_event", broken)
    monkeypatch.setattr(DynamoSessionStore, "update", racing)
    client = Client(build(parse_config(STATEFUL, env=env), env=env, clock=clock))
    with caplog.at_level(logging.ERROR, logger="mockmind.journal"):
        assert client.send("POST", "/notes", {"text": "a"}).status == 201
        assert client.send("POST", "/notes", {"text": "b"}).status == 201
    assert raced
    assert client.session_id is not None
    saved = client.container.sessions.get(client.session_id, now=clock.now())
    assert saved is not None
    assert saved.requests == 2
    assert [r.getMessage() for r in caplog.records if r.name == "mockmind.journal"] == [
        f"session {client.session_id}: step {step} not journaled" for step in (1, 2)
    ]
