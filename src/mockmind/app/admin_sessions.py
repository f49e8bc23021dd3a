"""``/__mockmind/sessions…``: list sessions, reset one, fork one, export one as a fixture and
import a fixture (domain/session_admin). Thin: read the request, call the service, shape the
answer."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request, params
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from mockmind.app.admin_bodies import read_capped, validated
from mockmind.app.admin_models import problem_response
from mockmind.app.admin_prefix import ADMIN_PREFIX
from mockmind.app.admin_session_models import (
    ForkRequest,
    ImportResult,
    ResetRequest,
    SessionFixture,
    SessionListView,
    SessionSummaryView,
)
from mockmind.app.bootstrap import Container
from mockmind.domain.client_input import DEFAULT_LIMITS, InputLimits, read_json
from mockmind.domain.errors import MethodNotAllowed, RequestError
from mockmind.domain.journal import JournalEvent
from mockmind.domain.resources.scope_copies import Bookkeeping
from mockmind.domain.session_admin import SessionAdmin
from mockmind.domain.session_fixture import (
    MAX_FIXTURE_BYTES,
    Fixture,
    bad_fixture,
    fixture_digest,
)
from mockmind.domain.session_listing import (
    CURSOR_PATTERN,
    DEFAULT_PAGE,
    MAX_PAGE,
    SessionQuery,
    decode_cursor,
)
from mockmind.domain.sessions import session_from_dict
from mockmind.ports.entity_store import EntityRecord

# A fixture nests the entities a request body made a few levels deeper than the body was.
_FIXTURE_LIMITS = InputLimits(max_json_depth=DEFAULT_LIMITS.max_json_depth + 8)
# Times a listing filters by: epoch seconds up to the year 5138 (the listing key's width).
_LATEST = 1e11


def add_session_routes(
    app: FastAPI,
    container: Container,
    guarded: Sequence[params.Depends],
    refused: Mapping[int | str, dict[str, Any]],
) -> None:
    """The routes, behind the admin token (``guarded``; ``refused`` documents its answers)."""
    admin = SessionAdmin(
        container.sessions,
        container.journal,
        container.engine.world.resources,
        container.entities,
        session_timeout_seconds=container.engine.settings.session_timeout_seconds,
        journal_grace_seconds=container.engine.journal_grace_seconds,
        auth=container.engine.world.auth,
    )
    bad = problem_response("a parameter or the body is not what it must be")
    out_of_reach: dict[int | str, dict[str, Any]] = {
        404: problem_response("no live session, the journal is off, or the step is not one of it"),
        409: problem_response(
            "the step's changes were dropped (journal.max_events) or not recorded, the new id "
            "is taken, or the session took a request meanwhile"
        ),
    }

    # Before the routes of /sessions/{session_id}, which this path matches too: these are
    # its methods, and an id of "import" is read at no other admin path.
    @app.api_route(
        ADMIN_PREFIX + "/sessions/import",
        methods=["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"],
        include_in_schema=False,
    )
    async def import_only(request: Request) -> Response:
        raise MethodNotAllowed(request.method, request.url.path, ["POST"])

    @app.get(
        ADMIN_PREFIX + "/sessions",
        response_model=SessionListView,
        responses={400: bad, **refused},
        dependencies=list(guarded),
    )
    async def sessions(
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="at most this many")] = (
            DEFAULT_PAGE
        ),
        cursor: Annotated[
            str | None,
            Query(pattern=CURSOR_PATTERN, description="`next_cursor` of the page before"),
        ] = None,
        prefix: Annotated[str, Query(max_length=128, description="ids starting with this")] = "",
        since: Annotated[
            float | None,
            Query(ge=0, le=_LATEST, allow_inf_nan=False, description="active at or after"),
        ] = None,
        until: Annotated[
            float | None,
            Query(ge=0, le=_LATEST, allow_inf_nan=False, description="active at or before"),
        ] = None,
    ) -> dict[str, Any]:
        """Live sessions, newest first by last activity (epoch seconds for `since` and
        `until`), a page at a time."""
        query = SessionQuery(
            limit=limit,
            before=decode_cursor(cursor) if cursor is not None else None,
            prefix=prefix,
            since=since,
            until=until,
        )
        page = admin.list(query, time.time())
        return {
            "sessions": [s.to_dict() for s in page.sessions],
            "next_cursor": page.next_cursor,
        }

    @app.post(
        ADMIN_PREFIX + "/sessions/{session_id}/reset",
        response_model=SessionSummaryView,
        responses={400: bad, **out_of_reach, **refused},
        dependencies=list(guarded),
        openapi_extra=_optional_body(ResetRequest),
    )
    async def reset(session_id: str, request: Request) -> dict[str, Any]:
        """Empty the session (`to` null or absent): no entities, journal or state, the same
        id; or put it back as it was after step `to`: its world then, its journal up to it,
        its next request step `to` + 1."""
        body = await _body(request, ResetRequest)
        return admin.reset(session_id, body.to, time.time()).to_dict()

    @app.post(
        ADMIN_PREFIX + "/sessions/{session_id}/fork",
        status_code=201,
        response_model=SessionSummaryView,
        responses={400: bad, **out_of_reach, **refused},
        dependencies=list(guarded),
        openapi_extra=_optional_body(ForkRequest),
    )
    async def fork(session_id: str, request: Request) -> dict[str, Any]:
        """A new session whose entities and state are the session's after step `at` (null:
        its latest), with its journal up to that step; `id` names it (null: a random id)."""
        body = await _body(request, ForkRequest)
        return admin.fork(session_id, body.at, body.id, time.time()).to_dict()

    @app.get(
        ADMIN_PREFIX + "/sessions/{session_id}/export",
        response_model=SessionFixture,
        responses={
            404: problem_response("no live session has this id"),
            # A fixture holds every step; a session one of whose steps the journal never
            # recorded (an imported fixture without its journal, say) has none to give.
            409: problem_response("the journal does not hold every step of the session"),
            **refused,
        },
        dependencies=list(guarded),
    )
    async def export(session_id: str) -> SessionFixture:
        """The session as a fixture: its world now, its kept journal and its record, with a
        digest that import is idempotent by."""
        content = SessionFixture.model_validate(admin.export(session_id, time.time()))
        return content.model_copy(update={"digest": fixture_digest(_content_of(content))})

    @app.post(
        ADMIN_PREFIX + "/sessions/import",
        status_code=201,
        response_model=ImportResult,
        responses={
            200: {"model": ImportResult, "description": "imported before: that session's id"},
            400: problem_response("the body is no fixture, or its parts do not agree"),
            413: problem_response(f"the fixture is over {MAX_FIXTURE_BYTES} bytes"),
            **refused,
        },
        dependencies=list(guarded),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/SessionFixture"}}
                },
            }
        },
    )
    async def import_session(request: Request) -> Response:
        """A new session with the fixture's world and journal (201); the same session again,
        while it lives, for a fixture with the same digest (200, `imported` false)."""
        fixture = _fixture(await read_capped(request, MAX_FIXTURE_BYTES))
        done = admin.import_fixture(fixture, time.time())
        return JSONResponse(
            {"id": done.session_id, "digest": done.digest, "imported": done.imported},
            status_code=201 if done.imported else 200,
        )


def _optional_body(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


async def _body[M: BaseModel](request: Request, model: type[M]) -> M:
    """The JSON body as ``model`` (an empty body: the model's defaults); 400 naming the
    member that is wrong."""
    raw = await read_capped(request, 64 * 1024)
    if not raw.strip():
        return model()
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise RequestError(400, "Bad Request", "the body is not JSON") from None
    return validated(model, value, "body")


def _content_of(fixture: SessionFixture) -> dict[str, Any]:
    """What the digest covers: the fixture as JSON, without its digest."""
    return fixture.model_dump(mode="json", by_alias=True, exclude={"digest"})


def _fixture(raw: bytes) -> Fixture:
    if not raw.strip():
        raise bad_fixture("the body is empty")
    try:
        value = read_json(raw, _FIXTURE_LIMITS, "body")
    except (ValueError, RecursionError):
        raise bad_fixture("the body is not JSON") from None
    model = validated(SessionFixture, value, "body")
    digest = fixture_digest(_content_of(model))
    if model.digest is not None and model.digest != digest:
        raise bad_fixture(
            f"digest {model.digest} does not match the fixture's content ({digest}): it was "
            "changed after export (leave the digest out of a fixture edited by hand)"
        )
    record = model.session.model_dump(mode="json", exclude={"bookkeeping"})
    bookkeeping = model.session.bookkeeping
    return Fixture(
        session=session_from_dict({**record, "version": 0}),
        entities={c: {i: dict(e) for i, e in ids.items()} for c, ids in model.entities.items()},
        journal=tuple(
            JournalEvent.from_dict(e.model_dump(mode="json", by_alias=True)) for e in model.journal
        ),
        bookkeeping=Bookkeeping(
            markers=tuple(EntityRecord(m.id, m.data, m.created_at) for m in bookkeeping.markers),
            sequences=dict(bookkeeping.sequences),
        ),
        digest=digest,
    )
