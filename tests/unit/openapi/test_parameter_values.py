"""Parameter values in each location, end to end through validate_request (openapi/requests.py
and request_parameters.py): a scalar that a split would have refused, JSON items in a path,
cookies, copied defaults, keys a deepObject takes, and what a parameterless request carries.
Expected values written by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mockmind.domain.errors import RequestValidationFailed
from mockmind.openapi import OpenAPIDocument

from .conftest import check

# A star or a list of integers: ``meta=*`` is the scalar, ``meta=1,2`` the list.
STAR_OR_LIST = {
    "oneOf": [
        {"type": "string", "enum": ["*"]},
        {"type": "array", "items": {"type": "integer"}},
    ]
}


def _op(*parameters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "get": {
            "parameters": list(parameters),
            "responses": {"200": {"description": "ok"}},
            **extra,
        }
    }


SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "values", "version": "1"},
    "paths": {
        "/star/{meta}": _op(
            {"name": "meta", "in": "path", "required": True, "schema": STAR_OR_LIST},
            {"name": "q", "in": "query", "schema": STAR_OR_LIST},
            {"name": "X-Meta", "in": "header", "schema": STAR_OR_LIST},
            {"name": "c", "in": "cookie", "schema": STAR_OR_LIST},
        ),
        "/label/{meta}": _op(
            {
                "name": "meta",
                "in": "path",
                "required": True,
                "style": "label",
                "schema": STAR_OR_LIST,
            }
        ),
        "/items/{ids}": _op(
            {
                "name": "ids",
                "in": "path",
                "required": True,
                "schema": {"type": "array", "items": {"type": "object"}},
            }
        ),
        "/text/{t}": _op(
            {
                "name": "t",
                "in": "path",
                "required": True,
                "content": {"text/plain": {"schema": {"type": "string", "minLength": 2}}},
            }
        ),
        "/cookies": _op(
            {
                "name": "j",
                "in": "cookie",
                "content": {"application/json": {"schema": {"type": "integer"}}},
            },
            {
                "name": "pair",
                "in": "cookie",
                "explode": False,
                "schema": {
                    "type": "object",
                    "properties": {"a": {"type": "string"}, "x": {"type": "string"}},
                },
            },
        ),
        "/defaults": _op(
            {
                "name": "opts",
                "in": "query",
                "schema": {"type": "object", "default": {"a": [1, 2]}},
            },
            {
                "name": "filter",
                "in": "query",
                "style": "deepObject",
                "schema": {"type": "object", "properties": {"kind": {"type": "string"}}},
            },
        ),
        "/plain": {"get": {"responses": {"200": {"description": "ok"}}}},
    },
}


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> OpenAPIDocument:
    path = Path(tmp_path_factory.mktemp("values")) / "values.json"
    path.write_text(json.dumps(SPEC))
    return OpenAPIDocument.load(path)


def test_a_star_is_the_scalar_in_every_location(doc: OpenAPIDocument) -> None:
    checked = check(
        doc, "GET", "/star/*", query={"q": ["*"]}, headers={"x-meta": "*"}, cookies={"c": "*"}
    )
    assert checked.path_params == {"meta": "*"}
    assert checked.query == {"q": "*"}
    assert checked.headers == {"X-Meta": "*"}
    assert checked.cookies == {"c": "*"}


def test_a_list_stays_a_list_in_every_location(doc: OpenAPIDocument) -> None:
    checked = check(
        doc,
        "GET",
        "/star/1,2",
        query={"q": ["3", "4"]},
        headers={"x-meta": "5,6"},
        cookies={"c": "7,8"},
    )
    assert (checked.path_params, checked.query, checked.headers, checked.cookies) == (
        {"meta": [1, 2]},
        {"q": [3, 4]},
        {"X-Meta": [5, 6]},
        {"c": [7, 8]},
    )


def test_a_repeated_star_is_no_scalar(doc: OpenAPIDocument) -> None:
    with pytest.raises(RequestValidationFailed) as exc:
        check(doc, "GET", "/star/*", query={"q": ["*", "*"]})
    assert [(e["location"], e["keyword"]) for e in exc.value.errors] == [("query.q", "oneOf")]


def test_only_simple_and_form_styles_are_read_whole(doc: OpenAPIDocument) -> None:
    # ``.*`` is the label form of ["*"]: the label style's text is not the scalar "*".
    with pytest.raises(RequestValidationFailed) as exc:
        check(doc, "GET", "/label/.*")
    assert [(e["location"], e["keyword"]) for e in exc.value.errors] == [("path.meta", "oneOf")]


def test_object_items_in_a_path_are_read_as_json(doc: OpenAPIDocument) -> None:
    checked = check(doc, "GET", '/items/{"a":1},{"b":[2]}')
    assert checked.path_params == {"ids": [{"a": 1}, {"b": [2]}]}


def test_object_items_that_are_no_json_are_kept_as_sent(doc: OpenAPIDocument) -> None:
    checked = check(doc, "GET", "/items/a,b")
    assert checked.path_params == {"ids": "a,b"}


def test_a_path_parameter_with_text_content_is_the_text_as_sent(doc: OpenAPIDocument) -> None:
    assert check(doc, "GET", "/text/a,b").path_params == {"t": "a,b"}
    with pytest.raises(RequestValidationFailed):
        check(doc, "GET", "/text/a")


def test_cookies_with_content_and_unexploded_objects(doc: OpenAPIDocument) -> None:
    checked = check(doc, "GET", "/cookies", cookies={"j": "5", "pair": "a,x=1"})
    # Not exploded: "a,x=1" is the pair a -> "x=1", not the assignments a= and x=1.
    assert checked.cookies == {"j": 5, "pair": {"a": "x=1"}}


def test_a_default_is_a_copy_for_each_request(doc: OpenAPIDocument) -> None:
    first = check(doc, "GET", "/defaults")
    assert first.query == {"opts": {"a": [1, 2]}}
    first.query["opts"]["a"].append(3)
    first.query["opts"]["b"] = 0
    assert check(doc, "GET", "/defaults").query == {"opts": {"a": [1, 2]}}
    assert SPEC["paths"]["/defaults"]["get"]["parameters"][0]["schema"]["default"] == {"a": [1, 2]}


def test_a_deep_object_takes_its_bare_name_too(doc: OpenAPIDocument) -> None:
    # ``filter=x`` is no deepObject key, but it is the parameter's name: not passed on as an
    # undeclared query parameter.
    checked = check(doc, "GET", "/defaults", query={"filter": ["x"], "other": ["1"]})
    assert checked.query == {"opts": {"a": [1, 2]}, "other": "1"}


def test_a_request_with_nothing_to_check_names_its_operation(doc: OpenAPIDocument) -> None:
    checked = check(doc, "GET", "/plain", content_type="text/plain")
    assert (checked.operation.pointer, checked.media_type) == ("#/paths/~1plain/get", "text/plain")
    other = check(doc, "GET", "/cookies", cookies={"j": "1"})
    assert other.operation.pointer == "#/paths/~1cookies/get"
