"""Quotas over HTTP (``quotas:``): past the day's requests a 429 naming the quota, with
Retry-After and RateLimit headers; past the day's LLM budget the offline generator, with the
reason in the header and the journal; both shown by ``GET /__mockmind/stats`` and
``mockmind stats``. Local servers only: the deployed shop has no quotas."""

from __future__ import annotations

import datetime
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.admin import admin_headers
from tests.support.admin_cli import mockmind
from tests.support.fake_provider import FakeProvider
from tests.support.mockmind_server import start_server, stop_server
from tests.support.paths import EXAMPLES

SHOP = EXAMPLES / "shop"
ADMIN = "/__mockmind"
REQUESTS_PER_DAY = 3
# The fake model answers each call with 120 prompt and 30 completion tokens of gpt-4o-mini
# ($0.00015 and $0.0006 a thousand): $0.000036 a call. Two calls pass $0.00005.
BUDGET = 0.00005
CALL_NANO_USD = 36_000


def _shop_with(tmp: Path, quotas: str, env: dict[str, str]) -> Iterator[str]:
    if os.environ.get("MOCKMIND_URL"):
        pytest.skip("the quotas are a config's; this runs a local server with its own")
    text = (SHOP / "mockmind.yaml").read_text()
    text = text.replace("openapi: openapi.yaml", f"openapi: {SHOP / 'openapi.yaml'}")
    config = tmp / "mockmind.yaml"
    config.write_text(text + f"\nquotas: {quotas}\n")
    process, url = start_server(config, env)
    try:
        yield url
    finally:
        stop_server(process)


@pytest.fixture(scope="module")
def limited_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _shop_with(
        tmp_path_factory.mktemp("limited"),
        f"{{requests_per_day: {REQUESTS_PER_DAY}}}",
        {"MOCKMIND_LLM_PROVIDER": "offline"},
    )


@pytest.fixture(scope="module")
def budgeted_url(tmp_path_factory: pytest.TempPathFactory, fake_llm: FakeProvider) -> Iterator[str]:
    yield from _shop_with(
        tmp_path_factory.mktemp("budgeted"),
        f"{{llm_budget_usd_per_day: {BUDGET}}}",
        {"MOCKMIND_LLM_PROVIDER": "openai_compatible", "MOCKMIND_LLM_ENDPOINT": fake_llm.url},
    )


def quotas(client: httpx.Client) -> dict[str, Any]:
    answer = client.get(f"{ADMIN}/stats", params={"hours": 1}, headers=admin_headers())
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()["quotas"]
    return found


def test_past_the_days_requests_a_429_names_the_quota_until_midnight(limited_url: str) -> None:
    with httpx.Client(base_url=limited_url) as client:
        # Admin routes are not counted: reading the stats first leaves every request to the mock.
        assert quotas(client)["requests_per_day"]["used"] == 0
        remaining = []
        for _ in range(REQUESTS_PER_DAY):
            answer = client.get("/products", params={"limit": 1})
            assert answer.status_code == 200, answer.text
            assert answer.headers["ratelimit-policy"] == '"requests-per-day";q=3;w=86400'
            remaining.append(answer.headers["ratelimit"].split(";")[1])
        assert remaining == ["r=2", "r=1", "r=0"]

        before = time.time()
        refused = client.get("/products", params={"limit": 1})
        after = time.time()

        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["x-mockmind-source"] == "quota"
        problem = refused.json()
        midnight = (math.floor(after / 86_400) + 1) * 86_400
        # The seconds to the next UTC midnight from when the server counted the request.
        wait = int(refused.headers["retry-after"])
        assert math.ceil(midnight - after) <= wait <= math.ceil(midnight - before)
        assert problem["resets_at"] == f"{_iso_day(midnight)}T00:00:00Z"
        assert {k: problem[k] for k in ("status", "title", "quota", "limit")} == {
            "status": 429,
            "title": "Too Many Requests",
            "quota": "requests_per_day",
            "limit": REQUESTS_PER_DAY,
        }
        assert problem["detail"] == (
            "the day's quota of 3 requests is used up (quotas.requests_per_day); "
            "it renews at 00:00 UTC"
        )
        assert refused.headers["ratelimit"].startswith('"requests-per-day";r=0;t=')
        assert client.get(f"{ADMIN}/health").status_code == 200  # admin: still served

        shown = quotas(client)
        assert shown["requests_per_day"] == {
            "limit": 3,
            "used": 3,
            "refused": 1,
            "used_up": True,
            "past_limit": "refuse",
        }
        assert shown["llm_budget_usd_per_day"] is None
        printed = mockmind(limited_url, "stats", "--hours", "1")
        assert printed.exit_code == 0, printed.output
        row = [line.split() for line in printed.stdout.splitlines() if "requests per day" in line]
        assert row == [["requests", "per", "day", "3", "3", "429", "(1", "refused)"]]


def test_past_the_llm_budget_the_offline_generator_answers_and_says_why(
    budgeted_url: str,
) -> None:
    sources = []
    sessions = []
    for n in range(3):
        with httpx.Client(base_url=budgeted_url) as client:
            login = client.post("/login", json={"username": f"budget-{n}", "password": "pw"})
            assert login.status_code == 200, login.text
            answer = client.get("/admin/stats")
            assert answer.status_code == 200, answer.text
            sources.append(answer)
            sessions.append(client.cookies["mockforge_session"])
    # Two calls spend $0.000072: the third request finds the $0.00005 budget spent.
    assert [a.headers["x-mockmind-source"] for a in sources] == ["llm", "llm", "fallback"]
    reason = (
        "llm-budget: the day's LLM budget of $0.00005 is spent (quotas.llm_budget_usd_per_day); "
        "the offline generator answers until 00:00 UTC"
    )
    assert sources[2].headers["x-mockmind-fallback-reason"] == reason
    assert "ratelimit" not in sources[2].headers  # no requests quota configured

    with httpx.Client(base_url=budgeted_url, headers=admin_headers()) as admin:
        journal = admin.get(f"{ADMIN}/sessions/{sessions[2]}/journal")
        assert journal.status_code == 200, journal.text
        last = journal.json()["events"][-1]
        assert (last["request"]["path"], last["source"], last["fallback_reason"]) == (
            "/admin/stats",
            "fallback",
            reason,
        )
        shown = quotas(admin)
    assert shown["requests_per_day"] is None
    assert shown["llm_budget_usd_per_day"] == {
        "limit": BUDGET,
        "used": 2 * CALL_NANO_USD / 1e9,
        "used_up": True,
        "past_limit": "offline",
    }


def _iso_day(at: float) -> str:
    return datetime.datetime.fromtimestamp(at, datetime.UTC).strftime("%Y-%m-%d")
