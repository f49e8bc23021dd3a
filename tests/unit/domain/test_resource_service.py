"""The resource service's REST semantics on a memory store: singletons, nested collections,
list filters, and what a request's context shows expressions (domain/resources)."""

from __future__ import annotations

from typing import Any

import pytest

from mockmind.adapters.memory import MemoryEntityStore
from mockmind.domain.errors import RequestError
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.resources import ResourceAction, ResourceService, ResourceSpec
from mockmind.domain.resources.querying import same
from mockmind.domain.rules.expressions import parse_expression
from tests.support.clock import still_lifetimes

CART = ResourceSpec(
    "cart",
    "/cart",
    singleton=True,
    schema={
        "type": "object",
        "properties": {"total": {"type": "integer", "minimum": 1, "maximum": 9}},
        "required": ["total"],
    },
)
USERS = ResourceSpec("users", "/users", "/users/{userId}", "userId")
POSTS = ResourceSpec(
    "posts",
    "/users/{userId}/posts",
    "/users/{userId}/posts/{postId}",
    "postId",
    parent="users",
    parent_param="userId",
    parent_field="userId",
    filters=("tag",),
)
NOW = 1000.0
TTL = 3600.0


@pytest.fixture
def service() -> ResourceService:
    specs = {spec.name: spec for spec in (CART, USERS, POSTS)}
    return ResourceService(
        specs,
        MemoryEntityStore(still_lifetimes()),
        OfflineGenerator(),
        lambda ref: {},
        entity_ttl_seconds=TTL,
    )


def _ctx(service: ResourceService, scope: str = "s1", **kw: Any) -> Any:
    return service.context(scope, NOW, kw.get("state", {}), kw.get("body"))


def _not_found(call: Any) -> str:
    with pytest.raises(RequestError) as refused:
        call()
    assert refused.value.status == 404
    return refused.value.detail


def test_a_singleton_is_made_once_per_session_and_stays_put(service: ResourceService) -> None:
    ctx = _ctx(service)
    assert service.peek(ctx, CART, None) is None
    cart = service.read(ctx, CART, None)
    assert set(cart) == {"total"}
    assert 1 <= cart["total"] <= 9
    assert service.read(_ctx(service), CART, "ignored") == cart
    assert service.peek(_ctx(service), CART, None) == cart
    assert service.singleton_view(_ctx(service), CART) == cart
    # Another session has a cart of its own, not this one's.
    assert service.peek(_ctx(service, "s2"), CART, None) is None


def test_a_singleton_is_patched_in_place_and_deleted_whole(service: ResourceService) -> None:
    cart = service.read(_ctx(service), CART, None)
    merged = service.write(
        _ctx(service), ResourceAction(CART, "merge"), {"coupon": "X"}, merge=True
    )
    assert merged == {**cart, "coupon": "X"}
    assert "id" not in merged
    assert service.read(_ctx(service), CART, None) == merged
    assert service.delete(_ctx(service), ResourceAction(CART, "delete")) == merged
    assert service.peek(_ctx(service), CART, None) is None


def test_a_patch_of_a_singleton_never_read_makes_it_first(service: ResourceService) -> None:
    merged = service.write(
        _ctx(service), ResourceAction(CART, "merge"), {"coupon": "Y"}, merge=True
    )
    assert set(merged) == {"total", "coupon"}
    assert merged["coupon"] == "Y"
    assert service.peek(_ctx(service), CART, None) == merged


def test_a_child_keeps_its_parent_and_needs_one(service: ResourceService) -> None:
    assert _not_found(
        lambda: service.create(
            _ctx(service), ResourceAction(POSTS, "create", parent_id="u-9"), {"t": 1}
        )
    ) == ("user u-9 does not exist")
    assert _not_found(
        lambda: service.list(_ctx(service), ResourceAction(POSTS, "list", parent_id="u-9"), {})
    ) == ("user u-9 does not exist")
    assert _not_found(lambda: service.read(_ctx(service), POSTS, "p-1", "u-9")) == (
        "user u-9 does not exist"
    )
    user = service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Ada"})
    other = service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Bob"})
    post = service.create(
        _ctx(service), ResourceAction(POSTS, "create", parent_id=user["id"]), {"t": 1}
    )
    assert post["userId"] == user["id"]
    assert service.read(_ctx(service), POSTS, post["id"], user["id"]) == post
    # Under another parent the child is not there.
    assert _not_found(lambda: service.read(_ctx(service), POSTS, post["id"], other["id"])) == (
        f"post {post['id']} does not exist"
    )
    listed, total = service.list(
        _ctx(service), ResourceAction(POSTS, "list", parent_id=other["id"]), {}
    )
    assert (listed, total) == ([], 0)


