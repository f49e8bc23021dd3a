"""The DynamoDB journal beside the session store: an event whose answer body the session's
interaction item holds names that item instead of repeating the body (adapters/aws/
journal.py). What every journal does is in tests/contract; these are the cases only this
pairing has: what is written, what is read back by a journal that wrote none of it, and the
body's item outliving the session's history bound, a session written whole, or not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from mockmind.adapters.aws import DynamoJournal, DynamoSessionStore, DynamoTable
from mockmind.adapters.aws.provisioning import create_table
from mockmind.adapters.aws.session_store import LINGER
from mockmind.adapters.aws.table import decode_payload
from mockmind.domain.journal import (
    EntityChange,
    JournalEvent,
    RecordedExchange,
    body_no_longer_kept,
    is_left_out,
)
from mockmind.domain.sessions import Interaction, Session
from tests.support.aws import aws_client, unique_name

# The journal's grace in this backend (app/bootstrap.py): a day past the session's expiry.
GRACE = 86_400.0


@pytest.fixture
def client(moto_endpoint: str) -> Any:
    return aws_client("dynamodb", moto_endpoint)


@pytest.fixture
def table(client: Any) -> Iterator[DynamoTable]:
    name = unique_name("journal")
    create_table(client, name)
    yield DynamoTable(client, name)
    client.delete_table(TableName=name)


def _body(n: int) -> list[dict[str, Any]]:
    return [{"id": f"p-{n}-{i}", "name": f"product {i} of answer {n}"} for i in range(20)]


def _request(
    store: DynamoSessionStore, journal: DynamoJournal, saved: Session, n: int, bound: int = 50
) -> tuple[Session, JournalEvent]:
    """A request as the engine records it: the session saved with its interaction, then the
    event, whose JSON answer is the interaction's own body."""
    at = 1000.0 + n
    interaction = Interaction(at, "GET", "/products", 200, None, _body(n), "store")
    changed = saved.after_request(
        interaction, timeout_seconds=1000, max_history=bound, state={}, authenticated=None
    )
    saved = store.update(changed, base=saved)
    event = JournalEvent(
        seq=saved.requests,
        at=at,
        exchange=RecordedExchange(
            "GET", "/products", {}, {"accept": "application/json"}, None, 200, {}, _body(n)
        ),
        source="store",
        latency_ms=2.5,
        changes=(EntityChange("carts", "c-1", None, {"id": "c-1", "n": n}),),
    )
    assert journal.append(saved.id, event, expires_at=saved.expires_at + GRACE)
    return saved, event


def _journal_items(client: Any, table: DynamoTable) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.query(
        TableName=table.name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "JOURNAL#s-1"}},
    )["Items"]
    return items


@pytest.fixture
def store(table: DynamoTable) -> DynamoSessionStore:
    return DynamoSessionStore(table)


@pytest.fixture
def journal(table: DynamoTable, store: DynamoSessionStore) -> DynamoJournal:
    return DynamoJournal(table, max_events=10, sessions=store)


@pytest.fixture
def saved(store: DynamoSessionStore) -> Session:
    return store.put(Session("s-1", 1000.0, 1000.0, 2000.0), expected_version=None)


def test_an_event_names_the_interaction_item_holding_its_body_and_reads_back_whole(
    table: DynamoTable,
    client: Any,
    store: DynamoSessionStore,
    journal: DynamoJournal,
    saved: Session,
) -> None:
    events = []
    for n in range(3):
        saved, event = _request(store, journal, saved, n)
        events.append(event)
    items = _journal_items(client, table)
    assert [item["sk"]["S"] for item in items] == ["000000000001", "000000000002", "000000000003"]
    for item in items:
        stored = decode_payload(item)
        assert stored["response"]["body"] is None
        assert stored["changes"][0]["after"]["id"] == "c-1"
        gen, n, token = item["ib"]["S"].split("#")
        interaction = client.get_item(
            TableName=table.name,
            Key={"pk": {"S": "SESSION#s-1"}, "sk": {"S": f"I#{gen}#{n.zfill(12)}#{token}"}},
        )["Item"]
        assert decode_payload(interaction)["response_body"] == json.loads(json.dumps(_body(int(n))))
    assert journal.read("s-1", now=1500.0).events == tuple(events)
    # A journal that wrote none of it (another process) reads the bodies from the table.
    assert DynamoJournal(table, max_events=10).read("s-1", now=1500.0).events == tuple(events)
    assert DynamoJournal(table, max_events=10).read("s-1", now=1500.0, after=2).events == (
        events[2],
    )


