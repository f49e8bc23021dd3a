"""What inference reads from an API's schemas (domain/resources/inference): an entity's
properties through allOf, oneOf and anyOf, and the kind of id its id field asks for."""

from __future__ import annotations

from typing import Any

import pytest

from mockmind.domain.resources import ResourceSpec
from mockmind.domain.resources.inference import (
    infer_resources,
    listing_items,
    properties,
    returns_array_schema,
)
from mockmind.ports.api_description import OperationInfo

REFS: dict[str, Any] = {
    "#/Id": {"type": "string", "format": "uuid"},
    "#/Named": {"properties": {"name": {"type": "string"}}},
}


def _resolve(ref: str) -> Any:
    return REFS[ref]


def _nested(depth: int) -> dict[str, Any]:
    """A schema whose one property sits ``depth`` allOf levels down."""
    schema: dict[str, Any] = {"properties": {"deep": {}}}
    for _ in range(depth):
        schema = {"allOf": [schema]}
    return schema


def test_properties_come_through_all_of_and_from_each_branch_without_own() -> None:
    schema = {
        "properties": {"a": {"type": "integer"}},
        "allOf": [{"$ref": "#/Named"}, {"properties": {"b": {}}}],
    }
    assert properties(schema, _resolve) == {
        "a": {"type": "integer"},
        "name": {"type": "string"},
        "b": {},
    }
    branches = {
        "oneOf": [{"properties": {"x": {"type": "string"}}}],
        "anyOf": [{"properties": {"x": {"type": "integer"}, "y": {}}}],
    }
    # The first branch's field wins; anyOf's fields are read too.
    assert properties(branches, _resolve) == {"x": {"type": "string"}, "y": {}}
    assert properties({"anyOf": [{"$ref": "#/Named"}]}, _resolve) == {"name": {"type": "string"}}
    # Fields of its own: no branch is read.
    assert properties({**branches, "properties": {"z": {}}}, _resolve) == {"z": {}}


def test_properties_are_read_eight_levels_of_composition_deep_and_no_deeper() -> None:
    assert properties(_nested(8), _resolve) == {"deep": {}}
    assert properties(_nested(9), _resolve) == {}
    deep_branch = {"oneOf": [_nested(7)]}
    assert properties(deep_branch, _resolve) == {"deep": {}}
    assert properties({"oneOf": [_nested(8)]}, _resolve) == {}


def _spec(prop: Any, param: str = "widgetId") -> Any:
    schema = {"type": "object", "properties": {"widgetId": prop, "label": {}}}
    specs = infer_resources(
        [
            OperationInfo("GET", "/widgets", response_schema={"type": "array", "items": schema}),
            OperationInfo("POST", "/widgets", response_schema=schema),
            OperationInfo("GET", f"/widgets/{{{param}}}", response_schema=schema),
        ],
        _resolve,
    )
    return specs["/widgets"]


@pytest.mark.parametrize(
    ("prop", "kind"),
    [
        ({"type": "integer"}, "integer"),
        ({"type": ["integer", "null"]}, "integer"),
        ({"type": "string", "format": "uuid"}, "uuid"),
        ({"$ref": "#/Id"}, "uuid"),
        ({"type": "string", "pattern": "^w[0-9]+$"}, "schema"),
        ({"type": "string", "format": "email"}, "schema"),
        ({"type": "string", "enum": ["a", "b"]}, "schema"),
        ({"type": "string"}, "prefixed"),
        ({"type": "integer", "format": "int64"}, "integer"),
        (True, "prefixed"),
        ({"format": "uuid"}, "uuid"),
        ({"enum": [1, 2]}, "schema"),
    ],
)
def test_the_id_kind_follows_the_id_fields_schema(prop: Any, kind: str) -> None:
    spec = _spec(prop)
    assert (spec.id_field, spec.id_kind) == ("widgetId", kind)


def test_an_id_parameter_named_after_the_resource_gives_the_rest_as_a_field() -> None:
    schema = {"type": "object", "properties": {"code": {"type": "integer"}}}
    specs = infer_resources(
        [
            OperationInfo("GET", "/widgets", response_schema={"type": "array", "items": schema}),
            OperationInfo("GET", "/widgets/{widget-_code}", response_schema=schema),
        ],
        _resolve,
    )
    assert (specs["/widgets"].id_field, specs["/widgets"].id_kind) == ("code", "integer")


