"""Callbacks of a tenant's world in Lambda: the asynchronous invocation names the tenant, and
the handler hands the batch back to that tenant's world."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from mockmind.adapters.callbacks.http_sender import HttpCallbackSender
from mockmind.adapters.files import FolderBlobStore
from mockmind.app.api import MockmindApp, create_app
from mockmind.app.bootstrap import build
from mockmind.app.lambda_entry import LambdaEntry
from mockmind.app.tenant_front import TenantFront, TenantSelection
from mockmind.tenants.catalog import LoadedTenant, TenantCatalog
from mockmind.tenants.worlds import TenantWorlds
from tests.support.paths import FIXTURES

CALLBACKS = FIXTURES / "openapi" / "corpus" / "callbacks-3.0.json"
CONTEXT: Any = SimpleNamespace(get_remaining_time_in_millis=lambda: 29_000)
LAMBDA = {
    "AWS_LAMBDA_FUNCTION_NAME": "stack-mockmind",
    "AWS_REGION": "eu-west-1",
    "MOCKMIND_LLM_PROVIDER": "offline",
}


class Invoker:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {"StatusCode": 202}


@pytest.fixture
def thread_loop() -> Iterator[None]:
    # Mangum runs the app on asyncio.get_event_loop(): the test sets one, and closes it.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


def _event(path: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "callbackUrl=http://rx.test/cb",
        "headers": {"host": "api.test", "x-session-id": "lam-1"},
        "requestContext": {
            "http": {"method": "POST", "path": path, "sourceIp": "127.0.0.1"},
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


@pytest.mark.usefixtures("thread_loop")
def test_a_tenants_callback_goes_back_to_that_tenants_world(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    (root / "streams").mkdir(parents=True)
    shutil.copy(CALLBACKS, root / "streams" / "api.json")
    (root / "streams" / "mockmind.yaml").write_text(
        "openapi: api.json\nstorage: {backend: memory}\n"
    )
    seen: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    invoker = Invoker()

    def build_tenant(tenant: LoadedTenant) -> MockmindApp:
        container = build(
            tenant.loaded,
            env=LAMBDA,
            callback_sender=HttpCallbackSender(httpx.MockTransport(receive)),
            lambda_invoker=invoker,
            tenant=tenant.name,
        )
        return create_app(container)

    catalog = TenantCatalog(FolderBlobStore(root), env={}, local_root=root)
    worlds = TenantWorlds(catalog, build_tenant, refresh_seconds=30, max_built=5, max_bytes=1 << 30)
    front = TenantFront(worlds, TenantSelection())
    entry = LambdaEntry(front, tenant_deliveries=front.deliveries)

    answer = entry(_event("/t/streams/streams"), CONTEXT)
    assert answer["statusCode"] == 201
    assert seen == []
    (call,) = invoker.calls
    event = json.loads(call["Payload"])
    assert event["tenant"] == "streams"
    assert event["mockmind"] == "deliveries"

    assert entry(event, CONTEXT) == {"delivered": 1, "failed": 0}
    (sent,) = seen
    assert str(sent.url) == "http://rx.test/cb/data"
    (built,) = worlds.built()
    session = built.app.container.sessions.get("lam-1", now=time.time())
    assert session is not None
    assert [i.source for i in session.history] == ["offline", "callback"]
    # A forged tenant in a delivery event reaches no world: it is read as a request, refused.
    forged = entry({**event, "tenant": "../streams"}, CONTEXT)
    assert forged["statusCode"] == 400
    assert len(seen) == 1


@pytest.mark.usefixtures("thread_loop")
def test_the_lambda_log_line_names_a_tenants_admin_and_mock_requests(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    (root / "streams").mkdir(parents=True)
    shutil.copy(CALLBACKS, root / "streams" / "api.json")
    (root / "streams" / "mockmind.yaml").write_text(
        "openapi: api.json\nstorage: {backend: memory}\n"
    )
    catalog = TenantCatalog(FolderBlobStore(root), env={}, local_root=root)

    def build_tenant(tenant: LoadedTenant) -> MockmindApp:
        return create_app(build(tenant.loaded, env={}, tenant=tenant.name))

    worlds = TenantWorlds(catalog, build_tenant, refresh_seconds=30, max_built=5, max_bytes=1 << 30)
    entry = LambdaEntry(TenantFront(worlds, TenantSelection()))
    health = _event("/t/streams/__mockmind/health")
    health["requestContext"]["http"]["method"] = "GET"
    admin = entry._answer(health, CONTEXT)
    assert (admin.status, admin.source, admin.path) == (
        200,
        "admin",
        "/t/streams/__mockmind/health",
    )
    mock = entry._answer(_event("/t/streams/streams"), CONTEXT)
    assert mock.status == 201
    assert mock.outcome is not None
