"""Errors answered in the document's terms: where the operation documents the status (the
code, its NXX range, default), the documented media type and a body valid for the documented
schema, with the engine's words in its fields; elsewhere a problem document as
application/problem+json."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from mockmind.app.bootstrap import Container, build
from mockmind.config import parse_config
from mockmind.domain.http import MockRequest, MockResponse
from mockmind.ports.api_description import ResponsePlan

DOCUMENT = """
openapi: 3.0.3
info: {title: Errors, version: '1'}
x-item: &item {application/json: {schema: {$ref: '#/components/schemas/Item'}}}
paths:
  /items:
    get:
      responses:
        '200':
          description: All
          content:
            application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Item'}}}
    post:
      requestBody:
        content: {application/json: {schema: {$ref: '#/components/schemas/Item'}}}
      responses:
        '201': {description: Made, content: *item}
        '422':
          description: Invalid
          content:
            application/json:
              schema:
                type: object
                required: [message, documentation_url, errors]
                properties:
                  message: {type: string}
                  documentation_url: {type: string}
                  errors:
                    type: array
                    items:
                      type: object
                      required: [field, code]
                      properties:
                        field: {type: string}
                        code: {type: string}
                      additionalProperties: false
                additionalProperties: false
  /items/{itemId}:
    parameters: [{name: itemId, in: path, required: true, schema: {type: string}}]
    get:
      responses:
        '200': {description: One, content: *item}
        '4XX':
          description: Client error
          content:
            application/problem+json:
              schema:
                type: object
                required: [code, message]
                properties:
                  code: {type: integer}
                  message: {type: string}
                additionalProperties: false
    patch:
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses:
        '200': {description: Merged, content: *item}
        default:
          description: Any error
          content:
            application/json:
              schema:
                type: object
                required: [error]
                properties:
                  error:
                    type: object
                    required: [type, message]
                    properties:
                      type: {type: string, enum: [invalid_request_error]}
                      message: {type: string}
    delete:
      responses:
        '204': {description: Gone}
        '404':
          description: Not there
          content: {application/octet-stream: {schema: {type: string, format: binary}}}
    put:
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses:
        '200': {description: Replaced, content: *item}
        '404':
          description: Not there
          content:
            application/json:
              schema:
                type: object
                required: [status, title]
                properties:
                  status: {type: integer}
                  title: {type: string}
                  detail: {type: string}
  /feeds/{name}:
    parameters: [{name: name, in: path, required: true, schema: {type: string}}]
    get:
      responses:
        '204':
          description: The feed, or nothing
          content: {application/rss+xml: {schema: {type: string}}}
components:
  schemas:
    Item:
      type: object
      required: [name]
      properties:
        id: {type: string}
        name: {type: string, minLength: 2}
"""

CONFIG = """
intelligent_behavior:
  session_tracking: {method: header}
  behavior_model:
    rules:
      consistency_rules:
        - name: members_only
          condition: "path == '/items/private' and method == 'GET'"
          action: {type: require_auth, message: "log in to see private items"}