@pytest.mark.parametrize(
    ("param", "fields", "id_field", "kind"),
    [
        # Not named after the resource: no field is taken from it.
        ("thing_label", {"label": {"type": "integer"}}, "id", "prefixed"),
        ("widgetXml", {"xml": {"type": "integer"}}, "xml", "integer"),
        ("widget", {"label": {"type": "integer"}}, "id", "prefixed"),
    ],
)
def test_only_a_parameter_named_after_the_resource_gives_a_field(
    param: str, fields: dict[str, Any], id_field: str, kind: str
) -> None:
    schema = {"type": "object", "properties": fields}
    specs = infer_resources(
        [
            OperationInfo("GET", "/widgets", response_schema={"type": "array", "items": schema}),
            OperationInfo("GET", f"/widgets/{{{param}}}", response_schema=schema),
        ],
        _resolve,
    )
    assert (specs["/widgets"].id_field, specs["/widgets"].id_kind) == (id_field, kind)


def test_a_listing_by_reference_gives_its_items_and_its_documented_minimum() -> None:
    item = {"type": "object", "properties": {"widgetId": {"type": "integer"}}}
    refs = {"#/List": {"type": "array", "items": item, "minItems": 1}}
    specs = infer_resources(
        [
            OperationInfo("GET", "/widgets", response_schema={"$ref": "#/List"}),
            OperationInfo("GET", "/widgets/{widgetId}", response_schema=None),
        ],
        refs.__getitem__,
    )
    widgets = specs["/widgets"]
    assert (widgets.schema, widgets.id_field, widgets.id_kind) == (item, "widgetId", "integer")
    assert widgets.min_items == 1


def test_an_envelopes_array_of_tuple_items_names_no_item_schema() -> None:
    envelope = {"properties": {"data": {"type": "array", "items": [{"type": "string"}]}}}
    assert listing_items(envelope, _resolve) is None
    assert listing_items({"properties": {"data": {"type": "array"}}}, _resolve) is None


def test_an_undocumented_entity_can_take_an_id() -> None:
    specs = infer_resources(
        [
            OperationInfo("GET", "/widgets", response_schema=None),
            OperationInfo("POST", "/widgets", response_schema=None),
            OperationInfo("GET", "/widgets/{widgetId}", response_schema=True),
        ],
        _resolve,
    )
    assert (specs["/widgets"].id_field, specs["/widgets"].id_kind) == ("id", "prefixed")


def test_a_listing_whose_items_are_the_false_schema_holds_no_entities() -> None:
    specs = infer_resources(
        [
            OperationInfo("GET", "/widgets", response_schema={"type": "array", "items": False}),
            OperationInfo("GET", "/widgets/{widgetId}", response_schema=None),
        ],
        _resolve,
    )
    assert "/widgets" not in specs


ITEM_ONLY_REFS: dict[str, Any] = {
    "#/Account": {"type": "object", "properties": {"handle": {"$ref": "#/Handle"}}},
    "#/Handle": {"type": "string", "format": "uuid"},
    "#/List": {"type": "array", "items": {"type": "object"}},
    "#/User": {"type": "object", "properties": {"id": {"type": "string"}}},
}
LABELLED = {"type": "object", "properties": {"label": {"type": "string"}}}


def _read_and_delete(path: str, schema: Any) -> list[OperationInfo]:
    return [OperationInfo("GET", path, response_schema=schema), OperationInfo("DELETE", path)]


def test_item_paths_no_collection_owns_that_are_read_and_deleted_are_item_only() -> None:
    operations = [
        # Not item-only, each for one reason, ahead of those that are: the root; a singleton;
        # a collection's own item path; no GET; no DELETE; a read that answers no object.
        *_read_and_delete("/", LABELLED),
        *_read_and_delete("/health", LABELLED),
        OperationInfo(
            "GET", "/users", response_schema={"type": "array", "items": {"$ref": "#/User"}}
        ),
        *_read_and_delete("/users/{id}", {"$ref": "#/User"}),
        OperationInfo("DELETE", "/orphans/{id}"),
        OperationInfo("GET", "/reports/{id}", response_schema=LABELLED),
        *_read_and_delete("/blobs/{id}", None),
        *_read_and_delete("/lists/{id}", {"$ref": "#/List"}),
        # Item-only: named by the last word before the parameter, or its path when another
        # resource has that name; after a parameter, a word names one object per value.
        *_read_and_delete("/a/{x}/things/{y}", LABELLED),
        *_read_and_delete("/b/things/{z}", LABELLED),
        *_read_and_delete("/admin/users/{handle}.json", {"$ref": "#/Account"}),
        *_read_and_delete("/subscriptions/{subId}/discount", LABELLED),
        *_read_and_delete("/{id}", LABELLED),
    ]
    specs = infer_resources(operations, ITEM_ONLY_REFS.__getitem__)
    assert [path for path, spec in specs.items() if not spec.item_only] == ["/health", "/users"]
    assert specs["/health"].singleton is True
    assert {path: spec for path, spec in specs.items() if spec.item_only} == {
        "/a/{x}/things/{y}": ResourceSpec(
            name="things",
            collection_path="/a/{x}/things",
            item_path="/a/{x}/things/{y}",
            id_param="y",
            schema=LABELLED,
            item_only=True,
        ),
        "/b/things/{z}": ResourceSpec(
            name="/b/things/{z}",
            collection_path="/b/things",
            item_path="/b/things/{z}",
            id_param="z",
            schema=LABELLED,
            item_only=True,
        ),
        "/admin/users/{handle}.json": ResourceSpec(
            name="/admin/users/{handle}.json",
            collection_path="/admin/users",
            item_path="/admin/users/{handle}.json",
            id_param="handle",
            id_field="handle",
            id_kind="uuid",
            schema={"$ref": "#/Account"},
            item_only=True,
        ),
        "/subscriptions/{subId}/discount": ResourceSpec(
            name="discount",
            collection_path="/subscriptions/{subId}",
            item_path="/subscriptions/{subId}/discount",
            id_param="subId",
            schema=LABELLED,
            item_only=True,
        ),
        "/{id}": ResourceSpec(
            name="items",
            collection_path="/",
            item_path="/{id}",
            id_param="id",
            schema=LABELLED,
            item_only=True,
        ),
    }


