"""How one parameter string becomes the value its schema wants (openapi/parameters.py: coerce,
SchemaView.types and the allOf/oneOf/anyOf walk), each case written out by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockmind.openapi import OpenAPIDocument
from mockmind.openapi.parameters import SchemaView, coerce


def view(schema: Any, **defs: Any) -> SchemaView:
    """``schema`` inside a 3.1 document whose components hold ``defs``."""
    raw = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": {"S": schema, **defs}},
    }
    doc = OpenAPIDocument(raw, path=Path("/nowhere/t.json"), version="3.1")
    found = SchemaView.at(doc, "#/components/schemas/S")
    assert found is not None
    return found


def typed(value: Any) -> tuple[Any, type]:
    # 5 == 5.0 == True in Python: the type is part of the answer.
    return value, type(value)


@pytest.mark.parametrize(
    ("schema", "text", "expected"),
    [
        ({"type": "integer"}, "5", (5, int)),
        ({"type": "number"}, "5", (5, int)),
        ({"type": "number"}, "5.5", (5.5, float)),
        ({"type": "boolean"}, "true", (True, bool)),
        ({"type": "boolean"}, "TRUE", (True, bool)),
        ({"type": "boolean"}, "False", (False, bool)),
        ({"type": "boolean"}, "yes", ("yes", str)),
        ({"type": ["integer", "null"]}, "", (None, type(None))),
        ({"type": ["integer", "null"]}, "null", (None, type(None))),
        ({"type": ["integer", "null"]}, "NULL", ("NULL", str)),
        ({"type": ["integer", "null"]}, "abc", ("abc", str)),
        ({"type": ["string", "null"]}, "", ("", str)),
        ({"type": ["string", "null"]}, "null", ("null", str)),
        ({"type": "integer", "nullable": True}, "", (None, type(None))),
        ({"type": "array"}, "[1]", ([1], list)),
        ({"type": "array"}, " [1]", (" [1]", str)),
        ({"type": "array"}, "[", ("[", str)),
        ({"type": "object"}, '{"a": 1}', ({"a": 1}, dict)),
        ({"type": "object"}, "[1]", ([1], list)),
        ({"type": "object"}, '"a"', ('"a"', str)),
        ({"type": ["string", "array"]}, "[1]", ("[1]", str)),
        ({"type": "boolean"}, "[1]", ("[1]", str)),
        ({"type": "string"}, "{}", ("{}", str)),
        ({"type": "string"}, "5", ("5", str)),
    ],
)
def test_a_string_is_read_as_its_schema_says(schema: Any, text: str, expected: Any) -> None:
    assert typed(coerce(text, view(schema))) == expected


def test_json_deeper_than_the_input_limits_stays_text() -> None:
    deep = "[" * 200 + "]" * 200
    assert coerce(deep, view({"type": "array"})) == deep


def test_without_a_schema_the_string_is_kept() -> None:
    assert coerce("5", None) == "5"


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "integer"}, {"integer"}),
        ({"type": ["integer", "string", 3]}, {"integer", "string"}),
        ({"type": "integer", "nullable": True}, {"integer", "null"}),
        ({"type": "integer", "nullable": False}, {"integer"}),
        ({"type": "integer", "nullable": "yes"}, {"integer"}),
        ({"properties": {"a": {}}}, {"object"}),
        ({"type": "array", "properties": {"a": {}}}, {"array"}),
        ({"items": {}}, {"array"}),
        ({"prefixItems": [{}]}, {"array"}),
        ({"type": "string", "items": {}}, {"string"}),
        ({"type": "string", "prefixItems": [{}]}, {"string"}),
        ({}, set()),
        ({"allOf": [True, {"type": "integer"}]}, {"integer"}),
        ({"anyOf": [{"$ref": "#/components/schemas/I"}, {"type": "null"}]}, {"integer", "null"}),
        ({"oneOf": [{"items": {}}, {"properties": {}}]}, {"array", "object"}),
    ],
)
def test_types_are_declared_and_implied(schema: Any, expected: set[str]) -> None:
    assert view(schema, I={"type": "integer"}).types() == expected


def nested(depth: int) -> dict[str, Any]:
    """An integer schema ``depth`` allOf levels below the top."""
    schema: dict[str, Any] = {"type": "integer"}
    for _ in range(depth):
        schema = {"allOf": [schema]}
    return schema


def test_the_combinator_walk_stops_after_eight_levels() -> None:
    # _MAX_DEPTH is 8: the top is level 0, so a type eight levels down counts, nine does not.
    assert view(nested(8)).types() == {"integer"}
    assert view(nested(9)).types() == set()


def test_a_schema_without_a_default_says_so() -> None:
    assert view({"type": "integer"}).default() == (False, None)
    assert view({"type": "integer", "default": None}).default() == (True, None)
    assert view({"type": "integer", "default": 3}).default() == (True, 3)


def test_a_split_value_without_a_schema_keeps_its_strings() -> None:
    from mockmind.openapi.parameters import coerce_structure

    assert coerce_structure(["1", {"a": "2"}], None) == ["1", {"a": "2"}]
    assert coerce_structure({"a": ["1"]}, None) == {"a": ["1"]}


def test_references_below_items_and_properties_resolve_in_the_main_document() -> None:
    ref = {"$ref": "#/components/schemas/I"}
    schema = {
        "prefixItems": [ref],
        "items": ref,
        "properties": {"p": ref},
        "additionalProperties": ref,
    }
    found = view(schema, I={"type": "integer"})
    children = [found.items(0), found.items(1), found.property("p"), found.property("q")]
    assert [c.types() if c is not None else None for c in children] == [{"integer"}] * 4
