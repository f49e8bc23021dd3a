"""Whole sessions in the domain: the listing's order, bounds and cursors
(domain/session_listing), a world written into a scope over the shared seed set
(resources/scope_copies) and a fixture's parts checked against each other
(domain/session_fixture)."""

from __future__ import annotations

import pytest

from mockmind.adapters.memory import MemoryEntityStore
from mockmind.domain.errors import RequestError
from mockmind.domain.journal import JournalEvent, RecordedExchange
from mockmind.domain.resources.scope_copies import Bookkeeping, ScopeCopies
from mockmind.domain.resources.specs import META_COLLECTION
from mockmind.domain.session_fixture import Fixture, checked, fixture_digest
from mockmind.domain.session_listing import (
    SessionQuery,
    cut,
    decode_cursor,
    encode_cursor,
    page_from,
)
from mockmind.domain.sessions import SHARED_SCOPE, Session, SessionSummary, activity_key
from mockmind.ports.entity_store import EntityRecord
from tests.support.clock import still_lifetimes
from tests.support.resources import ITEMS, ORDERS


def _summary(session_id: str, last_seen: float, expires_at: float = 9999.0) -> SessionSummary:
    return SessionSummary(session_id, 0.0, last_seen, expires_at, 0, False)


def test_the_activity_key_sorts_as_time_then_id() -> None:
    assert activity_key(1000.25, "a") == "00000000001000250000#a"
    # Rounded to the microsecond, half up.
    assert activity_key(0.0000005, "a") == "00000000000000000001#a"
    keys = [activity_key(t, i) for t, i in [(9.5, "b"), (10.0, "a"), (9.5, "c"), (100.0, "a")]]
    assert sorted(keys) == [keys[0], keys[2], keys[1], keys[3]]


def test_a_cursor_is_the_key_in_a_url_safe_form() -> None:
    key = activity_key(1000.0, "s-1.x_y")
    assert encode_cursor(key) == "00000000001000000000~s-1.x_y"
    assert decode_cursor(encode_cursor(key)) == key
    for bad in ("", "1000~s", "00000000001000000000#s", "00000000001000000000~", "x" * 30):
        with pytest.raises(RequestError) as refused:
            decode_cursor(bad)
        assert refused.value.status == 400


def test_time_bounds_are_inclusive_to_the_microsecond() -> None:
    query = SessionQuery(since=10.0, until=20.0)
    assert query.admits(_summary("a", 10.0), now=0.0)
    assert query.admits(_summary("a", 20.0), now=0.0)
    assert not query.admits(_summary("a", 9.999999), now=0.0)
    assert not query.admits(_summary("a", 20.000001), now=0.0)
    assert not query.admits(_summary("a", 15.0, expires_at=5.0), now=5.0)


def test_a_page_is_cut_with_a_cursor_only_when_more_follow() -> None:
    summaries = [_summary(f"s-{n}", float(n)) for n in range(5)]
    page = page_from(summaries, SessionQuery(limit=2), now=0.0)
    assert [s.id for s in page.sessions] == ["s-4", "s-3"]
    assert page.next_cursor == encode_cursor(activity_key(3.0, "s-3"))
    last = page_from(summaries, SessionQuery(limit=5), now=0.0)
    assert last.next_cursor is None
    assert cut([], 3).sessions == ()
    with pytest.raises(ValueError, match="limit must be 1 to 500, not 0"):
        SessionQuery(limit=0)


def _copies() -> tuple[MemoryEntityStore, ScopeCopies]:
    store = MemoryEntityStore(still_lifetimes())
    return store, ScopeCopies(store, [ORDERS, ITEMS], ttl=600.0)


