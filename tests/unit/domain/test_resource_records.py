"""What the resource service leaves in its store and in a request's journal of changes
(domain/resources/store, scoped_records): each record's parent, creation time and lifetime,
the changes a create and a delete note, a session's world with its singleton, found resources
adopted up to a limit, and a session's scope dropped whole."""

from __future__ import annotations

import re
from typing import Any

import pytest

from mockmind.adapters.memory import MemoryEntityStore
from mockmind.domain.errors import RequestError, VersionConflict
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.journal import EntityChange
from mockmind.domain.resources import ResourceAction, ResourceService, ResourceSpec
from mockmind.domain.resources.scope_copies import Bookkeeping
from mockmind.domain.rules.expressions import parse_expression
from mockmind.domain.sessions import SHARED_SCOPE
from mockmind.ports.entity_store import EntityRecord
from tests.support.clock import still_lifetimes
from tests.support.resources import DropRecordingStore

CART = ResourceSpec("cart", "/cart", singleton=True)
USERS = ResourceSpec(
    "users", "/users", "/users/{userId}", "userId", id_field="userId", id_kind="integer"
)
POSTS = ResourceSpec(
    "posts",
    "/users/{userId}/posts",
    "/users/{userId}/posts/{postId}",
    "postId",
    id_field="postId",
    id_kind="integer",
    parent="users",
    parent_param="userId",
    parent_field="userId",
)
TTL = 600.0


def _service(*specs: ResourceSpec) -> tuple[DropRecordingStore, ResourceService]:
    store = DropRecordingStore()
    chosen = specs or (CART, USERS, POSTS)
    service = ResourceService(
        {spec.collection_path: spec for spec in chosen},
        store,
        OfflineGenerator(),
        lambda ref: {},
        entity_ttl_seconds=TTL,
    )
    return store, service


def _ctx(service: ResourceService, now: float = 1000.0, **kw: Any) -> Any:
    ctx = service.context("s1", now, {}, **kw)
    ctx.changes = []
    return ctx


def _records(store: MemoryEntityStore, collection: str, now: float = 1000.0) -> list[Any]:
    return [(r.id, r.data, r.created_at, r.parent) for r in store.list("s1", collection, now=now)]


def test_a_create_notes_the_new_entity_and_keeps_no_parent_at_the_top() -> None:
    store, service = _service()
    ctx = _ctx(service)
    user = service.create(ctx, ResourceAction(USERS, "create"), {"name": "Ada"})
    assert user == {"name": "Ada", "userId": 1}
    assert ctx.changes == [EntityChange("users", "1", None, {"name": "Ada", "userId": 1})]
    assert _records(store, "users") == [("1", user, 1000.000001, None)]


def test_a_created_entity_sorts_by_its_time_and_number_among_those_read_through() -> None:
    _, service = _service()
    first = service.create(_ctx(service), ResourceAction(USERS, "create"), {"n": 1})
    # An id never seen, read at 1000.5, is made then.
    seen = service.read(_ctx(service, 1000.5), USERS, "77")
    later = service.create(_ctx(service, 1001.0), ResourceAction(USERS, "create"), {"n": 2})
    listed, total = service.list(_ctx(service, 1001.0), ResourceAction(USERS, "list"), {})
    assert (listed, total) == ([first, seen, later], 3)


def test_an_entity_read_through_under_a_parent_keeps_it() -> None:
    store, service = _service()
    ctx = _ctx(service)
    user = service.create(ctx, ResourceAction(USERS, "create"), {})
    post = service.read(ctx, POSTS, "5", user["userId"])
    assert post["postId"] == "5"
    assert post["userId"] == 1
    assert _records(store, "posts") == [("5", post, 1000.0, "1")]
    assert ctx.changes[-1] == EntityChange("posts", "5", None, post)
    top = service.read(ctx, USERS, "9")
    assert _records(store, "users") == [("9", top, 1000.0, None), ("1", user, 1000.000001, None)]