STORE = {"type": "object", "properties": {"id": {"type": "integer"}}}
PET = {"type": "object", "properties": {"id": {"type": "string"}, "store_id": {"type": "integer"}}}
CAT = {"type": "object", "properties": {"id": {"type": "string"}, "ownerId": {"type": "string"}}}
NOTE = {"type": "object", "properties": {"id": {"type": "string"}}}
TOY = {"type": "object", "properties": {"id": {"type": "string"}, "shopId": {"type": "string"}}}


def _listing(path: str, items: Any, **more: Any) -> OperationInfo:
    return OperationInfo("GET", path, response_schema={"type": "array", "items": items}, **more)


def test_collections_singletons_and_their_parents_as_the_operations_describe_them() -> None:
    operations = [
        # Nested under a parameter whose collection is not described: no parent (ahead of
        # those that have one).
        _listing("/owners/{ownerId}/cats", CAT),
        _listing("/stores/", STORE, query_params=("id", "limit", "colour")),
        OperationInfo("GET", "/stores/{storeId}", response_schema=STORE),
        _listing("/stores/{storeId}/pets", PET),
        OperationInfo("POST", "/stores/{storeId}/pets", response_schema=PET),
        OperationInfo("GET", "/stores/{storeId}/pets/{petId}", response_schema=PET),
        # No listing: a POST beside an item path makes a collection, prefilled with nothing.
        OperationInfo("POST", "/notes", response_schema=NOTE),
        OperationInfo("GET", "/notes/{noteId}", response_schema=NOTE),
        # A parent two words deep.
        _listing("/a/shops", STORE),
        OperationInfo("GET", "/a/shops/{shopId}", response_schema=STORE),
        _listing("/a/shops/{shopId}/toys", TOY),
        # A listing of an array schema without items; a path that ends in a space.
        OperationInfo("GET", "/bags", response_schema={"type": "array"}),
        _listing("/odd ", NOTE),
        OperationInfo("GET", "/odd /{noteId}", response_schema=NOTE),
        # A create beside an item path whose read answers no object: no collection.
        OperationInfo("POST", "/words", response_schema=NOTE),
        OperationInfo("GET", "/words/{wordId}", response_schema={"type": "string"}),
        # A literal path beside an item path is not that item path.
        OperationInfo("GET", "/taX/summary", response_schema=NOTE),
        _listing("/taX", NOTE),
        OperationInfo("GET", "/taX/{noteId}", response_schema=NOTE),
        # Objects that can also be written are singletons, by PATCH or by PUT alone.
        OperationInfo("GET", "/profile", response_schema=NOTE),
        OperationInfo("PATCH", "/profile"),
        OperationInfo("GET", "/settings", response_schema=NOTE),
        OperationInfo("PUT", "/settings"),
        # Read-only: generated, not stored.
        OperationInfo("GET", "/report", response_schema=NOTE),
        # Listings of objects that can hold no id: no collection.
        _listing("/closed", {"type": "object", "additionalProperties": False}),
        _listing("/ones", {"type": "object", "oneOf": [{"type": "object"}]}),
        _listing("/anys", {"type": "object", "anyOf": [{"type": "object"}]}),
        _listing("/alls", {"type": "object", "allOf": [{"type": "object"}]}),
        # A free-form object can take one.
        _listing("/free", {"type": "object", "additionalProperties": True}),
    ]
    specs = infer_resources(operations, _resolve)
    free = {"type": "object", "additionalProperties": True}
    assert specs == {
        "/stores": ResourceSpec(
            name="stores",
            collection_path="/stores",
            item_path="/stores/{storeId}",
            id_param="storeId",
            id_kind="integer",
            schema=STORE,
            filters=("id",),
            prefill=5,
        ),
        "/stores/{storeId}/pets": ResourceSpec(
            name="pets",
            collection_path="/stores/{storeId}/pets",
            item_path="/stores/{storeId}/pets/{petId}",
            id_param="petId",
            parent="stores",
            parent_param="storeId",
            parent_field="store_id",
            schema=PET,
        ),
        "/notes": ResourceSpec(
            name="notes",
            collection_path="/notes",
            item_path="/notes/{noteId}",
            id_param="noteId",
            schema=NOTE,
        ),
        "/owners/{ownerId}/cats": ResourceSpec(
            name="cats", collection_path="/owners/{ownerId}/cats", schema=CAT, prefill=5
        ),
        "/taX": ResourceSpec(
            name="taX",
            collection_path="/taX",
            item_path="/taX/{noteId}",
            id_param="noteId",
            schema=NOTE,
            prefill=5,
        ),
        "/profile": ResourceSpec(
            name="profile", collection_path="/profile", singleton=True, schema=NOTE, prefill=5
        ),
        "/settings": ResourceSpec(
            name="settings", collection_path="/settings", singleton=True, schema=NOTE, prefill=5
        ),
        "/free": ResourceSpec(name="free", collection_path="/free", schema=free, prefill=5),
        "/a/shops": ResourceSpec(
            name="shops",
            collection_path="/a/shops",
            item_path="/a/shops/{shopId}",
            id_param="shopId",
            id_kind="integer",
            schema=STORE,
            prefill=5,
        ),
        "/a/shops/{shopId}/toys": ResourceSpec(
            name="toys",
            collection_path="/a/shops/{shopId}/toys",
            parent="shops",
            parent_param="shopId",
            parent_field="shopId",
            schema=TOY,
            prefill=5,
        ),
        "/bags": ResourceSpec(name="bags", collection_path="/bags", prefill=5),
        "/odd ": ResourceSpec(
            name="odd ",
            collection_path="/odd ",
            item_path="/odd /{noteId}",
            id_param="noteId",
            schema=NOTE,
            prefill=5,
        ),
    }


