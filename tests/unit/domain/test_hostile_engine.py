"""Hostile requests through the whole engine: answered 400 naming the limit, remembered in the
session without failing it, and the server answering the next request as before."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import pytest

from mockmind.app.bootstrap import Container, build
from mockmind.config import parse_config
from mockmind.domain.client_input import MAX_JSON_DEPTH_CEILING
from mockmind.domain.http import MockRequest, MockResponse
from tests.support.paths import FIXTURES

SCHEMAS = """
intelligent_behavior:
  session_tracking: {method: header}
  behavior_model:
    rules:
      schemas:
        Order:
          type: object
          properties:
            id: {type: string}
            total: {}
            note: {type: string}
            items:
              type: array
              items:
                type: object
                properties: {price: {type: number}, qty: {type: integer}}
      resources:
        orders:
          computed: {total: "sum(items[].price * items[].qty)"}
      consistency_rules:
        - name: big
          condition: "path == '/orders' and body.items.0.qty > 100"
          action: {type: set_state, key: big, value: true}
"""

NODES = f"""
openapi: {FIXTURES / "openapi" / "nodes-3.1.yaml"}
intelligent_behavior:
  session_tracking: {{method: header}}
server:
  max_json_depth: {MAX_JSON_DEPTH_CEILING}
"""

DEPTH_DETAIL = "request body nests deeper than 64 levels (server.max_json_depth)"


@pytest.fixture
def shop() -> Container:
    return build(parse_config(SCHEMAS, env={}), env={})


def send(
    app: Container,
    method: str,
    path: str,
    body: bytes = b"",
    content_type: str = "application/json",
) -> MockResponse:
    request = MockRequest(
        method=method,
        path=path,
        headers={"x-session-id": "s-1", "content-type": content_type},
        body=body,
    )
    return asyncio.run(app.engine.handle(request)).response


def history(app: Container) -> list[Any]:
    session = app.sessions.get("s-1", now=time.time())
    assert session is not None
    return list(session.history)


@pytest.mark.parametrize("depth", [500, 100_000])
def test_a_deep_body_is_a_400_and_the_next_request_is_served(shop: Container, depth: int) -> None:
    response = send(
        shop,
        "POST",
        "/orders",
        b'{"note": "password", "items": ' + b"[" * depth + b"]" * depth + b"}",
    )
    assert response.status == 400
    assert response.body["detail"] == DEPTH_DETAIL
    assert response.media_type == "application/problem+json"
    # Remembered, with the problem that answered it; the body itself could not be read to
    # mask a secret in it, so it is not kept.
    last = history(shop)[-1]
    assert (last.status, last.request_body) == (400, None)
    assert last.response_body["detail"] == DEPTH_DETAIL
    assert send(shop, "POST", "/orders", json.dumps({"note": "ok"}).encode()).status == 201


def test_a_lone_surrogate_is_a_400_and_never_reaches_the_store(shop: Container) -> None:
    response = send(shop, "POST", "/orders", b'{"note": "\\ud800", "password": "hunter2"}')
    assert response.status == 400
    assert response.body["detail"] == (
        "request body is not valid Unicode: body.note holds the lone surrogate \\ud800"
    )
    assert json.loads(response.encoded())["errors"][0]["location"] == "body.note"
    assert history(shop)[-1].request_body is None
    listed = send(shop, "GET", "/orders")
    assert listed.status == 200
    assert all(order.get("note") != "\ud800" for order in listed.body)


def test_a_number_too_long_is_a_400_naming_it(shop: Container) -> None:
    digits = sys.get_int_max_str_digits()
    response = send(shop, "POST", "/orders", b'{"items": [{"qty": ' + b"9" * 5000 + b"}]}")
    assert response.status == 400
    assert response.body["detail"] == (
        f"request body holds a number of 5000 digits; numbers of at most {digits} digits can "
        "be read"
    )


def test_numbers_as_long_as_python_reads_are_served_and_overflow_to_null(shop: Container) -> None:
    # 4000 digits are read; a rule compares them, and the computed total overflows a double.
    huge = "9" * 4000
    body = ('{"items": [{"price": 1.5, "qty": ' + huge + "}]}").encode()
    created = send(shop, "POST", "/orders", body)
    assert created.status == 201
    assert created.body["total"] is None
    assert created.body["items"][0]["qty"] == int(huge)
    fetched = send(shop, "GET", f"/orders/{created.body['id']}")
    assert fetched.status == 200
    assert json.loads(fetched.encoded())["items"][0]["qty"] == int(huge)


@pytest.fixture(scope="module")
def nodes() -> Container:
    return build(parse_config(NODES, env={}), env={})


def node(depth: int) -> bytes:
    """A Node body ``depth`` levels deep, through ``items`` lists and ``child`` objects."""
    value: dict[str, Any] = {"name": "leaf", "password": "p"}
    level = 1
    while level < depth:
        if depth - level >= 2:
            value = {"name": f"n{level}", "items": [value]}
            level += 2
        else:
            value = {"name": f"n{level}", "child": value}
            level += 1
    return json.dumps(value).encode()


def test_a_body_as_deep_as_the_ceiling_goes_through_the_whole_flow(nodes: Container) -> None:
    # The stack's worst case: schema validation with allOf and oneOf at every level, then the
    # store's copies and merges, redaction and encoding, all at the deepest allowed body.
    created = send(nodes, "POST", "/nodes", node(MAX_JSON_DEPTH_CEILING))
    assert created.status == 201, created.body
    assert created.source == "offline"
    fetched = send(nodes, "GET", f"/nodes/{created.body['id']}")
    assert fetched.status == 200
    assert fetched.body == created.body
    patched = send(
        nodes,
        "PATCH",
        f"/nodes/{created.body['id']}",
        node(MAX_JSON_DEPTH_CEILING),
        "application/merge-patch+json",
    )
    assert patched.status == 200
    too_deep = send(nodes, "POST", "/nodes", node(MAX_JSON_DEPTH_CEILING + 1))
    assert too_deep.status == 400
    assert too_deep.body["detail"] == (
        f"request body nests deeper than {MAX_JSON_DEPTH_CEILING} levels (server.max_json_depth)"
    )


def test_schema_routes_read_bodies_within_the_configured_depth() -> None:
    app = build(parse_config(SCHEMAS + "server: {max_json_depth: 3}\n", env={}), env={})
    within = send(app, "POST", "/orders", b'{"items": [{"qty": 1}]}')
    assert within.status == 201
    beyond = send(app, "POST", "/orders", b'{"items": [{"qty": [1]}]}')
    assert beyond.status == 400
    assert beyond.body["detail"] == (
        "request body nests deeper than 3 levels (server.max_json_depth)"
    )


def test_a_path_holding_a_lone_surrogate_is_a_400(shop: Container) -> None:
    # Only a Lambda event can carry one: HTTP servers decode paths with replacement characters.
    response = send(shop, "GET", "/orders/ord-\udc80")
    assert response.status == 400
    assert response.body["detail"] == (
        "request path is not valid Unicode: path holds the lone surrogate \\udc80"
    )
    assert send(shop, "GET", "/orders/ord-é").status == 200
