"""Issue 13 over HTTP: encoded path characters stay inside their segment, a route answers 405
with ``Allow`` for a method it does not serve, an id never seen is 404 where the operation
documents a 404 (else generated and kept), and no value a client sends reaches a response
header unencoded.

Paths go out byte for byte (``raw_path``): an HTTP client would otherwise tidy ``//admin`` or
keep the decoded form of an escape.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.mockmind_server import start_server, stop_server

# API Gateway HTTP APIs (the stack's front door) are reported to decode rawPath before the
# function sees it, and to cut it at a decoded "?": an encoded path cannot survive them.
encoded_paths_reach_the_server = pytest.mark.skipif(
    bool(os.environ.get("MOCKMIND_URL")),
    reason="API Gateway HTTP APIs decode the path before the function sees it",
)

_SENDABLE = re.compile(rb"[\t\x20-\x7e]*")


def send(client: httpx.Client, method: str, raw_path: str, **options: Any) -> httpx.Response:
    url = client.base_url.copy_with(raw_path=raw_path.encode("ascii"))
    return client.request(method, url, **options)


def assert_headers_are_clean(response: httpx.Response) -> None:
    """Every header as it came off the wire: a token name and one line of printable ASCII."""
    for name, value in response.headers.raw:
        assert re.fullmatch(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", name), name
        assert _SENDABLE.fullmatch(value), (name, value)


# -- encoded characters stay in their segment


@encoded_paths_reach_the_server
def test_an_encoded_question_mark_is_part_of_the_id_not_a_query(client: httpx.Client) -> None:
    # The order "?abc", not the list of orders: one never made, and GET /orders/{orderId}
    # documents a 404, so a 404 in the document's Error shape (application/json).
    one = send(client, "GET", "/orders/%3Fabc")
    assert (one.status_code, one.headers["content-type"]) == (404, "application/json")
    assert one.json() == {
        "status": 404,
        "title": "Not Found",
        "detail": "order ?abc does not exist",
    }


@encoded_paths_reach_the_server
def test_paying_an_order_that_does_not_exist_is_404_and_leaves_the_cart(
    client: httpx.Client,
) -> None:
    added = client.post("/cart/items", json={"product_id": "p-1", "quantity": 2})
    assert added.status_code == 201
    paid = send(client, "POST", "/orders/%3Fnever/pay")
    assert paid.status_code == 404
    assert paid.json() == {
        "status": 404,
        "title": "Not Found",
        "detail": "order ?never does not exist",
    }
    assert [item["id"] for item in client.get("/cart").json()["items"]] == [added.json()["id"]]
    assert client.get("/orders").json() == []


@encoded_paths_reach_the_server
def test_an_encoded_slash_is_part_of_the_id_not_a_separator(client: httpx.Client) -> None:
    one = send(client, "GET", "/orders/a%2Fb")
    assert (one.status_code, one.json()["detail"]) == (404, "order a/b does not exist")
    paid = send(client, "POST", "/orders/x%2Fy/pay")
    assert (paid.status_code, paid.json()["detail"]) == (404, "order x/y does not exist")
    # An encoded slash never makes a shorter route: one segment no document path has.
    listing = send(client, "GET", "/orders%2F42")
    assert listing.status_code == 404
    assert listing.json()["detail"] == "no operation matches GET /orders%2F42"


@encoded_paths_reach_the_server
@pytest.mark.parametrize(
    ("raw_path", "order_id"), [("/orders/%23x", "#x"), ("/orders/%2541", "%41")]
)
def test_hash_and_percent_are_decoded_once(
    client: httpx.Client, raw_path: str, order_id: str
) -> None:
    response = send(client, "GET", raw_path)
    assert (response.status_code, response.json()["detail"]) == (
        404,
        f"order {order_id} does not exist",
    )


@encoded_paths_reach_the_server
@pytest.mark.parametrize("raw_path", ["//admin/stats", "/%61dmin/stats", "/admin//stats/"])
def test_a_rule_cannot_be_passed_by_spelling_its_path_differently(
    client: httpx.Client, raw_path: str
) -> None:
    # admin_needs_login says path starts_with '/admin'; each of these routes to /admin/stats.
    response = send(client, "GET", raw_path)
    assert response.status_code == 401
    assert response.json()["detail"] == "Log in first: POST /login"


# -- 405 with Allow


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("TRACE", "/__mockmind/health", "GET"),
        ("POST", "/__mockmind/health", "GET"),
        ("PUT", "/__mockmind/sessions/e2e-anyone", "DELETE, GET"),
        ("POST", "/__mockmind/sessions/e2e-anyone/journal", "GET"),
    ],
)
def test_an_admin_route_answers_405_with_allow(
    client: httpx.Client, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["title"] == "Method Not Allowed"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("TRACE", "/products", "GET, POST"),
        ("PUT", "/cart", "DELETE, GET"),
        ("GET", "/cart/items/c-1", "DELETE, PATCH"),
        ("TRACE", "/orders/o-1/pay", "POST"),
    ],
)
def test_a_mock_route_answers_405_with_the_documents_methods(
    client: httpx.Client, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["detail"] == f"{method} is not defined for {path}"


# -- changes of ids never seen


def test_patch_or_delete_of_a_cart_item_the_session_never_had_is_404(
    client: httpx.Client,
) -> None:
    patched = client.patch("/cart/items/e2e-never-had", json={"quantity": 2})
    assert patched.status_code == 404
    assert patched.json()["detail"] == "cart_item e2e-never-had does not exist"
    assert client.delete("/cart/items/e2e-never-had").status_code == 404
    assert client.get("/cart").json()["items"] == []
    # What the session has, it can change.
    item = client.post("/cart/items", json={"product_id": "p-1", "quantity": 1}).json()
    changed = client.patch(f"/cart/items/{item['id']}", json={"quantity": 3})
    assert (changed.status_code, changed.json()["quantity"]) == (200, 3)


# -- what a client sends never reaches a header unencoded


@pytest.mark.parametrize(
    "headers",
    [
        {"cookie": b"mockforge_session=\xe9\xff; other=1"},
        {"cookie": b"mockforge_session=a b;c=d"},
        {"X-Session-ID": b"abc\xe9"},
        {"X-Session-ID": b"a b;c=d"},
    ],
)
def test_junk_session_ids_never_reach_a_header(base_url: str, headers: dict[str, bytes]) -> None:
    # A fresh client each time: no cookie jar carries a good id along.
    response = httpx.get(f"{base_url}/cart", headers=headers, timeout=10)
    assert response.status_code == 200
    assert_headers_are_clean(response)
    (cookie,) = response.headers.get_list("set-cookie")
    assert re.fullmatch(r"mockforge_session=[A-Za-z0-9_-]{43}; HttpOnly; .*", cookie)


@encoded_paths_reach_the_server
def test_control_characters_in_a_path_never_reach_a_header(client: httpx.Client) -> None:
    response = send(client, "GET", "/orders/%0D%0ASet-Cookie:%20evil=1")
    assert response.status_code == 404
    assert response.json()["detail"] == "order \r\nSet-Cookie: evil=1 does not exist"
    assert_headers_are_clean(response)
    assert all("evil" not in value for value in response.headers.get_list("set-cookie"))
    # Starlette's own trailing-slash redirect on the admin side encodes what it echoes.
    redirect = send(client, "GET", "/__mockmind/sessions/%0D%0Aevil/")
    assert_headers_are_clean(redirect)


DOCUMENT = """
openapi: 3.0.3
info: {title: Files, version: '1'}
servers:
  - url: https://files.example.com/{version}
    variables: {version: {default: v1}}
