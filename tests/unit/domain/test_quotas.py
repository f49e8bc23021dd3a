"""The day's quotas (domain/quotas.py): the decisions from the day's totals, the day boundary
by the clock, and the engine refusing or answering offline past them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import pytest

from mockmind.adapters.memory import MemoryStatsCounter
from mockmind.app.bootstrap import Container, build
from mockmind.config import load_config, parse_config
from mockmind.domain.content import LlmContent
from mockmind.domain.costs import CostTracker, Price, PriceTable
from mockmind.domain.engine import MockEngine
from mockmind.domain.errors import ConfigError
from mockmind.domain.http import MockRequest, MockResponse
from mockmind.domain.quotas import (
    Admission,
    QuotaLimits,
    Quotas,
    day_of,
    decide,
    report,
    seconds_to_midnight,
)
from mockmind.domain.stats import RequestStats
from mockmind.ports.llm import ChatRequest, ChatResult
from tests.support.clock import ManualClock
from tests.support.paths import EXAMPLES

# 2026-12-03 00:00 UTC, day 20,790 since the epoch.
MIDNIGHT = 1_796_256_000.0
DAY = 20_790
# A second before the next midnight.
LAST_SECOND = MIDNIGHT + 86_399


def test_days_and_the_wait_to_midnight_follow_utc() -> None:
    assert day_of(MIDNIGHT) == DAY
    assert day_of(MIDNIGHT - 0.001) == DAY - 1
    assert day_of(LAST_SECOND + 0.999) == DAY
    assert seconds_to_midnight(MIDNIGHT) == 86_400
    assert seconds_to_midnight(MIDNIGHT + 7 * 3600 + 0.5) == 61_200  # 16 h 59 min 59.5 s
    assert seconds_to_midnight(LAST_SECOND + 0.9) == 1  # never 0: that would say "now"


def test_requests_up_to_the_limit_pass_with_what_is_left() -> None:
    limits = QuotaLimits(requests_per_day=3)
    at = MIDNIGHT + 22 * 3600  # 22:00: two hours to midnight
    admitted = decide(limits, {"requests": 3}, at)
    assert admitted == Admission(
        DAY,
        headers={
            "RateLimit-Policy": '"requests-per-day";q=3;w=86400',
            "RateLimit": '"requests-per-day";r=0;t=7200',
        },
    )
    assert decide(limits, {"requests": 1}, at).headers["RateLimit"] == (
        '"requests-per-day";r=2;t=7200'
    )


def test_the_request_past_the_limit_is_refused_until_midnight() -> None:
    at = MIDNIGHT + 22 * 3600
    admission = decide(QuotaLimits(requests_per_day=3), {"requests": 4}, at)
    refused = admission.refused
    assert refused is not None
    assert admission.llm_barred is None
    assert refused.status == 429
    assert refused.headers == {
        "RateLimit-Policy": '"requests-per-day";q=3;w=86400',
        "RateLimit": '"requests-per-day";r=0;t=7200',
        "Retry-After": "7200",
    }
    assert refused.body() == {
        "status": 429,
        "title": "Too Many Requests",
        "detail": "the day's quota of 3 requests is used up (quotas.requests_per_day); "
        "it renews at 00:00 UTC",
        "quota": "requests_per_day",
        "limit": 3,
        "resets_at": "2026-12-04T00:00:00Z",
    }


def test_a_spent_budget_bars_the_model_or_refuses_as_configured() -> None:
    offline = QuotaLimits(llm_budget_usd_per_day=0.00005)
    at = MIDNIGHT + 60
    # 49,999 nano-dollars spent: one short of the budget.
    assert decide(offline, {"cost_nano_usd": 49_999}, at) == Admission(DAY)
    barred = decide(offline, {"cost_nano_usd": 50_000}, at)
    assert barred.refused is None
    assert barred.llm_barred == (
        "llm-budget: the day's LLM budget of $0.00005 is spent "
        "(quotas.llm_budget_usd_per_day); the offline generator answers until 00:00 UTC"
    )
    refusing = QuotaLimits(llm_budget_usd_per_day=0.00005, past_llm_budget="refuse")
    refused = decide(refusing, {"cost_nano_usd": 72_000}, at).refused
    assert refused is not None
    assert refused.headers == {"Retry-After": "86340"}
    assert refused.body()["quota"] == "llm_budget_usd_per_day"
    assert refused.body()["limit"] == 0.00005
    assert refused.detail == (
        "the day's LLM budget of $0.00005 is spent (quotas.llm_budget_usd_per_day); "
        "it renews at 00:00 UTC"
    )


def test_the_report_shows_use_up_to_each_limit_and_the_refused_past_it() -> None:
    limits = QuotaLimits(requests_per_day=3, llm_budget_usd_per_day=0.5)
    shown = report(limits, {"requests": 5, "cost_nano_usd": 123_456_789}, MIDNIGHT + 5)
    assert shown.day == "2026-12-03"
    assert shown.resets_at == "2026-12-04T00:00:00Z"
    requests, budget = shown.quotas
    assert (requests.name, requests.limit, requests.used, requests.refused) == (
        "requests_per_day",
        3,
        3,
        2,
    )
    assert (requests.used_up, requests.past_limit) == (True, "refuse")
    assert (budget.name, budget.limit, budget.used, budget.used_up, budget.refused) == (
        "llm_budget_usd_per_day",
        0.5,
        0.123456789,
        False,
        None,
    )
    assert report(limits, {}, MIDNIGHT).quotas[0].used == 0


def test_the_count_starts_again_at_utc_midnight() -> None:
    quotas = Quotas(QuotaLimits(requests_per_day=2), MemoryStatsCounter(), model=False)
    assert quotas.admit(LAST_SECOND - 1).refused is None
    assert quotas.admit(LAST_SECOND).refused is None
    late = quotas.admit(LAST_SECOND + 0.5).refused
    assert late is not None
    assert late.headers["Retry-After"] == "1"
    assert quotas.admit(LAST_SECOND + 1).refused is None  # 00:00:00 the next day
    assert quotas.today(LAST_SECOND + 1).quotas[0].used == 1
    assert quotas.today(LAST_SECOND).quotas[0].refused == 1


def test_spending_is_added_to_the_day_the_request_came_in() -> None:
    counter = MemoryStatsCounter()
    quotas = Quotas(QuotaLimits(llm_budget_usd_per_day=1.0), counter, model=True)
    quotas.spent(DAY, 0.25)
    quotas.spent(DAY, 0.0)  # nothing spent, nothing written
    quotas.spent(DAY + 1, 0.5)
    assert counter.read_day(DAY, now=MIDNIGHT) == {"cost_nano_usd": 250_000_000}
    assert counter.read_day(DAY + 1, now=MIDNIGHT) == {"cost_nano_usd": 500_000_000}


class RecordingCounter(MemoryStatsCounter):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def add_to_day(
        self, day: int, counts: Mapping[str, int], *, expires_at: float
    ) -> dict[str, int]:
        self.calls.append(f"add {dict(counts)}")
        return super().add_to_day(day, counts, expires_at=expires_at)

    def read_day(self, day: int, *, now: float) -> dict[str, int]:
        self.calls.append("read")
        return super().read_day(day, now=now)


def test_a_budget_without_a_model_reads_nothing_and_a_request_limit_writes_once() -> None:
    offline = RecordingCounter()
    Quotas(QuotaLimits(llm_budget_usd_per_day=1.0), offline, model=False).admit(MIDNIGHT)
    assert offline.calls == []
    budget_only = RecordingCounter()
    Quotas(QuotaLimits(llm_budget_usd_per_day=1.0), budget_only, model=True).admit(MIDNIGHT)
    assert budget_only.calls == ["read"]
    both = RecordingCounter()
    limits = QuotaLimits(requests_per_day=5, llm_budget_usd_per_day=1.0)
    Quotas(limits, both, model=True).admit(MIDNIGHT)
    assert both.calls == ["add {'requests': 1}"]


class BrokenCounter(MemoryStatsCounter):
    def add_to_day(
        self, day: int, counts: Mapping[str, int], *, expires_at: float
    ) -> dict[str, int]:
        raise OSError("the disk is full")


def test_a_failing_counter_admits_the_request(caplog: pytest.LogCaptureFixture) -> None:
    quotas = Quotas(QuotaLimits(requests_per_day=1), BrokenCounter(), model=False)
    assert quotas.admit(MIDNIGHT) == Admission(DAY)
    assert "quotas not checked" in caplog.text


# The engine, with the shop's config and the quotas added to it.


def shop(clock: ManualClock, quotas: str) -> Container:
    path = EXAMPLES / "shop" / "mockmind.yaml"
    text = path.read_text() + f"\nquotas: {quotas}\n"
    return build(parse_config(text, source=path, env={}), env={}, clock=clock)


def send(app: Container, method: str, path: str, session: str, body: Any = None) -> MockResponse:
    request = MockRequest(
        method=method,
        path=path,
        headers={"content-type": "application/json"},
        cookies={"mockforge_session": session},
        body=b"" if body is None else json.dumps(body).encode(),
    )
    return asyncio.run(app.engine.handle(request)).response


def test_no_quotas_configured_means_no_quotas_in_the_engine() -> None:
    app = build(load_config(EXAMPLES / "shop" / "mockmind.yaml", env={}), env={})
    assert app.engine.quotas is None
    assert app.config.quotas.requests_per_day is None


def test_the_engine_refuses_past_the_days_requests_and_opens_no_session() -> None:
    clock = ManualClock(MIDNIGHT + 23 * 3600)
    app = shop(clock, "{requests_per_day: 2}")
    first = send(app, "GET", "/products", "q-1")
    assert (first.status, first.source) == (200, "store")
    assert first.headers["RateLimit"] == '"requests-per-day";r=1;t=3600'
    assert send(app, "GET", "/products", "q-1").headers["RateLimit"] == (
        '"requests-per-day";r=0;t=3600'
    )
    refused = send(app, "GET", "/products", "q-2")
    assert (refused.status, refused.source) == (429, "quota")
    assert refused.media_type == "application/problem+json"
    assert refused.headers["Retry-After"] == "3600"
    assert refused.body["quota"] == "requests_per_day"
    assert app.sessions.get("q-2", now=clock.now()) is None
    assert app.engine.stats is not None
    (hour,) = app.engine.stats.last_hours(clock.now(), 1).hours
    assert (hour.requests, hour.errors_by_source) == (3, {"quota": 1})
    clock.t = MIDNIGHT + 86_400  # the next day
    assert send(app, "GET", "/products", "q-2").status == 200


class Model:
    name = "fake"
    model = "gpt-4o-mini"

    def __init__(self) -> None:
        self.asked = 0

    async def complete(self, request: ChatRequest, *, deadline: float | None = None) -> ChatResult:
        self.asked += 1
        return ChatResult(
            '{"orders_today": 1, "revenue_today": 2.5, "active_carts": 3}',
            "openai",
            "gpt-4o-mini",
            1000,
            500,
        )


def with_model(app: Container, clock: ManualClock, model: Model) -> None:
    """The app's engine over ``model``, priced at $0.001/1k prompt and $0.002/1k completion
    tokens: $0.002 a call."""
    old = app.engine
    costs = CostTracker(PriceTable({"gpt-4o-mini": Price(0.001, 0.002)}), clock)
    assert old.quotas is not None
    app.engine = MockEngine(
        api=old.api,
        generator=old.generator,
        sessions=app.sessions,
        cache=app.cache,
        clock=clock,
        settings=old.settings,
        world=old.world,
        llm=LlmContent(model, costs),
        stats=RequestStats(MemoryStatsCounter()),
        quotas=Quotas(old.quotas.limits, MemoryStatsCounter(), model=True),
    )


def test_past_the_llm_budget_the_offline_generator_answers_with_the_reason() -> None:
    clock = ManualClock(MIDNIGHT + 3600)
    app = shop(clock, "{llm_budget_usd_per_day: 0.003}")
    model = Model()
    with_model(app, clock, model)
    sources = []
    for n in range(3):
        session = f"b-{n}"
        send(app, "POST", "/login", session, {"username": "a", "password": "b"})
        sources.append(send(app, "GET", "/admin/stats", session))
    # $0.002, then $0.004: the third request finds the $0.003 budget spent.
    assert [r.source for r in sources] == ["llm", "llm", "fallback"]
    assert model.asked == 2
    assert sources[2].headers["X-Mockmind-Fallback-Reason"] == (
        "llm-budget: the day's LLM budget of $0.003 is spent (quotas.llm_budget_usd_per_day); "
        "the offline generator answers until 00:00 UTC"
    )
    assert sources[2].status == 200
    assert app.engine.quotas is not None
    (budget,) = app.engine.quotas.today(clock.now()).quotas
    assert (budget.used, budget.used_up) == (0.004, True)
    clock.t += 86_400  # a new day: the model answers again
    send(app, "POST", "/login", "b-9", {"username": "a", "password": "b"})
    assert send(app, "GET", "/admin/stats", "b-9").source == "llm"


def test_past_the_llm_budget_with_refuse_every_request_is_429() -> None:
    clock = ManualClock(MIDNIGHT + 3600)
    app = shop(clock, "{llm_budget_usd_per_day: 0.002, past_llm_budget: refuse}")
    with_model(app, clock, Model())
    send(app, "POST", "/login", "r-1", {"username": "a", "password": "b"})
    assert send(app, "GET", "/admin/stats", "r-1").source == "llm"
    refused = send(app, "GET", "/products", "r-1")
    assert (refused.status, refused.source) == (429, "quota")
    assert refused.body["quota"] == "llm_budget_usd_per_day"
    assert refused.headers == {"Retry-After": str(86_400 - 3600)}


def test_quotas_with_the_stats_off_are_refused_naming_the_key() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("stats: {enabled: false}\nquotas: {requests_per_day: 10}\n", env={})
    (issue,) = caught.value.issues
    assert issue.path == "quotas"
    assert "set stats.enabled: true, or remove the quotas" in issue.message
