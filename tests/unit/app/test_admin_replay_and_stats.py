"""The replay and stats admin routes over ASGI, on apps built here: exact counts from a fresh
app, problem documents for what is off or wrong."""

from __future__ import annotations

from typing import Any

from mockmind.app.api import MockmindApp, create_app
from mockmind.app.bootstrap import build
from mockmind.config import parse_config
from tests.support.in_process import send
from tests.support.paths import EXAMPLES

SHOP = EXAMPLES / "shop" / "mockmind.yaml"
COOKIE = {"cookie": "mockforge_session=admin-routes"}


def shop(extra: str = "") -> MockmindApp:
    env = {"MOCKMIND_LLM_PROVIDER": "offline"}
    text = SHOP.read_text() + "\n" + extra + "\n"
    return create_app(build(parse_config(text, source=SHOP, env=env), env=env))


def problem(app: MockmindApp, method: str, path: str, status: int, **kwargs: Any) -> str:
    answer = send(app, method, path, **kwargs)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    detail: str = answer.json()["detail"]
    return detail


def test_a_fresh_app_counts_three_requests_and_one_cache_hit() -> None:
    app = shop()
    login = send(app, "POST", "/login", json={"username": "a", "password": "b"}, headers=COOKIE)
    assert login.status_code == 200
    assert (
        send(app, "GET", "/admin/stats", headers=COOKIE).headers["x-mockmind-source"] == "offline"
    )
    assert send(app, "GET", "/admin/stats", headers=COOKIE).headers["x-mockmind-source"] == "cache"

    answer = send(app, "GET", "/__mockmind/stats", params={"hours": 1})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    (hour,) = body["hours"]
    expected = {
        "requests": 3,
        "cache_hits": 1,
        "cache_hit_rate": 1 / 3,
        "llm_calls": 0,
        "tokens": 0,
        "cost_usd": 0.0,
        "fallbacks": 0,
        "errors": 0,
        "errors_by_source": {},
        "requests_by_source": {"cache": 1, "offline": 1, "rule": 1},
    }
    assert {k: v for k, v in hour.items() if k != "hour"} == expected
    assert body["totals"] == expected
    # The admin routes themselves are not counted.
    again = send(app, "GET", "/__mockmind/stats").json()
    assert again["totals"]["requests"] == 3
    assert len(again["hours"]) == 24


def test_stats_off_is_a_404_problem() -> None:
    app = shop("stats: {enabled: false}")
    detail = problem(app, "GET", "/__mockmind/stats", 404)
    assert detail == "stats are off (stats.enabled: false)"


def test_a_replay_without_a_body_uses_the_default_ignore_list() -> None:
    app = shop()
    send(app, "GET", "/products", headers=COOKIE)
    answer = send(app, "POST", "/__mockmind/sessions/admin-routes/replay")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["ignored"] == ["$..paid_at"]
    assert report["summary"] == {"steps": 1, "same": 1, "differ": 0}
    assert report["steps"][0]["notes"] == []


def test_a_replay_with_the_journal_off_is_a_404_problem() -> None:
    app = shop("journal: {enabled: false}")
    send(app, "GET", "/products", headers=COOKIE)
    detail = problem(app, "POST", "/__mockmind/sessions/admin-routes/replay", 404, json={})
    assert detail == "the journal is off (journal.enabled: false)"


def test_a_path_to_ignore_that_is_not_one_is_a_400_problem_naming_it() -> None:
    app = shop()
    send(app, "GET", "/products", headers=COOKIE)
    answer = send(
        app, "POST", "/__mockmind/sessions/admin-routes/replay", json={"ignore": ["$.ok", "id"]}
    )
    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert error["location"] == "body.ignore.1"


def test_stats_show_todays_quotas_and_the_admin_document_describes_them() -> None:
    app = shop("quotas: {requests_per_day: 1, llm_budget_usd_per_day: 0.25}")
    assert send(app, "GET", "/products").status_code == 200
    refused = send(app, "GET", "/products")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 86_400
    for _ in range(2):  # admin routes are not counted
        answer = send(app, "GET", "/__mockmind/stats", params={"hours": 1})
        assert answer.status_code == 200, answer.text
    quotas = answer.json()["quotas"]
    assert quotas["requests_per_day"] == {
        "limit": 1,
        "used": 1,
        "refused": 1,
        "used_up": True,
        "past_limit": "refuse",
    }
    # Offline: nothing spent, nothing read for the budget, and its limit shown all the same.
    assert quotas["llm_budget_usd_per_day"] == {
        "limit": 0.25,
        "used": 0.0,
        "used_up": False,
        "past_limit": "offline",
    }
    assert answer.json()["hours"][0]["errors_by_source"] == {"quota": 1}
    document = send(app, "GET", "/__mockmind/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert set(schemas["QuotasView"]["properties"]) == {
        "day",
        "resets_at",
        "requests_per_day",
        "llm_budget_usd_per_day",
    }
    assert set(schemas["RequestQuota"]["required"]) == {
        "limit",
        "used",
        "refused",
        "used_up",
        "past_limit",
    }


def test_no_quotas_is_null_in_the_stats() -> None:
    answer = send(shop(), "GET", "/__mockmind/stats", params={"hours": 1})
    assert answer.json()["quotas"] is None


def test_no_prompt_variants_is_null_in_the_stats() -> None:
    answer = send(shop(), "GET", "/__mockmind/stats", params={"hours": 1})
    assert answer.json()["prompt_variants"] is None
