"""The ASGI app answers the lifespan protocol itself: a server's start-up builds no admin app."""

from __future__ import annotations

import asyncio
from typing import Any

from mockmind.app.api import create_app
from mockmind.app.bootstrap import build
from mockmind.config import parse_config


def test_startup_and_shutdown_complete_without_building_the_admin_app() -> None:
    app = create_app(build(parse_config("storage: {backend: memory}\n", env={}), env={}))
    incoming: list[dict[str, Any]] = [
        {"type": "lifespan.startup"},
        {"type": "lifespan.shutdown"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
    assert incoming == []
    assert app._admin is None
