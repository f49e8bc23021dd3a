"""Which resource and kind a request is about: decided by the method and template alone (a
route plan remembers it), with the ids taken from each request."""

from __future__ import annotations

from typing import Any

import pytest

from mockmind.adapters.memory import MemoryEntityStore
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.resources import (
    ResourceAction,
    ResourceRoute,
    ResourceService,
    ResourceSpec,
    classify,
    sub_path_route,
)
from mockmind.domain.resources.inference import infer_resources
from mockmind.ports.api_description import OperationInfo
from tests.support.clock import still_lifetimes

ORDERS = ResourceSpec("orders", "/orders", "/orders/{orderId}", "orderId")
CART = ResourceSpec("cart", "/cart", singleton=True)
LINES = ResourceSpec(
    "lines",
    "/orders/{orderId}/lines",
    "/orders/{orderId}/lines/{lineId}",
    "lineId",
    parent="orders",
    parent_param="orderId",
)


SPECS = (ORDERS, CART, LINES)


def _action(method: str, template: str, params: dict[str, Any]) -> ResourceAction | None:
    route = classify(SPECS, method, template)
    return route.action(params) if route is not None else None


def _sub_path(template: str, params: dict[str, Any]) -> ResourceAction | None:
    route = sub_path_route(SPECS, template)
    return route.action(params) if route is not None else None


def test_each_request_gets_its_own_ids_from_a_remembered_classification() -> None:
    for order in ("o-1", "o-2"):
        read = _action("GET", "/orders/{orderId}", {"orderId": order})
        assert read is not None
        assert (read.spec.name, read.kind, read.entity_id) == ("orders", "read", order)
    for order, line in (("o-1", "l-1"), ("o-2", "l-9")):
        params = {"orderId": order, "lineId": line}
        patch = _action("PATCH", "/orders/{orderId}/lines/{lineId}", params)
        assert patch is not None
        assert (patch.kind, patch.entity_id, patch.parent_id) == ("merge", line, order)
        create = _action("POST", "/orders/{orderId}/lines", {"orderId": order})
        assert create is not None
        assert (create.kind, create.entity_id, create.parent_id) == ("create", None, order)


def test_singletons_unknown_templates_and_unsupported_methods() -> None:
    for _ in range(2):
        cart = _action("DELETE", "/cart", {})
        assert cart is not None
        assert (cart.spec.name, cart.kind, cart.entity_id) == ("cart", "delete", "_")
        assert _action("POST", "/cart", {}) is None
        assert _action("GET", "/health", {}) is None
        assert _action("PUT", "/orders", {}) is None


def test_item_action_names_the_entity_of_a_sub_path() -> None:
    for order in ("o-1", "o-2"):
        action = _sub_path("/orders/{orderId}/pay", {"orderId": order})
        assert action is not None
        assert (action.spec.name, action.kind, action.entity_id) == ("orders", "read", order)
    assert _sub_path("/reports/{id}/pay", {"id": "x"}) is None


def test_seeding_survives_a_ref_that_does_not_resolve() -> None:
    def unresolvable(ref: str) -> Any:
        raise KeyError(ref)

    spec = ResourceSpec(
        "things",
        "/things",
        "/things/{id}",
        "id",
        schema={"type": "object", "properties": {"a": {"$ref": "#/nowhere"}}},
        seed_count=2,
    )
    store = MemoryEntityStore(still_lifetimes())
    service = ResourceService(
        {"things": spec}, store, OfflineGenerator(unresolvable), unresolvable, entity_ttl_seconds=60
    )
    service.seed_shared(0.0)
    assert len(store.list("__shared__", "things", now=0.0)) == 2


