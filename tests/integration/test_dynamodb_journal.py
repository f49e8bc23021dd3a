"""The DynamoDB journal beside the session store. What every journal does is in
tests/contract; these are the cases only this pairing has: events kept in the session's
interaction items by its saves (adapters/aws/session_store.py), read past the history bound,
across a renewal, never from a losing writer's item, dropped by the journal's delete; and
events as items of their own naming the interaction item that holds their body (adapters/
aws/journal.py), read alone or with kept events, by a journal that wrote none of them."""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from mockmind.adapters.aws import DynamoJournal, DynamoSessionStore, DynamoTable
from mockmind.adapters.aws.provisioning import create_table
from mockmind.adapters.aws.session_store import LINGER
from mockmind.adapters.aws.table import decode_payload
from mockmind.domain.errors import VersionConflict
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


class _AtSave:
    """``EventAtSave`` as the engine's ``PendingEvent`` is: the event of request ``n``, its
    step the saved session's ``requests``, expiring ``grace`` after the session."""

    def __init__(self, n: int, grace: float = GRACE) -> None:
        self.n, self.grace = n, grace
        self.event: JournalEvent | None = None

    def build(self, saved: Session) -> tuple[JournalEvent, float]:
        event = JournalEvent(
            seq=saved.requests,
            at=1000.0 + self.n,
            exchange=RecordedExchange(
                "GET", "/products", {}, {"accept": "application/json"}, None, 200, {}, _body(self.n)
            ),
            source="store",
            latency_ms=2.5,
            changes=(EntityChange("carts", "c-1", None, {"id": "c-1", "n": self.n}),),
        )
        return event, saved.expires_at + self.grace

    def kept(self, event: JournalEvent) -> None:
        self.event = event


def _kept_request(
    store: DynamoSessionStore, saved: Session, n: int, *, bound: int = 50, grace: float = GRACE
) -> tuple[Session, _AtSave]:
    """A request as the engine records it on DynamoDB: its event built and kept by the
    session's save, in the interaction's item."""
    interaction = Interaction(1000.0 + n, "GET", "/products", 200, None, _body(n), "store")
    changed = saved.after_request(
        interaction, timeout_seconds=1000, max_history=bound, state={}, authenticated=None
    )
    at_save = _AtSave(n, grace)
    return store.update(changed, base=saved, event=at_save), at_save


def _session_items(client: Any, table: DynamoTable) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.query(
        TableName=table.name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "SESSION#s-1"}},
    )["Items"]
    return items


def test_events_kept_in_the_interaction_items_are_one_write_a_request_and_read_back_whole(
    table: DynamoTable,
    client: Any,
    store: DynamoSessionStore,
    journal: DynamoJournal,
    saved: Session,
) -> None:
    assert store.keeps_events_of(journal)
    assert store.keeps_events_of(DynamoJournal(table, max_events=10))
    events = []
    for n in range(3):
        saved, at_save = _kept_request(store, saved, n)
        assert at_save.event is not None
        events.append(at_save.event)
    assert _journal_items(client, table) == []
    kept = [decode_payload(i) for i in _session_items(client, table) if "I#" in i["sk"]["S"]]
    assert [k["j"]["seq"] for k in kept] == [1, 2, 3]
    # The body once: the interaction's, which the event names.
    assert all(k["jb"] == 1 and k["j"]["response"]["body"] is None for k in kept)
    assert journal.read("s-1", now=1500.0).events == tuple(events)
    other = DynamoJournal(table, max_events=10)
    assert other.read("s-1", now=1500.0).events == tuple(events)
    page = other.read("s-1", now=1500.0, after=1, limit=1)
    assert (page.events, page.dropped) == ((events[1],), 0)
    # Beyond the session's expiry, within the grace; not beyond that.
    assert journal.read("s-1", now=saved.expires_at + GRACE - 1).events == tuple(events)
    assert journal.read("s-1", now=saved.expires_at + GRACE + 1).events == ()


