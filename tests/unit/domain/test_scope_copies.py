"""A world written into a session's scope, record by record (domain/resources/scope_copies):
what each record keeps (creation time, parent), how long it lives, what is dropped first,
and the bookkeeping read back and exported."""

from __future__ import annotations

from mockmind.adapters.memory import MemoryEntityStore
from mockmind.domain.resources import ResourceSpec
from mockmind.domain.resources.scope_copies import Bookkeeping, ScopeCopies
from mockmind.domain.resources.specs import META_COLLECTION
from mockmind.domain.sessions import SHARED_SCOPE
from mockmind.ports.entity_store import EntityRecord
from tests.support.resources import ITEMS, ORDERS, DropRecordingStore

CART = ResourceSpec("cart", "/cart", singleton=True)
TTL = 600.0


def _copies(*specs: ResourceSpec) -> tuple[DropRecordingStore, ScopeCopies]:
    store = DropRecordingStore()
    return store, ScopeCopies(store, list(specs or (ORDERS, ITEMS)), ttl=TTL)


def _shared(store: MemoryEntityStore, collection: str, record: EntityRecord) -> None:
    store.put(SHARED_SCOPE, collection, record, expires_at=None)


def test_a_write_drops_every_collection_and_the_bookkeeping_of_the_scope_first() -> None:
    store, copies = _copies()
    copies.write("s", {}, now=0.0, known={}, bookkeeping=Bookkeeping())
    assert store.dropped == [("s", ["__meta__", "items", "orders"])]


def test_records_without_a_known_one_are_stamped_a_microsecond_apart_in_world_order() -> None:
    store, copies = _copies()
    world = {
        "orders": {"o-b": {"n": 1}, "o-a": {"n": 2}, "o-c": {"n": 3}},
        "items": {"i-1": {"orderId": "o-a"}, "i-2": {"x": 1}},
    }
    copies.write("s", world, now=0.0, known={}, bookkeeping=Bookkeeping())
    orders = store.list("s", "orders", now=0.0)
    assert [(r.id, round(r.created_at, 12), r.parent) for r in orders] == [
        ("o-b", 1e-6, None),
        ("o-a", 2e-6, None),
        ("o-c", 3e-6, None),
    ]
    # The stamp goes on across collections; a child without its parent field has no parent.
    items = store.list("s", "items", now=0.0)
    assert [(r.id, round(r.created_at, 12), r.parent) for r in items] == [
        ("i-1", 4e-6, "o-a"),
        ("i-2", 5e-6, None),
    ]


def test_a_known_record_gives_its_creation_time_and_parent() -> None:
    store, copies = _copies()
    known = {"items": {"i-1": EntityRecord("i-1", {"old": 1}, 5.0, "o-7")}}
    world = {"items": {"i-1": {"orderId": "o-9"}, "i-2": {"orderId": "o-9"}}}
    copies.write("s", world, now=100.0, known=known, bookkeeping=Bookkeeping())
    items = store.list("s", "items", now=100.0)
    assert [(r.id, r.data, r.created_at, r.parent) for r in items] == [
        ("i-1", {"orderId": "o-9"}, 5.0, "o-7"),
        ("i-2", {"orderId": "o-9"}, 100.000001, "o-9"),
    ]


def test_a_tombstone_keeps_the_shared_records_time_and_parent() -> None:
    store, copies = _copies()
    _shared(store, "items", EntityRecord("i-1", {"orderId": "o-1"}, 3.0, "o-1"))
    copies.write("s", {}, now=100.0, known={}, bookkeeping=Bookkeeping())
    (tombstone,) = store.list("s", "items", now=100.0)
    assert (tombstone.id, tombstone.data, tombstone.created_at, tombstone.parent) == (
        "i-1",
        None,
        3.0,
        "o-1",
    )


def test_a_singletons_world_leaves_the_shared_records_of_its_collection_alone() -> None:
    store, copies = _copies(CART)
    _shared(store, "cart", EntityRecord("1", {"total": 1}, 0.0))
    copies.write("s", {"cart": {"_": {"total": 2}}}, now=0.0, known={}, bookkeeping=Bookkeeping())
    assert [(r.id, r.data) for r in store.list("s", "cart", now=0.0)] == [("_", {"total": 2})]