def test_a_delete_notes_the_entity_and_its_children_and_leaves_tombstones() -> None:
    store, service = _service()
    user = service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Ada"})
    post = service.create(
        _ctx(service, 1001.0), ResourceAction(POSTS, "create", parent_id=1), {"t": "x"}
    )
    ctx = _ctx(service, 1002.0)
    assert service.delete(ctx, ResourceAction(USERS, "delete", entity_id=1)) == user
    assert ctx.changes == [
        EntityChange("users", "1", user, None),
        EntityChange("posts", "1", post, None),
    ]
    assert _records(store, "users", 1002.0) == [("1", None, 1000.000001, None)]
    assert _records(store, "posts", 1002.0) == [("1", None, 0.0, "1")]


def test_deleting_a_child_keeps_its_parent_on_the_tombstone() -> None:
    store, service = _service()
    service.create(_ctx(service), ResourceAction(USERS, "create"), {})
    service.create(_ctx(service), ResourceAction(POSTS, "create", parent_id=1), {})
    service.delete(_ctx(service), ResourceAction(POSTS, "delete", entity_id=1, parent_id=1))
    assert _records(store, "posts") == [("1", None, 1000.000001, "1")]


def test_a_singleton_delete_notes_it_under_its_one_key() -> None:
    _, service = _service()
    cart = service.write(_ctx(service), ResourceAction(CART, "merge"), {"n": 1}, merge=True)
    ctx = _ctx(service)
    assert service.delete(ctx, ResourceAction(CART, "delete")) == cart
    assert ctx.changes == [EntityChange("cart", "_", cart, None)]


def test_what_a_request_writes_lives_for_the_ttl() -> None:
    store, service = _service()
    service.create(_ctx(service), ResourceAction(USERS, "create"), {})
    service.delete(_ctx(service, 1100.0), ResourceAction(USERS, "delete", entity_id=1))
    assert [r.id for r in store.list("s1", "users", now=1100.0 + TTL - 1)] == ["1"]
    assert store.list("s1", "users", now=1100.0 + TTL) == []


def test_a_sessions_world_holds_its_singleton_under_its_one_key() -> None:
    _, service = _service()
    ctx = _ctx(service)
    assert service.entities_now(ctx) == {}
    cart = service.write(ctx, ResourceAction(CART, "merge"), {"n": 1}, merge=True)
    user = service.create(ctx, ResourceAction(USERS, "create"), {})
    assert service.entities_now(ctx) == {"cart": {"_": cart}, "users": {"1": user}}
    service.delete(ctx, ResourceAction(CART, "delete"))
    assert service.entities_now(ctx) == {"users": {"1": user}}


def test_copies_write_into_the_services_store_for_its_ttl() -> None:
    store, service = _service()
    copies = service.copies()
    assert copies.collections() == frozenset({"cart", "users", "posts"})
    copies.write(
        "s1", {"users": {"4": {"userId": 4}}}, now=0.0, known={}, bookkeeping=Bookkeeping()
    )
    assert [r.id for r in store.list("s1", "users", now=TTL - 1)] == ["4"]
    assert store.list("s1", "users", now=TTL) == []


def test_dropping_a_scope_names_every_collection_and_the_bookkeeping() -> None:
    store, service = _service()
    service.drop_scope("s1")
    assert store.dropped == [("s1", ["__meta__", "cart", "posts", "users"])]
    for internal in (SHARED_SCOPE, "__anonymous__"):
        with pytest.raises(ValueError, match=re.escape(f"{internal!r} is no session's scope")):
            service.drop_scope(internal)


