"""The ASGI front of a stack serving many tenants: which tenant a request is for, and that
tenant's ``MockmindApp`` (built on demand by ``tenants/worlds.py``).

A request names its tenant by, in this order:

1. its path: ``/t/{tenant}/...``, the prefix stripped before the tenant's app routes it and
   kept as ``root_path`` (the web UI finds its files and the admin API relative to its page);
2. its host name: the config's ``hosts`` map, else ``{tenant}.{domain}``;
3. an API key, in the config's ``api_key_header``, that ``api_keys`` maps to a tenant.

A name that is not a valid tenant name is answered 404 without a look at the catalog; so is a
valid one the catalog does not have. A request that names no tenant reaches the operator's
routes under ``/__mockmind/`` (health, and listing, pushing and deleting tenants:
``app/tenant_admin.py``), behind the stack's own admin token. Only a stack with tenants
configured has this front: the single API's requests go straight to its ``MockmindApp``
(``app/api.py``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import field
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from mockmind.adapters.env_secrets import EnvSecretProvider
from mockmind.app.admin_access import ADMIN_TOKEN_VARIABLE, AdminAccess
from mockmind.app.admin_prefix import ADMIN_PREFIX
from mockmind.app.api import MockmindApp, create_app
from mockmind.app.bootstrap import build
from mockmind.app.deliveries import Deliveries
from mockmind.app.environment import Environment
from mockmind.app.mock_asgi import OUTCOME_SCOPE_KEY, ROUTED_PATH_SCOPE_KEY, path_as_sent
from mockmind.app.providers import Keys
from mockmind.app.tenant_admin import tenant_admin_app
from mockmind.config import LoadedConfig
from mockmind.config.models import TenantsConfig
from mockmind.domain import json_codec
from mockmind.domain.error_answers import PROBLEM_MEDIA_TYPE, http_answer
from mockmind.domain.errors import ConfigError, MockmindError, RequestError
from mockmind.lean_dataclass import dataclass
from mockmind.ports.secrets import SecretProvider
from mockmind.tenants.catalog import LoadedTenant, TenantBeingStored, TenantCatalog
from mockmind.tenants.names import is_tenant_name
from mockmind.tenants.worlds import TenantWorlds

logger = logging.getLogger("mockmind.tenants")

TENANT_PATH = "/t/"


@dataclass(frozen=True)
class TenantSelection:
    """How a request names its tenant, beyond the path (the config's ``tenants`` section)."""

    hosts: Mapping[str, str] = field(default_factory=dict)
    domain: str | None = None
    api_key_header: str = "x-mockmind-tenant-key"
    api_keys: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, config: TenantsConfig) -> TenantSelection:
        return cls(
            {host.lower(): tenant for host, tenant in config.hosts.items()},
            config.domain.lower().strip(".") if config.domain else None,
            config.api_key_header.lower(),
            dict(config.api_keys),
        )

    def pick(self, scope: Scope) -> tuple[str, Scope] | None:
        """The tenant's name as the request gives it (not yet checked) and the scope its app
        gets; None when the request names no tenant."""
        sent = path_as_sent(scope)
        if sent.startswith(TENANT_PATH):
            name, _, rest = sent[len(TENANT_PATH) :].partition("/")
            return name, _stripped(scope, name, "/" + rest)
        headers = _headers(scope)
        host = headers.get("host", "").rsplit(":", 1)[0].lower().rstrip(".")
        if host in self.hosts:
            return self.hosts[host], scope
        if self.domain and host.endswith("." + self.domain):
            label = host[: -len(self.domain) - 1]
            if "." not in label:
                return label, scope
        key = headers.get(self.api_key_header)
        if key is not None and key in self.api_keys:
            return self.api_keys[key], scope
        return None


