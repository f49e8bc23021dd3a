"""Entities behind envelopes (readme-3.1's ``{"data": {...}}``): the store keeps the entity the
listing holds, and answers whose schema is an envelope carry it inside, so neither the list nor
the create's answer shows an envelope stored as an item."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from mockmind.app.api import MockmindApp, create_app
from mockmind.app.bootstrap import build
from mockmind.config import parse_config

IMAGE = {
    "type": "object",
    "required": ["uri", "name"],
    "properties": {"uri": {"type": "string"}, "name": {"type": "string"}},
    "additionalProperties": False,
}
ONE = {"type": "object", "required": ["data"], "properties": {"data": IMAGE}}
PAGE = {
    "type": "object",
    "required": ["total", "data"],
    "properties": {"total": {"type": "integer"}, "data": {"type": "array", "items": IMAGE}},
}


def _answer(status: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {status: {"description": "ok", "content": {"application/json": {"schema": schema}}}}


SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "Envelopes", "version": "1"},
    "paths": {
        "/images": {
            "get": {"responses": _answer("200", PAGE)},
            "post": {
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": _answer("201", ONE),
            },
        },
        "/images/{uri}": {
            "parameters": [{"name": "uri", "in": "path", "required": True, "schema": {}}],
            "get": {"responses": _answer("200", ONE)},
        },
    },
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> MockmindApp:
    path: Path = tmp_path_factory.mktemp("spec") / "envelopes.json"
    path.write_text(json.dumps(SPEC))
    config = f"openapi: {path}\nstorage: {{backend: memory}}\n"
    return create_app(build(parse_config(config, env={}), env={}))


def _send(app: MockmindApp, method: str, path: str, body: Any = None) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            return await client.request(method, path, json=body, headers={"X-Session-ID": "e"})

    return asyncio.run(run())


def test_creates_and_lists_carry_the_entity_inside_their_envelopes(app: MockmindApp) -> None:
    created = _send(app, "POST", "/images", {"name": "cat.png", "file": "{}"})
    assert created.status_code == 201
    body = created.json()
    assert Draft202012Validator(ONE).is_valid(body)
    assert body["data"]["name"] == "cat.png"
    listed = _send(app, "GET", "/images").json()
    assert Draft202012Validator(PAGE).is_valid(listed)
    assert [image["name"] for image in listed["data"]] == ["cat.png"]
    assert listed["total"] == 1
    read = _send(app, "GET", f"/images/{body['data']['uri']}")
    assert read.json() == {"data": listed["data"][0]}
