from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from mockmind.domain.errors import EntityExists, VersionConflict
from mockmind.ports import EntityRecord, EntityStore


def _rec(entity_id: str, at: float = 1.0, **data: object) -> EntityRecord:
    return EntityRecord(entity_id, {"id": entity_id, **data}, at)


def test_put_get_round_trip(entity_store: EntityStore) -> None:
    record = EntityRecord("o-1", {"id": "o-1", "items": [{"price": 2.5}]}, 10.0, parent="u-1")
    entity_store.put("s1", "orders", record, expires_at=100.0)
    assert entity_store.get("s1", "orders", "o-1", now=50.0) == record


def test_scopes_and_collections_are_separate(entity_store: EntityStore) -> None:
    entity_store.put("s1", "orders", _rec("x"), expires_at=None)
    assert entity_store.get("s2", "orders", "x", now=0.0) is None
    assert entity_store.get("s1", "users", "x", now=0.0) is None


def test_expired_records_are_not_read_or_listed(entity_store: EntityStore) -> None:
    entity_store.put("s1", "orders", _rec("a"), expires_at=10.0)
    entity_store.put("s1", "orders", _rec("b"), expires_at=None)
    assert entity_store.get("s1", "orders", "a", now=10.0) is None
    assert [r.id for r in entity_store.list("s1", "orders", now=10.0)] == ["b"]


def test_list_is_oldest_first(entity_store: EntityStore) -> None:
    for entity_id, at in [("c", 3.0), ("a", 1.0), ("b", 2.0)]:
        entity_store.put("s1", "orders", _rec(entity_id, at), expires_at=None)
    assert [r.id for r in entity_store.list("s1", "orders", now=0.0)] == ["a", "b", "c"]


def test_list_ties_are_in_id_order(entity_store: EntityStore) -> None:
    for entity_id in ["b", "c", "a"]:
        entity_store.put("s1", "orders", _rec(entity_id, 5.0), expires_at=None)
    assert [r.id for r in entity_store.list("s1", "orders", now=0.0)] == ["a", "b", "c"]


def test_each_list_sees_every_change_made_before_it(entity_store: EntityStore) -> None:
    # Listed again and again between changes: no list answers what an earlier one saw.
    def ids(now: float = 0.0) -> list[tuple[str, object]]:
        return [(r.id, (r.data or {}).get("n")) for r in entity_store.list("s1", "orders", now=now)]

    assert ids() == []
    entity_store.put("s1", "orders", _rec("a", 1.0, n=1), expires_at=None)
    assert ids() == [("a", 1)]
    entity_store.put("s1", "orders", _rec("b", 2.0, n=1), expires_at=50.0)
    assert ids() == ids() == [("a", 1), ("b", 1)]
    entity_store.put("s1", "orders", _rec("a", 1.0, n=2), expires_at=None)
    assert ids() == [("a", 2), ("b", 1)]
    entity_store.put_new("s1", "orders", _rec("c", 3.0, n=1), now=0.0, expires_at=None)
    assert ids() == [("a", 2), ("b", 1), ("c", 1)]
    assert ids(now=50.0) == [("a", 2), ("c", 1)]
    assert ids(now=49.0) == [("a", 2), ("b", 1), ("c", 1)]
    entity_store.delete("s1", "orders", "a")
    assert ids() == [("b", 1), ("c", 1)]
    entity_store.drop_scope("s1", ["orders"])
    assert ids() == []
    entity_store.put("s1", "orders", _rec("d", 4.0, n=1), expires_at=None)
    assert ids() == [("d", 1)]


def test_put_replaces(entity_store: EntityStore) -> None:
    entity_store.put("s1", "orders", _rec("a", status="placed"), expires_at=None)
    entity_store.put("s1", "orders", _rec("a", status="paid"), expires_at=None)
    record = entity_store.get("s1", "orders", "a", now=0.0)
    assert record is not None
    assert record.data is not None
    assert record.data["status"] == "paid"
    assert len(entity_store.list("s1", "orders", now=0.0)) == 1


