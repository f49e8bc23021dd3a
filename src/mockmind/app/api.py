"""The FastAPI app: one catch-all route into the engine, and admin routes under /__mockmind/."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from mockmind import __version__
from mockmind.app.bootstrap import Container
from mockmind.domain.engine import EngineResult
from mockmind.domain.http import MockRequest
from mockmind.domain.sessions import is_valid_session_id, session_to_dict

logger = logging.getLogger("mockmind")

ADMIN_PREFIX = "/__mockmind"
# Time kept back from the Lambda deadline to generate an offline answer and send it.
_DEADLINE_MARGIN_SECONDS = 1.5
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
            response = await _mock(self.container, Request(scope, receive))
            await response(scope, receive, send)
            return
        await self.admin(scope, receive, send)


def create_app(container: Container) -> MockmindApp:
    return MockmindApp(container)


def _is_admin(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


async def _mock(container: Container, request: Request) -> Response:
    mock_request = MockRequest(
        deadline=_deadline(request.scope),
        method=request.method,
        path=request.url.path,
        query=_multi(request.query_params.multi_items()),
        headers={k.lower(): v for k, v in request.headers.items()},
        cookies=dict(request.cookies),
        body=await request.body(),
    )
    result = await container.engine.handle(mock_request)
    return _to_response(result, container, mock_request)


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


def _deadline(scope: Scope) -> float | None:
    """In Lambda, when the invocation runs out (less a margin to answer with a fallback)."""
    context = scope.get("aws.context")
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return None
    seconds = float(remaining()) / 1000
    return time.monotonic() + max(0.0, seconds - _DEADLINE_MARGIN_SECONDS)


def _multi(items: list[tuple[str, str]]) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    for key, value in items:
        query.setdefault(key, []).append(value)
    return query


def _to_response(result: EngineResult, container: Container, request: MockRequest) -> Response:
    mock = result.response
    headers = dict(mock.headers)
    headers["X-Mockmind-Source"] = mock.source
    content_type = mock.media_type if mock.raw is None or mock.raw else None
    response_class = _FaultyResponse if mock.fault else Response
    response = response_class(
        content=b"" if request.method == "HEAD" else mock.encoded(),
        status_code=mock.status,
        headers=headers,
        media_type=content_type,
    )
    if isinstance(response, _FaultyResponse):
        response.fault = mock.fault
    tracking = container.engine.settings.tracking
    if result.session_id is not None:
        if tracking.method == "cookie":
            carried = request.cookies.get(tracking.cookie_name) == result.session_id
            if result.new_session and not carried:
                response.set_cookie(
                    tracking.cookie_name,
                    result.session_id,
                    max_age=container.engine.settings.session_timeout_seconds,
                    path="/",
                    httponly=True,
                    samesite="lax",
                )
        else:
            response.headers[tracking.header_name] = result.session_id
    return response


class _FaultyResponse(Response):
    """A fault rule's response: the full Content-Length is announced, then the body is cut
    short ("truncate") or never sent ("drop"), so clients see the connection fail mid-body.
    """

    fault: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self.body
        sent = body[: len(body) // 2] if self.fault == "truncate" else b""
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send({"type": "http.response.body", "body": sent, "more_body": False})


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
