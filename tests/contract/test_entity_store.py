from __future__ import annotations

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