def test_deleting_a_parent_deletes_its_children(service: ResourceService) -> None:
    user = service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Ada"})
    kept = service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Bob"})
    post = service.create(
        _ctx(service), ResourceAction(POSTS, "create", parent_id=user["id"]), {"t": 1}
    )
    other = service.create(
        _ctx(service), ResourceAction(POSTS, "create", parent_id=kept["id"]), {"t": 2}
    )
    service.delete(_ctx(service), ResourceAction(USERS, "delete", entity_id=user["id"]))
    assert _not_found(lambda: service.read(_ctx(service), POSTS, post["id"])) == (
        f"post {post['id']} does not exist"
    )
    assert service.read(_ctx(service), POSTS, other["id"]) == other


def test_list_filters_match_text_ignoring_case_and_any_listed_value(
    service: ResourceService,
) -> None:
    user = service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Ada"})
    action = ResourceAction(POSTS, "create", parent_id=user["id"])
    for tag in ("News", "sport", 7, None):
        service.create(_ctx(service), action, {"tag": tag})
    listing = ResourceAction(POSTS, "list", parent_id=user["id"])

    def tags(query: dict[str, Any]) -> list[Any]:
        found, total = service.list(_ctx(service), listing, query)
        assert total == len(found)
        return [post["tag"] for post in found]

    assert tags({"tag": "news"}) == ["News"]
    assert tags({"tag": "7"}) == [7]
    assert tags({"tag": ["SPORT", "news"]}) == ["News", "sport"]
    assert tags({"tag": None}) == ["News", "sport", 7, None]
    # Only declared filters filter.
    assert tags({"name": "x"}) == ["News", "sport", 7, None]


def test_a_kept_page_is_handed_out_as_it_is_until_a_change(service: ResourceService) -> None:
    listing = ResourceAction(USERS, "list")
    service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Ada"})
    first = service.listing(_ctx(service), listing, {"limit": 5})
    again = service.listing(_ctx(service), listing, {"limit": 5})
    # Read only as a whole: the answer built from it is its answer again.
    assert service.listing(_ctx(service), listing, {"limit": 5}) is again
    assert (again.records, again.entities, again.total) == (
        first.records,
        first.entities,
        first.total,
    )
    service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Grace"})
    after = service.listing(_ctx(service), listing, {"limit": 5})
    assert after is not again
    assert [user["name"] for user in after.entities] == ["Ada", "Grace"]
    assert [user["name"] for user in again.entities] == ["Ada"]


def test_a_page_is_listed_anew_after_any_change_the_session_sees(
    service: ResourceService,
) -> None:
    user = service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Ada"})
    make = ResourceAction(POSTS, "create", parent_id=user["id"])
    listing = ResourceAction(POSTS, "list", parent_id=user["id"])

    def tags(query: dict[str, Any], now: float = NOW) -> tuple[list[Any], int]:
        found, total = service.list(service.context("s1", now, {}, None), listing, query)
        return [post["tag"] for post in found], total

    first = service.create(_ctx(service), make, {"tag": "a"})
    service.create(_ctx(service), make, {"tag": "b"})
    # Asked again and again (kept after the second time), and by other queries.
    for _ in range(3):
        assert tags({"limit": 1}) == (["a"], 2)
        assert tags({"limit": 1, "offset": 1}) == (["b"], 2)
        assert tags({"tag": "b"}) == (["b"], 1)
        assert tags({"tag": True}) == ([], 0)
        assert tags({"tag": 1}) == ([], 0)
    service.create(_ctx(service), make, {"tag": "true"})
    service.create(_ctx(service), make, {"tag": 1})
    for _ in range(3):
        # Equal as keys, not to the filter: the page kept for one is not the other's.
        assert tags({"tag": 1}) == ([1], 1)
        assert tags({"tag": True}) == (["true", 1], 2)
        assert tags({"tag": 1.0}) == ([1], 1)
        assert tags({}) == (["a", "b", "true", 1], 4)
    # The same query before and after a write (a page is kept per collection and query).
    for tag in ("c", "d"):
        for _ in range(3):
            assert tags({"limit": 9})[1] == 4 + (tag == "d")
        service.create(_ctx(service), make, {"tag": tag})
    assert tags({"limit": 9}) == (["a", "b", "true", 1, "c", "d"], 6)
    assert tags({"limit": 9}) == (["a", "b", "true", 1, "c", "d"], 6)
    service.write(
        _ctx(service),
        ResourceAction(POSTS, "merge", entity_id=first["id"], parent_id=user["id"]),
        {"tag": "z"},
        merge=True,
    )
    assert tags({"limit": 1}) == (["z"], 6)
    service.delete(
        _ctx(service), ResourceAction(POSTS, "delete", entity_id=first["id"], parent_id=user["id"])
    )
    for _ in range(3):
        assert tags({"limit": 1}) == (["b"], 5)
    # Another session sees its own list; the first session's records expire with its TTL.
    users = ResourceAction(USERS, "list")
    for _ in range(3):
        assert service.list(service.context("s2", NOW, {}, None), users, {}) == ([], 0)
        assert service.list(service.context("s1", NOW, {}, None), users, {}) == ([user], 1)
    assert service.list(service.context("s1", NOW + TTL, {}, None), users, {}) == ([], 0)


