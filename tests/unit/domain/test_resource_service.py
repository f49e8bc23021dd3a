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
