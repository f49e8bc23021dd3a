"""The admin routes under /__mockmind/: health and session inspection, a FastAPI app.

Described by its own OpenAPI document at `/__mockmind/openapi.json`, built from the wire
models in ``admin_models`` that each answer is checked against.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import Scope

from mockmind import __version__
from mockmind.app.admin_models import (
    Health,
    JournalView,
    Problem,
    SessionView,
    WorldDiffView,
    WorldView,
)
from mockmind.app.admin_prefix import ADMIN_PREFIX
from mockmind.app.bootstrap import Container
from mockmind.domain.error_answers import PROBLEM_MEDIA_TYPE, http_answer
from mockmind.domain.errors import MethodNotAllowed, MockmindError, RequestError
from mockmind.domain.http import REASON_PHRASES
from mockmind.domain.session_travel import SessionTravel
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

    @app.exception_handler(MockmindError)
    async def failed(request: Request, exc: MockmindError) -> Response:
        if isinstance(exc, RequestError):
            # The client's doing (a refused token): said to the client, not a failure here.
            logger.info("%s %s: %s %s", request.method, request.url.path, exc.status, exc.title)
        else:
            logger.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error_response(exc)

    async def admitted(request: Request) -> None:
        """The admin token, or this machine when none is set (``admin_access``)."""
        client = request.scope.get("client")
        refusal = container.admin.refusal(request.headers, client[0] if client else None)
        if refusal is not None:
            raise refusal

    guarded = [Depends(admitted)]
    refused: dict[int | str, dict[str, Any]] = {
        401: _problem("the admin token is missing or wrong"),
        403: _problem("no admin token is set, and the client is not this machine"),
    }

    @app.get(f"{ADMIN_PREFIX}/health", response_model=Health)
    async def health() -> dict[str, Any]:
        """The server's configuration in use, its provider's circuit and its costs."""
        return _health(container)

    @app.get(
        ADMIN_PREFIX + "/sessions/{session_id}",
        response_model=SessionView,
        responses={404: _problem("no live session has this id"), **refused},
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

    travel = SessionTravel(container.sessions, container.journal, container.engine.world.resources)
    missing = _problem("no live session has this id, or the journal is off")

    @app.get(
        ADMIN_PREFIX + "/sessions/{session_id}/journal",
        response_model=JournalView,
        responses={400: _problem("a parameter is not what it must be"), 404: missing, **refused},
        dependencies=guarded,
    )
    async def journal(
        session_id: str,
        after: Annotated[int, Query(ge=0, description="only steps after this one")] = 0,
        limit: Annotated[int | None, Query(ge=1, le=1000, description="at most this many")] = None,
    ) -> dict[str, Any]:
        """The session's journal, oldest first: one event per request, with what it changed."""
        page = travel.page(session_id, time.time(), after, limit)
        events = [event.to_dict() for event in page.events]
        last = page.events[-1].seq if page.events else None
        more = limit is not None and len(page.events) == limit
        return {
            "session_id": session_id,
            "events": events,
            "dropped": page.dropped,
            "next_after": last if more else None,
        }

    out_of_reach: dict[int | str, dict[str, Any]] = {
        404: _problem("no live session, the journal is off, or the step is not one of it"),
        409: _problem("the step's changes were dropped (journal.max_events), or not recorded"),
    }

    @app.get(
        ADMIN_PREFIX + "/sessions/{session_id}/at/{step}",
        response_model=WorldView,
        responses={400: _problem("the step is not a number"), **out_of_reach, **refused},
        dependencies=guarded,
    )
    async def at(session_id: str, step: Annotated[int, Path(ge=0)]) -> dict[str, Any]:
        """The session's entities and state as they were after step `step` (0: before its
        first request), rebuilt from the journal's recorded changes."""
        world = travel.at(session_id, step, time.time())
        return {
            "session_id": session_id,
            "step": world.step,
            "entities": world.entities,
            "state": world.state,
        }

    @app.get(
        ADMIN_PREFIX + "/sessions/{session_id}/diff",
        response_model=WorldDiffView,
        responses={400: _problem("a step is not a number"), **out_of_reach, **refused},
        dependencies=guarded,
    )
    async def diff(
        session_id: str,
        from_step: Annotated[int, Query(alias="from", ge=0)],
        to_step: Annotated[int, Query(alias="to", ge=0)],
    ) -> dict[str, Any]:
        """What differs between the world after step `from` and after step `to`."""
        changed = travel.diff(session_id, from_step, to_step, time.time())
        return {
            "session_id": session_id,
            "from": from_step,
            "to": to_step,
            "entities": [
                {"collection": d.collection, "id": d.id, "before": d.before, "after": d.after}
                for d in changed.entities
            ],
            "state": {
                key: {"before": before, "after": after}
                for key, (before, after) in changed.state.items()
            },
        }

    @app.delete(
        ADMIN_PREFIX + "/sessions/{session_id}",
        status_code=204,
        response_class=Response,
        responses={404: _problem("no session can have this id"), **refused},
        dependencies=guarded,
    )
    async def delete_session(session_id: str) -> Response:
        """Delete the session and everything kept for it: its journal, its entities and, where
        the store tells which are its own, its cache entries. Nothing of it is left."""
        travel.delete(session_id)
        return Response(status_code=204)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        """A parameter FastAPI could not read: a problem document, as every admin error."""
        errors: list[dict[str, object]] = [
            {"location": ".".join(map(str, e.get("loc", ()))), "message": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return error_response(
            RequestError(400, "Bad Request", "a parameter is not what it must be", errors)
        )

    @app.exception_handler(HTTPException)
    async def unrouted(request: Request, exc: HTTPException) -> Response:
        """Starlette's own answers (no route: 404; a route without the method: 405) as the
        mock path gives them: problem documents, and an ``Allow`` naming every method the
        path serves."""
        path = request.scope["path"]
        if exc.status_code == 405:
            allowed = _allowed_methods(app, request.scope)
            if allowed:
                return error_response(MethodNotAllowed(request.method, path, allowed))
        if exc.status_code in (404, 405):
            return error_response(RequestError(404, "Not Found", f"no admin route {path}"))
        title = REASON_PHRASES.get(exc.status_code, "Error")
        return error_response(
            RequestError(exc.status_code, title, str(exc.detail), headers=dict(exc.headers or {}))
        )

    return app


def _allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """The methods of every admin route whose path matches (each route has its own)."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match is Match.PARTIAL:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


def _problem(description: str) -> dict[str, Any]:
    """An error answer as the document lists it: a problem document, in the media type the
    admin app sends (``error_response``), and no other."""
    schema = Problem.model_json_schema()
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}}}


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
        llm["embeddings"]["memory"] = {"pending": container.memory.pending, **vars(counters)}
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
