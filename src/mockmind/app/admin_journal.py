"""``/__mockmind/sessions/{id}/…``: a session's journal, its world at any step, the diff
between two steps, and deleting the session with everything kept for it (domain/session_travel).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, params
from fastapi.responses import Response

from mockmind.app.admin_models import JournalView, WorldDiffView, WorldView, problem_response
from mockmind.app.admin_prefix import ADMIN_PREFIX
from mockmind.app.bootstrap import Container
from mockmind.domain.session_travel import SessionTravel


def add_journal_routes(
    app: FastAPI,
    container: Container,
    guarded: Sequence[params.Depends],
    refused: Mapping[int | str, dict[str, Any]],
) -> None:
    """The routes, behind the admin token (``guarded``; ``refused`` documents its answers)."""
    world = container.engine.world
    travel = SessionTravel(container.sessions, container.journal, world.resources, world.auth)
    missing = problem_response("no live session has this id, or the journal is off")

    @app.get(
        ADMIN_PREFIX + "/sessions/{session_id}/journal",
        response_model=JournalView,
        responses={
            400: problem_response("a parameter is not what it must be"),
            404: missing,
            **refused,
        },
        dependencies=list(guarded),
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
        404: problem_response("no live session, the journal is off, or the step is not one of it"),
        409: problem_response(
            "the step's changes were dropped (journal.max_events), or not recorded"
        ),
    }

    @app.get(
        ADMIN_PREFIX + "/sessions/{session_id}/at/{step}",
        response_model=WorldView,
        responses={400: problem_response("the step is not a number"), **out_of_reach, **refused},
        dependencies=list(guarded),
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
        responses={400: problem_response("a step is not a number"), **out_of_reach, **refused},
        dependencies=list(guarded),
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
        responses={404: problem_response("no session can have this id"), **refused},
        dependencies=list(guarded),
    )
    async def delete_session(session_id: str) -> Response:
        """Delete the session and everything kept for it: its journal, its entities and, where
        the store tells which are its own, its cache entries. Nothing of it is left."""
        travel.delete(session_id)
        return Response(status_code=204)