@pytest.mark.parametrize(
    ("value", "wanted", "expected"),
    [
        ("Ada", "ada", True),
        ("Ada", "Adam", False),
        (3, "3", True),
        (3, 3, True),
        (None, "none", True),
        ("x", ["y", "X"], True),
        ("x", ["y", "z"], False),
        ("x", [], False),
    ],
)
def test_a_filter_matches_equal_or_equal_text(value: Any, wanted: Any, expected: bool) -> None:
    assert same(value, wanted) is expected


def test_a_context_names_state_request_and_collections(service: ResourceService) -> None:
    user = service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Ada"})
    state = {"step": 2}
    ctx = _ctx(service, state=state, body={"q": 1})
    named_state = ctx.named("state")
    assert named_state == {"step": 2}
    named_state["step"] = 3
    assert state == {"step": 2}
    assert ctx.named("request") == {"q": 1}
    assert ctx.named("users") == [user]
    assert ctx.named("nothing") is None
    cart = ctx.named("cart")
    assert set(cart) == {"total"}
    assert ctx.lookup("users", user["id"]) == user
    assert ctx.lookup("users", None) is None
    assert ctx.lookup("nothing", user["id"]) is None
    assert ctx.lookup("cart", "_") is None
    assert ctx.now() == NOW


def test_a_delete_of_what_is_not_there_is_404(service: ResourceService) -> None:
    ctx = _ctx(service)
    assert _not_found(
        lambda: service.delete(ctx, ResourceAction(USERS, "delete", entity_id="u-1"))
    ) == ("user u-1 does not exist")
    user = service.create(ctx, ResourceAction(USERS, "create"), {"name": "Ada"})
    other = service.create(ctx, ResourceAction(USERS, "create"), {"name": "Bob"})
    post = service.create(ctx, ResourceAction(POSTS, "create", parent_id=user["id"]), {"t": 1})
    missing = f"post {post['id']} does not exist"

    def delete(parent: Any) -> dict[str, Any]:
        action = ResourceAction(POSTS, "delete", entity_id=post["id"], parent_id=parent)
        return service.delete(_ctx(service), action)

    assert _not_found(lambda: delete(other["id"])) == missing
    assert delete(user["id"]) == post
    assert _not_found(lambda: delete(user["id"])) == missing
    assert _not_found(lambda: delete(None)) == missing


TAGS = ResourceSpec("tags", "/tags", "/tags/{tagId}", "tagId", prefill=3)
NOTES = ResourceSpec(
    "notes",
    "/users/{userId}/notes",
    "/users/{userId}/notes/{noteId}",
    "noteId",
    parent="users",
    parent_param="userId",
    parent_field="userId",
    prefill=2,
)
SEEDED = ResourceSpec(
    "kinds", "/kinds", "/kinds/{kindId}", "kindId", seed=({"id": "k1"},), prefill=4
)


@pytest.fixture
def prefilling() -> ResourceService:
    specs = {spec.name: spec for spec in (USERS, TAGS, NOTES, SEEDED)}
    return ResourceService(
        specs,
        MemoryEntityStore(still_lifetimes()),
        OfflineGenerator(),
        lambda ref: {},
        entity_ttl_seconds=TTL,
    )


def _listed(service: ResourceService, action: ResourceAction, at: float = NOW) -> list[Any]:
    found, total = service.list(service.context("s1", at, {}), action, {})
    assert total == len(found)
    return found


