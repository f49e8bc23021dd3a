"""The ASGI app: mock requests into the engine, admin routes (FastAPI) under /__mockmind/."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from mockmind import __version__
from mockmind.app.bootstrap import Container
from mockmind.app.mock_asgi import serve_mock
from mockmind.domain.sessions import is_valid_session_id, session_to_dict

logger = logging.getLogger("mockmind")

ADMIN_PREFIX = "/__mockmind"
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"]


class MockmindApp:
    """The ASGI app: mock requests go straight to the engine, admin ones to FastAPI.

    Every mock request used to pass through FastAPI's middleware and router first, only to
    fall through to the default handler; the profile put that at a large share of a cached
    answer's time (bench/RESULTS.md), so the split is made here, on the path prefix.
    """

    def __init__(self, container: Container) -> None:
        self.container = container
        self.admin = _admin_app(container)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not _is_admin(scope["path"]):
            await serve_mock(self.container, scope, receive, send)
            return
        await self.admin(scope, receive, send)


def create_app(container: Container) -> MockmindApp:
    return MockmindApp(container)


def _is_admin(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def _admin_app(container: Container) -> FastAPI:
    app = FastAPI(
        title="mockmind",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.container = container

    @app.get(f"{ADMIN_PREFIX}/health")
    async def health() -> dict[str, Any]:
        return _health(container)

    @app.get(ADMIN_PREFIX + "/sessions/{session_id}")
    async def session(session_id: str) -> JSONResponse:
        """What a session remembers: state, login and history (for debugging a test run)."""
        found = None
        if is_valid_session_id(session_id):
            found = container.sessions.get(session_id, now=time.time())
        if found is None:
            detail = f"no live session {session_id!r}"
            return JSONResponse({"status": 404, "title": "Not Found", "detail": detail}, 404)
        return JSONResponse(session_to_dict(found))

    @app.api_route(ADMIN_PREFIX + "/{rest:path}", methods=_METHODS, include_in_schema=False)
    async def unknown_admin(rest: str) -> JSONResponse:
        return JSONResponse(
            {
                "status": 404,
                "title": "Not Found",
                "detail": f"no admin route {ADMIN_PREFIX}/{rest}",
            },
            status_code=404,
        )

    return app


def _health(container: Container) -> dict[str, Any]:
    return {
        "status": "ok",
        "version": __version__,
        "api": {"kind": container.api.kind},
        "storage": {"backend": container.storage},
        # provider (with its circuit breaker), embeddings and costs; never a key.
        **container.llm.health(),
        "session_tracking": container.config.intelligent_behavior.session_tracking.method,
    }
