"""Stored and repaired bodies fit their schema (issue 15, class 5): which paths are
collections, ids typed by the id field's schema, and entities made to fit the item schema."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mockmind.adapters.memory import MemoryEntityStore
from mockmind.domain.errors import RequestError
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.resources import ResourceAction, ResourceService, ResourceSpec, classify
from mockmind.domain.resources.ids import typed_id
from mockmind.domain.resources.inference import infer_resources
from mockmind.ports.api_description import OperationInfo
from tests.support.clock import still_lifetimes

COMPONENTS: dict[str, Any] = {
    "Label": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        "additionalProperties": False,
    },
    "Stake": {
        "type": "object",
        "required": ["cert_index", "address"],
        "properties": {"cert_index": {"type": "integer"}, "address": {"type": "string"}},
    },
    "User": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string", "minLength": 1},
            "password": {"not": {}},
            "secret": {"type": "string", "writeOnly": True},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        },
        "additionalProperties": False,
    },
}


def _resolve(ref: str) -> Any:
    return COMPONENTS[ref.rsplit("/", 1)[-1]]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _op(method: str, path: str, schema: Any) -> OperationInfo:
    return OperationInfo(method, path, success_status=200, response_schema=schema)


def test_a_path_is_a_collection_only_when_its_items_are_objects_with_an_identifier() -> None:
    specs = infer_resources(
        [
            _op("GET", "/strings", {"type": "array", "items": {"type": "string"}}),
            _op("GET", "/txs/{hash}/stakes", {"type": "array", "items": _ref("Stake")}),
            _op("GET", "/labels", {"type": "array", "items": _ref("Label")}),
            _op("GET", "/free", {"type": "array", "items": {"type": "object"}}),
            _op("POST", "/users", {"type": "object", "properties": {"data": _ref("User")}}),
            _op("GET", "/users/{userId}", _ref("User")),
            _op("GET", "/tags", {"type": "array", "items": {"type": "string"}}),
            _op("PUT", "/tags", {"type": "array", "items": {"type": "string"}}),
        ],
        _resolve,
    )
    assert sorted(specs) == ["/free", "/labels", "/users"]
    assert (specs["/labels"].id_field, specs["/labels"].id_kind) == ("id", "integer")
    # The item's read decides the item schema, not the create's envelope.
    assert specs["/users"].schema == _ref("User")


def test_the_listing_decides_the_item_schema_before_a_create_answer() -> None:
    envelope = {"type": "object", "properties": {"data": _ref("Label")}}
    specs = infer_resources(
        [
            _op("GET", "/labels", {"type": "array", "items": _ref("Label")}),
            _op("POST", "/labels", envelope),
        ],
        _resolve,
    )
    assert specs["/labels"].schema == _ref("Label")


def test_a_path_id_is_typed_by_the_id_fields_schema() -> None:
    labels = ResourceSpec("labels", "/labels", "/labels/{n}", "n", schema=_ref("Label"))
    assert typed_id(labels, "0", _resolve) == 0
    assert typed_id(labels, "-12", _resolve) == -12
    assert typed_id(labels, "x1", _resolve) == "x1"
    number = ResourceSpec(
        "n", "/n", "/n/{n}", "n", schema={"properties": {"id": {"type": "number"}}}
    )
    assert typed_id(number, "2.5", _resolve) == 2.5
    assert typed_id(number, "3", _resolve) == 3
    assert typed_id(number, "nan", _resolve) == "nan"
    users = ResourceSpec("users", "/users", "/users/{u}", "u", schema=_ref("User"))
    assert typed_id(users, "7", _resolve) == "7"


def _service(*specs: ResourceSpec) -> ResourceService:
    generator = OfflineGenerator(_resolve)
    return ResourceService(
        {s.collection_path: s for s in specs},
        MemoryEntityStore(lifetimes=still_lifetimes()),
        generator,
        _resolve,
        entity_ttl_seconds=3600,
    )


def test_stored_entities_fit_the_item_schema() -> None:
    users = ResourceSpec("users", "/users", "/users/{u}", "u", schema=_ref("User"))
    labels = ResourceSpec(
        "labels", "/labels", "/labels/{n}", "n", id_kind="integer", schema=_ref("Label")
    )
    service = _service(users, labels)
    ctx = service.context("s1", 1000.0, {})
    body = {"name": "Ann", "password": "pw", "secret": "s", "tags": "not-a-list", "extra": 1}
    user = service.create(ctx, ResourceAction(users, "create"), body)
    assert user["name"] == "Ann"
    assert "password" not in user
    # A write-only field is taken, never shown back.
    assert "secret" not in user
    assert "extra" not in user
    assert isinstance(user["tags"], list)
    assert len(user["tags"]) >= 1
    assert not list(Draft202012Validator(COMPONENTS["User"]).iter_errors(user))
    # A create body shaped otherwise ({"labels": [...]}) is not stored as a label.
    label = service.create(ctx, ResourceAction(labels, "create"), {"labels": ["bug"]})
    assert set(label) == {"id", "name"}
    assert label["id"] == 1
    read = service.read(ctx, labels, "0")
    assert read["id"] == 0
    assert service.read(ctx, labels, "0") == read


@st.composite
def _bodies(draw: st.DrawFn) -> dict[str, Any]:
    values = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=5),
        st.lists(st.text(), max_size=2),
    )
    keys = st.sampled_from(["id", "name", "password", "tags", "other"])
    return draw(st.dictionaries(keys, values, max_size=5))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_bodies())
def test_any_body_is_stored_as_a_valid_entity(body: dict[str, Any]) -> None:
    users = ResourceSpec("users", "/users", "/users/{u}", "u", schema=_ref("User"))
    service = _service(users)
    ctx = service.context("s1", 1000.0, {})
    user = service.create(ctx, ResourceAction(users, "create"), body)
    assert not list(Draft202012Validator(COMPONENTS["User"]).iter_errors(user))
    for key in ("name", "tags"):
        if key in body and Draft202012Validator(COMPONENTS["User"]["properties"][key]).is_valid(
            body[key]
        ):
            assert user[key] == body[key]


def test_a_list_honours_the_listings_min_items() -> None:
    listing = {"type": "array", "items": _ref("Label"), "minItems": 2}
    specs = infer_resources(
        [_op("GET", "/labels", listing), _op("POST", "/labels", _ref("Label"))], _resolve
    )
    labels = specs["/labels"]
    assert (labels.prefill, labels.min_items) == (0, 2)
    service = _service(labels)
    ctx = service.context("s1", 1000.0, {})
    entities, total = service.list(ctx, ResourceAction(labels, "list"), {})
    assert total == 2
    assert [e["id"] for e in entities] == [1, 2]
    # Made once: the next list finds them stored.
    again, _ = service.list(ctx, ResourceAction(labels, "list"), {})
    assert again == entities


def test_an_item_path_names_its_collections_items_by_the_parameter() -> None:
    pool = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "slots": {"type": "integer"}},
    }
    specs = infer_resources(
        [
            _op("GET", "/pools", {"type": "object", "properties": {"pools": {"type": "array"}}}),
            _op("POST", "/pools", pool),
            _op("GET", "/pools/{pool_name}", pool),
            _op("DELETE", "/pools/{pool_name}", None),
        ],
        _resolve,
    )
    pools = specs["/pools"]
    assert (pools.item_path, pools.id_param, pools.id_field) == (
        "/pools/{pool_name}",
        "pool_name",
        "name",
    )


def test_an_item_path_without_a_collection_remembers_its_deletes() -> None:
    user = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
    specs = infer_resources(
        [
            _op("GET", "/admin/users/{id}.json", user),
            _op("DELETE", "/admin/users/{id}.json", None),
            _op("PUT", "/admin/users/{id}.json", user),
            _op("GET", "/a/{x}/b/{y}", user),
        ],
        _resolve,
    )
    assert sorted(specs) == ["/admin/users/{id}.json"]
    users = specs["/admin/users/{id}.json"]
    assert (users.name, users.id_param, users.id_kind, users.item_only) == (
        "users",
        "id",
        "integer",
        True,
    )
    read = classify([users], "GET", "/admin/users/{id}.json")
    assert read is not None
    assert read.kind == "read"
    delete = classify([users], "DELETE", "/admin/users/{id}.json")
    assert delete is not None
    assert delete.kind == "delete"
    # Writes are answered, not stored; no list or create is made up for it.
    assert classify([users], "PUT", "/admin/users/{id}.json") is None
    assert classify([users], "GET", "/admin/users") is None
    service = _service(users)
    ctx = service.context("s1", 1000.0, {})
    assert service.read(ctx, users, "65913")["id"] == 65913
    service.delete(ctx, ResourceAction(users, "delete", "65913"))
    with pytest.raises(RequestError) as raised:
        service.read(ctx, users, "65913")
    assert raised.value.status == 404


def test_only_query_parameters_that_name_a_field_filter_a_list() -> None:
    op = OperationInfo(
        "GET",
        "/labels",
        success_status=200,
        response_schema={"type": "array", "items": _ref("Label"), "minItems": 1},
        query_params=("name", "asc", "page"),
    )
    labels = infer_resources([op], _resolve)["/labels"]
    assert labels.filters == ("name",)
    service = _service(labels)
    ctx = service.context("s1", 1000.0, {})
    entities, total = service.list(ctx, ResourceAction(labels, "list"), {"asc": "true"})
    assert total == 5
    assert len(entities) == 5


def test_the_id_field_of_a_polymorphic_item_is_found_in_its_branches() -> None:
    stats = {"allOf": [_ref("Label"), {"properties": {"count": {"type": "integer"}}}]}
    listing = {"type": "array", "items": {"oneOf": [_ref("Label"), stats]}}
    labels = infer_resources([_op("GET", "/labels", listing)], _resolve)["/labels"]
    assert (labels.id_field, labels.id_kind) == ("id", "integer")


def test_an_object_under_a_parameter_that_takes_a_delete_is_kept_per_parameter() -> None:
    discount = {"type": "object", "properties": {"id": {"type": "string"}}}
    path = "/customers/{c}/subscriptions/{sub}/discount"
    specs = infer_resources([_op("GET", path, discount), _op("DELETE", path, discount)], _resolve)
    spec = specs[path]
    assert (spec.name, spec.id_param, spec.item_only) == ("discount", "sub", True)
    service = _service(spec)
    ctx = service.context("s1", 1000.0, {})
    assert service.read(ctx, spec, "s-1")["id"] == "s-1"
    service.delete(ctx, ResourceAction(spec, "delete", "s-1"))
    with pytest.raises(RequestError):
        service.read(ctx, spec, "s-1")
    assert service.read(ctx, spec, "s-2")["id"] == "s-2"


def test_a_patch_without_a_body_changes_nothing() -> None:
    labels = ResourceSpec(
        "labels", "/labels", "/labels/{n}", "n", id_kind="integer", schema=_ref("Label")
    )
    service = _service(labels)
    ctx = service.context("s1", 1000.0, {})
    label = service.create(ctx, ResourceAction(labels, "create"), {"name": "bug"})
    action = ResourceAction(labels, "merge", label["id"])
    assert service.write(ctx, action, None, merge=True) == label
    assert service.write(ctx, action, ["not", "an", "object"], merge=True) == label
