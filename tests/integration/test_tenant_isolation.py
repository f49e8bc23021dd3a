"""Tenants on one DynamoDB table (moto): each tenant's sessions, entities, cache, journal and
stats under its own key prefix, none visible from another tenant or from the single API."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockmind.adapters.aws import DynamoResponseCache, DynamoSessionStore, DynamoTable
from mockmind.adapters.aws.provisioning import create_table
from mockmind.app.environment import Environment
from mockmind.app.tenant_front import tenant_front
from mockmind.config.models import TenantsConfig
from mockmind.domain.session_listing import SessionQuery
from mockmind.domain.sessions import Session
from mockmind.ports import CachedResponse
from tests.support.aws import aws_client, unique_name
from tests.unit.tenants.conftest import tenant_folder


@pytest.fixture
def client(moto_endpoint: str) -> Any:
    return aws_client("dynamodb", moto_endpoint)


@pytest.fixture
def table_name(client: Any) -> Iterator[str]:
    name = unique_name("tenants")
    create_table(client, name)
    yield name
    client.delete_table(TableName=name)


def _all_keys(client: Any, table: str) -> list[str]:
    keys: list[str] = []
    extra: dict[str, Any] = {}
    while True:
        page = client.scan(TableName=table, ProjectionExpression="pk", **extra)
        keys += [item["pk"]["S"] for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return keys
        extra["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_two_tenants_on_one_table_share_nothing(
    tmp_path: Path, moto_endpoint: str, client: Any, table_name: str
) -> None:
    root = tmp_path / "tenants"
    tenant_folder(root, "alpha", "social")
    tenant_folder(root, "beta", "social")
    env = Environment.from_mapping(
        {
            **os.environ,
            "MOCKMIND_STORAGE": "aws",
            "MOCKMIND_TABLE": table_name,
            "AWS_ENDPOINT_URL": moto_endpoint,
            "MOCKMIND_LLM_PROVIDER": "offline",
        }
    )
    front = tenant_front(TenantsConfig(catalog=str(root)), env)
    session = {"X-Session-ID": "same-id"}

    async def steps(http: httpx.AsyncClient) -> dict[str, Any]:
        made = await http.post("/t/alpha/follows", json={"user_id": "u1"}, headers=session)
        assert made.status_code == 201
        await http.get("/t/alpha/users/u1", headers=session)
        return {
            "alpha follows": (await http.get("/t/alpha/follows", headers=session)).json(),
            "beta follows": (await http.get("/t/beta/follows", headers=session)).json(),
            "alpha journal": (
                await http.get("/t/alpha/__mockmind/sessions/same-id/journal")
            ).status_code,
            "beta sessions": (await http.get("/t/beta/__mockmind/sessions")).json(),
            "alpha sessions": (await http.get("/t/alpha/__mockmind/sessions")).json(),
            "alpha stats": (await http.get("/t/alpha/__mockmind/stats")).json(),
            "beta stats": (await http.get("/t/beta/__mockmind/stats")).json(),
        }

    async def go() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=front, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
            return await steps(http)

    seen = asyncio.run(go())
    assert [follow["user_id"] for follow in seen["alpha follows"]] == ["u1"]
    assert seen["beta follows"] == []
    assert seen["alpha journal"] == 200
    assert [s["id"] for s in seen["alpha sessions"]["sessions"]] == ["same-id"]
    # beta's one request made its own session of that id, which holds none of alpha's.
    assert [s["requests"] for s in seen["beta sessions"]["sessions"]] == [1]
    assert seen["alpha stats"]["totals"]["requests"] == 3
    assert seen["beta stats"]["totals"]["requests"] == 1
    keys = _all_keys(client, table_name)
    assert keys
    assert all(key.startswith(("TENANT#alpha#", "TENANT#beta#")) for key in keys), keys


def test_a_prefixed_table_reads_lists_and_purges_only_its_own(client: Any, table_name: str) -> None:
    alpha = DynamoTable(client, table_name, key_prefix="TENANT#alpha#")
    beta = DynamoTable(client, table_name, key_prefix="TENANT#beta#")
    single = DynamoTable(client, table_name)
    DynamoSessionStore(alpha).put(Session("s1", 1000.0, 1000.0, 5000.0), expected_version=None)
    for store in (beta, single):
        assert DynamoSessionStore(store).get("s1", now=1001.0) is None
        page = DynamoSessionStore(store).list(SessionQuery(limit=10), now=1001.0)
        assert page.sessions == ()
    listed = DynamoSessionStore(alpha).list(SessionQuery(limit=10), now=1001.0)
    assert [summary.id for summary in listed.sessions] == ["s1"]
    # The same session id in beta is a session of its own.
    DynamoSessionStore(beta).put(Session("s1", 1000.0, 1000.0, 5000.0), expected_version=None)
    caches = {name: DynamoResponseCache(t) for name, t in (("alpha", alpha), ("beta", beta))}
    for cache in caches.values():
        cache.put("k", CachedResponse(200, {"n": 1}), expires_at=1010.0)
    assert caches["alpha"].purge_expired(now=2000.0) == 1
    assert caches["beta"].get("k", now=1005.0) == CachedResponse(200, {"n": 1})
    assert caches["alpha"].get("k", now=1005.0) is None


def test_each_tenant_counts_its_own_daily_quota_on_one_table(
    tmp_path: Path, moto_endpoint: str, client: Any, table_name: str
) -> None:
    # Quotas live in the tenant's config, their day counters under its key prefix: alpha using
    # up its requests leaves beta's untouched, though both count in the same table.
    root = tmp_path / "tenants"
    for name in ("alpha", "beta"):
        folder = tenant_folder(root, name, "social")
        config = folder / "mockmind.yaml"
        config.write_text(config.read_text() + "\nquotas:\n  requests_per_day: 2\n")
    env = Environment.from_mapping(
        {
            **os.environ,
            "MOCKMIND_STORAGE": "aws",
            "MOCKMIND_TABLE": table_name,
            "AWS_ENDPOINT_URL": moto_endpoint,
            "MOCKMIND_LLM_PROVIDER": "offline",
        }
    )
    front = tenant_front(TenantsConfig(catalog=str(root)), env)

    async def go() -> tuple[list[int], list[int], dict[str, Any], dict[str, Any]]:
        transport = httpx.ASGITransport(app=front, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
            alpha = [(await http.get("/t/alpha/follows")).status_code for _ in range(3)]
            beta = [(await http.get("/t/beta/follows")).status_code for _ in range(2)]
            stats = [
                (await http.get(f"/t/{name}/__mockmind/stats")).json()["quotas"]
                for name in ("alpha", "beta")
            ]
            return alpha, beta, stats[0], stats[1]

    alpha, beta, alpha_quota, beta_quota = asyncio.run(go())
    assert alpha == [200, 200, 429]
    assert beta == [200, 200]
    assert alpha_quota["requests_per_day"]["used"] == 2
    assert alpha_quota["requests_per_day"]["refused"] == 1
    assert beta_quota["requests_per_day"]["used"] == 2
    assert beta_quota["requests_per_day"]["refused"] == 0
    keys = _all_keys(client, table_name)
    assert any(key == "TENANT#alpha#STATS#days" for key in keys), keys
    assert any(key == "TENANT#beta#STATS#days" for key in keys), keys
