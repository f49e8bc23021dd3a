"""Entity ids (domain/resources/ids): the per-scope sequence after the shared seeds, the
counter a release before counters left, and an id of each kind for a given step. Expected ids
are literals worked out by hand from sha256("<scope>:<collection>:<n>")."""

from __future__ import annotations

from typing import Any

from mockmind.adapters.memory import MemoryEntityStore
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.resources import ResourceSpec
from mockmind.domain.resources.ids import new_id, next_sequence
from mockmind.domain.resources.specs import META_COLLECTION
from mockmind.domain.sessions import SHARED_SCOPE
from mockmind.ports.entity_store import EntityRecord
from tests.support.clock import still_lifetimes

USERS = ResourceSpec("users", "/users", "/users/{userId}", "userId")
# sha256(b"s1:users:1")
DIGEST_1 = "155acfa9877b13e0f71183ffe59c01a0670602d16fd58c4237698d9616b97f32"
USER_SCHEMA = {
    "type": "object",
    "properties": {"userId": {"type": "string", "pattern": "^[a-f]{10}$"}},
}


def _no_refs(ref: str) -> Any:
    raise AssertionError(f"no $ref to resolve here, not {ref}")


def _with_seeds(count: int) -> MemoryEntityStore:
    store = MemoryEntityStore(still_lifetimes())
    for n in range(count):
        store.put(SHARED_SCOPE, "users", EntityRecord(f"u-{n}", {"n": n}, 0.0), expires_at=None)
    return store


def _legacy(store: MemoryEntityStore, last: int) -> None:
    """The record a release before counters kept under the sequence's key."""
    store.put("s1", META_COLLECTION, EntityRecord("seq:users", {"n": last}, 0.0), expires_at=None)


def test_a_sequence_counts_on_after_the_shared_seeds() -> None:
    store = _with_seeds(3)
    numbers = [next_sequence(store, "s1", USERS, 10.0, 60.0) for _ in range(3)]
    assert numbers == [4, 5, 6]
    # Another scope has its own counter.
    assert next_sequence(store, "s2", USERS, 10.0, 60.0) == 4


def test_a_sequence_expires_with_the_scope_and_starts_again() -> None:
    store = _with_seeds(0)
    assert next_sequence(store, "s1", USERS, 10.0, 60.0) == 1
    assert next_sequence(store, "s1", USERS, 69.0, 60.0) == 2
    # Each number moves the expiry on: 60 s after the last one, not the first.
    assert next_sequence(store, "s1", USERS, 128.0, 60.0) == 3
    assert next_sequence(store, "s1", USERS, 188.0, 60.0) == 1


def test_a_legacy_last_number_past_the_seeds_is_continued() -> None:
    store = _with_seeds(3)
    _legacy(store, 7)
    assert next_sequence(store, "s1", USERS, 10.0, 60.0) == 8
    assert next_sequence(store, "s1", USERS, 10.0, 60.0) == 9


def test_a_legacy_number_one_past_the_seeds_is_continued() -> None:
    store = _with_seeds(3)
    _legacy(store, 4)
    assert next_sequence(store, "s1", USERS, 10.0, 60.0) == 5


def test_a_legacy_number_within_the_seeds_counts_from_the_seeds() -> None:
    for last in (1, 3):
        store = _with_seeds(3)
        _legacy(store, last)
        assert next_sequence(store, "s1", USERS, 10.0, 60.0) == 4
        assert next_sequence(store, "s1", USERS, 10.0, 60.0) == 5


def test_a_continued_legacy_counter_expires_too() -> None:
    store = _with_seeds(0)
    _legacy(store, 5)
    assert next_sequence(store, "s1", USERS, 10.0, 60.0) == 6
    # The legacy record never expires, so a counter started afresh continues after it again.
    assert next_sequence(store, "s1", USERS, 71.0, 60.0) == 6


def _id(spec: ResourceSpec, seq: int, resolve: Any = _no_refs) -> Any:
    return new_id("s1", spec, seq, OfflineGenerator(resolve), resolve)


def test_a_prefixed_id_is_the_singular_and_twelve_hex_digits_of_the_digest() -> None:
    assert _id(USERS, 1) == "user_155acfa9877b"
    assert _id(USERS, 2) == "user_79127c12d076"


def test_a_uuid_id_is_a_version_4_uuid_of_the_digest() -> None:
    spec = ResourceSpec("users", "/users", "/users/{userId}", "userId", id_kind="uuid")
    # The digest's first 16 bytes with the version nibble set to 4 and the variant to 10xx.
    assert _id(spec, 1) == "155acfa9-877b-43e0-b711-83ffe59c01a0"


def test_an_integer_id_is_the_sequence_number() -> None:
    spec = ResourceSpec("users", "/users", "/users/{userId}", "userId", id_kind="integer")
    assert _id(spec, 7) == 7


def test_a_schema_id_is_generated_from_the_id_fields_schema_seeded_by_the_digest() -> None:
    spec = ResourceSpec(
        "users",
        "/users",
        "/users/{userId}",
        "userId",
        id_field="userId",
        id_kind="schema",
        schema={"$ref": "#/components/schemas/User"},
    )

    def resolve(ref: str) -> Any:
        assert ref == "#/components/schemas/User"
        return USER_SCHEMA

    first = _id(spec, 1, resolve)
    assert isinstance(first, str)
    assert len(first) == 10
    assert set(first) <= set("abcdef")
    prop = USER_SCHEMA["properties"]["userId"]  # type: ignore[index]
    assert first == OfflineGenerator().generate(prop, seed=DIGEST_1)
    # The same step gives the same id; the next step another one.
    assert _id(spec, 1, resolve) == first
    assert _id(spec, 2, resolve) != first