@pytest.mark.parametrize(
    ("param", "properties", "id_field"),
    [
        ("variable_key", {"key": {"type": "string"}, "value": {}}, "key"),
        ("variableKey", {"key": {"type": "string"}}, "key"),
        ("variable_key", {"variable_key": {"type": "string"}, "key": {}}, "variable_key"),
        ("variable_key", {"id": {"type": "string"}, "key": {}}, "id"),
        ("variable_key", {"value": {}}, "id"),
    ],
)
def test_the_id_field_may_be_the_path_parameter_without_the_resources_name(
    param: str, properties: dict[str, Any], id_field: str
) -> None:
    schema = {"type": "object", "properties": properties}
    item = f"/variables/{{{param}}}"
    specs = infer_resources(
        [
            OperationInfo("GET", "/variables", response_schema={"type": "array", "items": schema}),
            OperationInfo("POST", "/variables", response_schema=schema),
            OperationInfo("GET", item, response_schema=schema),
        ],
        lambda ref: {},
    )
    assert specs["/variables"].id_field == id_field


def _listed(path: str, ref: str) -> list[OperationInfo]:
    item = {"$ref": ref}
    return [
        OperationInfo("GET", path, response_schema={"type": "array", "items": item}),
        OperationInfo("GET", path + "/{comment_id}", response_schema=item),
    ]


def test_collections_of_one_name_share_entities_only_when_they_hold_the_same_items() -> None:
    gists = "/gists/{gist_id}/comments"
    issues = "/repos/{owner}/{repo}/issues/comments"
    nested = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
    specs = infer_resources(
        _listed(gists, "#/components/schemas/gist-comment")
        + _listed(issues, "#/components/schemas/issue-comment")
        + _listed(nested, "#/components/schemas/issue-comment"),
        lambda ref: {"type": "object", "properties": {"id": {"type": "integer"}}},
    )
    assert specs[gists].name == "comments"
    # Issue comments are not gist comments: stored apart, under their own path.
    assert specs[issues].name == issues
    assert specs[nested].name == issues


def test_an_undocumented_collection_does_not_share_a_documented_ones_entities() -> None:
    blocked = "/server/blocklist/accounts"
    specs = infer_resources(
        [
            *_listed("/accounts", "#/components/schemas/Account"),
            OperationInfo("GET", blocked),
            OperationInfo("POST", blocked),
            OperationInfo("DELETE", blocked + "/{accountName}"),
        ],
        lambda ref: {"type": "object", "properties": {"id": {"type": "integer"}}},
    )
    assert specs["/accounts"].name == "accounts"
    assert specs[blocked].name == blocked


def test_a_classification_names_the_shape_of_its_path() -> None:
    assert classify(SPECS, "get", "/orders/") == ResourceRoute(ORDERS, "list", "collection")
    assert classify(SPECS, "POST", "/orders") == ResourceRoute(ORDERS, "create", "collection")
    assert classify(SPECS, "GET", "/orders/{orderId}") == ResourceRoute(ORDERS, "read", "item")
    assert classify(SPECS, "PUT", "/cart") == ResourceRoute(CART, "replace", "singleton")
    assert sub_path_route(SPECS, "/orders/{orderId}/pay") == ResourceRoute(ORDERS, "read", "item")


def test_only_slashes_are_trimmed_from_a_template_and_the_root_stays() -> None:
    root = ResourceSpec("settings", "/", singleton=True)
    fax = ResourceSpec("faxes", "/FAX", "/FAX/{faxId}", "faxId")
    assert classify([root], "GET", "/") == ResourceRoute(root, "read", "singleton")
    assert classify([root], "GET", "//") == ResourceRoute(root, "read", "singleton")
    assert classify([fax], "GET", "/FAX/") == ResourceRoute(fax, "list", "collection")
    assert classify([fax], "GET", "/FAX ") is None


def test_an_item_only_resource_is_read_and_deleted_but_never_changed() -> None:
    only = ResourceSpec("keys", "/keys", "/keys/{keyId}", "keyId", item_only=True)
    assert classify([only], "GET", "/keys") is None
    assert classify([only], "GET", "/keys/{keyId}") == ResourceRoute(only, "read", "item")
    assert classify([only], "DELETE", "/keys/{keyId}") == ResourceRoute(only, "delete", "item")
    assert classify([only], "PUT", "/keys/{keyId}") is None
    assert classify([only], "PATCH", "/keys/{keyId}") is None