class TenantFront:
    """The stack's ASGI app in tenant mode."""

    def __init__(
        self,
        worlds: TenantWorlds[MockmindApp],
        selection: TenantSelection,
        admin: AdminAccess | None = None,
    ) -> None:
        self.worlds = worlds
        self.selection = selection
        # Closed by default, as a container's admin routes are.
        closed = AdminAccess(None, in_lambda=True)
        self.operator: ASGIApp = tenant_admin_app(worlds, admin or closed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] not in ("http", "websocket"):
            return
        picked = self.selection.pick(scope)
        if picked is None:
            if scope["path"] == ADMIN_PREFIX or scope["path"].startswith(ADMIN_PREFIX + "/"):
                await self.operator(scope, receive, send)
                return
            await _send_problem(
                send,
                RequestError(
                    404,
                    "Not Found",
                    "the request names no tenant: use the path /t/{tenant}/, a tenant's host "
                    "name or its API key",
                ),
            )
            return
        name, tenant_scope = picked
        if not is_tenant_name(name):
            await _send_problem(send, _unknown(name))
            return
        try:
            app = await self.worlds.app(name)
        except ConfigError as exc:
            logger.error("tenant %s does not load: %s", name, exc)
            await _send_problem(
                send,
                RequestError(
                    503,
                    "Service Unavailable",
                    f"tenant {name!r} cannot be served: its config does not load "
                    f"({exc.issues[0] if exc.issues else exc})",
                    extra={"tenant": name},
                ),
            )
            return
        except TenantBeingStored as exc:
            # A cold load during a push: the files may be half written; soon they are whole.
            await _send_problem(
                send,
                RequestError(
                    503,
                    "Service Unavailable",
                    str(exc),
                    headers={"Retry-After": "1"},
                    extra={"tenant": name},
                ),
            )
            return
        except MockmindError as exc:
            logger.exception("tenant %s could not be built", name)
            answer = http_answer(exc)
            await _send_json(send, answer.status, answer.body, answer.media_type)
            return
        if app is None:
            await _send_problem(send, _unknown(name))
            return
        await app(tenant_scope, receive, send)
        # What the request came to and the path routed, for the Lambda entry's log line and
        # metrics, which read them from the scope they handed in.
        scope[ROUTED_PATH_SCOPE_KEY] = tenant_scope["path"]
        if OUTCOME_SCOPE_KEY in tenant_scope:
            scope[OUTCOME_SCOPE_KEY] = tenant_scope[OUTCOME_SCOPE_KEY]

    def deliveries(self, name: str) -> Deliveries | None:
        """The tenant's deliveries (its world built if need be), for a delivery event its
        world sent through the function's asynchronous invocation of itself; None for a name
        that is not a tenant's.

        Called outside any event loop (Lambda's handler): runs the build on a loop of its own,
        never set as the thread's, as ``deliver_event`` does.
        """
        if not is_tenant_name(name):
            return None
        loop = asyncio.new_event_loop()
        try:
            app = loop.run_until_complete(self.worlds.app(name))
        finally:
            loop.close()
        return None if app is None else app.container.deliveries


def _unknown(name: str) -> RequestError:
    return RequestError(
        404, "Not Found", f"no tenant named {name[:80]!r}", extra={"tenant": name[:80]}
    )


def _stripped(scope: Scope, name: str, rest_sent: str) -> Scope:
    """The scope as the tenant's app sees it: the path after ``/t/{name}``."""
    cut = len(TENANT_PATH) + len(name)
    path: str = scope["path"]
    stripped = dict(scope)
    stripped["path"] = path[cut:] if path.startswith(TENANT_PATH + name) else rest_sent
    if not stripped["path"]:
        stripped["path"] = "/"
    # The path as sent, for routing to split before decoding (``path_as_sent``); Mangum gives
    # none, and the event's own path still has the prefix.
    if rest_sent.isascii():
        stripped["raw_path"] = rest_sent.encode("ascii")
    stripped["root_path"] = scope.get("root_path", "") + TENANT_PATH + name
    return stripped


def _headers(scope: Scope) -> dict[str, str]:
    return {
        key.decode("latin-1").lower(): value.decode("latin-1")
        for key, value in scope.get("headers", [])
    }


