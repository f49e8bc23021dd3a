"""The operator's tenant routes on the front (in process): list, push and delete tenants with
the stack's admin token, refused with a tenant's; a pushed tenant answers on its next request;
a broken push is a 422 naming its file and line, and writes nothing."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx

from mockmind.adapters.files import FolderBlobStore
from mockmind.app.environment import Environment
from mockmind.app.tenant_admin_models import MAX_PUSH_BYTES
from mockmind.app.tenant_front import TenantFront, tenant_front
from mockmind.config.models import TenantsConfig
from mockmind.tenants.catalog import TenantCatalog
from tests.support.in_process import run_steps as run
from tests.support.paths import EXAMPLES
from tests.support.tenant_races import Interleaved

STACK = {"X-Mockmind-Admin-Token": "stack-secret"}
TENANT = {"X-Mockmind-Admin-Token": "alpha-secret"}
SOCIAL = {
    name: (EXAMPLES / "social" / name).read_text() for name in ("mockmind.yaml", "openapi.yaml")
}


def make_front(root: Path, **variables: str) -> TenantFront:
    env = Environment.from_mapping(
        {
            "MOCKMIND_LLM_PROVIDER": "offline",
            "MOCKMIND_ADMIN_TOKEN": "stack-secret",
            "MOCKMIND_ADMIN_TOKEN_ALPHA": "alpha-secret",
            **variables,
        }
    )
    return tenant_front(TenantsConfig(catalog=str(root), refresh_seconds=3600), env)


def test_the_stack_token_lists_pushes_and_deletes_a_tenant(tenants_root: Path) -> None:
    front = make_front(tenants_root)

    async def steps(http: httpx.AsyncClient) -> list[httpx.Response]:
        before = await http.get("/t/fresh/users")
        created = await http.put("/__mockmind/tenants/fresh", json={"files": SOCIAL}, headers=STACK)
        users = await http.get("/t/fresh/users")
        listed = await http.get("/__mockmind/tenants", headers=STACK)
        changed = dict(SOCIAL)
        changed["mockmind.yaml"] = changed["mockmind.yaml"].replace("seed: 6", "seed: 2")
        replaced = await http.put(
            "/__mockmind/tenants/fresh", json={"files": changed}, headers=STACK
        )
        fewer = await http.get("/t/fresh/users")
        deleted = await http.delete("/__mockmind/tenants/fresh", headers=STACK)
        gone = await http.get("/t/fresh/users")
        again = await http.delete("/__mockmind/tenants/fresh", headers=STACK)
        return [before, created, users, listed, replaced, fewer, deleted, gone, again]

    before, created, users, listed, replaced, fewer, deleted, gone, again = run(front, steps)
    assert before.status_code == 404
    assert created.status_code == 201
    stored = created.json()
    assert stored["tenant"] == "fresh"
    assert stored["created"] is True
    assert stored["files"] == ["mockmind.yaml", "openapi.yaml"]
    assert users.status_code == 200
    assert len(users.json()) == 6
    rows = {row["name"]: row for row in listed.json()["tenants"]}
    assert sorted(rows) == ["alpha", "beta", "fresh", "onboard"]
    assert rows["fresh"] == {
        "name": "fresh",
        "version": stored["version"],
        "built": True,
        "built_version": stored["version"],
    }
    assert rows["alpha"]["built"] is False
    assert rows["alpha"]["built_version"] is None
    assert replaced.status_code == 200
    assert replaced.json()["created"] is False
    assert replaced.json()["version"] != stored["version"]
    # This instance stored it: the next request sees it without waiting the hour.
    assert len(fewer.json()) == 2
    assert deleted.status_code == 200
    assert deleted.json() == {"tenant": "fresh", "deleted": True}
    assert gone.status_code == 404
    assert again.status_code == 404
    assert again.json()["detail"] == "no tenant named 'fresh'"
    assert not (tenants_root / "fresh").exists()


def test_a_tenants_token_never_reaches_the_operator_routes(tenants_root: Path) -> None:
    front = make_front(tenants_root)

    async def steps(http: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await http.get("/__mockmind/tenants", headers=TENANT),
            await http.put("/__mockmind/tenants/alpha", json={"files": SOCIAL}, headers=TENANT),
            await http.delete("/__mockmind/tenants/alpha", headers=TENANT),
            await http.get("/__mockmind/tenants"),
            # Its own admin routes are under its path, and take its token.
            await http.get("/t/alpha/__mockmind/stats", headers=TENANT),
        ]

    *refused, missing, own = run(front, steps)
    for answer in refused:
        assert answer.status_code == 401
        assert answer.json()["detail"] == "the admin token sent is not this server's"
    assert missing.status_code == 401
    assert own.status_code == 200
    assert (tenants_root / "alpha" / "mockmind.yaml").is_file()


def test_with_no_stack_token_only_this_machine_reaches_them(tenants_root: Path) -> None:
    env = Environment.from_mapping({"MOCKMIND_LLM_PROVIDER": "offline"})
    front = tenant_front(TenantsConfig(catalog=str(tenants_root)), env)

    async def steps(http: httpx.AsyncClient) -> int:
        return (await http.get("/__mockmind/tenants")).status_code

    assert run(front, steps) == 200
    assert run(front, steps, client="192.0.2.7") == 403


def test_a_broken_config_is_a_422_naming_its_file_and_line_and_nothing_is_written(
    tenants_root: Path,
) -> None:
    front = make_front(tenants_root)
    broken = {**SOCIAL, "mockmind.yaml": "storage:\n  backend: paper\n"}

    async def steps(http: httpx.AsyncClient) -> httpx.Response:
        return await http.put("/__mockmind/tenants/fresh", json={"files": broken}, headers=STACK)

    answer = run(front, steps)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    message = "Input should be 'memory', 'sqlite' or 'aws' (got 'paper')"
    assert answer.json() == {
        "status": 422,
        "title": "Unprocessable Entity",
        "detail": "tenant 'fresh' not stored: 1 problem in its config; the first: "
        f"mockmind.yaml:2:12: storage.backend: {message}",
        "errors": [
            {
                "file": "mockmind.yaml",
                "line": 2,
                "column": 12,
                "path": "storage.backend",
                "message": message,
            }
        ],
        "tenant": "fresh",
    }
    assert not (tenants_root / "fresh").exists()


def test_bad_pushes_are_refused_with_what_is_wrong(tenants_root: Path) -> None:
    front = make_front(tenants_root)
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("/__mockmind/tenants/Bad_Name", {"json": {"files": SOCIAL}}, 400, "invalid tenant name"),
        ("/__mockmind/tenants/fresh", {"content": b"not json"}, 400, "the body is not JSON"),
        ("/__mockmind/tenants/fresh", {"json": {"files": {}}}, 400, "body.files"),
        ("/__mockmind/tenants/fresh", {"json": {"file": SOCIAL}}, 400, "body.file"),
        (
            "/__mockmind/tenants/fresh",
            {"json": {"files": {**SOCIAL, "a.bin": {"base64": "%%"}}}},
            400,
            "body.files.a.bin",
        ),
        (
            "/__mockmind/tenants/fresh",
            {"content": b" " * (MAX_PUSH_BYTES + 1)},
            413,
            f"the limit is {MAX_PUSH_BYTES} bytes",
        ),
        (
            "/__mockmind/tenants/fresh",
            {"json": {"files": {**SOCIAL, "../up.yaml": "a: 1"}}},
            422,
            "'../up.yaml' is not a path inside the tenant's folder",
        ),
    ]

    async def steps(http: httpx.AsyncClient) -> list[httpx.Response]:
        return [await http.put(path, headers=STACK, **kwargs) for path, kwargs, _, _ in cases]

    for (path, _, status, words), answer in zip(cases, run(front, steps), strict=True):
        assert answer.status_code == status, (path, answer.text)
        assert words in answer.json()["detail"], answer.json()
    assert not (tenants_root / "fresh").exists()


def test_a_binary_file_travels_in_base64(tenants_root: Path) -> None:
    front = make_front(tenants_root)
    logo = bytes(range(256))
    files: dict[str, Any] = {
        **SOCIAL,
        "assets/logo.bin": {"base64": base64.b64encode(logo).decode()},
    }
    encoded = base64.b64encode(logo).decode()
    files: dict[str, Any] = {**SOCIAL, "assets/logo.bin": {"base64": encoded}}

    async def steps(http: httpx.AsyncClient) -> httpx.Response:
        return await http.put("/__mockmind/tenants/fresh", json={"files": files}, headers=STACK)

    answer = run(front, steps)
    assert answer.status_code == 201
    assert answer.json()["files"] == ["assets/logo.bin", "mockmind.yaml", "openapi.yaml"]
    assert (tenants_root / "fresh" / "assets" / "logo.bin").read_bytes() == logo


def test_the_operator_routes_are_in_their_document(tenants_root: Path) -> None:
    front = make_front(tenants_root)

    async def steps(http: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await http.get("/__mockmind/openapi.json"),
            await http.get("/__mockmind/health"),
            await http.get("/__mockmind/nothing", headers=STACK),
            await http.post("/__mockmind/tenants/alpha", headers=STACK),
        ]

    document, health, nothing, wrong_method = run(front, steps)
    paths = document.json()["paths"]
    assert sorted(paths) == [
        "/__mockmind/health",
        "/__mockmind/tenants",
        "/__mockmind/tenants/{name}",
    ]
    assert sorted(paths["/__mockmind/tenants/{name}"]) == ["delete", "put"]
    put = paths["/__mockmind/tenants/{name}"]["put"]
    assert sorted(put["responses"]) == ["200", "201", "400", "401", "403", "409", "413", "422"]
    assert "files" in put["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert health.json() == {"status": "ok", "tenants": 0}
    assert nothing.status_code == 404
    assert nothing.json()["detail"] == "no admin route /__mockmind/nothing"
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "DELETE, PUT"


def test_a_cold_load_during_a_push_is_a_503_to_try_again(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    racing = Interleaved(FolderBlobStore(root), "mockmind.yaml")
    catalog = TenantCatalog(
        racing,
        env={"MOCKMIND_LLM_PROVIDER": "offline"},
        local_root=root,
        clock=lambda: 1796282588.0,  # 2026-12-03 07:23:08 UTC
    )
    front = tenant_front(
        TenantsConfig(catalog=str(root)),
        Environment.from_mapping({"MOCKMIND_LLM_PROVIDER": "offline"}),
        catalog=catalog,
    )
    root.mkdir()
    (root / "fresh").mkdir()
    (root / "fresh" / "mockmind.yaml").write_text(SOCIAL["mockmind.yaml"])
    (root / "fresh" / "openapi.yaml").write_text(SOCIAL["openapi.yaml"])
    seen: list[httpx.Response] = []

    async def steps(http: httpx.AsyncClient) -> httpx.Response:
        return await http.get("/t/fresh/users")

    racing.during = lambda: seen.append(run(front, steps))
    catalog.store("fresh", {name: body.encode() for name, body in SOCIAL.items()})
    (answer,) = seen
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "1"
    assert answer.json()["detail"] == (
        "tenant 'fresh' is being stored by another push (since 07:23:08 UTC): try again"
    )
    assert run(front, steps).status_code == 200
