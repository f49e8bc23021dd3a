"""What only the DynamoDB adapters do: item size limits, keys, TTL, provisioning, errors.

The behaviour every store shares is in tests/contract (run against moto there too).
"""

from __future__ import annotations

import json
import random
import string
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from mockmind.adapters.aws import (
    DynamoEntityStore,
    DynamoJournal,
    DynamoResponseCache,
    DynamoSessionStore,
    DynamoStatsCounter,
    DynamoTable,
)
from mockmind.adapters.aws.provisioning import create_table
from mockmind.adapters.aws.table import ITEM_BUDGET, expiry_attributes
from mockmind.domain.errors import StoreError, VersionConflict
from mockmind.domain.journal import JournalEvent, RecordedExchange
from mockmind.domain.session_listing import SessionQuery, decode_cursor
from mockmind.domain.sessions import Session
from mockmind.ports import CachedResponse, EntityRecord
from tests.support.aws import aws_client, unique_name
from tests.support.network import free_port


@pytest.fixture
def client(moto_endpoint: str) -> Any:
    return aws_client("dynamodb", moto_endpoint)


@pytest.fixture
def table(client: Any) -> Iterator[DynamoTable]:
    name = unique_name("limits")
    create_table(client, name)
    yield DynamoTable(client, name)
    client.delete_table(TableName=name)


def _noise(size: int, seed: int) -> str:
    # Random letters compress to about three quarters, so an item stays about this big.
    rng = random.Random(seed)
    return "".join(rng.choices(string.ascii_letters + string.digits, k=size))


def _raw_item(client: Any, table: DynamoTable, pk: str, sk: str) -> dict[str, Any]:
    item: dict[str, Any] = client.get_item(
        TableName=table.name, Key={"pk": {"S": pk}, "sk": {"S": sk}}
    )["Item"]
    return item


def test_a_session_whose_state_cannot_fit_is_refused(table: DynamoTable) -> None:
    store = DynamoSessionStore(table)
    session = Session("huge", 1000.0, 1000.0, 2000.0).with_state(
        "blob", _noise(2 * ITEM_BUDGET, 1), 1000.0
    )
    with pytest.raises(StoreError, match=r"needs \d+ bytes"):
        store.put(session, expected_version=None)
    assert store.get("huge", now=1000.0) is None


def test_an_entity_that_cannot_fit_names_its_size_and_is_not_written(table: DynamoTable) -> None:
    store = DynamoEntityStore(table)
    record = EntityRecord("e-1", {"id": "e-1", "blob": _noise(2 * ITEM_BUDGET, 2)}, 1.0)
    with pytest.raises(StoreError, match=r"is \d+ bytes; DynamoDB items are limited"):
        store.put("s1", "files", record, expires_at=None)
    assert store.get("s1", "files", "e-1", now=0.0) is None


def test_a_cache_entry_that_cannot_fit_is_refused(table: DynamoTable) -> None:
    cache = DynamoResponseCache(table)
    with pytest.raises(StoreError, match="bytes"):
        cache.put("k", CachedResponse(200, _noise(2 * ITEM_BUDGET, 3)), expires_at=10.0)


def test_large_repetitive_bodies_are_compressed_and_round_trip(
    table: DynamoTable, client: Any
) -> None:
    cache = DynamoResponseCache(table)
    body = [{"id": f"p-{n}", "name": "Enamel mug", "price": 12.5} for n in range(20_000)]
    cache.put("list", CachedResponse(200, body), expires_at=100.0)
    assert cache.get("list", now=1.0) == CachedResponse(200, body)
    item = _raw_item(client, table, "CACHE#list", "CACHE")
    assert "data_z" in item
    assert "data" not in item


def test_items_carry_whole_second_ttl_and_exact_expiry(table: DynamoTable, client: Any) -> None:
    DynamoEntityStore(table).put("s1", "orders", EntityRecord("o", {}, 1.0), expires_at=100.25)
    item = _raw_item(client, table, "ENTITY#s1#orders", "o")
    assert item["expires_at"] == {"N": "101"}
    assert float(item["expiry"]["N"]) == 100.25


def test_keys_cannot_collide_across_scope_and_collection(table: DynamoTable) -> None:
    store = DynamoEntityStore(table)
    store.put("a#b", "c", EntityRecord("x", {"in": "a#b/c"}, 1.0), expires_at=None)
    store.put("a", "b#c", EntityRecord("x", {"in": "a/b#c"}, 1.0), expires_at=None)
    first = store.get("a#b", "c", "x", now=0.0)
    second = store.get("a", "b#c", "x", now=0.0)
    assert first is not None
    assert second is not None
    assert first.data == {"in": "a#b/c"}
    assert second.data == {"in": "a/b#c"}


