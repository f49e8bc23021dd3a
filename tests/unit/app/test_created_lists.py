"""A create answered with a list (github's ``POST .../issue-field-values``: "the current
values after adding") lists the stored collection, so every id in it can be deleted next
(schemathesis's ensure_resource_availability); a path whose items carry no identifier is no
collection (an array of strings is answered with strings)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockmind.app.api import MockmindApp, create_app
from mockmind.app.bootstrap import build
from mockmind.config import parse_config

VALUE = {
    "type": "object",
    "required": ["value_id", "value"],
    "properties": {"value_id": {"type": "integer"}, "value": {"type": "string"}},
}
VALUES = {"type": "array", "items": {"$ref": "#/components/schemas/Value"}}


def _answer(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}


SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Lists", "version": "1"},
    "paths": {
        "/issues/{n}/values": {
            "parameters": [{"name": "n", "in": "path", "required": True, "schema": {}}],
            "get": {"responses": _answer(VALUES)},
            "post": {
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": _answer(VALUES),
            },
        },
        "/issues/{n}/values/{value_id}": {
            "parameters": [
                {"name": "n", "in": "path", "required": True, "schema": {}},
                {"name": "value_id", "in": "path", "required": True, "schema": {"type": "integer"}},
            ],
            "delete": {"responses": {"204": {"description": "gone"}, "404": {"description": "no"}}},
        },
        "/names": {"get": {"responses": _answer({"type": "array", "items": {"type": "string"}})}},
    },
    "components": {"schemas": {"Value": VALUE}},
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> MockmindApp:
    path: Path = tmp_path_factory.mktemp("spec") / "lists.json"
    path.write_text(json.dumps(SPEC))
    config = f"openapi: {path}\nstorage: {{backend: memory}}\n"
    return create_app(build(parse_config(config, env={}), env={}))


def _send(app: MockmindApp, method: str, path: str, body: Any = None) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            return await client.request(method, path, json=body, headers={"X-Session-ID": "lists"})

    return asyncio.run(run())


def test_a_create_answered_with_a_list_lists_what_is_stored(app: MockmindApp) -> None:
    first = _send(app, "POST", "/issues/1/values", {"value": "a"})
    assert first.status_code == 200
    # Labelled by what made the new value's content (no model here), as a single create is.
    assert first.headers["x-mockmind-source"] == "offline"
    assert [v["value_id"] for v in first.json()] == [1]
    second = _send(app, "POST", "/issues/1/values", {"value": "b"})
    assert [(v["value_id"], v["value"]) for v in second.json()] == [(1, "a"), (2, "b")]
    for value in second.json():
        assert _send(app, "DELETE", f"/issues/1/values/{value['value_id']}").status_code == 204
    assert _send(app, "DELETE", "/issues/1/values/1").status_code == 404


def test_an_array_of_strings_is_no_collection(app: MockmindApp) -> None:
    names = _send(app, "GET", "/names")
    assert names.status_code == 200
    assert names.headers["x-mockmind-source"] != "store"
    assert all(isinstance(name, str) for name in names.json())
