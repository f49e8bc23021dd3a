"""No response header carries a character that could end it: values made from data (ids a
client chose, generated values) are percent-encoded, names that are no HTTP token are not sent."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from mockmind.app.bootstrap import Container, build
from mockmind.config import parse_config
from mockmind.domain.http import (
    MockRequest,
    MockResponse,
    header_value,
    is_documentable_header,
    is_header_name,
)

DOCUMENT = """
openapi: 3.0.3
info: {title: Files, version: '1'}
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
          headers:
            Location: {schema: {type: string}}
          content: *file
  /files/{fileId}:
    parameters: [{name: fileId, in: path, required: true, schema: {type: string}}]
    get:
      responses:
        '200':
          description: One
          headers:
            X-Label: {schema: {type: string, enum: ["line\\r\\nSet-Cookie: evil=1"]}}
            X-Price: {schema: {type: string, enum: ["10 €\\u0000"]}}
            X-Meta:
              schema:
                {type: object, properties: {who: {type: string, enum: ["Zoë"]}}, required: [who]}
            Bad Name: {schema: {type: string}}
            # The server's own: written from the message sent, never generated.
            Content-Length: {schema: {type: number, example: 948.75}}
            Transfer-Encoding: {schema: {type: string, enum: [chunked]}}
            Content-Type: {schema: {type: string, enum: [text/evil]}}
          content: *file
    put:
      requestBody: {content: *file}
      responses:
        '201':
          description: Created or replaced
          headers:
            location: {schema: {type: string}}
          content: *file
components:
  schemas:
    File:
      type: object
      properties:
        id: {type: string}
        name: {type: string}
"""

_SENDABLE = re.compile(r"[\t\x20-\x7e]*")


@pytest.fixture
def app(tmp_path: Path) -> Container:
    document = tmp_path / "files.yaml"
    document.write_text(DOCUMENT)
    config = (
        f"openapi: {document}\nintelligent_behavior: {{session_tracking: {{method: header}}}}\n"
    )
    return build(parse_config(config, env={}), env={})


def call(app: Container, method: str, path: str, body: Any = None) -> MockResponse:
    request = MockRequest(
        method=method,
        path=path,
        headers={"x-session-id": "s-1", "content-type": "application/json"},
        body=json.dumps(body).encode() if body is not None else b"",
    )
    return asyncio.run(app.engine.handle(request)).response


def _all_sendable(response: MockResponse) -> bool:
    return all(
        is_header_name(name) and _SENDABLE.fullmatch(value)
        for name, value in response.headers.items()
    )


def test_a_created_entitys_location_names_it(app: Container) -> None:
    made = call(app, "POST", "/files", {"name": "a.txt"})
    assert made.status == 201
    assert made.headers["Location"] == f"/files/{made.body['id']}"


@pytest.mark.parametrize(
    ("sent", "location"),
    [
        ("/files/a%0D%0ASet-Cookie:%20x=1", "/files/a%0D%0ASet-Cookie:%20x=1"),
        ("/files/%C3%A9t%C3%A9%E2%82%AC", "/files/%C3%A9t%C3%A9%E2%82%AC"),
        ("/files/nul%00", "/files/nul%00"),
        ("/files/a%2Fb%3Fc", "/files/a%2Fb%3Fc"),
    ],
)
def test_a_client_chosen_id_reaches_location_percent_encoded(
    app: Container, sent: str, location: str
) -> None:
    made = call(app, "PUT", sent, {"name": "x"})
    assert made.status == 201
    assert made.body["id"] == MockRequest("PUT", sent).segments[1]
    assert made.headers["location"] == location
    assert _all_sendable(made)


def test_generated_header_values_are_sendable(app: Container) -> None:
    response = call(app, "GET", "/files/f-1")
    assert response.status == 200
    assert response.headers == {
        "X-Label": "line%0D%0ASet-Cookie: evil=1",
        "X-Price": "10 %E2%82%AC%00",
        "X-Meta": '{"who": "Zo%C3%AB"}',
    }
    assert response.media_type == "application/json"
    assert _all_sendable(response)


@pytest.mark.parametrize(
    ("name", "documentable"),
    [
        ("X-Rate-Limit", True),
        ("Location", True),
        ("Content-Length", False),
        ("transfer-encoding", False),
        ("Connection", False),
        ("Content-Type", False),
        ("Bad Name", False),
    ],
)
def test_the_servers_own_headers_are_never_taken_from_a_document(
    name: str, documentable: bool
) -> None:
    assert is_documentable_header(name) is documentable


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("plain; q=1", "plain; q=1"),
        ("tab\tkept", "tab\tkept"),
        ("a\r\nb", "a%0D%0Ab"),
        ("nul\x00", "nul%00"),
        ("del\x7f", "del%7F"),
        ("café", "caf%C3%A9"),
        ("€", "%E2%82%AC"),
    ],
)
def test_header_value(text: str, sent: str) -> None:
    assert header_value(text) == sent


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("X-Session-ID", True),
        ("mockforge_session", True),
        ("x.y!#$%&'*+^`|~", True),
        ("", False),
        ("X Reason", False),
        ("X-Reason:", False),
        ("X-Reason\r\n", False),
        ("Zoë", False),
    ],
)
def test_header_names_are_tokens(name: str, valid: bool) -> None:
    assert is_header_name(name) is valid