def test_the_head_outlives_its_session_as_long_as_the_events_it_leads_to(
    client: Any, store: DynamoSessionStore, saved: Session, table: DynamoTable
) -> None:
    saved, _ = _kept_request(store, saved, 0)
    (head,) = [i for i in _session_items(client, table) if i["sk"]["S"] == "SESSION"]
    assert int(head["expires_at"]["N"]) == math.ceil(saved.expires_at + LINGER)
    assert float(head["expiry"]["N"]) == saved.expires_at
    assert store.get("s-1", now=saved.expires_at + 1) is None


def test_kept_events_outlive_the_history_bound_and_the_journal_keeps_its_last_max_events(
    store: DynamoSessionStore, journal: DynamoJournal, saved: Session, table: DynamoTable
) -> None:
    events = []
    for n in range(14):
        saved, at_save = _kept_request(store, saved, n, bound=2)
        assert at_save.event is not None
        events.append(at_save.event)
    assert [i.at for i in saved.history] == [1012.0, 1013.0]
    for reader in (journal, DynamoJournal(table, max_events=10)):
        page = reader.read("s-1", now=1500.0)
        assert (page.events, page.dropped) == (tuple(events[4:]), 4)
        page = reader.read("s-1", now=1500.0, after=8, limit=3)
        assert (page.events, page.dropped) == (tuple(events[8:11]), 4)


def test_a_losing_writers_item_is_never_read_as_an_event(
    client: Any,
    store: DynamoSessionStore,
    journal: DynamoJournal,
    saved: Session,
    table: DynamoTable,
) -> None:
    saved, first = _kept_request(store, saved, 0)
    # Two writers on the same session, from the same version: the second's item is written
    # (its event at the same step), its head refused.
    other = DynamoSessionStore(table)
    base = other.get("s-1", now=1500.0)
    assert base is not None
    won, second = _kept_request(store, saved, 1)
    with pytest.raises(VersionConflict):
        _kept_request(other, base, 2)
    kept = [decode_payload(i) for i in _session_items(client, table) if "I#" in i["sk"]["S"]]
    assert sorted(k["j"]["seq"] for k in kept) == [1, 2, 2]
    assert journal.read("s-1", now=1500.0).events == (first.event, second.event)
    _, third = _kept_request(store, won, 3)
    assert [e.at for e in journal.read("s-1", now=1500.0).events] == [1000.0, 1001.0, 1003.0]
    assert third.event is not None


def test_a_renewed_session_leads_to_the_events_of_the_generation_before(
    client: Any,
    store: DynamoSessionStore,
    journal: DynamoJournal,
    saved: Session,
    table: DynamoTable,
) -> None:
    later = int(2 * LINGER)
    events = []
    # Kept alive past the day its items outlive it by: the request at ``later`` writes it
    # whole, in a new generation.
    for n in (0, 1, 2, later, later + 1, later + 2):
        saved, at_save = _kept_request(store, saved, n, bound=2)
        assert at_save.event is not None
        events.append(at_save.event)
    generations = {i["sk"]["S"].split("#")[1] for i in _session_items(client, table)[:-1]}
    assert len(generations) == 2
    for reader in (journal, DynamoJournal(table, max_events=10)):
        assert reader.read("s-1", now=1500.0 + later).events == tuple(events)


def test_deleting_the_journal_leaves_the_session_and_drops_its_kept_events(
    client: Any,
    store: DynamoSessionStore,
    journal: DynamoJournal,
    saved: Session,
    table: DynamoTable,
) -> None:
    for n in range(3):
        saved, _ = _kept_request(store, saved, n)
    journal.delete("s-1")
    assert journal.read("s-1", now=1500.0).events == ()
    assert len(store.get("s-1", now=1500.0).history) == 3  # type: ignore[union-attr]
    saved, at_save = _kept_request(store, saved, 3)
    assert journal.read("s-1", now=1500.0).events == (at_save.event,)
    # And its delete takes what marked them with the rest.
    store.delete("s-1")
    assert _session_items(client, table) == []


def test_an_event_outliving_what_the_store_keeps_is_left_to_the_journal(
    client: Any, table: DynamoTable, store: DynamoSessionStore, saved: Session
) -> None:
    saved, at_save = _kept_request(store, saved, 0, grace=LINGER + 1.0)
    assert at_save.event is None
    (item,) = [i for i in _session_items(client, table) if "I#" in i["sk"]["S"]]
    assert "j" not in decode_payload(item)


