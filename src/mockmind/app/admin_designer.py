"""``/__mockmind/behaviour`` and ``/__mockmind/rules/evaluate``: the behaviour designer's data
(domain/behaviour) and the rules playground (domain/rules/playground)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import FastAPI, Query, params

from mockmind.app.admin_designer_models import (
    BehaviourView,
    EvaluationView,
    RuleEvaluation,
    SyntaxProblem,
)
from mockmind.app.admin_models import problem_response
from mockmind.app.admin_prefix import ADMIN_PREFIX
from mockmind.app.bootstrap import Container
from mockmind.domain.behaviour import describe_behaviour
from mockmind.domain.error_answers import PROBLEM_MEDIA_TYPE
from mockmind.domain.errors import RequestError, RuleSyntaxError
from mockmind.domain.rules.playground import check, evaluate
from mockmind.domain.session_travel import SessionTravel


def add_designer_routes(
    app: FastAPI,
    container: Container,
    guarded: Sequence[params.Depends],
    refused: Mapping[int | str, dict[str, Any]],
) -> None:
    """The routes, behind the admin token (``guarded``; ``refused`` documents its answers)."""
    world = container.engine.world
    travel = SessionTravel(container.sessions, container.journal, world.resources)

    @app.get(
        ADMIN_PREFIX + "/behaviour",
        response_model=BehaviourView,
        responses={
            400: problem_response("a parameter is not what it must be"),
            404: problem_response("no live session has this id"),
            **refused,
        },
        dependencies=list(guarded),
    )
    async def behaviour(
        session_id: Annotated[
            str | None,
            Query(max_length=200, description="a session whose entities' states to show"),
        ] = None,
    ) -> dict[str, Any]:
        """The config's state machines (states; transitions with triggers, guards and fields
        set) and rules; with `session_id`, where each of its entities stands."""
        entities = travel.entities_now(session_id, time.time()) if session_id else None
        described = describe_behaviour(world.machines, world.rules, entities)
        return {
            "machines": [
                {
                    "name": m.name,
                    "resource": m.resource,
                    "field": m.field,
                    "initial": m.initial,
                    "states": list(m.states),
                    "transitions": [
                        {
                            "from": list(t.from_states),
                            "to": t.to,
                            "trigger": t.trigger,
                            "guard": t.guard,
                            "sets": dict(t.sets),
                        }
                        for t in m.transitions
                    ],
                    "positions": dict(m.positions),
                }
                for m in described.machines
            ],
            "rules": [vars(rule) for rule in described.rules],
        }

    syntax = problem_response("the text does not parse (`line`, `column`), or a bad parameter")
    syntax["content"][PROBLEM_MEDIA_TYPE]["schema"] = SyntaxProblem.model_json_schema()

    @app.post(
        ADMIN_PREFIX + "/rules/evaluate",
        response_model=EvaluationView,
        responses={
            400: syntax,
            404: problem_response("no live session, the journal is off, or no such step"),
            409: problem_response("the step was dropped from the journal (journal.max_events)"),
            **refused,
        },
        dependencies=list(guarded),
    )
    async def evaluate_rules(asked: RuleEvaluation) -> dict[str, Any]:
        """A condition (or expression) evaluated on a recorded request of the journal, in the
        world it met, with every configured rule and why it fires or not."""
        try:
            # Parsed first: a playground shows a syntax error before it has a request.
            check(asked.expression, asked.language)
            event, before = travel.request_at(asked.session_id, asked.step, time.time())
            found = evaluate(asked.expression, asked.language, event, before, world.rules)
        except RuleSyntaxError as exc:
            error = RequestError(400, "Bad Request", f"the {asked.language} does not parse: {exc}")
            error.extra = {"line": exc.line, "column": exc.column, "reason": exc.reason}
            raise error from None
        except RecursionError:
            # Thousands of nested parentheses: lark's tree transform recurses once per level.
            raise RequestError(
                400, "Bad Request", f"the {asked.language} nests too deeply to evaluate"
            ) from None
        request = found.request
        return {
            "ok": True,
            "language": found.language,
            "value": found.value,
            "why": found.why,
            "session_id": asked.session_id,
            "step": asked.step,
            "request": {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "headers": dict(request.headers),
                "body": request.body,
                "state": dict(request.state),
                "entity": (
                    {"collection": request.entity_ref[0], "id": request.entity_ref[1]}
                    if request.entity_ref is not None
                    else None
                ),
            },
            "rules": [vars(verdict) for verdict in found.rules],
        }
