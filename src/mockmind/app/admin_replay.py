"""``POST /__mockmind/sessions/{id}/replay``: a session's requests run again against the config
in use, step by step compared with what was recorded (domain/session_replay)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import Body, FastAPI, params

from mockmind.app.admin_models import problem_response
from mockmind.app.admin_prefix import ADMIN_PREFIX
from mockmind.app.admin_replay_models import ReplayRequest, ReplayView, replay_view
from mockmind.app.bootstrap import Container
from mockmind.domain.session_replay import SessionReplay
from mockmind.domain.session_travel import SessionTravel


def add_replay_routes(
    app: FastAPI,
    container: Container,
    guarded: Sequence[params.Depends],
    refused: Mapping[int | str, dict[str, Any]],
) -> None:
    """The route, behind the admin token (``guarded``; ``refused`` documents its answers)."""
    engine = container.engine
    travel = SessionTravel(container.sessions, container.journal, engine.world.resources)
    replays = SessionReplay(engine, travel)

    @app.post(
        ADMIN_PREFIX + "/sessions/{session_id}/replay",
        response_model=ReplayView,
        responses={
            400: problem_response(
                "the body is not what it must be, or a path to ignore is not one"
            ),
            404: problem_response("no live session has this id, or the journal is off"),
            409: problem_response("the journal no longer holds the session's first steps"),
            **refused,
        },
        dependencies=list(guarded),
    )
    async def replay(
        session_id: str, body: Annotated[ReplayRequest | None, Body()] = None
    ) -> dict[str, Any]:
        """Run the session's recorded requests again, in order, against the config in use now,
        in a new scratch session (deleted afterwards unless `keep`), and say step by step where
        the status or the body differ from the recording."""
        asked = body or ReplayRequest()
        report = await replays.replay(session_id, time.time(), ignore=asked.ignore, keep=asked.keep)
        return replay_view(report)