def test_list_follows_pagination(table: DynamoTable) -> None:
    store = DynamoEntityStore(table)
    # About 1.5 MB in one partition: more than one Query page (1 MB each).
    for n in range(60):
        store.put(
            "s1", "docs", EntityRecord(f"d{n:02}", {"t": _noise(25_000, n)}, n), expires_at=None
        )
    assert [r.id for r in store.list("s1", "docs", now=0.0)] == [f"d{n:02}" for n in range(60)]


def test_create_table_turns_ttl_on_and_is_idempotent(client: Any) -> None:
    name = unique_name("init")
    assert create_table(client, name) is True
    assert create_table(client, name) is False
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl == {"AttributeName": "expires_at", "TimeToLiveStatus": "ENABLED"}
    client.delete_table(TableName=name)


def test_a_missing_table_is_a_store_error_without_credentials(client: Any) -> None:
    store = DynamoSessionStore(DynamoTable(client, "no-such-table"))
    with pytest.raises(StoreError) as caught:
        store.get("s-1", now=0.0)
    message = str(caught.value)
    assert "no-such-table" in message
    assert "ResourceNotFoundException" in message
    assert "testing" not in message


def test_an_unreachable_endpoint_is_a_store_error(moto_endpoint: str) -> None:
    from botocore.config import Config

    # Nothing listens on a port just released; no retries, so the test stays quick.
    endpoint = f"http://127.0.0.1:{free_port()}"
    client = aws_client("dynamodb", endpoint, config=Config(retries={"total_max_attempts": 1}))
    store = DynamoEntityStore(DynamoTable(client, "t"))
    with pytest.raises(StoreError, match="EndpointConnectionError"):
        store.list("s1", "orders", now=0.0)


def test_an_item_written_before_versions_reads_at_0_and_updates_at_0(
    table: DynamoTable, client: Any
) -> None:
    client.put_item(
        TableName=table.name,
        Item={
            "pk": {"S": "ENTITY#s1#orders"},
            "sk": {"S": "o"},
            "created_at": {"N": "1.0"},
            "data": {"S": '{"status": "placed"}'},
        },
    )
    store = DynamoEntityStore(table)
    read = store.get("s1", "orders", "o", now=0.0)
    assert read is not None
    assert read.version == 0
    stored = store.put(
        "s1",
        "orders",
        EntityRecord("o", {"status": "paid"}, 1.0),
        expires_at=None,
        expected_version=0,
    )
    assert stored.version == 1
    with pytest.raises(VersionConflict):
        store.put("s1", "orders", EntityRecord("o", {}, 1.0), expires_at=None, expected_version=0)


def test_a_rewrite_leaves_no_attribute_of_the_write_before(table: DynamoTable, client: Any) -> None:
    store = DynamoEntityStore(table)
    big = {"t": "x" * 10_000}
    store.put("s1", "docs", EntityRecord("d", big, 1.0, parent="p"), expires_at=100.0)
    assert "z1" in _raw_item(client, table, "ENTITY#s1#docs", "d")
    store.put("s1", "docs", EntityRecord("d", {"small": 1}, 1.0), expires_at=None)
    item = _raw_item(client, table, "ENTITY#s1#docs", "d")
    # No smaller deflated than as text: kept as text.
    assert set(item) == {"pk", "sk", "created_at", "data", "version"}
    assert item["version"] == {"N": "2"}


def test_counters_live_apart_from_entities(table: DynamoTable, client: Any) -> None:
    store = DynamoEntityStore(table)
    assert store.increment("s1", "__meta__", "seq:orders", now=0.0, expires_at=100.5) == 1
    item = _raw_item(client, table, "COUNTER#s1#__meta__", "seq:orders")
    assert item["counter"] == {"N": "1"}
    assert item["expires_at"] == {"N": "101"}


# -- the sessions' listing index