x-file: &file {application/json: {schema: {$ref: '#/components/schemas/File'}}}
x-files: &files
  application/json: {schema: {type: array, items: {$ref: '#/components/schemas/File'}}}
paths:
  /files:
    get:
      responses:
        '200': {description: All, content: *files}
    post:
      requestBody: {content: *file}
      responses:
        '201':
          description: Made
          headers: {Location: {schema: {type: string}}}
          content: *file
  /files/{fileId}:
    servers: [{url: /storage}]
    parameters: [{name: fileId, in: path, required: true, schema: {type: string}}]
    get:
      responses:
        '200':
          description: One
          headers: {X-Label: {schema: {type: string, enum: ["a\\r\\nSet-Cookie: evil=1 €"]}}}
          content: *file
    put:
      requestBody: {content: *file}
      responses:
        '201':
          description: Created or replaced
          headers: {Location: {schema: {type: string}}}
          content: *file
components:
  schemas:
    File:
      type: object
      properties: {id: {type: string}, name: {type: string}}
"""


@pytest.fixture(scope="module")
def files_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("files")
    (folder / "openapi.yaml").write_text(DOCUMENT)
    (folder / "mockmind.yaml").write_text("openapi: openapi.yaml\nstorage: {backend: memory}\n")
    process, base = start_server(folder / "mockmind.yaml")
    try:
        yield base
    finally:
        stop_server(process)


@pytest.mark.parametrize(
    ("raw_path", "location"),
    [
        ("/files/a%0D%0ASet-Cookie:%20evil=1", b"/files/a%0D%0ASet-Cookie:%20evil=1"),
        ("/files/%C3%A9t%C3%A9%E2%82%AC", b"/files/%C3%A9t%C3%A9%E2%82%AC"),
        ("/files/nul%00", b"/files/nul%00"),
    ],
)
def test_a_client_chosen_id_reaches_location_percent_encoded(
    files_url: str, raw_path: str, location: bytes
) -> None:
    with httpx.Client(base_url=files_url) as client:
        made = send(client, "PUT", raw_path, json={"name": "x"})
        assert made.status_code == 201
        assert_headers_are_clean(made)
        assert [v for k, v in made.headers.raw if k.lower() == b"location"] == [location]
        assert [c for c in made.headers.get_list("set-cookie") if "evil" in c] == []
        created = client.post("/files", json={"name": "y"})
        assert created.headers["location"] == f"/files/{created.json()['id']}"


def test_a_generated_header_value_is_sent_encoded(files_url: str) -> None:
    response = httpx.get(f"{files_url}/files/f-1", timeout=10)
    assert response.status_code == 200
    assert_headers_are_clean(response)
    assert response.headers["x-label"] == "a%0D%0ASet-Cookie: evil=1 %E2%82%AC"


def test_where_no_404_is_documented_an_unknown_id_is_generated_and_kept(files_url: str) -> None:
    with httpx.Client(base_url=files_url, headers={"X-Session-ID": "read-through"}) as client:
        first = send(client, "GET", "/files/never%3Fseen")
        assert first.status_code == 200
        assert first.json()["id"] == "never?seen"
        assert send(client, "GET", "/files/never%3Fseen").json() == first.json()


@pytest.mark.parametrize(
    "path",
    [
        "/files/f-7",  # without a base path
        "/storage/files/f-7",  # the path item's server
        "/v1/files/f-7",  # the document's, at its variable's default
        "/v2/files/f-7",  # ... and at any other value: the variable has no enum
    ],
)
def test_every_server_of_the_document_mounts_the_operation(files_url: str, path: str) -> None:
    response = httpx.get(f"{files_url}{path}", headers={"X-Session-ID": "servers"}, timeout=10)
    assert (response.status_code, response.json()["id"]) == (200, "f-7")
