"""The read path (domain/resources/reading.py): where an entity a request names is for the
session (its own record first, then the shared seed set's), and when it is 404: a tombstone, a
record under another parent, an id never seen, each unless the request makes or revives it."""

from __future__ import annotations

from typing import Any

import pytest

from mockmind.adapters.memory import MemoryEntityStore
from mockmind.domain.errors import RequestError
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.resources import ResourceContext, ResourceService, ResourceSpec
from mockmind.domain.resources.reading import Found, find
from mockmind.domain.resources.scoped_records import ScopedRecords
from mockmind.domain.sessions import SHARED_SCOPE
from mockmind.ports.entity_store import EntityRecord
from tests.support.clock import still_lifetimes

POSTS = ResourceSpec(
    "posts",
    "/users/{userId}/posts",
    "/users/{userId}/posts/{postId}",
    "postId",
    parent="users",
    parent_param="userId",
    parent_field="userId",
)
NOW = 100.0


def _world() -> tuple[MemoryEntityStore, ScopedRecords, ResourceContext]:
    store = MemoryEntityStore(still_lifetimes())
    service = ResourceService(
        {POSTS.collection_path: POSTS},
        store,
        OfflineGenerator(),
        lambda ref: {},
        entity_ttl_seconds=600.0,
    )
    return store, ScopedRecords(store, 600.0), service.context("s1", NOW, {})


def _put(store: MemoryEntityStore, scope: str, record: EntityRecord) -> EntityRecord:
    return store.put(scope, "posts", record, expires_at=None)


def _find(
    records: ScopedRecords,
    ctx: ResourceContext,
    entity_id: Any,
    parent_id: Any = None,
    *,
    create: bool = False,
    revive: bool = False,
) -> Found:
    return find(records, ctx, POSTS, entity_id, parent_id, create=create, revive=revive)


def _is_404(records: ScopedRecords, ctx: ResourceContext, entity_id: Any, **how: Any) -> str:
    with pytest.raises(RequestError) as raised:
        _find(records, ctx, entity_id, **how)
    assert raised.value.status == 404
    return raised.value.detail


def test_the_sessions_own_record_is_found_before_the_shared_one() -> None:
    store, records, ctx = _world()
    _put(store, SHARED_SCOPE, EntityRecord("1", {"title": "shared"}, 1.0))
    own = _put(store, "s1", EntityRecord("1", {"title": "mine"}, 2.0))
    assert _find(records, ctx, 1) == Found("1", own, own)
    assert own.version == 1


def test_a_shared_record_is_found_where_the_session_has_none() -> None:
    store, records, ctx = _world()
    shared = _put(store, SHARED_SCOPE, EntityRecord("7", {"title": "shared"}, 1.0))
    _put(store, "s2", EntityRecord("7", {"title": "another session's"}, 2.0))
    assert _find(records, ctx, "7") == Found("7", None, shared)
    # Another session's records are never this one's.
    assert _is_404(records, ctx, "8") == "post 8 does not exist"
    _put(store, "s2", EntityRecord("9", {"title": "another session's"}, 2.0))
    assert _is_404(records, ctx, 9) == "post 9 does not exist"


def test_a_tombstone_is_404_even_over_a_shared_record_unless_the_request_revives_it() -> None:
    store, records, ctx = _world()
    _put(store, SHARED_SCOPE, EntityRecord("1", {"title": "shared"}, 1.0))
    tombstone = _put(store, "s1", EntityRecord("1", None, 1.0))
    assert _is_404(records, ctx, 1) == "post 1 does not exist"
    assert _is_404(records, ctx, 1, create=True) == "post 1 does not exist"
    assert _is_404(records, ctx, 1, revive=True) == "post 1 does not exist"
    # Revived, it is made anew under its key, over the session's tombstone.
    assert _find(records, ctx, 1, create=True, revive=True) == Found("1", tombstone, None)


def test_an_id_never_seen_is_404_unless_the_request_makes_it() -> None:
    _, records, ctx = _world()
    assert _is_404(records, ctx, 5) == "post 5 does not exist"
    assert _find(records, ctx, 5, create=True) == Found("5", None, None)


def test_a_record_under_another_parent_is_404_or_another_entity_under_a_key_of_its_own() -> None:
    store, records, ctx = _world()
    under_u1 = _put(store, "s1", EntityRecord("guides", {"userId": "u1"}, 1.0, "u1"))
    # Its own parent, or none named, finds it.
    assert _find(records, ctx, "guides", "u1") == Found("guides", under_u1, under_u1)
    assert _find(records, ctx, "guides") == Found("guides", under_u1, under_u1)
    assert _is_404(records, ctx, "guides", parent_id="u2") == "post guides does not exist"
    assert (
        _is_404(records, ctx, "guides", parent_id="u2", create=True) == "post guides does not exist"
    )
    assert _find(records, ctx, "guides", "u2", create=True, revive=True) == Found(
        "u2/guides", None, None
    )
    # Once made, the other parent's entity is found under its key, the session's or shared.
    under_u2 = _put(store, "s1", EntityRecord("u2/guides", {"userId": "u2"}, 2.0, "u2"))
    assert _find(records, ctx, "guides", "u2", create=True, revive=True) == Found(
        "u2/guides", under_u2, under_u2
    )
    shared = _put(store, SHARED_SCOPE, EntityRecord("u3/guides", {"userId": "u3"}, 3.0, "u3"))
    assert _find(records, ctx, "guides", "u3", create=True, revive=True) == Found(
        "u3/guides", None, shared
    )
    # A record without a parent belongs to any.
    loose = _put(store, SHARED_SCOPE, EntityRecord("loose", {}, 4.0))
    assert _find(records, ctx, "loose", "u9") == Found("loose", None, loose)


def test_a_tombstone_under_the_other_parents_key_is_made_anew() -> None:
    store, records, ctx = _world()
    _put(store, "s1", EntityRecord("guides", {"userId": "u1"}, 1.0, "u1"))
    tombstone = _put(store, "s1", EntityRecord("u2/guides", None, 2.0, "u2"))
    assert _find(records, ctx, "guides", "u2", create=True, revive=True) == Found(
        "u2/guides", tombstone, None
    )