def test_tombstones_round_trip(entity_store: EntityStore) -> None:
    entity_store.put("s1", "orders", EntityRecord("a", None, 1.0), expires_at=None)
    record = entity_store.get("s1", "orders", "a", now=0.0)
    assert record is not None
    assert record.data is None


def test_delete(entity_store: EntityStore) -> None:
    entity_store.put("s1", "orders", _rec("a"), expires_at=None)
    entity_store.delete("s1", "orders", "a")
    entity_store.delete("s1", "orders", "a")
    assert entity_store.get("s1", "orders", "a", now=0.0) is None


# --------------------------------------------------------------------- versions and conditions


def test_every_write_stores_one_version_more(entity_store: EntityStore) -> None:
    first = entity_store.put("s1", "orders", _rec("a", status="placed"), expires_at=None)
    second = entity_store.put("s1", "orders", _rec("a", status="paid"), expires_at=None)
    assert (first.version, second.version) == (1, 2)
    read = entity_store.get("s1", "orders", "a", now=0.0)
    assert read is not None
    assert read.version == 2
    assert [r.version for r in entity_store.list("s1", "orders", now=0.0)] == [2]


def test_a_write_at_the_version_read_succeeds(entity_store: EntityStore) -> None:
    entity_store.put("s1", "orders", _rec("a", status="placed"), expires_at=None)
    read = entity_store.get("s1", "orders", "a", now=0.0)
    assert read is not None
    changed = _rec("a", status="paid")
    stored = entity_store.put("s1", "orders", changed, expires_at=50.0, expected_version=1)
    assert stored == changed
    assert stored.version == 2
    assert entity_store.get("s1", "orders", "a", now=0.0) == changed


def test_a_write_at_a_stale_version_conflicts_and_changes_nothing(
    entity_store: EntityStore,
) -> None:
    entity_store.put("s1", "orders", _rec("a", status="placed"), expires_at=None)
    entity_store.put("s1", "orders", _rec("a", status="paid"), expires_at=None)
    with pytest.raises(VersionConflict):
        entity_store.put("s1", "orders", _rec("a", status="x"), expires_at=None, expected_version=1)
    read = entity_store.get("s1", "orders", "a", now=0.0)
    assert read is not None
    assert read.data is not None
    assert (read.data["status"], read.version) == ("paid", 2)


def test_a_conditional_write_of_a_missing_record_conflicts(entity_store: EntityStore) -> None:
    with pytest.raises(VersionConflict):
        entity_store.put("s1", "orders", _rec("a"), expires_at=None, expected_version=1)
    entity_store.put("s1", "orders", _rec("b"), expires_at=None)
    entity_store.delete("s1", "orders", "b")
    with pytest.raises(VersionConflict):
        entity_store.put("s1", "orders", _rec("b"), expires_at=None, expected_version=1)
    assert entity_store.list("s1", "orders", now=0.0) == []


def test_put_new_creates_once(entity_store: EntityStore) -> None:
    stored = entity_store.put_new("s1", "orders", _rec("a", n=1), now=0.0, expires_at=None)
    assert stored.version == 1
    with pytest.raises(EntityExists):
        entity_store.put_new("s1", "orders", _rec("a", n=2), now=0.0, expires_at=None)
    read = entity_store.get("s1", "orders", "a", now=0.0)
    assert read is not None
    assert read.data is not None
    assert read.data["n"] == 1
    # The same id elsewhere is another record.
    entity_store.put_new("s2", "orders", _rec("a"), now=0.0, expires_at=None)
    entity_store.put_new("s1", "users", _rec("a"), now=0.0, expires_at=None)


def test_put_new_finds_a_tombstone_taken(entity_store: EntityStore) -> None:
    entity_store.put("s1", "orders", EntityRecord("a", None, 1.0), expires_at=None)
    with pytest.raises(EntityExists):
        entity_store.put_new("s1", "orders", _rec("a"), now=0.0, expires_at=None)


