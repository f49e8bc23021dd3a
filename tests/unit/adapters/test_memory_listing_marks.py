"""The memory entity store's listing marks (``ports.entity_store.MarksListings``): the same
number while a collection's live records stay as they were listed, another after any write,
removal or expiry, and none it cannot vouch for."""

from __future__ import annotations

from mockmind.adapters.memory import MemoryEntityStore
from mockmind.ports import EntityRecord
from mockmind.ports.entity_store import MarksListings
from tests.support.clock import still_lifetimes

NOW = 1000.0


def _record(entity_id: str) -> EntityRecord:
    return EntityRecord(entity_id, {"id": entity_id}, NOW)


def test_a_mark_holds_while_the_listing_does_and_changes_with_every_write() -> None:
    store = MemoryEntityStore(still_lifetimes())
    assert isinstance(store, MarksListings)
    # Nothing written: nothing to list, and the mark says so until a write.
    assert store.listing_mark("s", "posts", now=NOW) == 0
    store.put("s", "posts", _record("a"), expires_at=NOW + 10)
    # Written, not listed since: no mark.
    assert store.listing_mark("s", "posts", now=NOW) is None
    store.list("s", "posts", now=NOW)
    first = store.listing_mark("s", "posts", now=NOW)
    assert first is not None
    assert first > 0
    assert store.listing_mark("s", "posts", now=NOW + 9) == first
    # Another collection's or scope's writes leave it.
    store.put("s", "users", _record("u"), expires_at=None)
    store.put("t", "posts", _record("b"), expires_at=None)
    assert store.listing_mark("s", "posts", now=NOW) == first
    store.put("s", "posts", _record("b"), expires_at=NOW + 10)
    assert store.listing_mark("s", "posts", now=NOW) is None
    store.list("s", "posts", now=NOW)
    second = store.listing_mark("s", "posts", now=NOW)
    assert second not in (None, first)
    store.delete("s", "posts", "a")
    assert store.listing_mark("s", "posts", now=NOW) is None


def test_no_mark_once_a_listed_record_has_expired() -> None:
    store = MemoryEntityStore(still_lifetimes())
    store.put("s", "posts", _record("a"), expires_at=NOW + 10)
    store.list("s", "posts", now=NOW)
    assert store.listing_mark("s", "posts", now=NOW + 9.9) is not None
    assert store.listing_mark("s", "posts", now=NOW + 10) is None
    assert store.list("s", "posts", now=NOW + 10) == []
    assert store.listing_mark("s", "posts", now=NOW + 10) is None