"""


@pytest.fixture
def app(tmp_path: Path) -> Container:
    document = tmp_path / "errors.yaml"
    document.write_text(DOCUMENT)
    return build(parse_config(f"openapi: {document}\n{CONFIG}", env={}), env={})


def call(app: Container, method: str, path: str, body: Any = None, **headers: str) -> MockResponse:
    request = MockRequest(
        method=method,
        path=path,
        headers={"x-session-id": "s-1", "content-type": "application/json", **headers},
        body=json.dumps(body).encode() if body is not None else b"",
    )
    return asyncio.run(app.engine.handle(request)).response


def conforms(app: Container, response: MockResponse, pointer: str) -> list[str]:
    plan = ResponsePlan(response.status, response.media_type, {"$ref": pointer}, schema_key=pointer)
    return app.engine.api.response_errors(plan, response.body)


def test_an_unknown_id_is_answered_in_the_documented_4xx_shape(app: Container) -> None:
    response = call(app, "GET", "/items/nope")
    assert (response.status, response.media_type, response.source) == (
        404,
        "application/problem+json",
        "rule",
    )
    assert response.body == {"code": 404, "message": "item nope does not exist"}


def test_the_words_go_one_level_down_where_the_schema_nests_them(app: Container) -> None:
    response = call(app, "PATCH", "/items/nope", {"name": "x"})
    assert (response.status, response.media_type) == (404, "application/json")
    # The problem document's members come along where the schema leaves room for them.
    assert response.body == {
        "error": {"type": "invalid_request_error", "message": "item nope does not exist"},
        "status": 404,
        "title": "Not Found",
        "detail": "item nope does not exist",
    }


def test_a_problem_document_that_fits_is_sent_as_it_is(app: Container) -> None:
    response = call(app, "PUT", "/items/nope", {"name": "x"})
    assert (response.status, response.media_type) == (404, "application/json")
    assert response.body == {
        "status": 404,
        "title": "Not Found",
        "detail": "item nope does not exist",
    }


def test_a_refused_request_carries_each_error_in_the_documented_list(app: Container) -> None:
    response = call(app, "POST", "/items", {"name": 7})
    assert (response.status, response.media_type) == (422, "application/json")
    pointer = "#/paths/~1items/post/responses/422/content/application~1json/schema"
    assert conforms(app, response, pointer) == []
    assert response.body["message"] == "the request does not match the API description"
    assert response.body["errors"] == [{"field": "body.name", "code": "type"}]


def test_a_documented_media_type_that_is_no_json_is_the_answers_and_the_words_its_body(
    app: Container,
) -> None:
    response = call(app, "DELETE", "/items/nope")
    assert (response.status, response.media_type, response.body_kind) == (
        404,
        "application/octet-stream",
        "text",
    )
    # A string schema: the engine's words are the body.
    assert response.text == b"item nope does not exist"


def test_an_undocumented_status_is_a_problem_document(app: Container) -> None:
    # GET /items documents no 4XX: the unknown query parameter is fine, the method is not.
    response = call(app, "TRACE", "/items")
    assert (response.status, response.media_type) == (405, "application/problem+json")
    assert response.body == {
        "status": 405,
        "title": "Method Not Allowed",
        "detail": "TRACE is not defined for /items",
    }
    assert response.headers == {"Allow": "GET, POST"}


def test_a_204_with_documented_content_says_its_type_and_sends_nothing(app: Container) -> None:
    response = call(app, "GET", "/feeds/news")
    assert (response.status, response.body_kind, response.encoded()) == (204, "empty", b"")
    assert response.headers == {"Content-Type": "application/rss+xml"}


def test_a_rules_refusal_is_answered_in_the_documented_shape_with_its_headers(
    app: Container,
) -> None:
    response = call(app, "GET", "/items/private")
    assert (response.status, response.media_type) == (401, "application/problem+json")
    assert response.body == {"code": 401, "message": "log in to see private items"}
    assert response.headers == {"WWW-Authenticate": 'Bearer realm="mockmind"'}


JSON_ERRORS = """
openapi: 3.0.3
info: {title: One error type, version: '1'}
paths:
  /things/{thingId}:
    parameters: [{name: thingId, in: path, required: true, schema: {type: string}}]
    get:
      responses:
        '200': {description: One, content: {application/json: {schema: {type: object}}}}
        '404':
          description: None
          content:
            application/json: {schema: {type: object}}
            application/octet-stream: {schema: {type: string}}
"""


@pytest.mark.parametrize(
    ("document", "media_type"),
    [(JSON_ERRORS, "application/json"), (DOCUMENT, "application/problem+json")],
)
def test_an_error_no_operation_documents_takes_the_documents_one_json_error_type(
    tmp_path: Path, document: str, media_type: str
) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(document)
    app = build(parse_config(f"openapi: {path}\n{CONFIG}", env={}), env={})
    response = call(app, "GET", "/nowhere")
    assert (response.status, response.media_type) == (404, media_type)
    assert response.body == {
        "status": 404,
        "title": "Not Found",
        "detail": "no operation matches GET /nowhere",
    }


SCHEMALESS = """
openapi: 3.0.3
info: {title: Media types without schemas (a converted Swagger 2.0), version: '1'}
x-note: &note {application/json: {schema: {type: object, properties: {id: {type: string}}}}}
paths:
  /notes:
    post:
      requestBody: {content: *note}
      responses: {'201': {description: Made, content: *note}}
  /notes/{noteId}:
    parameters: [{name: noteId, in: path, required: true, schema: {type: string}}]
    get:
      responses:
        '200': {description: One, content: *note}
        '404': {description: None, content: {application/xml: {}, application/json: {}}}
  /notes/{noteId}/archive:
    parameters: [{name: noteId, in: path, required: true, schema: {type: string}}]
    post:
      responses:
        '405': {description: Invalid input, content: {application/xml: {}, application/json: {}}}
