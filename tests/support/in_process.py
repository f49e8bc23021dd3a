"""A mockmind app built in this process for one API document, and requests sent to it over
ASGI (no server, no port): what the app-layer tests share."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from mockmind.app.api import MockmindApp, create_app
from mockmind.app.bootstrap import build
from mockmind.config import parse_config


def app_for_document(document: Path, extra_config: str = "") -> MockmindApp:
    """The app serving ``document`` with memory stores; ``extra_config`` adds config lines."""
    config = f"openapi: {document}\nstorage: {{backend: memory}}\n{extra_config}"
    return create_app(build(parse_config(config, env={}), env={}))


def send(app: MockmindApp, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request (``kwargs`` as httpx takes them: ``json``, ``headers``, ``params``...)."""

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(run())


def run_steps(app: Any, steps: Any, client: str = "127.0.0.1") -> Any:
    """``await steps(http)`` with an httpx client sending to ``app`` over ASGI from ``client``
    (an address: the admin routes answer loopback alone when no token is set)."""

    async def go() -> Any:
        transport = httpx.ASGITransport(app=app, client=(client, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
            return await steps(http)

    return asyncio.run(go())
