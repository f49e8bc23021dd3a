"""schema_errors (openapi/request_errors.py): the error limit, and where a missing required property
is located, also when a careless document's ``required`` lists a number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockmind.openapi import OpenAPIDocument
from mockmind.openapi.request_errors import schema_errors

SCHEMAS = {
    "Two": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}},
    "Required": {"type": "object", "required": ["a", "b"]},
    # Not valid JSON Schema (required is a list of strings), but documents are not refused for
    # it: the errors are reported at the object, never at a made-up property.
    "NumberRequired": {"type": "object", "required": [1]},
}


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> OpenAPIDocument:
    raw = {
        "openapi": "3.1.0",
        "info": {"title": "errors", "version": "1"},
        "paths": {},
        "components": {"schemas": SCHEMAS},
    }
    path = Path(tmp_path_factory.mktemp("errors")) / "errors.json"
    path.write_text(json.dumps(raw))
    return OpenAPIDocument.load(path)


def test_the_limit_caps_the_errors(doc: OpenAPIDocument) -> None:
    value = {"a": "x", "b": "y"}
    a = {"location": "body.a", "message": "'x' is not of type 'integer'", "keyword": "type"}
    b = {"location": "body.b", "message": "'y' is not of type 'integer'", "keyword": "type"}
    assert schema_errors(doc, "#/components/schemas/Two", value, "body", limit=1) == [a]
    assert schema_errors(doc, "#/components/schemas/Two", value, "body") == [a, b]


@pytest.mark.parametrize(
    ("schema", "value", "expected"),
    [
        ("Required", {"a": 1}, [("body.b", "'b' is a required property")]),
        ("NumberRequired", {"a": 1}, [("body", "1 is a required property")]),
    ],
)
def test_a_missing_property_is_located_at_its_name_only_when_named(
    doc: OpenAPIDocument, schema: str, value: object, expected: list[tuple[str, str]]
) -> None:
    found = schema_errors(doc, f"#/components/schemas/{schema}", value, "body")
    assert [(e["location"], e["message"]) for e in found] == expected
    assert {e["keyword"] for e in found} == {"required"}
