"""The operator's routes of a stack serving tenants: list, push and delete tenants without a
redeploy (FastAPI), under ``/__mockmind/`` when a request names no tenant.

They take the stack's admin token (``MOCKMIND_ADMIN_TOKEN``, from the environment or the
stack's secret: ``admin_access``), never a tenant's: a tenant's token reaches only its own
world's admin routes, under ``/t/{tenant}/__mockmind/``. Described by their own OpenAPI
document at ``/__mockmind/openapi.json``.

A push is checked as ``validate-config`` checks a file, then stored by the catalog (which
refuses a second push of the tenant under way: 409); this instance sees it on the tenant's
next request, others within ``refresh_seconds``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from mockmind import __version__
from mockmind.app.admin import add_problem_handlers
from mockmind.app.admin_access import AdminAccess
from mockmind.app.admin_bodies import read_capped, validated
from mockmind.app.admin_models import problem_response
from mockmind.app.admin_prefix import ADMIN_PREFIX
from mockmind.app.api import MockmindApp
from mockmind.app.tenant_admin_models import (
    MAX_PUSH_BYTES,
    ConfigProblem,
    FrontHealth,
    TenantDeleted,
    TenantList,
    TenantPush,
    TenantRow,
    TenantStored,
)
from mockmind.domain.errors import (
    ConfigError,
    RequestError,
    VersionConflict,
)
from mockmind.tenants.names import is_tenant_name
from mockmind.tenants.worlds import TenantWorlds

TENANTS = ADMIN_PREFIX + "/tenants"


def tenant_admin_app(worlds: TenantWorlds[MockmindApp], access: AdminAccess) -> FastAPI:
    app = FastAPI(
        title="mockmind tenants",
        version=__version__,
        summary="The operator's routes of a mockmind stack serving tenants (each tenant's own "
        "admin routes are under /t/{tenant}/__mockmind/).",
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{ADMIN_PREFIX}/openapi.json",
    )
    catalog = worlds.catalog

    add_problem_handlers(app, "admin route")

    async def admitted(request: Request) -> None:
        client = request.scope.get("client")
        refusal = access.refusal(request.headers, client[0] if client else None)
        if refusal is not None:
            raise refusal

    guarded = [Depends(admitted)]
    refused: dict[int | str, dict[str, Any]] = {
        401: problem_response("the stack's admin token is missing or wrong (a tenant's is)"),
        403: problem_response("no admin token is set, and the client is not this machine"),
    }
    no_name = problem_response("the name is not a tenant's: 1 to 63 of a-z, 0-9 and '-'")

    @app.get(f"{ADMIN_PREFIX}/health", response_model=FrontHealth)
    async def health() -> dict[str, Any]:
        """The front is up; how many tenants' worlds this instance has built."""
        return {"status": "ok", "tenants": len(worlds.built())}

    @app.get(TENANTS, response_model=TenantList, responses=refused, dependencies=guarded)
    async def tenants() -> dict[str, Any]:
        """Every tenant in the catalog with its version, and whether this instance has built
        its world (and at which version)."""

        def listed() -> list[tuple[str, str | None]]:
            return [(name, catalog.version(name)) for name in catalog.names()]

        built = {entry.name: entry.version for entry in worlds.built()}
        rows = [
            TenantRow(
                name=name, version=version, built=name in built, built_version=built.get(name)
            )
            for name, version in await asyncio.to_thread(listed)
        ]
        return {"tenants": rows}

    @app.put(
        TENANTS + "/{name}",
        status_code=201,
        response_model=TenantStored,
        responses={
            200: {"model": TenantStored, "description": "an existing tenant replaced"},
            400: problem_response(
                "the body is not JSON, or not of the push's shape; or " + no_name["description"]
            ),
            409: problem_response("another push or delete of this tenant is under way"),
            413: problem_response(f"the body is over {MAX_PUSH_BYTES} bytes"),
            422: {
                **problem_response(
                    "the config does not load or build: `errors` names each problem's file, "
                    "line and key"
                ),
            },
            **refused,
        },
        dependencies=guarded,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": TenantPush.model_json_schema()}},
            }
        },
    )
    async def push(name: str, request: Request) -> Response:
        """Check and store the tenant's config and documents: 201 for a new tenant, 200 for
        one replaced, with the version stored. Nothing is written when the config is
        refused."""
        _named(name)
        raw = await read_capped(request, MAX_PUSH_BYTES)
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            raise RequestError(400, "Bad Request", "the body is not JSON") from None
        files = validated(TenantPush, value, "body").as_bytes()

        def stored() -> tuple[bool, str]:
            created = catalog.version(name) is None
            return created, catalog.store(name, files)

        try:
            created, version = await asyncio.to_thread(stored)
        except ConfigError as exc:
            raise _refused_config(name, exc) from None
        except VersionConflict as exc:
            raise RequestError(409, "Conflict", str(exc), extra={"tenant": name}) from None
        worlds.expire(name)
        answer = TenantStored(tenant=name, version=version, created=created, files=sorted(files))
        return JSONResponse(answer.model_dump(), status_code=201 if created else 200)

    @app.delete(
        TENANTS + "/{name}",
        response_model=TenantDeleted,
        responses={
            400: no_name,
            404: problem_response("no tenant has this name"),
            409: problem_response("a push of this tenant is under way"),
            **refused,
        },
        dependencies=guarded,
    )
    async def delete(name: str) -> dict[str, Any]:
        """Delete the tenant's files; its world goes at its next request here, within
        ``refresh_seconds`` elsewhere."""
        _named(name)
        try:
            deleted = await asyncio.to_thread(catalog.delete, name)
        except VersionConflict as exc:
            raise RequestError(409, "Conflict", str(exc), extra={"tenant": name}) from None
        if not deleted:
            raise RequestError(
                404, "Not Found", f"no tenant named {name!r}", extra={"tenant": name}
            )
        worlds.expire(name)
        return {"tenant": name, "deleted": True}

    return app


def _named(name: str) -> None:
    if not is_tenant_name(name):
        raise RequestError(
            400,
            "Bad Request",
            f"invalid tenant name {name[:80]!r}: use 1 to 63 lowercase letters, digits and "
            "'-', not starting or ending with '-'",
        )


def _refused_config(name: str, error: ConfigError) -> RequestError:
    problems = [
        ConfigProblem(
            file=issue.source,
            line=issue.line,
            column=issue.column,
            path=issue.path,
            message=issue.message,
        ).model_dump()
        for issue in error.issues
    ]
    count = len(problems)
    return RequestError(
        422,
        "Unprocessable Entity",
        f"tenant {name!r} not stored: {count} problem{'s' if count != 1 else ''} in its "
        f"config; the first: {error.issues[0]}",
        problems,
        extra={"tenant": name},
    )
