"""What inference reads from an API's schemas (domain/resources/inference): an entity's
properties through allOf, oneOf and anyOf, and the kind of id its id field asks for."""

from __future__ import annotations

from typing import Any

import pytest

from mockmind.domain.resources.inference import infer_resources, listing_items, properties
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