def test_a_first_list_is_prefilled_once_per_session(prefilling: ResourceService) -> None:
    listing = ResourceAction(TAGS, "list")
    first = _listed(prefilling, listing)
    assert len({tag["id"] for tag in first}) == 3
    assert _listed(prefilling, listing) == first
    # Another session has its own.
    other, _ = prefilling.list(prefilling.context("s2", NOW, {}), listing, {})
    assert len(other) == 3
    # Once the entities and the mark of the prefill have expired, a list prefills again.
    assert len(_listed(prefilling, listing, at=NOW + TTL + 1)) == 3


def test_a_prefill_of_one_makes_one(prefilling: ResourceService) -> None:
    single = ResourceSpec("pins", "/pins", "/pins/{pinId}", "pinId", prefill=1)
    prefilling.adopt({"pins": single}, limit=10)
    assert len(_listed(prefilling, ResourceAction(single, "list"))) == 1


def test_children_are_prefilled_under_each_parent(prefilling: ResourceService) -> None:
    ctx = prefilling.context("s1", NOW, {})
    ada = prefilling.create(ctx, ResourceAction(USERS, "create"), {"name": "Ada"})
    bob = prefilling.create(ctx, ResourceAction(USERS, "create"), {"name": "Bob"})
    under_ada = _listed(prefilling, ResourceAction(NOTES, "list", parent_id=ada["id"]))
    under_bob = _listed(prefilling, ResourceAction(NOTES, "list", parent_id=bob["id"]))
    assert [note["userId"] for note in under_ada] == [ada["id"], ada["id"]]
    assert [note["userId"] for note in under_bob] == [bob["id"], bob["id"]]
    assert _listed(prefilling, ResourceAction(NOTES, "list", parent_id=ada["id"])) == under_ada


def test_a_seeded_collection_is_not_prefilled(prefilling: ResourceService) -> None:
    prefilling.seed_shared(NOW)
    assert _listed(prefilling, ResourceAction(SEEDED, "list")) == [{"id": "k1"}]


def _service_of(*specs: ResourceSpec) -> ResourceService:
    return ResourceService(
        {spec.name: spec for spec in specs},
        MemoryEntityStore(still_lifetimes()),
        OfflineGenerator(),
        lambda ref: {},
        entity_ttl_seconds=TTL,
    )


def test_a_singletons_computed_fields_follow_the_collections_they_read() -> None:
    summary = ResourceSpec(
        "summary",
        "/summary",
        singleton=True,
        computed={"people": parse_expression("count(users)")},
    )
    service = _service_of(USERS, summary)
    assert service.read(_ctx(service), summary, None) == {"people": 0}
    for name in ("Ada", "Bob"):
        service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": name})
    assert service.read(_ctx(service), summary, None) == {"people": 2}


def test_a_singleton_cleared_by_a_create_is_made_anew_on_the_next_read() -> None:
    checkouts = ResourceSpec("checkouts", "/checkouts", "/checkouts/{id}", "id", clears=("cart",))
    service = _service_of(CART, checkouts)
    first = service.write(_ctx(service), ResourceAction(CART, "merge"), {"mark": 1}, merge=True)
    assert first["mark"] == 1
    service.create(_ctx(service), ResourceAction(checkouts, "create"), {})
    again = service.read(_ctx(service), CART, None)
    assert set(again) == {"total"}
    assert service.races.as_dict()["entity"] == {"retried": 0, "given_up": 0}


def test_deleting_a_singleton_clears_what_it_names() -> None:
    basket = ResourceSpec("basket", "/basket", singleton=True, clears=("users",))
    service = _service_of(USERS, basket)
    service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Ada"})
    service.read(_ctx(service), basket, None)
    assert service.delete(_ctx(service), ResourceAction(basket, "delete")) == {}
    assert service.list(_ctx(service), ResourceAction(USERS, "list"), {}) == ([], 0)


def test_a_patch_of_a_singleton_never_read_loses_no_race(service: ResourceService) -> None:
    service.write(_ctx(service), ResourceAction(CART, "merge"), {"coupon": "Z"}, merge=True)
    assert service.races.as_dict()["entity"] == {"retried": 0, "given_up": 0}


def test_a_read_that_may_not_create_is_404(service: ResourceService) -> None:
    assert _not_found(lambda: service.read(_ctx(service), USERS, "u-7", create=False)) == (
        "user u-7 does not exist"
    )
    assert service.read(_ctx(service), USERS, "u-7") == {"id": "u-7"}