def test_found_resources_are_adopted_up_to_the_limit() -> None:
    _, service = _service(USERS)
    # Nothing new: adopted, whatever the limit.
    assert service.adopt({"/users": USERS}, limit=1) is True
    tags = ResourceSpec("tags", "/tags", "/tags/{tagId}", "tagId")
    notes = ResourceSpec("notes", "/notes", "/notes/{noteId}", "noteId")
    # One known and two new are more than 2.
    assert service.adopt({"/tags": tags, "/notes": notes}, limit=2) is False
    assert service.by_name("tags") is None
    # Exactly at the limit is still adopted.
    assert service.adopt({"/tags": tags, "/notes": notes}, limit=3) is True
    assert service.by_name("tags") is tags
    assert service.by_name("notes") is notes
    assert service.specs["/notes"] is notes


def test_a_child_created_without_a_parent_gets_no_parent_field() -> None:
    store, service = _service()
    post = service.create(_ctx(service), ResourceAction(POSTS, "create"), {"t": 1})
    assert post == {"t": 1, "postId": 1}
    assert _records(store, "posts") == [("1", post, 1000.000001, None)]


def test_a_list_makes_up_the_documented_minimum_under_its_parent_and_pages() -> None:
    tags = ResourceSpec(
        "tags",
        "/users/{userId}/tags",
        "/users/{userId}/tags/{tagId}",
        "tagId",
        id_field="tagId",
        id_kind="integer",
        parent="users",
        parent_param="userId",
        parent_field="userId",
        min_items=2,
    )
    store, service = _service(USERS, tags)
    service.create(_ctx(service), ResourceAction(USERS, "create"), {})
    service.create(_ctx(service), ResourceAction(tags, "create", parent_id=1), {"own": True})
    listing = ResourceAction(tags, "list", parent_id=1)
    listed, total = service.list(_ctx(service), listing, {})
    assert total == 2
    assert listed[0] == {"own": True, "tagId": 1, "userId": 1}
    assert (listed[1]["tagId"], listed[1]["userId"]) == (2, 1)
    # At the minimum, nothing more is made; a page is cut from it.
    assert service.list(_ctx(service), listing, {"limit": 1}) == ([listed[0]], 2)
    assert [r[0] for r in _records(store, "tags")] == ["1", "2"]


def test_a_prefilled_list_leaves_its_marker_and_a_list_without_prefill_none() -> None:
    filled = ResourceSpec("notes", "/notes", "/notes/{noteId}", "noteId", prefill=2)
    store, service = _service(USERS, filled)
    service.list(_ctx(service), ResourceAction(USERS, "list"), {})
    assert _records(store, "__meta__") == []
    listed, total = service.list(_ctx(service), ResourceAction(filled, "list"), {})
    assert total == 2
    assert _records(store, "__meta__") == [("prefilled:notes:None", {}, 1000.0, None)]
    assert service.list(_ctx(service, 1001.0), ResourceAction(filled, "list"), {}) == (listed, 2)


def test_a_singleton_read_is_never_made_by_the_read() -> None:
    _, service = _service()
    cart, made = service.read_or_make(_ctx(service), CART, None)
    assert made is False
    assert service.read_or_make(_ctx(service), CART, None) == (cart, False)


def test_a_new_id_follows_the_scope_of_the_seeds() -> None:
    named = ResourceSpec("users", "/users", "/users/{userId}", "userId")
    _, service = _service(named)
    user = service.create(_ctx(service), ResourceAction(named, "create"), {})
    # sha256(b"s1:users:1") begins 155acfa9877b.
    assert user == {"id": "user_155acfa9877b"}


def test_a_schema_id_is_made_with_the_services_generator_and_resolver() -> None:
    schemas = {
        "#/components/schemas/Coded": {
            "type": "object",
            "properties": {"code": {"$ref": "#/components/schemas/Code"}},
            "required": ["code"],
        },
        "#/components/schemas/Code": {"type": "string", "enum": ["only"]},
    }
    coded = ResourceSpec(
        "codes",
        "/codes",
        "/codes/{code}",
        "code",
        id_field="code",
        id_kind="schema",
        schema={"$ref": "#/components/schemas/Coded"},
    )
    service = ResourceService(
        {"/codes": coded},
        MemoryEntityStore(still_lifetimes()),
        OfflineGenerator(schemas.__getitem__),
        schemas.__getitem__,
        entity_ttl_seconds=TTL,
    )
    assert service.create(_ctx(service), ResourceAction(coded, "create"), {}) == {"code": "only"}


