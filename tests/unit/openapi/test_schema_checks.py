"""The quick verdict (openapi/schema_checks) never passes a value jsonschema finds an error in,
and does pass the plain values generated answers are made of (else it saves nothing)."""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal
from typing import Any

import pytest

from mockmind.openapi import OpenAPIDocument
from mockmind.openapi.schema_checks import conforms
from mockmind.openapi.schemas import iter_errors

NUMBERS: dict[str, Any] = {
    "type": "object",
    "required": ["orders", "revenue"],
    "properties": {
        "orders": {"type": "integer", "minimum": 0, "format": "int32"},
        "revenue": {"type": "number", "minimum": 0, "multipleOf": 0.01},
        "ratio": {"type": "number", "maximum": 1, "exclusiveMaximum": True},
        "score": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10},
        "note": {"type": "string", "nullable": True, "pattern": "^[a-z]+$", "maxLength": 5},
        "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
        "when": {"type": "string", "format": "date-time"},
    },
    "additionalProperties": False,
}

# (schema, values that conform, values that do not): jsonschema's verdict on each is asserted
# too, so a case here cannot drift from what it means.
CASES: list[tuple[Any, list[Any], list[Any]]] = [
    (
        NUMBERS,
        [
            {"orders": 3, "revenue": 1.19},
            {"orders": 0, "revenue": 0, "ratio": 0.5, "score": 9.5, "note": None},
            {"orders": 1, "revenue": 2.5, "note": "abc", "tags": ["a", "b"]},
            {"orders": 1.0, "revenue": 2, "when": "2024-01-02T03:04:05Z"},
        ],
        [
            {"orders": 3},
            {"orders": -1, "revenue": 1},
            {"orders": 1, "revenue": 1.005},
            {"orders": 1.5, "revenue": 1},
            {"orders": True, "revenue": 1},
            {"orders": 2**31, "revenue": 1},
            {"orders": 1, "revenue": 1, "ratio": 1},
            {"orders": 1, "revenue": 1, "score": 0},
            {"orders": 1, "revenue": 1, "note": "ABC"},
            {"orders": 1, "revenue": 1, "note": "abcdef"},
            {"orders": 1, "revenue": 1, "tags": ["c"]},
            {"orders": 1, "revenue": 1, "when": "yesterday"},
            {"orders": 1, "revenue": 1, "extra": 1},
            [],
            None,
        ],
    ),
    (
        {"$ref": "#/components/schemas/Pet"},
        [{"id": 1, "name": "Rex", "tag": None}],
        [{"id": 1, "name": None}, {"id": 1, "name": "R", "weight": 0}, {"id": 1}],
    ),
    (
        {"allOf": [{"$ref": "#/components/schemas/Pet"}, {"required": ["tag"]}], "nullable": True},
        [{"id": 1, "name": "Rex", "tag": "t"}, None],
        [{"id": 1, "name": "Rex"}, {"id": "1", "name": "Rex", "tag": "t"}],
    ),
    (
        {"anyOf": [{"type": "integer"}, {"type": "string", "minLength": 2}]},
        [1, "ab"],
        ["a", 1.5, None],
    ),
    (
        {"type": "object", "additionalProperties": {"type": "integer", "maximum": 3}},
        [{}, {"a": 1, "b": 3}],
        [{"a": 4}, {"a": "1"}],
    ),
    (
        {"oneOf": [{"type": "integer"}, {"type": "number"}]},
        [1.5],
        ["x", None],
    ),
]


def _full_errors(doc: OpenAPIDocument, schema: Any, value: Any, context: Any) -> list[str]:
    return [e.message for e in doc.validator(schema, context=context).iter_errors(value)]


