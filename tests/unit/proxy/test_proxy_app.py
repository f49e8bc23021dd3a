"""The proxy's app in process: its own routes and their document, and what it forwards (to
an upstream played by httpx's mock transport)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from mockmind.adapters.llm.secret import Secret
from mockmind.app.admin_access import AdminAccess
from mockmind.openapi.document import OpenAPIDocument
from mockmind.proxy.app import ProxyApp, validation_header
from mockmind.proxy.drift import DriftCheck, Mismatch
from mockmind.proxy.forwarding import Upstream
from mockmind.proxy.state import ProxySettings
from tests.support.paths import FIXTURES

SEEN: list[httpx.Request] = []


def _upstream(request: httpx.Request) -> httpx.Response:
    SEEN.append(request)
    path = request.url.path
    value = {"id": 1, "name": 7} if path == "/base/pets/1" else {"upstream": path}
    return _streamed(json.dumps(value).encode())


def _streamed(body: bytes) -> httpx.Response:
    """An answer whose body is read as it comes, as from a socket (a body given as bytes or
    JSON would be read into the response at once)."""

    async def parts() -> AsyncIterator[bytes]:
        yield body

    return httpx.Response(200, headers={"content-type": "application/json"}, content=parts())


def _app(token: str | None = None) -> ProxyApp:
    client = httpx.AsyncClient(transport=httpx.MockTransport(_upstream))
    upstream = Upstream("http://real.test/base", timeout=1, client=client)
    drift = DriftCheck(OpenAPIDocument.load(FIXTURES / "proxy" / "pets.yaml"))
    admin = AdminAccess(Secret(token) if token else None, in_lambda=False)
    return ProxyApp(ProxySettings(upstream=upstream, drift=drift, admin=admin))


def _send(app: ProxyApp, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(run())


def test_the_proxy_routes_and_their_document() -> None:
    document = _send(_app(), "GET", "/__mockmind/proxy/openapi.json").json()
    assert {path: sorted(item) for path, item in document["paths"].items()} == {
        "/__mockmind/proxy/health": ["get"],
        "/__mockmind/proxy/mismatches": ["get"],
    }
    responses = document["paths"]["/__mockmind/proxy/mismatches"]["get"]["responses"]
    assert sorted(responses) == ["200", "401", "403"]


def test_health_and_route_errors_are_problems() -> None:
    app = _app()
    assert _send(app, "GET", "/__mockmind/proxy/health").json() == {
        "status": "ok",
        "version": _send(app, "GET", "/__mockmind/proxy/health").json()["version"],
        "upstream": "http://real.test/base",
        "openapi": None,
        "record": None,
        "exchanges": 0,
    }
    missing = _send(app, "GET", "/__mockmind/proxy/nothing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "no proxy route /__mockmind/proxy/nothing"
    wrong = _send(app, "DELETE", "/__mockmind/proxy/mismatches")
    assert (wrong.status_code, wrong.headers["allow"]) == (405, "GET")


def test_the_mismatch_list_needs_the_admin_token_when_one_is_set() -> None:
    app = _app(token="t")
    _send(app, "GET", "/pets/1")
    assert _send(app, "GET", "/__mockmind/proxy/mismatches").status_code == 401
    listed = _send(
        app, "GET", "/__mockmind/proxy/mismatches", headers={"Authorization": "Bearer t"}
    )
    assert listed.json()["total"] == 1
    assert listed.json()["mismatches"][0]["location"] == "body.name"


def test_every_other_path_goes_upstream_under_its_base() -> None:
    SEEN.clear()
    app = _app()
    answer = _send(app, "GET", "/__mockmind/health", params={"a": "1"})
    assert answer.json() == {"upstream": "/base/__mockmind/health"}
    assert str(SEEN[-1].url) == "http://real.test/base/__mockmind/health?a=1"
    assert SEEN[-1].headers["host"] == "real.test"
    # Not in the document: reported as such, answered as the upstream answers.
    assert answer.headers["x-mockmind-validation"] == (
        "1 mismatch; request path: no operation matches GET /__mockmind/health"
    )


def test_the_validation_header_lists_what_fits_and_counts_the_rest() -> None:
    assert validation_header([]) == "ok"
    many = [Mismatch("response", f"body.items[{i}]", "x" * 100) for i in range(60)]
    header = validation_header(many)
    assert header.startswith("60 mismatches; response body.items[0]: ")
    assert header.endswith("; and 29 more at /__mockmind/proxy/mismatches")
    assert len(header) <= 4000 + len("; and 29 more at /__mockmind/proxy/mismatches")
    accented = validation_header([Mismatch("request", "body.name", "'Zoë' is too long")])
    assert accented == "1 mismatch; request body.name: 'Zo%C3%AB' is too long"
