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
from mockmind.domain.engine import resource_responder
from mockmind.domain.engine.listing_envelope import listing_envelope
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


def test_the_envelope_is_made_once_for_every_list_answer_of_its_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "composed.json"
    path.write_text(json.dumps(SPEC))
    fresh = app_for_document(path)
    made: list[str | None] = []

    def counting(plan: Any, resolve: Any, generate: Any) -> Any:
        made.append(plan.schema_key)
        return listing_envelope(plan, resolve, generate)

    monkeypatch.setattr(resource_responder, "listing_envelope", counting)
    bodies = []
    for name in ("Ada", "Grace", "Linus"):
        _send(fresh, "POST", "/bookings", {"passenger_name": name})
        bodies.append(_send(fresh, "GET", "/bookings").json())
    assert made == ["#/paths/~1bookings/get/responses/200/content/application~1json/schema"]
    assert [len(body["data"]) for body in bodies] == [1, 2, 3]
    assert [body["total"] for body in bodies] == [1, 2, 3]
    # Every answer carries the same generated rest of the envelope.
    assert bodies[0]["links"] == bodies[1]["links"] == bodies[2]["links"]