@pytest.mark.parametrize("context", [None, "request", "response"])
def test_passes_only_what_jsonschema_passes(petstore: OpenAPIDocument, context: Any) -> None:
    for schema, good, bad in CASES:
        validator = petstore.validator(schema, context=context)
        for value in good:
            assert _full_errors(petstore, schema, value, context) == [], (schema, value)
            assert conforms(validator, value), (schema, value)
            assert iter_errors(validator, value) == []
        for value in bad:
            full = _full_errors(petstore, schema, value, context)
            assert full != [], (schema, value)
            assert not conforms(validator, value), (schema, value)
            assert [e.message for e in iter_errors(validator, value)] == full


def test_values_of_other_types_are_left_to_jsonschema(petstore: OpenAPIDocument) -> None:
    # A Decimal is a number and an OrderedDict an object to jsonschema: not known here.
    validator = petstore.validator(NUMBERS)
    assert not conforms(validator, OrderedDict(orders=1, revenue=1))
    assert not conforms(validator, {"orders": 1, "revenue": Decimal("1.5")})
    assert iter_errors(validator, OrderedDict(orders=1, revenue=1)) == []
    assert iter_errors(validator, {"orders": 1, "revenue": Decimal("1.5")}) == []
    untyped = petstore.validator({"properties": {"a": {"minimum": 2}}, "required": ["a"]})
    for value in (OrderedDict(a=1), {"a": Decimal(1)}):
        assert not conforms(untyped, value)
        assert iter_errors(untyped, value) != []


def test_write_only_in_a_response_and_read_only_in_a_request(petstore: OpenAPIDocument) -> None:
    schema = {
        "type": "object",
        "required": ["id", "secret"],
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "secret": {"type": "string", "writeOnly": True},
        },
    }
    response = petstore.validator(schema, context="response")
    request = petstore.validator(schema, context="request")
    # A response must not show the write-only property, and need not: jsonschema says so.
    assert not conforms(response, {"id": 1, "secret": "s"})
    assert [e.message for e in iter_errors(response, {"id": 1, "secret": "s"})] == [
        "'secret' is writeOnly: a response does not send it"
    ]
    assert iter_errors(response, {"id": 1}) == []
    # A request need not send the read-only one: jsonschema excuses it.
    assert not conforms(request, {"secret": "s"})
    assert iter_errors(request, {"secret": "s"}) == []
    assert conforms(request, {"id": 1, "secret": "s"})


def test_one_of_is_exclusive_in_a_response(petstore: OpenAPIDocument) -> None:
    schema = {"oneOf": [{"type": "integer"}, {"type": "number"}]}
    assert not conforms(petstore.validator(schema, context="response"), 1)
    assert iter_errors(petstore.validator(schema, context="response"), 1) != []
    assert iter_errors(petstore.validator(schema, context="request"), 1) == []


def test_a_discriminated_choice_is_jsonschema_s(petstore: OpenAPIDocument) -> None:
    schema = {
        "oneOf": [{"$ref": "#/components/schemas/Circle"}],
        "discriminator": {"propertyName": "kind"},
    }
    validator = petstore.validator(schema, context="response")
    assert not conforms(validator, {"kind": "square"})
    assert iter_errors(validator, {"kind": "square"}) != []


def test_recursive_schemas(petstore: OpenAPIDocument) -> None:
    validator = petstore.validator("#/components/schemas/Node", context="response")
    deep = {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}, {"name": "d"}]}
    assert conforms(validator, deep)
    broken = {"name": "a", "children": [{"name": "b", "children": [{"name": 1}]}]}
    assert not conforms(validator, broken)
    assert [e.message for e in iter_errors(validator, broken)] == ["1 is not of type 'string'"]


def test_31_keywords(things: OpenAPIDocument) -> None:
    prefixed = {"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "integer"}}
    validator = things.validator(prefixed)
    assert iter_errors(validator, ["a", 1]) == []
    assert iter_errors(validator, [1, 1]) != []
    assert iter_errors(validator, ["a", "b"]) != []
    nullable = {"type": "integer", "nullable": True}
    assert conforms(things.validator(nullable), None)
    assert not conforms(things.validator({"type": "integer"}), None)
    assert conforms(things.validator({"type": ["integer", "null"], "minimum": 1}), None)
