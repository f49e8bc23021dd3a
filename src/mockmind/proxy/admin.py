"""The proxy's own routes, under ``/__mockmind/proxy/`` (FastAPI), described by their own
document at ``/__mockmind/proxy/openapi.json``.

``GET /__mockmind/proxy/mismatches`` lists the drift found so far (the admin token, or this
machine when none is set, as for the mock's admin routes: ``app/admin_access``);
``GET /__mockmind/proxy/health`` says what is proxied, checked and recorded (open, like the
mock's health: it holds no traffic).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, Field

from mockmind import __version__
from mockmind.app.admin import add_problem_handlers
from mockmind.app.admin_models import problem_response
from mockmind.proxy.mismatches import DEFAULT_KEPT
from mockmind.proxy.state import PROXY_PREFIX as PREFIX
from mockmind.proxy.state import ProxyState

logger = logging.getLogger("mockmind.proxy")


class MismatchView(BaseModel):
    """One way an exchange differed from the document."""

    exchange: int = Field(ge=1, description="which exchange of this run, counted from 1")
    at: float = Field(description="when its request arrived (epoch seconds)")
    method: str
    path: str = Field(description="the path as sent")
    operation: str | None = Field(description="the documented operation it reached, if any")
    status: int = Field(description="the upstream's status")
    side: Literal["request", "response"]
    location: str = Field(description="where: path, method, query.x, body.items[0].price...")
    message: str


class MismatchList(BaseModel):
    total: int = Field(ge=0, description="every mismatch found since the proxy started")
    kept: int = Field(ge=0, le=DEFAULT_KEPT, description="how many are listed (the newest)")
    mismatches: list[MismatchView]


class ProxyHealth(BaseModel):
    status: Literal["ok"]
    version: str
    upstream: str
    openapi: str | None = Field(description="the document checked against, if any")
    record: str | None = Field(description="where exchanges are recorded, if anywhere")
    exchanges: int = Field(ge=0, description="requests forwarded since the proxy started")


def proxy_admin_app(proxy: ProxyState) -> FastAPI:
    app = FastAPI(
        title="mockmind proxy",
        version=__version__,
        summary="The routes of a mockmind proxy (everything else is forwarded upstream).",
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{PREFIX}/openapi.json",
    )
    settings = proxy.settings

    async def admitted(request: Request) -> None:
        client = request.scope.get("client")
        refusal = settings.admin.refusal(request.headers, client[0] if client else None)
        if refusal is not None:
            raise refusal

    add_problem_handlers(app, "proxy route")

    @app.get(f"{PREFIX}/health", response_model=ProxyHealth)
    async def health() -> dict[str, Any]:
        """What is proxied, what it is checked against, and where it is recorded."""
        recorder = settings.recorder
        return {
            "status": "ok",
            "version": __version__,
            "upstream": settings.upstream.url,
            "openapi": settings.openapi,
            "record": str(recorder.path) if recorder is not None else None,
            "exchanges": proxy.exchanges,
        }

    @app.get(
        f"{PREFIX}/mismatches",
        response_model=MismatchList,
        responses={
            401: problem_response("the admin token is missing or wrong"),
            403: problem_response("no admin token is set, and the client is not this machine"),
        },
        dependencies=[Depends(admitted)],
    )
    async def mismatches() -> dict[str, Any]:
        """Every request and upstream answer found to differ from the document, oldest first
        (the newest 1000 are kept)."""
        kept = proxy.mismatches.reports()
        return {
            "total": proxy.mismatches.total,
            "kept": len(kept),
            "mismatches": [vars(item) for item in kept],
        }

    return app