"""


@pytest.fixture
def schemaless(tmp_path: Path) -> Container:
    document = tmp_path / "schemaless.yaml"
    document.write_text(SCHEMALESS)
    return build(parse_config(f"openapi: {document}\n{CONFIG}", env={}), env={})


def test_a_media_type_without_schema_is_an_empty_body_that_says_its_type(
    schemaless: Container,
) -> None:
    response = call(schemaless, "POST", "/notes/a/archive")
    assert (response.status, response.body_kind, response.encoded()) == (405, "empty", b"")
    assert response.headers == {"Content-Type": "application/json"}


def test_an_error_documented_without_schema_is_the_problem_in_its_json_type(
    schemaless: Container,
) -> None:
    response = call(schemaless, "GET", "/notes/nope")
    assert (response.status, response.media_type) == (404, "application/json")
    assert response.body == {
        "status": 404,
        "title": "Not Found",
        "detail": "note nope does not exist",
    }


ORDERS = """
openapi: 3.0.3
info: {title: Orders, version: '1'}
x-order: &order {application/json: {schema: {$ref: '#/components/schemas/Order'}}}
paths:
  /orders:
    post:
      requestBody: {content: *order}
      responses: {'201': {description: Made, content: *order}}
  /orders/{orderId}:
    parameters: [{name: orderId, in: path, required: true, schema: {type: string}}]
    get:
      responses: {'200': {description: One, content: *order}}
  /orders/{orderId}/ship:
    parameters: [{name: orderId, in: path, required: true, schema: {type: string}}]
    post:
      responses:
        '200': {description: Shipped, content: *order}
        '4XX':
          description: Error
          content:
            application/json:
              schema:
                type: object
                required: [code, message]
                properties: {code: {type: string}, message: {type: string}}
                additionalProperties: false
components:
  schemas:
    Order:
      type: object
      properties: {id: {type: string}, state: {type: string, enum: [new, paid, shipped]}}
"""
SHIPPING = """
intelligent_behavior:
  session_tracking: {method: header}
  behavior_model:
    rules:
      state_machines:
        order_state:
          resource: orders
          field: state
          initial: new
          transitions:
            - {from: paid, to: shipped, on: "POST /orders/{orderId}/ship"}
"""


def test_a_refused_transition_is_answered_in_the_documented_4xx_shape(tmp_path: Path) -> None:
    document = tmp_path / "orders.yaml"
    document.write_text(ORDERS)
    app = build(parse_config(f"openapi: {document}\n{SHIPPING}", env={}), env={})
    order = call(app, "POST", "/orders", {}).body
    response = call(app, "POST", f"/orders/{order['id']}/ship")
    assert (response.status, response.media_type, response.source) == (
        409,
        "application/json",
        "rule",
    )
    pointer = (
        "#/paths/~1orders~1{orderId}~1ship/post/responses/4XX/content/application~1json/schema"
    )
    assert conforms(app, response, pointer) == []
    assert response.body["message"] == (
        f"orders {order['id']} is 'new'; it cannot become 'shipped'"
    )


BODILESS = """
openapi: 3.0.3
info: {title: Bodiless errors, version: '1'}
paths:
  /tags:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [label, colour, rank, owner]
              properties:
                label: {type: string}
                colour: {type: string}
                rank: {type: integer}
                owner: {type: string}
      responses:
        '201': {description: Made}
        '422': {description: Invalid}
"""


def test_an_error_documented_without_content_has_no_body_and_its_words_in_a_header(
    tmp_path: Path,
) -> None:
    document = tmp_path / "bodiless.yaml"
    document.write_text(BODILESS)
    app = build(parse_config(f"openapi: {document}\n", env={}), env={})
    response = call(app, "POST", "/tags", {})
    assert (response.status, response.body_kind, response.encoded()) == (422, "empty", b"")
    assert "Content-Type" not in response.headers
    words = response.headers["X-Mockmind-Error"]
    # Four required fields missing: the first three named, the rest counted.
    assert words == (
        "Unprocessable Entity: the request does not match the API description ("
        "body.label: 'label' is a required property; body.colour: 'colour' is a required "
        "property; body.rank: 'rank' is a required property; 1 more)"
    )