WIDGET = {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}


def test_without_a_listing_or_item_read_the_items_are_what_a_create_or_replace_answers() -> None:
    specs = infer_resources(
        [
            # Created by POST, whose answer is the item; the item path only deletes.
            OperationInfo("POST", "/widgets", response_schema=WIDGET),
            OperationInfo("DELETE", "/widgets/{widgetId}"),
            # The create answers nothing documented: the item's replace does.
            OperationInfo("POST", "/gadgets", response_schema=None),
            OperationInfo("PUT", "/gadgets/{gadgetId}", response_schema=WIDGET),
        ],
        _resolve,
    )
    assert specs["/widgets"].schema == WIDGET
    assert specs["/gadgets"].schema == WIDGET


def test_items_whose_type_list_names_object_are_entities_and_an_unnamed_type_is_none() -> None:
    nullable = {"type": ["object", "null"], "properties": {"id": {"type": "integer"}}}
    specs = infer_resources(
        [
            _listing("/widgets", nullable),
            # A type that is no type name (a hand-written document's slip) is no object.
            _listing("/gadgets", {"type": 7, "properties": {"id": {"type": "integer"}}}),
        ],
        _resolve,
    )
    assert specs["/widgets"].schema == nullable
    assert specs["/widgets"].id_field == "id"
    assert "/gadgets" not in specs


def test_a_singleton_has_no_minimum_whatever_its_schema_says() -> None:
    profile = {"type": "object", "minItems": 2, "properties": {"bio": {"type": "string"}}}
    specs = infer_resources(
        [
            OperationInfo("GET", "/profile", response_schema=profile),
            OperationInfo("PUT", "/profile", response_schema=profile),
        ],
        _resolve,
    )
    assert specs["/profile"].singleton is True
    assert specs["/profile"].min_items == 0


def test_an_envelopes_array_property_by_reference_gives_its_items() -> None:
    item = {"type": "object", "properties": {"id": {"type": "integer"}}}
    refs = {"#/Rows": {"type": "array", "items": item}}
    envelope = {"properties": {"total": {"type": "integer"}, "data": {"$ref": "#/Rows"}}}
    assert listing_items(envelope, refs.__getitem__) == item


def test_a_schema_with_items_but_no_type_is_an_array() -> None:
    assert returns_array_schema({"items": {"type": "string"}}) is True
    assert returns_array_schema({"properties": {"items": {}}}) is False
