"""The admin routes under /__mockmind/: health and session inspection, a FastAPI app."""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from mockmind import __version__
from mockmind.app.admin_prefix import ADMIN_PREFIX
from mockmind.app.bootstrap import Container
from mockmind.domain.sessions import is_valid_session_id, session_to_dict

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"]


def admin_app(container: Container) -> FastAPI:
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