def test_a_world_is_written_over_the_shared_seeds_copy_on_write() -> None:
    store, copies = _copies()
    for n in (1, 2, 3):
        store.put(
            SHARED_SCOPE, "orders", EntityRecord(f"o-{n}", {"n": n}, float(n)), expires_at=None
        )
    world = {
        "orders": {"o-1": {"n": 1}, "o-3": {"n": 30}, "o-9": {"n": 9}},
        "items": {"i-1": {"orderId": "o-9"}},
    }
    copies.write("s", world, now=100.0, known={}, bookkeeping=Bookkeeping())

    own = {r.id: r for r in store.list("s", "orders", now=100.0)}
    # o-1 is the shared one as it is: left to the shared set; o-2 is gone for this session.
    assert set(own) == {"o-2", "o-3", "o-9"}
    assert own["o-2"].data is None
    assert (own["o-3"].data, own["o-3"].created_at) == ({"n": 30}, 3.0)
    assert own["o-9"].data == {"n": 9}
    (item,) = store.list("s", "items", now=100.0)
    assert (item.id, item.parent) == ("i-1", "o-9")


def test_writing_a_world_drops_what_the_scope_held_and_keeps_the_bookkeeping() -> None:
    store, copies = _copies()
    store.put("s", "orders", EntityRecord("old", {"x": 1}, 1.0), expires_at=None)
    store.increment("s", META_COLLECTION, "seq:orders", now=0.0, expires_at=None, by=7)
    known = copies.records("s", now=50.0)
    kept = copies.bookkeeping("s", now=50.0)
    assert kept.sequences == {"orders": 7}
    marker = EntityRecord("prefilled:orders:None", {}, 40.0)
    late = EntityRecord("prefilled:items:o-1", {}, 60.0)
    bookkeeping = Bookkeeping((marker, late), kept.sequences).until(50.0)
    assert bookkeeping.markers == (marker,)
    assert Bookkeeping((marker,), {}).until(None).markers == ()

    copies.write(
        "s", {"orders": {"new": {"x": 2}}}, now=100.0, known=known, bookkeeping=bookkeeping
    )
    assert [r.id for r in store.list("s", "orders", now=100.0)] == ["new"]
    assert [r.id for r in store.list("s", META_COLLECTION, now=100.0)] == [marker.id]
    # The sequence goes on where it was: the next id is 8.
    assert store.increment("s", META_COLLECTION, "seq:orders", now=100.0, expires_at=None) == 8


def _event(seq: int) -> JournalEvent:
    exchange = RecordedExchange("GET", "/orders", {}, {}, None, 200, {}, [])
    return JournalEvent(seq=seq, at=float(seq), exchange=exchange, source="offline", latency_ms=1)


def _fixture(
    requests: int, steps: list[int], entities: dict[str, dict[str, dict[str, int]]]
) -> Fixture:
    return Fixture(
        session=Session("s", 0.0, 0.0, 10.0, requests=requests),
        entities=entities,  # type: ignore[arg-type]
        journal=tuple(_event(n) for n in steps),
        bookkeeping=Bookkeeping(),
        digest="sha256:" + "0" * 64,
    )


def test_a_fixture_is_checked_part_by_part() -> None:
    collections = frozenset({"orders"})
    good = _fixture(3, [2, 3], {"orders": {"o-1": {"n": 1}}})
    assert checked(good, collections) is good
    cases = {
        "entities: 'carts' is no collection of this server's config (it has orders)": _fixture(
            3, [2, 3], {"carts": {}}
        ),
        "journal[1]: step 4 follows step 2; the steps of a journal are consecutive": _fixture(
            4, [2, 4], {}
        ),
        "journal: its last step is 3, but session.requests is 5; they are the same number": (
            _fixture(5, [2, 3], {})
        ),
    }
    for problem, fixture in cases.items():
        with pytest.raises(RequestError) as refused:
            checked(fixture, collections)
        assert refused.value.status == 400
        assert refused.value.detail == f"the fixture is not one import can read: {problem}"


def test_a_digest_covers_everything_but_itself_whatever_the_key_order() -> None:
    content = {"format": "mockmind-session/1", "session": {"b": 1, "a": 2}}
    assert fixture_digest(content) == fixture_digest({**content, "digest": "sha256:x"})
    assert fixture_digest(content) == fixture_digest(
        {"session": {"a": 2, "b": 1}, "format": "mockmind-session/1"}
    )
    assert fixture_digest(content) != fixture_digest({**content, "session": {"a": 2}})
    assert fixture_digest(content).startswith("sha256:")
    assert len(fixture_digest(content)) == len("sha256:") + 64