def test_put_new_takes_over_an_expired_record(entity_store: EntityStore) -> None:
    entity_store.put("s1", "orders", _rec("a", n=1, stale=True), expires_at=10.0)
    stored = entity_store.put_new("s1", "orders", _rec("a", n=2), now=10.0, expires_at=100.0)
    assert stored.version == 2  # one more than the expired record's
    read = entity_store.get("s1", "orders", "a", now=50.0)
    assert read == _rec("a", n=2)
    # A writer that read the expired record cannot overwrite the new one with its version.
    with pytest.raises(VersionConflict):
        entity_store.put("s1", "orders", _rec("a", n=3), expires_at=None, expected_version=1)


def test_drop_scope_deletes_every_record_and_counter_of_the_scope_only(
    entity_store: EntityStore,
) -> None:
    entity_store.put("s1", "orders", _rec("a"), expires_at=None)
    entity_store.put("s1", "orders", _rec("old"), expires_at=5.0)  # one that expires
    entity_store.put("s1", "orders", EntityRecord("gone", None, 1.0), expires_at=None)
    entity_store.put("s1", "__meta__", EntityRecord("marker", {}, 1.0), expires_at=None)
    entity_store.increment("s1", "__meta__", "seq:orders", now=0.0, expires_at=None)
    entity_store.put("s2", "orders", _rec("a"), expires_at=None)
    entity_store.increment("s2", "__meta__", "seq:orders", now=0.0, expires_at=None)

    entity_store.drop_scope("s1", ["orders", "__meta__"])

    assert entity_store.list("s1", "orders", now=0.0) == []
    assert entity_store.get("s1", "orders", "gone", now=0.0) is None
    assert entity_store.get("s1", "__meta__", "marker", now=0.0) is None
    # The counter starts again: nothing of it was kept.
    assert entity_store.increment("s1", "__meta__", "seq:orders", now=0.0, expires_at=None) == 1
    assert [r.id for r in entity_store.list("s2", "orders", now=0.0)] == ["a"]
    assert entity_store.increment("s2", "__meta__", "seq:orders", now=0.0, expires_at=None) == 2


# --------------------------------------------------------------------------------- counters


def test_counters_count_from_one_each(entity_store: EntityStore) -> None:
    counts = [entity_store.increment("s1", "__meta__", "seq:orders", now=0.0, expires_at=None)]
    counts += [entity_store.increment("s1", "__meta__", "seq:orders", now=0.0, expires_at=None)]
    counts += [entity_store.increment("s1", "__meta__", "seq:users", now=0.0, expires_at=None)]
    counts += [entity_store.increment("s2", "__meta__", "seq:orders", now=0.0, expires_at=None)]
    counts += [entity_store.increment("s1", "other", "seq:orders", now=0.0, expires_at=None)]
    counts += [entity_store.increment("s1", "__meta__", "seq:orders", now=0.0, expires_at=None)]
    assert counts == [1, 2, 1, 1, 1, 3]


def test_a_counter_starts_again_once_expired(entity_store: EntityStore) -> None:
    assert entity_store.increment("s1", "m", "seq", now=0.0, expires_at=10.0) == 1
    # Each increment moves the expiry on.
    assert entity_store.increment("s1", "m", "seq", now=9.0, expires_at=20.0) == 2
    assert entity_store.increment("s1", "m", "seq", now=15.0, expires_at=30.0) == 3
    assert entity_store.increment("s1", "m", "seq", now=30.0, expires_at=40.0) == 1
    assert entity_store.increment("s1", "m", "seq", now=31.0, expires_at=None) == 2
    assert entity_store.increment("s1", "m", "seq", now=1e12, expires_at=None) == 3


def test_a_counter_adds_what_it_is_given(entity_store: EntityStore) -> None:
    assert entity_store.increment("s1", "m", "seq", now=0.0, expires_at=10.0, by=5) == 5
    assert entity_store.increment("s1", "m", "seq", now=1.0, expires_at=10.0) == 6
    assert entity_store.increment("s1", "m", "seq", now=10.0, expires_at=20.0, by=3) == 3


