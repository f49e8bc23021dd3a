"""Request checks at the edges a mutation run found untested (issue 19): the scalar-error memo
keyed by type, a JSON-content parameter that is not split, the text of a split parameter read
as one scalar, form bodies with bytes that are not UTF-8, and undeclared non-JSON bodies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockmind.domain.errors import RequestValidationFailed
from mockmind.openapi import OpenAPIDocument
from mockmind.openapi.parameters import SchemaView

from .conftest import check


def document(operation: dict[str, Any], **schemas: Any) -> OpenAPIDocument:
    """A fresh 3.1 document (so no memo from another test) with ``POST /t`` as ``operation``."""
    raw = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/t": {"post": {"responses": {"200": {"description": "ok"}}, **operation}}},
        "components": {"schemas": schemas},
    }
    return OpenAPIDocument(raw, path=Path("/nowhere/t.json"), version="3.1")


def errors(doc: OpenAPIDocument, **kwargs: Any) -> list[dict[str, object]]:
    with pytest.raises(RequestValidationFailed) as info:
        check(doc, "POST", "/t", **kwargs)
    return info.value.errors


def json_query(schema: dict[str, Any]) -> OpenAPIDocument:
    return document(
        {
            "parameters": [
                {
                    "name": "q",
                    "in": "query",
                    "content": {"application/json": {"schema": schema}},
                }
            ]
        }
    )


def test_kind_of_a_scalar_schema_is_primitive() -> None:
    doc = document({}, S={"type": "integer"}, A={"type": "array"}, O={"type": "object"})
    kinds = []
    for name in ("S", "A", "O"):
        view = SchemaView.at(doc, f"#/components/schemas/{name}")
        assert view is not None
        kinds.append(view.kind())
    assert kinds == ["primitive", "array", "object"]


def test_true_after_1_is_still_refused_where_an_integer_is_wanted() -> None:
    # True == 1 in Python: the remembered errors of 1 must not answer for true.
    doc = json_query({"type": "integer"})
    assert check(doc, "POST", "/t", query={"q": ["1"]}).query["q"] == 1
    assert errors(doc, query={"q": ["true"]}) == [
        {"location": "query.q", "message": "True is not of type 'integer'", "keyword": "type"}
    ]


def test_a_json_scalar_is_checked_as_sent_not_as_its_text() -> None:
    # 5 is neither an array nor a string; the text "5" would be a string.
    doc = json_query({"type": ["array", "string"]})
    assert errors(doc, query={"q": ["5"]}) == [
        {
            "location": "query.q",
            "message": "5 is not of type 'array', 'string'",
            "keyword": "type",
        }
    ]


ONE_OR_PAIR = {
    "type": ["array", "integer", "boolean"],
    "items": {"type": "string"},
    "minItems": 2,
    "enum": [1, ["a", "b"]],
}


def test_split_text_read_as_one_scalar_of_the_schemas_type() -> None:
    doc = document({"parameters": [{"name": "q", "in": "query", "schema": ONE_OR_PAIR}]})
    assert check(doc, "POST", "/t", query={"q": ["1"]}).query["q"] == 1
    # After 1 was accepted, true (== 1 in Python) is judged on its own.
    found = errors(doc, query={"q": ["true"]})
    assert [e["location"] for e in found] == ["query.q", "query.q"]
    assert [e["keyword"] for e in found] == ["minItems", "enum"]


def test_form_body_bytes_not_utf8_become_replacement_characters() -> None:
    doc = document(
        {
            "requestBody": {
                "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}
            }
        }
    )
    done = check(
        doc,
        "POST",
        "/t",
        body=b"a=%FF&b=ok",
        content_type="application/x-www-form-urlencoded",
    )
    assert done.body == {"a": "\ufffd", "b": "ok"}


def test_undeclared_text_body_is_not_read_as_json() -> None:
    doc = document({})
    done = check(doc, "POST", "/t", body=b'{"a": 1}', content_type="text/plain")
    assert done.body is None
    assert done.media_type == "text/plain"