def test_an_expressions_lookup_reads_through_where_unknown_ids_are_404(
    service: ResourceService,
) -> None:
    ctx = service.context("s1", NOW, {}, None, "not_found")
    assert ctx.lookup("users", "u-7") == {"id": "u-7"}


def test_a_missing_parent_is_made_where_unknown_ids_are_generated(
    service: ResourceService,
) -> None:
    ctx = service.context("s1", NOW, {}, None, "generated")
    assert service.list(ctx, ResourceAction(POSTS, "list", parent_id="u-9"), {}) == ([], 0)
    assert service.peek(_ctx(service), USERS, "u-9") == {"id": "u-9"}


def test_a_list_after_deletes_holds_what_is_left(service: ResourceService) -> None:
    ada = service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Ada"})
    bob = service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Bob"})
    for parent in (ada, bob, ada):
        service.create(_ctx(service), ResourceAction(POSTS, "create", parent_id=parent["id"]), {})
    service.delete(_ctx(service), ResourceAction(USERS, "delete", entity_id=ada["id"]))
    assert service.list(_ctx(service), ResourceAction(USERS, "list"), {}) == ([bob], 1)
    posts, total = service.list(
        _ctx(service), ResourceAction(POSTS, "list", parent_id=bob["id"]), {}
    )
    assert ([post["userId"] for post in posts], total) == ([bob["id"]], 1)


def test_a_deleted_parents_children_are_gone_until_the_deletion_expires(
    service: ResourceService,
) -> None:
    ada = service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Ada"})
    post = service.create(_ctx(service), ResourceAction(POSTS, "create", parent_id=ada["id"]), {})
    service.delete(_ctx(service), ResourceAction(USERS, "delete", entity_id=ada["id"]))
    assert _not_found(lambda: service.read(_ctx(service), POSTS, post["id"])) == (
        f"post {post['id']} does not exist"
    )
    later = service.context("s1", NOW + TTL + 1, {})
    assert service.read(later, POSTS, post["id"]) == {"id": post["id"]}


def test_a_deleted_parent_is_made_anew_where_unknown_ids_are_generated(
    service: ResourceService,
) -> None:
    ada = service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Ada"})
    service.delete(_ctx(service), ResourceAction(USERS, "delete", entity_id=ada["id"]))
    ctx = service.context("s1", NOW, {}, None, "generated")
    assert service.list(ctx, ResourceAction(POSTS, "list", parent_id=ada["id"]), {}) == ([], 0)
    assert service.peek(_ctx(service), USERS, ada["id"]) == {"id": ada["id"]}


def test_a_put_keeps_the_id_and_the_parent_of_what_it_replaces(service: ResourceService) -> None:
    ada = service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Ada"})
    post = service.create(_ctx(service), ResourceAction(POSTS, "create", parent_id=ada["id"]), {})
    action = ResourceAction(POSTS, "replace", entity_id=post["id"], parent_id=ada["id"])
    replaced = service.write(_ctx(service), action, {"t": 2, "userId": "other"}, merge=False)
    assert replaced == {"t": 2, "id": post["id"], "userId": ada["id"]}
    # A PUT without an object body leaves only the id and the parent.
    assert service.write(_ctx(service), action, None, merge=False) == {
        "id": post["id"],
        "userId": ada["id"],
    }


def test_a_put_keeps_the_stored_id_as_typed() -> None:
    tickets = ResourceSpec("tickets", "/tickets", "/tickets/{n}", "n", id_kind="integer")
    service = _service_of(tickets)
    made = service.create(_ctx(service), ResourceAction(tickets, "create"), {})
    assert made == {"id": 1}
    action = ResourceAction(tickets, "replace", entity_id="1")
    assert service.write(_ctx(service), action, {"a": 1}, merge=False) == {"a": 1, "id": 1}


def test_a_put_of_a_child_read_without_its_parent_has_no_parent_field(
    service: ResourceService,
) -> None:
    service.read(_ctx(service), POSTS, "p-x")
    action = ResourceAction(POSTS, "replace", entity_id="p-x")
    assert service.write(_ctx(service), action, {"t": 1}, merge=False) == {"t": 1, "id": "p-x"}


