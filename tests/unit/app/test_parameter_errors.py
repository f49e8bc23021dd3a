"""Over HTTP: a request without a required query, header or cookie parameter is answered 400
with a problem document naming each one (the README's promise), and is not mocked."""

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
from tests.unit.openapi.test_required_parameters import MISSING, SPEC


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> MockmindApp:
    spec: Path = tmp_path_factory.mktemp("spec") / "required.yaml"
    spec.write_text(SPEC)
    config = f"openapi: {spec}\nstorage: {{backend: memory}}\n"
    return create_app(build(parse_config(config, env={}), env={}))


def _get(app: MockmindApp, path: str, **kwargs: Any) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            return await client.get(path, **kwargs)

    return asyncio.run(run())


def test_each_missing_required_parameter_is_named_in_a_400(app: MockmindApp) -> None:
    response = _get(app, "/scalars/7")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert json.loads(response.content) == {
        "status": 400,
        "title": "Bad Request",
        "detail": "the request does not match the API description",
        "errors": [
            {"location": "query.q", "message": MISSING, "keyword": "required"},
            {"location": "header.x-tenant", "message": MISSING, "keyword": "required"},
            {"location": "cookie.tenant", "message": MISSING, "keyword": "required"},
        ],
    }


def test_with_every_required_parameter_the_request_is_mocked(app: MockmindApp) -> None:
    response = _get(
        app,
        "/scalars/7",
        params={"q": "mug"},
        headers={"X-Tenant": "acme", "Cookie": "tenant=acme"},
    )
    assert response.status_code == 200