def test_everything_written_lives_for_the_ttl_from_the_write() -> None:
    store, copies = _copies()
    _shared(store, "orders", EntityRecord("o-1", {"n": 1}, 0.0))
    marker = EntityRecord("prefilled:items:o-2", {}, 50.0)
    copies.write(
        "s",
        {"orders": {"o-2": {"n": 2}}},
        now=100.0,
        known={},
        bookkeeping=Bookkeeping((marker,), {"orders": 4}),
    )
    last = 100.0 + TTL - 0.5
    assert [r.id for r in store.list("s", "orders", now=last)] == ["o-1", "o-2"]
    assert [r.id for r in store.list("s", META_COLLECTION, now=last)] == [marker.id]
    gone = 100.0 + TTL
    assert store.list("s", "orders", now=gone) == []
    assert store.list("s", META_COLLECTION, now=gone) == []
    # The sequence's counter ended with them: adding 1 starts it again.
    assert store.increment("s", META_COLLECTION, "seq:orders", now=gone, expires_at=None) == 1


def test_records_are_the_scopes_own_tombstones_included() -> None:
    store, copies = _copies()
    live = EntityRecord("o-1", {"n": 1}, 1.0)
    tombstone = EntityRecord("o-2", None, 2.0)
    store.put("s", "orders", live, expires_at=200.0)
    store.put("s", "orders", tombstone, expires_at=200.0)
    store.put("other", "orders", EntityRecord("o-3", {"n": 3}, 3.0), expires_at=200.0)
    records = copies.records("s", now=100.0)
    assert {name: sorted(ids) for name, ids in records.items()} == {
        "orders": ["o-1", "o-2"],
        "items": [],
    }
    assert (records["orders"]["o-1"].data, records["orders"]["o-2"].data) == ({"n": 1}, None)
    # Expired records are no longer the scope's.
    assert copies.records("s", now=200.0) == {"orders": {}, "items": {}}


def test_bookkeeping_is_the_scopes_markers_and_sequences() -> None:
    store, copies = _copies()
    marker = EntityRecord("prefilled:orders:None", {"at": 1}, 40.0)
    store.put("s", META_COLLECTION, marker, expires_at=200.0)
    store.put("s", META_COLLECTION, EntityRecord("gone", None, 41.0), expires_at=200.0)
    store.put("other", META_COLLECTION, EntityRecord("theirs", {}, 42.0), expires_at=200.0)
    store.increment("s", META_COLLECTION, "seq:items", now=0.0, expires_at=200.0, by=3)
    kept = copies.bookkeeping("s", now=100.0)
    assert [(m.id, m.data, m.created_at) for m in kept.markers] == [
        ("prefilled:orders:None", {"at": 1}, 40.0)
    ]
    assert kept.sequences == {"items": 3}


def test_reading_the_bookkeeping_keeps_a_sequence_for_the_ttl_from_the_read() -> None:
    store, copies = _copies()
    store.increment("s", META_COLLECTION, "seq:orders", now=0.0, expires_at=150.0, by=7)
    assert copies.bookkeeping("s", now=100.0).sequences == {"orders": 7}
    assert copies.bookkeeping("s", now=100.0 + TTL - 0.5).sequences == {"orders": 7}
    later = 100.0 + TTL - 0.5 + TTL
    assert copies.bookkeeping("s", now=later).sequences == {}


def test_markers_set_at_the_step_itself_are_kept() -> None:
    at = EntityRecord("prefilled:orders:None", {}, 50.0)
    later = EntityRecord("prefilled:items:o-1", {}, 50.000001)
    assert Bookkeeping((at, later), {"orders": 2}).until(50.0) == Bookkeeping((at,), {"orders": 2})


def test_bookkeeping_exports_its_markers_and_sequences() -> None:
    marker = EntityRecord("prefilled:items:o-1", {"n": 1}, 40.5)
    bare = EntityRecord("seeded", None, 41.0)
    assert Bookkeeping((marker, bare), {"orders": 3}).to_dict() == {
        "markers": [
            {"id": "prefilled:items:o-1", "created_at": 40.5, "data": {"n": 1}},
            {"id": "seeded", "created_at": 41.0, "data": {}},
        ],
        "sequences": {"orders": 3},
    }