def _calls(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every DynamoDB call the client makes from now on: its operation and parameters."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        seen.append((model.name, params))

    client.meta.events.register("provide-client-params.dynamodb.*", record)
    return seen


def test_sessions_are_listed_by_a_query_on_their_index_never_a_scan(
    table: DynamoTable, client: Any
) -> None:
    store = DynamoSessionStore(table)
    for n in range(5):
        store.put(Session(f"s-{n}", 1000.0, 1000.0 + n, 5000.0), expected_version=None)
    calls = _calls(client)

    first = store.list(SessionQuery(limit=2, prefix="s-"), now=1010.0)
    assert [s.id for s in first.sessions] == ["s-4", "s-3"]
    assert first.next_cursor is not None
    rest = store.list(SessionQuery(limit=5, before=decode_cursor(first.next_cursor)), now=1010.0)
    assert [s.id for s in rest.sessions] == ["s-2", "s-1", "s-0"]

    assert {operation for operation, _ in calls} == {"Query"}
    assert {params["IndexName"] for _, params in calls} == {"sessions-by-activity"}
    assert all(params["ScanIndexForward"] is False for _, params in calls)


def test_a_session_item_carries_the_index_keys(table: DynamoTable, client: Any) -> None:
    DynamoSessionStore(table).put(
        Session("s-1", 900.0, 1000.25, 5000.0, authenticated=True, requests=3),
        expected_version=None,
    )
    item = _raw_item(client, table, "SESSION#s-1", "SESSION")
    assert item["listing"] == {"S": "SESSION"}
    assert item["activity"] == {"S": "00000000001000250000#s-1"}
    assert (item["requests"], item["authenticated"]) == ({"N": "3"}, {"BOOL": True})
    # Only sessions are in the index: an entity or cache item has no listing key.
    DynamoEntityStore(table).put("s-1", "orders", EntityRecord("o-1", {}, 1.0), expires_at=None)
    entity = _raw_item(client, table, "ENTITY#s-1#orders", "o-1")
    assert "listing" not in entity


def test_create_table_adds_the_sessions_index_to_a_table_made_before_it(client: Any) -> None:
    name = unique_name("old")
    client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        assert create_table(client, name) is False
        (index,) = client.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
        assert index["IndexName"] == "sessions-by-activity"
        assert index["KeySchema"] == [
            {"AttributeName": "listing", "KeyType": "HASH"},
            {"AttributeName": "activity", "KeyType": "RANGE"},
        ]
        store = DynamoSessionStore(DynamoTable(client, name))
        store.put(Session("s-1", 1000.0, 1000.0, 5000.0), expected_version=None)
        assert [s.id for s in store.list(SessionQuery(), now=1001.0).sessions] == ["s-1"]
    finally:
        client.delete_table(TableName=name)


def test_a_journal_event_under_2_kb_is_stored_compressed(table: DynamoTable, client: Any) -> None:
    """An event is written on every request: compressed whenever that is smaller, however
    small (other items only from 2 KB, where compressing pays for its time)."""
    journal = DynamoJournal(table, max_events=10)
    headers = {"accept": "application/json", "user-agent": "Mozilla/5.0 (X11; Linux x86_64)"}
    event = JournalEvent(
        seq=1,
        at=1000.0,
        exchange=RecordedExchange(
            "GET", "/items", {}, headers, None, 200, {}, [{"id": f"i-{n}"} for n in range(20)]
        ),
        source="store",
        latency_ms=1.0,
    )
    assert len(json.dumps(event.to_dict())) < 2048
    assert journal.append("s1", event, expires_at=2000.0)
    item = _raw_item(client, table, "JOURNAL#s1", "000000000001")
    assert "data" not in item
    assert len(item["z1"]["B"]) < len(json.dumps(event.to_dict(), separators=(",", ":")))
    assert journal.read("s1", now=1500.0).events == (event,)


def test_journal_events_written_plain_or_zlib_compressed_before_are_read(
    table: DynamoTable, client: Any
) -> None:
    """Items of the shapes written before the preset dictionary (``data``, ``data_z``)."""
    journal = DynamoJournal(table, max_events=10)
    events = [
        JournalEvent(
            seq=n,
            at=1000.0 + n,
            exchange=RecordedExchange("GET", f"/items/{n}", {}, {}, None, 200, {}, {"n": n}),
            source="store",
            latency_ms=1.5,
        )
        for n in (1, 2)
    ]
    text = [json.dumps(e.to_dict(), separators=(",", ":")) for e in events]
    payloads = [{"data": {"S": text[0]}}, {"data_z": {"B": zlib.compress(text[1].encode(), 6)}}]
    for event, payload in zip(events, payloads, strict=True):
        client.put_item(
            TableName=table.name,
            Item={
                "pk": {"S": "JOURNAL#s1"},
                "sk": {"S": str(event.seq).zfill(12)},
                **expiry_attributes(2000.0),
                **payload,
            },
        )
    assert journal.read("s1", now=1500.0).events == tuple(events)


def test_an_hour_ending_on_a_whole_second_keeps_its_ttl_alone(
    table: DynamoTable, client: Any
) -> None:
    """Every request writes its hour's item, billed whole: no ``expiry`` beside an
    ``expires_at`` that is already exact. Read as the expiry all the same."""
    counter = DynamoStatsCounter(table)
    counter.add(5, {"requests": 2}, expires_at=7200.0)
    item = _raw_item(client, table, "STATS#hours", "0000000005")
    assert set(item) == {"pk", "sk", "expires_at", "c.requests"}
    assert counter.read(5, 5, now=7199.5) == {5: {"requests": 2}}
    assert counter.read(5, 5, now=7200.0) == {}
    counter.add(6, {"requests": 1}, expires_at=7200.5)
    assert set(_raw_item(client, table, "STATS#hours", "0000000006")) == {
        "pk",
        "sk",
        "expires_at",
        "expiry",
        "c.requests",
    }