def test_an_event_keeps_its_body_when_the_store_knows_no_item_holding_it(
    table: DynamoTable, client: Any, store: DynamoSessionStore, saved: Session
) -> None:
    # The session saved by another store (another process): this one knows no item.
    other = DynamoJournal(table, max_events=10, sessions=DynamoSessionStore(table))
    _, event = _request(store, other, saved, 0)
    (item,) = _journal_items(client, table)
    assert "ib" not in item
    assert decode_payload(item)["response"]["body"] == json.loads(json.dumps(_body(0)))
    assert other.read("s-1", now=1500.0).events == (event,)


def test_an_event_that_would_outlive_the_item_keeps_its_body(
    table: DynamoTable, client: Any, store: DynamoSessionStore, saved: Session
) -> None:
    # A grace longer than the interaction items' day past the session's expiry.
    journal = DynamoJournal(table, max_events=10, sessions=store)
    interaction = Interaction(1000.0, "GET", "/products", 200, None, _body(0), "store")
    saved = store.update(
        saved.after_request(
            interaction, timeout_seconds=1000, max_history=50, state={}, authenticated=None
        ),
        base=saved,
    )
    event = JournalEvent(
        seq=1,
        at=1000.0,
        exchange=RecordedExchange("GET", "/products", {}, {}, None, 200, {}, _body(0)),
        source="store",
        latency_ms=1.0,
    )
    assert journal.append("s-1", event, expires_at=saved.expires_at + LINGER + 1.0)
    (item,) = _journal_items(client, table)
    assert "ib" not in item
    assert journal.read("s-1", now=1500.0).events == (event,)


def test_bodies_outlive_the_history_bound_and_a_session_written_whole(
    store: DynamoSessionStore, journal: DynamoJournal, saved: Session, table: DynamoTable
) -> None:
    events = []
    for n in range(4):
        saved, event = _request(store, journal, saved, n, bound=1)
        events.append(event)
    assert [i.at for i in saved.history] == [1003.0]
    # Written whole: a new generation, the old one's items left to their TTL.
    store.put(saved, expected_version=saved.version)
    assert journal.read("s-1", now=1500.0).events == tuple(events)
    assert DynamoJournal(table, max_events=10).read("s-1", now=1500.0).events == tuple(events)


def test_an_event_whose_body_item_is_gone_reads_with_a_note_in_its_place(
    table: DynamoTable,
    client: Any,
    store: DynamoSessionStore,
    journal: DynamoJournal,
    saved: Session,
) -> None:
    saved, first = _request(store, journal, saved, 0)
    saved, second = _request(store, journal, saved, 1)
    gen, n, token = _journal_items(client, table)[0]["ib"]["S"].split("#")
    client.delete_item(
        TableName=table.name,
        Key={"pk": {"S": "SESSION#s-1"}, "sk": {"S": f"I#{gen}#{n.zfill(12)}#{token}"}},
    )
    read = journal.read("s-1", now=1500.0).events
    assert read[1] == second
    assert read[0].exchange.response_body == body_no_longer_kept()
    assert is_left_out(read[0].exchange.response_body)
    assert read[0].changes == first.changes
    assert read[0].exchange.request_headers == first.exchange.request_headers