def test_only_a_put_of_a_create_or_replace_api_makes_an_unseen_entity() -> None:
    people = ResourceSpec("people", "/people", "/people/{id}", "id", put_creates=True)
    service = _service_of(people)
    put = ResourceAction(people, "replace", entity_id="u-new")
    assert service.write(_ctx(service), put, {"name": "Ann"}, merge=False) == {
        "name": "Ann",
        "id": "u-new",
    }
    patch = ResourceAction(people, "merge", entity_id="u-other")
    assert _not_found(lambda: service.write(_ctx(service), patch, {"a": 1}, merge=True)) == (
        "people u-other does not exist"
    )


def test_a_patch_checks_the_parent_first(service: ResourceService) -> None:
    ada = service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Ada"})
    bob = service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Bob"})
    post = service.create(_ctx(service), ResourceAction(POSTS, "create", parent_id=ada["id"]), {})

    def patch(parent: Any) -> dict[str, Any]:
        action = ResourceAction(POSTS, "merge", entity_id=post["id"], parent_id=parent)
        return service.write(_ctx(service), action, {"t": 1}, merge=True)

    assert _not_found(lambda: patch("u-9")) == "user u-9 does not exist"
    assert _not_found(lambda: patch(bob["id"])) == f"post {post['id']} does not exist"
    assert patch(ada["id"]) == {"id": post["id"], "userId": ada["id"], "t": 1}
    assert patch(None) == {"id": post["id"], "userId": ada["id"], "t": 1}
    # The patched post is still the child of its parent, and of no other.
    assert _not_found(lambda: service.read(_ctx(service), POSTS, post["id"], bob["id"])) == (
        f"post {post['id']} does not exist"
    )
    listed, total = service.list(
        _ctx(service), ResourceAction(POSTS, "list", parent_id=ada["id"]), {}
    )
    assert (listed, total) == ([{"id": post["id"], "userId": ada["id"], "t": 1}], 1)


def test_a_deleted_parent_has_no_children_to_list(service: ResourceService) -> None:
    ada = service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Ada"})
    service.delete(_ctx(service), ResourceAction(USERS, "delete", entity_id=ada["id"]))
    listing = ResourceAction(POSTS, "list", parent_id=ada["id"])
    assert _not_found(lambda: service.list(_ctx(service), listing, {})) == (
        f"user {ada['id']} does not exist"
    )


def test_a_shared_seed_entity_is_a_parent_in_every_session() -> None:
    members = ResourceSpec("members", "/members", "/members/{id}", "id", seed=({"id": "m1"},))
    notes = ResourceSpec(
        "notes",
        "/members/{id}/notes",
        "/members/{id}/notes/{noteId}",
        "noteId",
        parent="members",
        parent_param="id",
        parent_field="memberId",
    )
    service = _service_of(members, notes)
    service.seed_shared(NOW)
    ctx = _ctx(service, "s7")
    note = service.create(ctx, ResourceAction(notes, "create", parent_id="m1"), {"t": 1})
    assert note["memberId"] == "m1"


def test_a_patch_recomputes_fields_that_read_other_collections() -> None:
    teams = ResourceSpec(
        "teams",
        "/teams",
        "/teams/{id}",
        "id",
        computed={"people": parse_expression("count(users)")},
    )
    service = _service_of(USERS, teams)
    team = service.create(_ctx(service), ResourceAction(teams, "create"), {"name": "A"})
    assert team["people"] == 0
    service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Ada"})
    action = ResourceAction(teams, "merge", entity_id=team["id"])
    assert service.write(_ctx(service), action, {"name": "B"}, merge=True)["people"] == 1


def test_an_edit_of_what_a_list_or_a_rule_reads_reaches_no_stored_entity(
    service: ResourceService,
) -> None:
    """A list answer's page holds the stored entities (read, never changed); what a caller
    may change, ``list``'s entities and a rule's expression's, are copies."""
    users = ResourceAction(USERS, "list")
    ada = service.create(_ctx(service), ResourceAction(USERS, "create"), {"name": "Ada"})
    listed, _ = service.list(_ctx(service), users, {})
    listed[0]["name"] = "edited by the caller"
    ctx = _ctx(service)
    seen = parse_expression("users").evaluate({}, ctx)
    seen[0]["name"] = "edited by a rule"
    ctx.named("users")[0]["name"] = "edited by a rule's set_state"
    page = service.listing(_ctx(service), users, {})
    assert page.entities == [ada]
    assert page.entities[0] is page.records[0].data
    assert service.read(_ctx(service), USERS, ada["id"]) == ada