def test_events_of_items_of_their_own_and_kept_events_read_as_one_journal(
    client: Any,
    table: DynamoTable,
    store: DynamoSessionStore,
    journal: DynamoJournal,
    saved: Session,
) -> None:
    # Steps 1 and 2 as the layout before wrote them (an item each, naming the body's item),
    # then steps kept with their interactions.
    events = []
    for n in range(2):
        saved, event = _request(store, journal, saved, n)
        events.append(event)
    assert [i["sk"]["S"] for i in _journal_items(client, table)] == [
        "000000000001",
        "000000000002",
    ]
    for n in range(2, 4):
        saved, at_save = _kept_request(store, saved, n)
        assert at_save.event is not None
        events.append(at_save.event)
    for reader in (journal, DynamoJournal(table, max_events=3)):
        page = reader.read("s-1", now=1500.0)
        assert page.events == tuple(events[-reader.max_events :])
        assert page.dropped == max(0, 4 - reader.max_events)
        page = reader.read("s-1", now=1500.0, after=1, limit=2)
        assert page.events == tuple(events[max(1, 4 - reader.max_events) :][:2])


def test_an_event_too_large_for_the_interactions_item_is_left_to_the_journal(
    client: Any, table: DynamoTable, store: DynamoSessionStore, saved: Session
) -> None:
    # Bodies that deflate little (random text), each about two thirds of an item's budget.
    answer, other = secrets.token_urlsafe(200_000), secrets.token_urlsafe(200_000)
    interaction = Interaction(1000.0, "GET", "/files/1", 200, None, answer, "store")
    changed = saved.after_request(
        interaction, timeout_seconds=1000, max_history=50, state={}, authenticated=None
    )

    class Different(_AtSave):
        def build(self, saved: Session) -> tuple[JournalEvent, float]:
            event, until = super().build(saved)
            exchange = replace(event.exchange, response_body=other)
            return replace(event, exchange=exchange), until

    at_save = Different(0)
    saved = store.update(changed, base=saved, event=at_save)
    assert at_save.event is None
    (item,) = [i for i in _session_items(client, table) if "I#" in i["sk"]["S"]]
    assert "j" not in decode_payload(item)
    assert saved.history[-1].response_body == answer


def test_events_a_journal_delete_cleared_stay_cleared_once_ttl_takes_its_mark_first(
    client: Any, table: DynamoTable, store: DynamoSessionStore, saved: Session
) -> None:
    """TTL deletes in no set order: the ``JOURNAL`` mark may go before the items it covers,
    and the cleared events must not come back then."""
    journal = DynamoJournal(table, max_events=1000, sessions=store)

    def request(saved: Session, n: int, at: float) -> Session:
        interaction = Interaction(at, "GET", "/products", 200, None, _body(n), "store")
        changed = saved.after_request(
            interaction, timeout_seconds=50_000, max_history=50, state={}, authenticated=None
        )
        return store.update(changed, base=saved, event=_AtSave(n))

    for n in range(3):
        saved = request(saved, n, 1000.0 + n)
    journal.delete("s-1")
    (mark,) = [i for i in _session_items(client, table) if i["sk"]["S"] == "JOURNAL"]
    # The session lives on past the mark's TTL, in the same generation, then in new ones
    # (whose first items lead back to the generation before).
    for n, at in enumerate((60_000.0, 100_000.0, 140_000.0, 180_000.0, 220_000.0), 3):
        saved = request(saved, n, at)
    now = 224_000.0
    assert now > float(mark["expires_at"]["N"])
    assert [e.seq for e in journal.read("s-1", now=now).events] == [4, 5, 6, 7, 8]
    # TTL took the mark and not yet the items it covers.
    client.delete_item(TableName=table.name, Key={"pk": mark["pk"], "sk": mark["sk"]})
    assert [e.seq for e in journal.read("s-1", now=now).events] == [4, 5, 6, 7, 8]
