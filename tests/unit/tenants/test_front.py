"""The tenant front: which tenant a request is for (path, host, API key), what an unknown or
forged name gets, and each tenant's own sessions, entities and admin token."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockmind.adapters.files import FolderBlobStore
from mockmind.app.environment import Environment
from mockmind.app.tenant_front import TenantFront, tenant_front
from mockmind.config.models import TenantsConfig
from mockmind.tenants.catalog import LoadedTenant, TenantCatalog

BASE_ENV = {"MOCKMIND_LLM_PROVIDER": "offline"}


class WatchedCatalog(TenantCatalog):
    """Which names reached the catalog, and how often a version was asked for."""

    def __init__(self, root: Path) -> None:
        super().__init__(FolderBlobStore(root), env=BASE_ENV, local_root=root)
        self.asked: list[str] = []

    def version(self, name: str) -> str | None:
        self.asked.append(name)
        return super().version(name)

    def load(self, name: str) -> LoadedTenant | None:
        self.asked.append(name)
        return super().load(name)


def make_front(
    root: Path, env: dict[str, str] | None = None, **config: Any
) -> tuple[TenantFront, WatchedCatalog]:
    catalog = WatchedCatalog(root)
    settings = TenantsConfig(catalog=str(root), **config)
    environment = Environment.from_mapping({**BASE_ENV, **(env or {})})
    return tenant_front(settings, environment, catalog=catalog), catalog


Steps = Callable[[httpx.AsyncClient], Any]


def run(front: TenantFront, steps: Steps, client: str = "127.0.0.1") -> Any:
    async def go() -> Any:
        transport = httpx.ASGITransport(app=front, client=(client, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
            return await steps(http)

    return asyncio.run(go())


def test_the_path_prefix_picks_the_tenant_and_is_stripped(tenants_root: Path) -> None:
    front, _ = make_front(tenants_root)

    async def steps(http: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await http.get("/t/alpha/users"),
            await http.get("/t/onboard/users"),
            await http.get("/t/onboard/applications"),
            await http.get("/t/alpha/__mockmind/health"),
        ]

    social, wrong_api, onboarding, health = run(front, steps)
    assert social.status_code == 200
    assert len(social.json()) == 6  # the social example seeds six users
    assert wrong_api.status_code == 404
    assert wrong_api.json()["detail"] == "no operation matches GET /users"
    assert onboarding.status_code == 200
    assert health.status_code == 200
    assert sorted(entry.name for entry in front.worlds.built()) == ["alpha", "onboard"]


def test_the_admin_ui_redirect_stays_under_the_tenant_prefix(tenants_root: Path) -> None:
    front, _ = make_front(tenants_root)

    async def steps(http: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response]:
        redirect = await http.get("/t/alpha/__mockmind/ui")
        page = await http.get("/t/alpha/__mockmind/ui/")
        return redirect, page

    redirect, page = run(front, steps)
    assert redirect.status_code == 307
    assert redirect.headers["location"] == "ui/"
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]


def test_an_unknown_tenant_is_a_404_problem_naming_it(tenants_root: Path) -> None:
    front, catalog = make_front(tenants_root)

    async def steps(http: httpx.AsyncClient) -> httpx.Response:
        return await http.get("/t/nobody/users")

    answer = run(front, steps)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json() == {
        "status": 404,
        "title": "Not Found",
        "detail": "no tenant named 'nobody'",
        "tenant": "nobody",
    }
    assert catalog.asked == ["nobody"]  # one load, which found none


def test_an_unknown_tenant_is_remembered_for_the_refresh_interval(tenants_root: Path) -> None:
    front, catalog = make_front(tenants_root, refresh_seconds=3600)

    async def steps(http: httpx.AsyncClient) -> list[int]:
        return [(await http.get("/t/nobody/users")).status_code for _ in range(5)]

    assert run(front, steps) == [404] * 5
    assert catalog.asked == ["nobody"]


@pytest.mark.parametrize(
    "path",
    [
        "/t/ALPHA/users",
        "/t/al_pha/users",
        "/t/%61lpha/users",
        "/t/alpha%2F..%2Fbeta/users",
        "/t/..%2Falpha/users",
        "/t/%2E%2E/alpha/users",
        "/t/-alpha/users",
        "/t//users",
        "/t/" + "a" * 64 + "/users",
    ],
)
def test_a_forged_tenant_name_reaches_nothing(tenants_root: Path, path: str) -> None:
    front, catalog = make_front(tenants_root)

    async def steps(http: httpx.AsyncClient) -> httpx.Response:
        return await http.get(path)

    answer = run(front, steps)
    assert answer.status_code == 404
    assert answer.json()["title"] == "Not Found"
    assert answer.json()["detail"].startswith("no tenant named")
    assert catalog.asked == []
    assert front.worlds.built() == []


def test_host_names_and_api_keys_pick_a_tenant(tenants_root: Path) -> None:
    front, catalog = make_front(
        tenants_root,
        hosts={"api.alpha.test": "alpha"},
        domain="mocks.test",
        api_keys={"key-onboard": "onboard"},
    )

    async def steps(http: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await http.get("/users", headers={"Host": "API.alpha.test:8080"}),
            await http.get("/applications", headers={"Host": "onboard.mocks.test"}),
            await http.get("/applications", headers={"X-Mockmind-Tenant-Key": "key-onboard"}),
            await http.get("/users", headers={"X-Mockmind-Tenant-Key": "key-other"}),
            await http.get("/users", headers={"Host": "x.alpha.mocks.test"}),
            await http.get("/users", headers={"Host": "Evil_Name.mocks.test"}),
            await http.get("/__mockmind/health"),
        ]

    by_host, by_domain, by_key, bad_key, nested, forged, health = run(front, steps)
    assert by_host.status_code == 200
    assert len(by_host.json()) == 6
    assert by_domain.status_code == 200
    assert by_key.status_code == 200
    assert bad_key.status_code == 404
    assert bad_key.json()["detail"].startswith("the request names no tenant")
    assert nested.status_code == 404
    assert forged.status_code == 404
    assert forged.json()["detail"] == "no tenant named 'evil_name'"
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "tenants": 2}
    assert sorted(set(catalog.asked)) == ["alpha", "onboard"]


def test_a_tenants_admin_token_reaches_only_that_tenant(tenants_root: Path) -> None:
    env = {
        "MOCKMIND_ADMIN_TOKEN": "stack-token",
        "MOCKMIND_ADMIN_TOKEN_ALPHA": "alpha-token",
        "MOCKMIND_ADMIN_TOKEN_BETA": "beta-token",
    }
    front, _ = make_front(tenants_root, env)

    async def status(http: httpx.AsyncClient, tenant: str, token: str) -> int:
        answer = await http.get(
            f"/t/{tenant}/__mockmind/sessions", headers={"Authorization": f"Bearer {token}"}
        )
        return answer.status_code

    async def steps(http: httpx.AsyncClient) -> dict[tuple[str, str], int]:
        return {
            (tenant, token): await status(http, tenant, token)
            for tenant in ("alpha", "beta", "onboard")
            for token in ("alpha-token", "beta-token", "stack-token")
        }

    # From elsewhere than this machine: no loopback exemption for a tenant without a token.
    codes = run(front, steps, client="203.0.113.9")
    assert codes == {
        ("alpha", "alpha-token"): 200,
        ("alpha", "beta-token"): 401,
        ("alpha", "stack-token"): 401,
        ("beta", "alpha-token"): 401,
        ("beta", "beta-token"): 200,
        ("beta", "stack-token"): 401,
        ("onboard", "alpha-token"): 403,
        ("onboard", "beta-token"): 403,
        ("onboard", "stack-token"): 403,
    }


def test_a_session_id_of_one_tenant_finds_nothing_in_another(tenants_root: Path) -> None:
    front, _ = make_front(tenants_root)
    session = {"X-Session-ID": "shared-id"}

    async def steps(http: httpx.AsyncClient) -> dict[str, Any]:
        made = await http.post("/t/alpha/follows", json={"user_id": "u1"}, headers=session)
        assert made.status_code == 201
        return {
            "beta admin": (await http.get("/t/beta/__mockmind/sessions/shared-id")).status_code,
            "alpha admin": (await http.get("/t/alpha/__mockmind/sessions/shared-id")).status_code,
            "alpha": (await http.get("/t/alpha/follows", headers=session)).json(),
            "beta": (await http.get("/t/beta/follows", headers=session)).json(),
        }

    seen = run(front, steps)
    assert seen["beta admin"] == 404
    assert seen["alpha admin"] == 200
    assert [follow["user_id"] for follow in seen["alpha"]] == ["u1"]
    assert seen["beta"] == []


def test_a_hand_made_tenant_whose_config_breaks_is_a_503_naming_it(tenants_root: Path) -> None:
    (tenants_root / "broken").mkdir()
    (tenants_root / "broken" / "mockmind.yaml").write_text("storage: {backend: paper}\n")
    front, _ = make_front(tenants_root)

    async def steps(http: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response]:
        return await http.get("/t/broken/x"), await http.get("/t/alpha/users")

    broken, alpha = run(front, steps)
    assert broken.status_code == 503
    assert broken.headers["content-type"] == "application/problem+json"
    assert broken.json()["tenant"] == "broken"
    assert broken.json()["detail"].startswith(
        "tenant 'broken' cannot be served: its config does not load ("
    )
    assert "storage.backend" in broken.json()["detail"]
    assert alpha.status_code == 200
