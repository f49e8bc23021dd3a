"""The admin routes under /__mockmind/: health, session inspection and webhooks (FastAPI).

Described by its own OpenAPI document at `/__mockmind/openapi.json`, built from the wire
models in ``admin_models`` that each answer is checked against.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import Scope

from mockmind import __version__
from mockmind.app.admin_designer import add_designer_routes
from mockmind.app.admin_journal import add_journal_routes
from mockmind.app.admin_models import Health, SessionView, problem_response
from mockmind.app.admin_prefix import ADMIN_PREFIX
from mockmind.app.admin_prompts import add_prompt_routes
from mockmind.app.admin_replay import add_replay_routes
from mockmind.app.admin_sessions import add_session_routes
from mockmind.app.admin_stats import add_stats_routes
from mockmind.app.admin_ui import add_ui_routes
from mockmind.app.admin_webhooks import add_webhook_routes
from mockmind.app.bootstrap import Container
from mockmind.domain.error_answers import http_answer
from mockmind.domain.errors import MethodNotAllowed, MockmindError, RequestError
from mockmind.domain.http import REASON_PHRASES
from mockmind.domain.sessions import is_valid_session_id, session_to_dict

logger = logging.getLogger("mockmind.http")


def admin_app(container: Container) -> FastAPI:
    app = FastAPI(
        title="mockmind",
        version=__version__,
        summary="The admin routes of a mockmind server (the mock's own API is elsewhere).",
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{ADMIN_PREFIX}/openapi.json",
    )
    app.state.container = container

    add_problem_handlers(app, "admin route")

    async def admitted(request: Request) -> None:
        """The admin token, or this machine when none is set (``admin_access``)."""
        client = request.scope.get("client")
        refusal = container.admin.refusal(request.headers, client[0] if client else None)
        if refusal is not None:
            raise refusal

    guarded = [Depends(admitted)]
    refused: dict[int | str, dict[str, Any]] = {
        401: problem_response("the admin token is missing or wrong"),
        403: problem_response("no admin token is set, and the client is not this machine"),
    }

    # First: /sessions/import would otherwise be taken for a session's id.
    add_session_routes(app, container, guarded, refused)

    # Members the health dict leaves out (a provider's model when none is in use) stay out.
    @app.get(f"{ADMIN_PREFIX}/health", response_model=Health, response_model_exclude_unset=True)
    async def health() -> dict[str, Any]:
        """The server's configuration in use, its provider's circuit and its costs."""
        return _health(container)

    @app.get(
        ADMIN_PREFIX + "/sessions/{session_id}",
        response_model=SessionView,
        # Members a stored interaction does not have (``delivery``) stay out, not null.
        response_model_exclude_unset=True,
        responses={404: problem_response("no live session has this id"), **refused},
        dependencies=guarded,
    )
    async def session(session_id: str) -> Response | dict[str, Any]:
        """What a session remembers: state, login and history (for debugging a test run)."""
        found = None
        if is_valid_session_id(session_id):
            found = container.sessions.get(session_id, now=time.time())
        if found is None:
            return error_response(RequestError(404, "Not Found", f"no live session {session_id!r}"))
        return session_to_dict(found)

    add_webhook_routes(app, container, guarded, refused)
    add_journal_routes(app, container, guarded, refused)
    add_prompt_routes(app, container, guarded, refused)
    add_designer_routes(app, container, guarded, refused)
    add_ui_routes(app)
    add_replay_routes(app, container, guarded, refused)
    add_stats_routes(app, container, guarded, refused)

    return app


def add_problem_handlers(app: FastAPI, unrouted_as: str) -> None:
    """Every failure of an admin app (this one, the tenant front's, the proxy's) as a problem
    document, as the mock path answers: the project's errors by the error table, unreadable
    parameters with their locations, and Starlette's own answers (no route: 404 naming
    ``unrouted_as``; a route without the method: 405 with an ``Allow`` naming every method
    the path serves)."""

    @app.exception_handler(MockmindError)
    async def failed(request: Request, exc: MockmindError) -> Response:
        if isinstance(exc, RequestError):
            # The client's doing (a refused token): said to the client, not a failure here.
            logger.info("%s %s: %s %s", request.method, request.url.path, exc.status, exc.title)
        else:
            logger.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return unreadable_parameters(exc)

    @app.exception_handler(HTTPException)
    async def unrouted(request: Request, exc: HTTPException) -> Response:
        path = request.scope["path"]
        if exc.status_code == 405:
            allowed = allowed_methods(app, request.scope)
            if allowed:
                return error_response(MethodNotAllowed(request.method, path, allowed))
        if exc.status_code in (404, 405):
            return error_response(RequestError(404, "Not Found", f"no {unrouted_as} {path}"))
        title = REASON_PHRASES.get(exc.status_code, "Error")
        return error_response(
            RequestError(exc.status_code, title, str(exc.detail), headers=dict(exc.headers or {}))
        )


def allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """The methods of every admin route whose path matches (each route has its own)."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match is Match.PARTIAL:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


def unreadable_parameters(exc: RequestValidationError) -> Response:
    """A parameter FastAPI could not read: a 400 problem document naming each one, as every
    admin error (the proxy's own routes answer it alike)."""
    errors: list[dict[str, object]] = [
        {"location": ".".join(map(str, e.get("loc", ()))), "message": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    return error_response(
        RequestError(400, "Bad Request", "a parameter is not what it must be", errors)
    )


def error_response(error: MockmindError) -> Response:
    """An error as the admin app answers it: as the error table (``domain/error_answers``) says."""
    answer = http_answer(error)
    if isinstance(answer.body, str):
        return PlainTextResponse(answer.body, answer.status, answer.headers)
    return JSONResponse(
        dict(answer.body), answer.status, answer.headers, media_type=answer.media_type
    )


def _health(container: Container) -> dict[str, Any]:
    llm = container.llm.health()
    if container.memory is not None:
        # The write-behind of interactions: queued, embedded, and lost (not embedded in time,
        # not stored, dropped from a full queue).
        counters = container.memory.counters
        llm["embeddings"]["memory"] = {
            "pending": container.memory.pending,
            **vars(counters),
            "similarity_threshold": container.memory.threshold,
            "threshold_from": container.memory_threshold_from,
        }
    return {
        "status": "ok",
        "version": __version__,
        "api": {"kind": container.api.kind},
        "storage": {"backend": container.storage},
        # provider (with its circuit breaker), embeddings and costs; never a key.
        **llm,
        "session_tracking": container.config.intelligent_behavior.session_tracking.method,
        # This process's lost write races: with several processes on one store, each its own.
        "write_races": container.engine.races.as_dict(),
    }
