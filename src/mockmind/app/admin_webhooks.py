"""``/__mockmind/webhooks``: the document's 3.1 webhooks, listed and fired by name.

``POST /__mockmind/webhooks/{name}`` with ``{"url": "http://…"}`` (or ``"urls": [...]``;
without either, the config's ``callbacks.webhook_targets[name]``) sends the webhook's
request, its body generated to fit the webhook's schema, after the configured delay and with
retries, as a callback is sent. The delivery is recorded in the history of the session the
request carries (cookie or header, as mock requests do) or names (``"session_id"``).
The answer (202) lists what will be sent; a target that is not an http(s) URL, or whose host
``callbacks.allowed_hosts`` leaves out, refuses the whole request (400) and nothing is sent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request, params
from fastapi.responses import JSONResponse, Response

from mockmind.app.admin_models import (
    WebhookFired,
    WebhookList,
    WebhookTargets,
    problem_response,
)
from mockmind.app.admin_prefix import ADMIN_PREFIX
from mockmind.app.bootstrap import Container
from mockmind.app.deliveries import Deliveries
from mockmind.domain.callbacks.planning import targets_from
from mockmind.domain.errors import RequestError
from mockmind.domain.http import MockRequest
from mockmind.domain.sessions import is_valid_session_id, session_id_from


def add_webhook_routes(
    app: FastAPI,
    container: Container,
    guarded: Sequence[params.Depends],
    refused: Mapping[int | str, dict[str, Any]],
) -> None:
    """The routes, behind the admin token (``guarded``; ``refused`` documents its answers)."""

    @app.get(
        f"{ADMIN_PREFIX}/webhooks",
        response_model=WebhookList,
        responses=dict(refused),
        dependencies=list(guarded),
    )
    async def webhooks() -> dict[str, Any]:
        deliveries = _deliveries(container)
        planner = deliveries.planner
        names = planner.webhook_names() if planner is not None else []
        return {
            "webhooks": [
                {"name": name, "targets": list(deliveries.webhook_targets.get(name, []))}
                for name in names
            ]
        }

    @app.post(
        ADMIN_PREFIX + "/webhooks/{name}",
        status_code=202,
        response_model=WebhookFired,
        responses={
            400: problem_response("no target, or a target that may not be called"),
            404: problem_response("no such webhook, or no such session"),
            **refused,
        },
        dependencies=list(guarded),
        openapi_extra={
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": WebhookTargets.model_json_schema()}},
            }
        },
    )
    async def fire(name: str, request: Request) -> Response:
        deliveries = _deliveries(container)
        planner = deliveries.planner
        if planner is None:
            raise RequestError(404, "Not Found", "the served API declares no webhooks")
        body = await _json_object(request)
        targets = targets_from(body) or list(deliveries.webhook_targets.get(name, []))
        session_id = _session_id(container, request, body)
        now = time.time()
        batch = planner.webhook(name, targets, session_id, now)
        if batch.refusals:
            raise RequestError(
                400,
                "Bad Request",
                "; ".join(r.reason for r in batch.refusals),
                errors=[{"location": "body.url", "message": r.reason} for r in batch.refusals],
            )
        if not batch.deliveries:
            raise RequestError(
                400,
                "Bad Request",
                f'no target for webhook {name!r}: send {{"url": "http://..."}}, or register '
                f"one in callbacks.webhook_targets",
            )
        await deliveries.launch(batch)
        return JSONResponse(
            {
                "webhook": name,
                "session_id": session_id,
                "deliveries": [
                    {"method": d.method, "url": d.url, "body": _shown(d.body)}
                    for d in batch.deliveries
                ],
            },
            status_code=202,
        )


def _deliveries(container: Container) -> Deliveries:
    if container.deliveries is None:
        raise RequestError(404, "Not Found", "callbacks are not set up in this app")
    return container.deliveries


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise RequestError(400, "Bad Request", "the body is not JSON") from None
    if not isinstance(body, dict):
        raise RequestError(400, "Bad Request", 'the body must be a JSON object ({"url": ...})')
    url, urls = body.get("url"), body.get("urls")
    if url is not None and not isinstance(url, str):
        raise RequestError(400, "Bad Request", "url must be a string")
    if urls is not None and not (isinstance(urls, list) and all(isinstance(u, str) for u in urls)):
        raise RequestError(400, "Bad Request", "urls must be a list of strings")
    return body


def _session_id(container: Container, request: Request, body: dict[str, Any]) -> str | None:
    named = body.get("session_id")
    if named is None:
        carried = MockRequest(
            method=request.method,
            path=request.url.path,
            query={k: request.query_params.getlist(k) for k in request.query_params},
            headers={k.lower(): v for k, v in request.headers.items()},
            cookies=dict(request.cookies),
        )
        named = session_id_from(carried, container.engine.settings.tracking).session_id
        if named is None:
            return None
    if not isinstance(named, str) or not is_valid_session_id(named):
        raise RequestError(400, "Bad Request", f"session_id {named!r} is not a session id")
    if container.sessions.get(named, now=time.time()) is None:
        raise RequestError(404, "Not Found", f"no live session {named!r} to record the delivery in")
    return named


def _shown(body: str) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body
