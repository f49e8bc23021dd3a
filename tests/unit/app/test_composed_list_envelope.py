"""A list answer whose paging envelope is composed with ``allOf`` (train-travel-3.1's bookings:
a generic wrapper, then the typed list, then its links) carries the stored entities in its
list, as an envelope written out in one object does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from mockmind.app.api import MockmindApp
from tests.support.in_process import app_for_document, send

BOOKING = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid", "readOnly": True},
        "passenger_name": {"type": "string"},
        "has_dog": {"type": "boolean"},
    },
}
WRAPPER = {
    "type": "object",
    "properties": {
        "data": {"type": "array", "items": {"type": "object"}},
        "links": {"type": "object", "readOnly": True},
    },
}
LINKS = {"type": "object", "properties": {"self": {"type": "string", "format": "uri"}}}
SCHEMAS = {"Booking": BOOKING, "Wrapper": WRAPPER, "Links": LINKS}
PAGE = {
    "allOf": [
        {"$ref": "#/components/schemas/Wrapper"},
        {
            "properties": {
                "data": {"type": "array", "items": {"$ref": "#/components/schemas/Booking"}}
            }
        },
        {
            "properties": {
                "links": {"$ref": "#/components/schemas/Links"},
                "total": {"type": "integer"},
            }
        },
    ]
}


def _answer(status: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {status: {"description": "ok", "content": {"application/json": {"schema": schema}}}}


SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "Composed envelopes", "version": "1"},
    "paths": {
        "/bookings": {
            "get": {"responses": _answer("200", PAGE)},
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Booking"}}
                    }
                },
                "responses": _answer("201", {"$ref": "#/components/schemas/Booking"}),
            },
        },
        "/bookings/{bookingId}": {
            "parameters": [
                {"name": "bookingId", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "get": {"responses": _answer("200", {"$ref": "#/components/schemas/Booking"})},
        },
    },
    "components": {"schemas": SCHEMAS},
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> MockmindApp:
    path: Path = tmp_path_factory.mktemp("spec") / "composed.json"
    path.write_text(json.dumps(SPEC))
    return app_for_document(path)


def _send(app: MockmindApp, method: str, path: str, body: Any = None) -> httpx.Response:
    return send(app, method, path, json=body, headers={"X-Session-ID": "c"})


def test_the_list_of_a_composed_envelope_holds_the_stored_entities(app: MockmindApp) -> None:
    made = [
        _send(app, "POST", "/bookings", {"passenger_name": name, "has_dog": False}).json()
        for name in ("Ada", "Grace")
    ]
    listed = _send(app, "GET", "/bookings")
    assert listed.status_code == 200
    assert listed.headers["x-mockmind-source"] == "store"
    body = listed.json()
    assert body["data"] == made
    assert [booking["passenger_name"] for booking in body["data"]] == ["Ada", "Grace"]
    # The counter the composition declares is filled too, and the rest stays generated.
    assert body["total"] == 2
    assert set(body) == {"data", "links", "total"}
    # PAGE with the components as its $defs, for jsonschema to resolve them.
    text = json.dumps({**PAGE, "$defs": SCHEMAS}).replace("#/components/schemas/", "#/$defs/")
    assert Draft202012Validator(json.loads(text)).is_valid(body)