def test_adding_zero_reads_a_counter_and_moves_its_expiry(entity_store: EntityStore) -> None:
    """A session's copy reads its id sequences this way (domain/resources/scope_copies.py).
    Adding 0 changes no value, which a store must still answer with."""
    assert entity_store.increment("s1", "m", "absent", now=0.0, expires_at=10.0, by=0) == 0
    assert entity_store.increment("s1", "m", "absent", now=1.0, expires_at=10.0, by=0) == 0
    assert entity_store.increment("s1", "m", "seq", now=0.0, expires_at=10.0, by=4) == 4
    assert entity_store.increment("s1", "m", "seq", now=5.0, expires_at=20.0, by=0) == 4
    assert entity_store.increment("s1", "m", "seq", now=15.0, expires_at=30.0, by=0) == 4
    assert entity_store.increment("s1", "m", "seq", now=16.0, expires_at=30.0) == 5
    # Expired: it starts again from 0, whatever it is given, even the value it held.
    assert entity_store.increment("s1", "m", "seq", now=30.0, expires_at=40.0, by=0) == 0
    assert entity_store.increment("s1", "m", "seq", now=40.0, expires_at=50.0, by=0) == 0
    assert entity_store.increment("s1", "m", "seq", now=41.0, expires_at=50.0, by=2) == 2
    assert entity_store.increment("s1", "m", "seq", now=50.0, expires_at=None, by=2) == 2
    assert entity_store.increment("s1", "m", "seq", now=1e12, expires_at=None, by=0) == 2


def test_counters_are_not_records(entity_store: EntityStore) -> None:
    entity_store.increment("s1", "__meta__", "seq:orders", now=0.0, expires_at=None)
    entity_store.put("s1", "__meta__", EntityRecord("marker", {}, 1.0), expires_at=None)
    assert entity_store.get("s1", "__meta__", "seq:orders", now=0.0) is None
    assert [r.id for r in entity_store.list("s1", "__meta__", now=0.0)] == ["marker"]


# ------------------------------------------------------------------ racing writers, no loss

_THREADS = 8


def _race(work: Callable[[int], None]) -> None:
    """``work(n)`` in each of the threads, started together; the first failure is raised."""
    start = threading.Barrier(_THREADS)
    failures: list[BaseException] = []

    def run(number: int) -> None:
        start.wait()
        try:
            work(number)
        except BaseException as exc:  # re-raised below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def test_racing_increments_never_give_one_number_twice(entity_store: EntityStore) -> None:
    each = 20
    seen: list[int] = []
    lock = threading.Lock()

    def work(_: int) -> None:
        mine = [
            entity_store.increment("s1", "__meta__", "seq:x", now=0.0, expires_at=100.0)
            for _ in range(each)
        ]
        with lock:
            seen.extend(mine)

    _race(work)
    assert sorted(seen) == list(range(1, _THREADS * each + 1))


def test_racing_creates_of_one_id_keep_exactly_one(entity_store: EntityStore) -> None:
    won: list[int] = []

    def work(number: int) -> None:
        try:
            entity_store.put_new("s1", "orders", _rec("a", by=number), now=0.0, expires_at=None)
        except EntityExists:
            return
        won.append(number)

    _race(work)
    assert len(won) == 1
    read = entity_store.get("s1", "orders", "a", now=0.0)
    assert read is not None
    assert read.data is not None
    assert read.data["by"] == won[0]


def test_racing_read_modify_writes_lose_no_update(entity_store: EntityStore) -> None:
    """Each writer re-reads and re-applies on a conflict, as the resource service does."""
    entity_store.put("s1", "carts", _rec("c", n=0), expires_at=None)
    each = 5

    def work(_: int) -> None:
        for _ in range(each):
            while True:
                read = entity_store.get("s1", "carts", "c", now=0.0)
                assert read is not None
                assert read.data is not None
                changed = _rec("c", n=read.data["n"] + 1)
                try:
                    entity_store.put(
                        "s1", "carts", changed, expires_at=None, expected_version=read.version
                    )
                    break
                except VersionConflict:
                    continue

    _race(work)
    final = entity_store.get("s1", "carts", "c", now=0.0)
    assert final is not None
    assert final.data is not None
    assert final.data["n"] == _THREADS * each
    assert final.version == 1 + _THREADS * each