def test_a_read_finds_its_own_the_shared_and_not_the_deleted() -> None:
    store, service = _service()
    store.put(SHARED_SCOPE, "users", EntityRecord("7", {"userId": 7, "s": 1}, 0.0), expires_at=None)
    assert service.read(_ctx(service), USERS, "7") == {"userId": 7, "s": 1}
    user = service.create(_ctx(service), ResourceAction(USERS, "create"), {"n": 1})
    # Its number comes after the one shared seed.
    assert service.read(_ctx(service), USERS, "2") == user == {"n": 1, "userId": 2}
    for gone in ("2", "7"):
        service.delete(_ctx(service), ResourceAction(USERS, "delete", entity_id=gone))
        with pytest.raises(RequestError) as refused:
            service.read(_ctx(service), USERS, gone)
        assert (refused.value.status, refused.value.detail) == (404, f"user {gone} does not exist")
    # Where ids never seen are generated, a deleted one is made anew.
    again = service.read(_ctx(service, unknown_ids="generated"), USERS, "2")
    assert again["userId"] == "2"


def test_an_entity_read_through_gets_its_computed_fields_and_the_hooks_see_the_request() -> None:
    counted = ResourceSpec(
        "users",
        "/users",
        "/users/{userId}",
        "userId",
        id_field="userId",
        computed={
            "twice": parse_expression("userId * 2"),
            "people": parse_expression("count(users)"),
        },
    )
    seen: list[tuple[str, str, str]] = []

    def hook(kind: str) -> Any:
        return lambda ctx, spec, entity: seen.append((kind, ctx.scope, spec.name))

    service = ResourceService(
        {"/users": counted},
        MemoryEntityStore(still_lifetimes()),
        OfflineGenerator(),
        lambda ref: {},
        entity_ttl_seconds=TTL,
        on_write=[hook("write")],
        on_generate=[hook("generate")],
    )
    assert service.read(_ctx(service), counted, "4") == {"userId": "4", "twice": 8, "people": 0}
    assert seen == [("generate", "s1", "users"), ("write", "s1", "users")]


def test_a_clear_tombstones_what_the_request_listed_and_created_shared_ones_too() -> None:
    store, service = _service()
    store.put(SHARED_SCOPE, "users", EntityRecord("7", {"userId": 7}, 0.0), expires_at=None)
    ctx = _ctx(service)
    assert service.list(ctx, ResourceAction(USERS, "list"), {}) == ([{"userId": 7}], 1)
    made = service.create(ctx, ResourceAction(USERS, "create"), {})
    service.clear(ctx, "users")
    assert service.list(_ctx(service), ResourceAction(USERS, "list"), {}) == ([], 0)
    assert [(r[0], r[1]) for r in _records(store, "users")] == [
        ("7", None),
        (str(made["userId"]), None),
    ]


class _Contested(MemoryEntityStore):
    """A store where another request always wrote first."""

    def __init__(self) -> None:
        super().__init__(still_lifetimes())

    def put(self, *args: Any, **kw: Any) -> Any:
        raise VersionConflict("another request wrote first")

    def put_new(self, *args: Any, **kw: Any) -> Any:
        raise VersionConflict("another request wrote first")