async def _send_problem(send: Send, problem: RequestError) -> None:
    answer = http_answer(problem)
    await _send_json(send, answer.status, answer.body, PROBLEM_MEDIA_TYPE, answer.headers)


async def _send_json(
    send: Send,
    status: int,
    body: Any,
    media_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> None:
    encoded = body.encode() if isinstance(body, str) else json_codec.compact(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media_type.encode("latin-1")),
                (b"content-length", str(len(encoded)).encode()),
                *(
                    (name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in (headers or {}).items()
                ),
            ],
        }
    )
    await send({"type": "http.response.body", "body": encoded, "more_body": False})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


# --------------------------------------------------------------------------- wiring


def check_build(loaded: LoadedConfig) -> None:
    """A tenant's config builds, as ``validate-config`` checks a file: on a memory store, as
    checking a tenant must not write to the stack's stores."""
    build(loaded, env={"MOCKMIND_STORAGE": "memory"})


def tenant_catalog(
    config: TenantsConfig, env: Environment, *, base_dir: Path | None = None
) -> TenantCatalog:
    """The catalog ``config.catalog`` names: ``s3://bucket/prefix/``, or a folder (relative to
    ``base_dir``). Each tenant stored is checked as ``validate-config`` checks a file."""
    location = config.catalog or ""
    validate = check_build

    if location.startswith("s3://"):
        # boto3 loads only for a catalog in S3.
        from mockmind.adapters.aws.s3_blob_store import S3BlobStore  # noqa: PLC0415
        from mockmind.app.adapter_choice import AwsTarget  # noqa: PLC0415
        from mockmind.app.aws import s3_client  # noqa: PLC0415

        bucket, _, prefix = location[len("s3://") :].partition("/")
        store = S3BlobStore(s3_client(AwsTarget.of(env)), bucket)
        return TenantCatalog(store, prefix, env=env.variables, validate=validate)
    from mockmind.adapters.files import FolderBlobStore  # noqa: PLC0415

    root = Path(location)
    if not root.is_absolute() and base_dir is not None:
        root = base_dir / root
    return TenantCatalog(
        FolderBlobStore(root), env=env.variables, local_root=root, validate=validate
    )


def tenant_front(
    config: TenantsConfig,
    env: Environment,
    *,
    base_dir: Path | None = None,
    catalog: TenantCatalog | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> TenantFront:
    """The front over ``catalog`` (default: the one ``config`` names); each tenant's world is
    built as the single API's is, with its stores under its own keys. The operator's routes
    take the stack's admin token (``stack_admin``). ``monotonic``: the clock of the refresh
    interval (tests)."""

    def build_tenant(tenant: LoadedTenant) -> MockmindApp:
        return create_app(build(tenant.loaded, env=env, tenant=tenant.name))

    worlds = TenantWorlds(
        catalog or tenant_catalog(config, env, base_dir=base_dir),
        build_tenant,
        refresh_seconds=config.refresh_seconds,
        max_built=config.max_built,
        max_bytes=config.max_memory_mb << 20,
        monotonic=monotonic,
    )
    return TenantFront(worlds, TenantSelection.of(config), stack_admin(env))


def stack_admin(env: Environment) -> AdminAccess:
    """Who may use the operator's routes: the stack's ``MOCKMIND_ADMIN_TOKEN``, from the
    environment, else from the stack's Secrets Manager secret (the template's); never a
    tenant's token."""
    if env.secret_id:
        # boto3 loads only for a stack with a secret.
        from mockmind.app.adapter_choice import AwsTarget  # noqa: PLC0415
        from mockmind.app.aws import secrets_manager  # noqa: PLC0415

        secrets: SecretProvider = secrets_manager(env.secret_id, AwsTarget.of(env))
    else:
        secrets = EnvSecretProvider(env.variables)
    token = Keys(env, secrets)(ADMIN_TOKEN_VARIABLE)
    return AdminAccess(token, in_lambda=env.in_lambda)
