"""A required parameter the request leaves out is a 400 naming it, in every location and style.

The specs' own fixtures declare no required query, header or cookie parameter, so these
operations are written here, one per way a parameter can be sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockmind.domain.errors import RequestValidationFailed
from mockmind.openapi import OpenAPIDocument

from .conftest import check

SPEC = """\
openapi: 3.0.3
info: {title: Required parameters, version: '1'}
paths:
  /scalars/{itemId}:
    get:
      parameters:
        - {name: itemId, in: path, required: true, schema: {type: integer}}
        - {name: q, in: query, required: true, schema: {type: string}}
        - {name: X-Tenant, in: header, required: true, schema: {type: string}}
        - {name: tenant, in: cookie, required: true, schema: {type: string}}
        - {name: page, in: query, schema: {type: integer, default: 1}}
      responses: {'200': {description: ok}}
  /styles:
    get:
      parameters:
        - name: ids
          in: query
          required: true
          explode: false
          schema: {type: array, items: {type: integer}}
        - name: tags
          in: query
          required: true
          schema: {type: array, items: {type: string}}
        - name: point
          in: query
          required: true
          schema:
            type: object
            properties: {x: {type: integer}, y: {type: integer}}
        - name: filter
          in: query
          required: true
          style: deepObject
          schema:
            type: object
            properties: {kind: {type: string}}
        - name: where
          in: query
          required: true
          content:
            application/json:
              schema: {type: object}
        - name: X-Flags
          in: header
          required: true
          schema: {type: array, items: {type: integer}}
        - name: X-Filter
          in: header
          required: true
          content:
            application/json:
              schema: {type: object}
        - name: prefs
          in: cookie
          required: true
          schema: {type: array, items: {type: string}}
      responses: {'200': {description: ok}}
  /misnamed/{id}:
    get:
      # A spec mistake: the path parameter's name is not the template's.
      parameters:
        - {name: itemId, in: path, required: true, schema: {type: string}}
      responses: {'200': {description: ok}}
"""

MISSING = "required parameter is missing"

# Every required parameter of /scalars/7, as a request would send it.
SCALARS: dict[str, Any] = {
    "query": {"q": ["mug"]},
    "headers": {"x-tenant": "acme"},
    "cookies": {"tenant": "acme"},
}
STYLES: dict[str, Any] = {
    "query": {
        "ids": ["1,2"],
        "tags": ["a"],
        "x": ["1"],
        "y": ["2"],
        "filter[kind]": ["cat"],
        "where": ['{"age": 3}'],
    },
    "headers": {"x-flags": "1,2", "x-filter": '{"a": 1}'},
    "cookies": {"prefs": "dark,compact"},
}


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> OpenAPIDocument:
    path: Path = tmp_path_factory.mktemp("spec") / "required.yaml"
    path.write_text(SPEC)
    return OpenAPIDocument.load(path)


def _without(sent: dict[str, Any], part: str, name: str) -> dict[str, Any]:
    return {
        key: {k: v for k, v in values.items() if not (key == part and k == name)}
        for key, values in sent.items()
    }


def _errors(doc: OpenAPIDocument, path: str, **sent: Any) -> list[dict[str, Any]]:
    with pytest.raises(RequestValidationFailed) as caught:
        check(doc, "GET", path, **sent)
    assert caught.value.status == 400
    return caught.value.errors


def test_all_required_parameters_given_validate(doc: OpenAPIDocument) -> None:
    checked = check(doc, "GET", "/scalars/7", **SCALARS)
    assert checked.path_params == {"itemId": 7}
    assert checked.query == {"q": "mug", "page": 1}
    assert checked.headers == {"X-Tenant": "acme"}
    assert checked.cookies == {"tenant": "acme"}
    styled = check(doc, "GET", "/styles", **STYLES)
    assert styled.query == {
        "ids": [1, 2],
        "tags": ["a"],
        "point": {"x": 1, "y": 2},
        "filter": {"kind": "cat"},
        "where": {"age": 3},
    }
    assert styled.headers == {"X-Flags": [1, 2], "X-Filter": {"a": 1}}
    assert styled.cookies == {"prefs": ["dark", "compact"]}


@pytest.mark.parametrize(
    ("part", "name", "location"),
    [
        ("query", "q", "query.q"),
        ("headers", "x-tenant", "header.x-tenant"),
        ("cookies", "tenant", "cookie.tenant"),
    ],
)
def test_a_missing_required_scalar_is_a_400_naming_it(
    doc: OpenAPIDocument, part: str, name: str, location: str
) -> None:
    errors = _errors(doc, "/scalars/7", **_without(SCALARS, part, name))
    assert errors == [{"location": location, "message": MISSING, "keyword": "required"}]


@pytest.mark.parametrize(
    ("part", "names", "location"),
    [
        ("query", ["ids"], "query.ids"),  # form, not exploded
        ("query", ["tags"], "query.tags"),  # form, exploded
        ("query", ["x", "y"], "query.point"),  # an exploded object spreads its properties
        ("query", ["filter[kind]"], "query.filter"),  # deepObject
        ("query", ["where"], "query.where"),  # content, not a schema
        ("headers", ["x-flags"], "header.x-flags"),
        ("headers", ["x-filter"], "header.x-filter"),
        ("cookies", ["prefs"], "cookie.prefs"),
    ],
)
def test_a_missing_required_parameter_of_any_style_is_a_400_naming_it(
    doc: OpenAPIDocument, part: str, names: list[str], location: str
) -> None:
    sent = STYLES
    for name in names:
        sent = _without(sent, part, name)
    errors = _errors(doc, "/styles", **sent)
    assert errors == [{"location": location, "message": MISSING, "keyword": "required"}]


def test_every_missing_required_parameter_is_listed_in_declaration_order(
    doc: OpenAPIDocument,
) -> None:
    # Only the optional one with a default is left to fill in; it is no error.
    assert _errors(doc, "/scalars/7") == [
        {"location": "query.q", "message": MISSING, "keyword": "required"},
        {"location": "header.x-tenant", "message": MISSING, "keyword": "required"},
        {"location": "cookie.tenant", "message": MISSING, "keyword": "required"},
    ]


def test_an_empty_query_value_is_sent_not_missing(doc: OpenAPIDocument) -> None:
    checked = check(doc, "GET", "/scalars/7", **{**SCALARS, "query": {"q": [""]}})
    assert checked.query == {"q": "", "page": 1}


def test_a_path_parameter_the_template_does_not_name_is_missing(doc: OpenAPIDocument) -> None:
    assert _errors(doc, "/misnamed/5") == [
        {"location": "path.itemId", "message": MISSING, "keyword": "required"}
    ]