def test_each_write_that_keeps_losing_names_what_it_wrote() -> None:
    store = _Contested()
    service = ResourceService(
        {s.collection_path: s for s in (CART, USERS, POSTS)},
        store,
        OfflineGenerator(),
        lambda ref: {},
        entity_ttl_seconds=TTL,
    )
    ctx = service.context("s1", 1000.0, {}, unknown_ids="generated")
    calls = {
        "a new user": lambda: service.create(ctx, ResourceAction(USERS, "create"), {}),
        "user 9": lambda: service.read(ctx, USERS, "9"),
        "cart": lambda: service.read(ctx, CART, None),
        "user 3": lambda: service.read(ctx, POSTS, "1", 3),
    }
    for what, call in calls.items():
        with pytest.raises(RequestError) as refused:
            call()
        assert refused.value.status == 409
        assert refused.value.detail == (
            f"{what} kept being changed by other requests while this one wrote it (8 tries); "
            "nothing was written, send the request again"
        )
    singleton_writes = (
        lambda: service.delete(ctx, ResourceAction(CART, "delete", "_")),
        lambda: service.write(ctx, ResourceAction(CART, "merge", "_"), {"n": 1}, merge=True),
    )
    for write in singleton_writes:
        with pytest.raises(RequestError) as refused:
            write()
        assert refused.value.detail.startswith("cart kept being changed by other requests")


def test_a_change_to_an_entity_it_makes_is_written_without_a_lost_race() -> None:
    store, service = _service()
    ctx = _ctx(service, unknown_ids="generated")
    changed = service.write(
        ctx, ResourceAction(USERS, "merge", entity_id="5"), {"n": 1}, merge=True
    )
    assert changed == {"userId": "5", "n": 1}
    assert service.races.as_dict()["entity"] == {"retried": 0, "given_up": 0}
    assert [(r[0], r[1]) for r in _records(store, "users")] == [("5", changed)]


def test_an_on_create_field_is_its_own_copy_of_what_it_reads() -> None:
    stamped = ResourceSpec(
        "orders",
        "/orders",
        "/orders/{orderId}",
        "orderId",
        id_field="orderId",
        id_kind="integer",
        on_create={"first": parse_expression("lines")},
    )
    _, service = _service(stamped)
    order = service.create(_ctx(service), ResourceAction(stamped, "create"), {"lines": [{"q": 1}]})
    order["lines"][0]["q"] = 2
    assert order["first"] == [{"q": 1}]


def test_the_same_id_under_another_parent_is_kept_under_a_key_of_its_own() -> None:
    store, service = _service()
    ctx = _ctx(service, unknown_ids="generated")
    first = service.read(ctx, POSTS, "1", "7")
    other = service.read(ctx, POSTS, "1", "8")
    assert (first["userId"], other["userId"]) == ("7", "8")
    assert [(r[0], r[3]) for r in _records(store, "posts")] == [("1", "7"), ("8/1", "8")]
    assert service.read(ctx, POSTS, "1", "8") == other


def test_an_entity_keeps_its_id_where_fitting_it_would_drop_a_valid_one() -> None:
    schema = {
        "type": "object",
        # A writeOnly id: a response never shows it, so fitting for one drops it.
        "properties": {"id": {"type": "string", "writeOnly": True}, "name": {"type": "string"}},
        "required": ["name"],
    }
    named = ResourceSpec("users", "/users", "/users/{userId}", "userId", schema=schema)
    _, service = _service(named)
    user = service.create(_ctx(service), ResourceAction(named, "create"), {}, generated={})
    # The missing name is generated from the collection and the id (sha256(b"s1:users:1")).
    expected = OfflineGenerator().repair(
        schema, {"id": "user_155acfa9877b"}, seed="users:user_155acfa9877b"
    )
    assert user == {"name": expected["name"], "id": "user_155acfa9877b"}


def test_an_id_the_schema_refuses_is_replaced_by_one_it_allows() -> None:
    schema = {"type": "object", "properties": {"id": {"type": "integer"}}}
    counted = ResourceSpec("users", "/users", "/users/{userId}", "userId", schema=schema)
    _, service = _service(counted)
    user = service.create(_ctx(service), ResourceAction(counted, "create"), {}, generated={})
    expected = OfflineGenerator().repair(
        schema, {"id": "user_155acfa9877b"}, seed="users:user_155acfa9877b"
    )
    assert isinstance(expected["id"], int)
    assert user == expected
