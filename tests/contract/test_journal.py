"""The journal port: every backend keeps, bounds, expires and deletes events the same way."""

from __future__ import annotations

import random

import pytest

from mockmind.domain.journal import (
    EntityChange,
    JournalEvent,
    RecordedExchange,
    StateChange,
    StateMove,
)
from mockmind.ports import Journal
from tests.contract.conftest import JOURNAL_MAX_EVENTS


def _event(seq: int, *, body: object = None) -> JournalEvent:
    return JournalEvent(
        seq=seq,
        at=1000.0 + seq,
        exchange=RecordedExchange(
            method="POST",
            path="/orders/o-1/pay",
            query={"expand": ("items", "customer")},
            request_headers={"authorization": "***", "content-type": "application/json"},
            request_body=body if body is not None else {"card": "***", "n": seq},
            status=200,
            response_headers={"x-mockmind-source": "store"},
            response_body={"id": "o-1", "status": "paid", "total": 12.5},
        ),
        source="store",
        latency_ms=1.25,
        fallback_reason="provider timed out" if seq % 2 else None,
        llm_calls=1,
        tokens=321,
        cost_usd=0.000125,
        rules=("payment needs a card",),
        moves=(StateMove("order", "o-1", "pending", "paid", "POST /orders/{id}/pay"),),
        changes=(
            EntityChange("orders", "o-1", {"id": "o-1", "status": "pending"}, {"status": "paid"}),
            EntityChange("carts", "c-1", {"id": "c-1", "items": [1]}, None),
            EntityChange("receipts", f"r-{seq}", None, {"id": f"r-{seq}"}),
        ),
        state_changes=(
            StateChange("cart_total", 12.5, 0),
            StateChange("paid", None, True, before_set=False),
        ),
    )


def test_an_event_reads_back_as_it_was_written(journal: Journal) -> None:
    event = _event(1)
    assert journal.append("s-1", event, expires_at=5000.0) is True
    page = journal.read("s-1", now=2000.0)
    assert page.events == (event,)
    assert page.dropped == 0
    assert page.events[0].to_dict() == event.to_dict()


def test_a_step_is_written_once(journal: Journal) -> None:
    first = _event(1, body={"from": "first writer"})
    assert journal.append("s-1", first, expires_at=5000.0) is True
    assert journal.append("s-1", _event(1, body={"from": "second"}), expires_at=5000.0) is False
    assert journal.read("s-1", now=2000.0).events == (first,)


def test_the_oldest_events_go_past_the_bound_and_the_page_says_how_many(journal: Journal) -> None:
    assert journal.max_events == JOURNAL_MAX_EVENTS == 3
    for seq in range(1, 6):
        journal.append("s-1", _event(seq), expires_at=5000.0 + seq)
    page = journal.read("s-1", now=2000.0)
    assert [e.seq for e in page.events] == [3, 4, 5]
    assert page.dropped == 2
    assert page.last_seq == 5


def test_read_after_a_step_and_at_most_a_limit(journal: Journal) -> None:
    for seq in range(1, 4):
        journal.append("s-1", _event(seq), expires_at=5000.0)
    assert [e.seq for e in journal.read("s-1", now=2000.0, after=1).events] == [2, 3]
    assert [e.seq for e in journal.read("s-1", now=2000.0, after=1, limit=1).events] == [2]
    page = journal.read("s-1", now=2000.0, after=3)
    assert (page.events, page.dropped) == ((), 0)


def test_sessions_have_their_own_journals(journal: Journal) -> None:
    journal.append("s-1", _event(1), expires_at=5000.0)
    journal.append("s-2", _event(1, body={"for": "s-2"}), expires_at=5000.0)
    journal.append("s-2", _event(2), expires_at=5000.0)
    assert [e.seq for e in journal.read("s-1", now=2000.0).events] == [1]
    assert journal.read("s-2", now=2000.0).events[0].exchange.request_body == {"for": "s-2"}
    assert journal.read("unknown", now=2000.0).events == ()


@pytest.mark.parametrize(("now", "seqs"), [(2999.0, [1, 2]), (3000.0, [])])
def test_a_journal_lives_as_long_as_its_newest_event(
    journal: Journal, now: float, seqs: list[int]
) -> None:
    journal.append("s-1", _event(1), expires_at=2000.0)
    journal.append("s-1", _event(2), expires_at=3000.0)
    assert [e.seq for e in journal.read("s-1", now=now).events] == seqs


def test_delete_drops_every_event_of_the_session_only(journal: Journal) -> None:
    for seq in range(1, 5):
        journal.append("s-1", _event(seq), expires_at=5000.0)
    journal.append("s-2", _event(1), expires_at=5000.0)
    journal.delete("s-1")
    page = journal.read("s-1", now=2000.0)
    assert (page.events, page.dropped) == ((), 0)
    assert [e.seq for e in journal.read("s-2", now=2000.0).events] == [1]
    # A session id that comes back starts a new journal at step 1.
    assert journal.append("s-1", _event(1), expires_at=5000.0) is True
    assert [e.seq for e in journal.read("s-1", now=2000.0).events] == [1]


def test_ids_with_the_key_separator_stay_apart(journal: Journal) -> None:
    journal.append("a#b", _event(1), expires_at=5000.0)
    journal.append("a", _event(1, body={"for": "a"}), expires_at=5000.0)
    assert journal.read("a#b", now=2000.0).events[0].exchange.request_body == {
        "card": "***",
        "n": 1,
    }
    assert journal.read("a", now=2000.0).events[0].exchange.request_body == {"for": "a"}


def test_an_event_too_large_for_an_item_keeps_what_changed(journal: Journal, backend: str) -> None:
    """DynamoDB items stop at 400 KB: there the bodies are left out; the others keep them."""
    # Random text, so compression cannot bring it under the limit.
    big = {"blob": random.Random(7).randbytes(400_000).hex()}
    event = _event(1, body=big)
    assert journal.append("s-1", event, expires_at=5000.0) is True
    (read,) = journal.read("s-1", now=2000.0).events
    assert read.changes == event.changes
    assert read.state_changes == event.state_changes
    if backend == "aws":
        assert read == event.without_bodies()
        assert read.exchange.request_body == {
            "left_out": "a body of 800012 characters, too large to keep"
        }
    else:
        assert read == event
