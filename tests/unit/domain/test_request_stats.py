"""Request statistics per hour (domain/stats.py): what each answered request adds, read back
hour by hour, counted by the engine with what it spent on the model."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Mapping
from typing import Any

import pytest

from mockmind.adapters.memory import MemoryStatsCounter
from mockmind.app.bootstrap import Container, build
from mockmind.config import load_config, parse_config
from mockmind.domain.content import LlmContent
from mockmind.domain.costs import CostTracker, Price, PriceTable
from mockmind.domain.engine import MockEngine
from mockmind.domain.http import MockRequest, MockResponse
from mockmind.domain.stats import (
    HOUR_SECONDS,
    RETENTION_HOURS,
    HourStats,
    RequestStats,
    Spent,
    hour_of,
    request_counts,
)
from mockmind.ports.llm import ChatRequest, ChatResult
from tests.support.clock import ManualClock
from tests.support.paths import EXAMPLES

# 2026-12-03 07:00 UTC
SEVEN = 1_796_281_200.0


def test_a_request_adds_only_what_it_did() -> None:
    assert request_counts("store", 200) == {"requests": 1, "source:store": 1}
    assert request_counts("cache", 200) == {"requests": 1, "source:cache": 1, "cache_hits": 1}
    assert request_counts("rule", 403) == {"requests": 1, "source:rule": 1, "errors:rule": 1}
    assert request_counts("fallback", 200, Spent(2, 300, 0.0001234)) == {
        "requests": 1,
        "source:fallback": 1,
        "fallbacks": 1,
        "llm_calls": 2,
        "tokens": 300,
        "cost_nano_usd": 123_400,
    }


def test_the_last_hours_are_read_oldest_first_with_every_hour_and_their_sum() -> None:
    stats = RequestStats(MemoryStatsCounter())
    stats.count(SEVEN - 1, "offline", 200)  # 06:59:59
    stats.count(SEVEN, "cache", 200)
    stats.count(SEVEN + 10, "rule", 404)
    stats.count(SEVEN + 20, "llm", 200, Spent(1, 100, 0.25))

    report = stats.last_hours(SEVEN + HOUR_SECONDS, 3)

    assert [h.hour for h in report.hours] == [SEVEN - 3600, SEVEN, SEVEN + 3600]
    six, seven, eight = report.hours
    assert six == HourStats(int(SEVEN - 3600), requests=1, by_source={"offline": 1})
    assert seven.requests == 3
    assert seven.cache_hits == 1
    assert seven.cache_hit_rate == pytest.approx(1 / 3)
    assert (seven.llm_calls, seven.tokens, seven.cost_usd) == (1, 100, 0.25)
    assert seven.errors_by_source == {"rule": 1}
    assert seven.by_source == {"cache": 1, "llm": 1, "rule": 1}
    assert eight == HourStats(int(SEVEN + 3600))
    assert eight.cache_hit_rate is None
    assert report.totals.requests == 4
    assert report.totals.errors == 1
    assert report.totals.hour is None


def test_the_same_request_counted_again_adds_the_same_counts_again() -> None:
    # The counts of a request without model calls are made once per source and status, and
    # shared: no count may change what a later one adds.
    counter = MemoryStatsCounter()
    stats = RequestStats(counter)
    for _ in range(3):
        stats.count(SEVEN, "cache", 200)
        stats.count(SEVEN, "rule", 404)
    stats.count(SEVEN, "cache", 200, Spent(1, 10, 0.0))
    assert counter.read(0, 10**9, now=SEVEN) == {
        int(SEVEN // HOUR_SECONDS): {
            "requests": 7,
            "source:cache": 4,
            "cache_hits": 4,
            "source:rule": 3,
            "errors:rule": 3,
            "llm_calls": 1,
            "tokens": 10,
        }
    }


def test_each_request_is_counted_in_the_hour_of_its_time_in_any_order() -> None:
    # The hour of the last request is remembered; times at and around the hours' edges, and
    # times going back, still land where ``hour_of`` puts them, each bucket kept as long.
    times = [
        SEVEN + 10,
        SEVEN - 1,
        SEVEN - 0.5,
        math.nextafter(SEVEN, 0.0),
        SEVEN,
        SEVEN + 0.25,
        SEVEN + 1,
        SEVEN + HOUR_SECONDS - 1,
        SEVEN + HOUR_SECONDS - 0.001,
        math.nextafter(SEVEN + HOUR_SECONDS, 0.0),
        SEVEN + HOUR_SECONDS,
        SEVEN + 5,
    ]
    added: list[tuple[int, float]] = []

    class Recording(MemoryStatsCounter):
        def add(self, hour: int, counts: Mapping[str, int], *, expires_at: float) -> None:
            added.append((hour, expires_at))

    stats = RequestStats(Recording())
    for at in times:
        stats.count(at, "store", 200)
    assert added == [
        (hour_of(at), (hour_of(at) + 1 + RETENTION_HOURS) * HOUR_SECONDS) for at in times
    ]


@pytest.mark.parametrize("hours", [0, RETENTION_HOURS + 1])
def test_hours_out_of_range_are_refused(hours: int) -> None:
    with pytest.raises(ValueError, match=f"hours must be from 1 to {RETENTION_HOURS}"):
        RequestStats(MemoryStatsCounter()).last_hours(SEVEN, hours)


class BrokenCounter:
    def add(self, hour: int, counts: Mapping[str, int], *, expires_at: float) -> None:
        raise OSError("the disk is full")

    def read(self, first: int, last: int, *, now: float) -> dict[int, dict[str, int]]:
        return {}


def send(app: Container, method: str, path: str, body: Any = None) -> MockResponse:
    request = MockRequest(
        method=method,
        path=path,
        headers={"content-type": "application/json"},
        cookies={"mockforge_session": "stats-session"},
        body=b"" if body is None else json.dumps(body).encode(),
    )
    return asyncio.run(app.engine.handle(request)).response


def shop(clock: ManualClock) -> Container:
    return build(load_config(EXAMPLES / "shop" / "mockmind.yaml", env={}), env={}, clock=clock)


def test_the_engine_counts_each_request_in_its_hour_by_the_source_of_its_answer() -> None:
    clock = ManualClock(SEVEN + 600)
    app = shop(clock)
    assert send(app, "GET", "/admin/stats").status == 401  # a rule: log in first
    assert send(app, "POST", "/login", {"username": "a", "password": "b"}).source == "rule"
    assert send(app, "GET", "/admin/stats").source == "offline"
    assert send(app, "GET", "/admin/stats").source == "cache"
    clock.t += HOUR_SECONDS
    assert send(app, "GET", "/products").source == "store"

    assert app.engine.stats is not None
    report = app.engine.stats.last_hours(clock.now(), 2)
    seven, eight = report.hours
    assert (seven.requests, seven.cache_hits, seven.errors_by_source) == (4, 1, {"rule": 1})
    assert seven.by_source == {"cache": 1, "offline": 1, "rule": 2}
    assert seven.cache_hit_rate == 0.25
    assert (eight.requests, eight.by_source) == (1, {"store": 1})
    assert (report.totals.requests, report.totals.cache_hits) == (5, 1)


def test_a_counter_that_fails_fails_no_request(caplog: pytest.LogCaptureFixture) -> None:
    app = shop(ManualClock(SEVEN))
    app.engine.stats = RequestStats(BrokenCounter())
    assert send(app, "GET", "/products").status == 200
    assert "not counted in the hour's stats" in caplog.text


def test_stats_off_count_nothing() -> None:
    text = (EXAMPLES / "shop" / "mockmind.yaml").read_text() + "\nstats: {enabled: false}\n"
    shop_file = EXAMPLES / "shop" / "mockmind.yaml"
    app = build(parse_config(text, source=shop_file, env={}), env={}, clock=ManualClock(SEVEN))
    assert app.engine.stats is None
    assert send(app, "GET", "/products").status == 200


class Model:
    name = "fake"
    model = "gpt-4o-mini"

    async def complete(self, request: ChatRequest, *, deadline: float | None = None) -> ChatResult:
        return ChatResult(
            '{"orders_today": 1, "revenue_today": 2.5, "active_carts": 3}',
            "openai",
            "gpt-4o-mini",
            1000,
            500,
        )


def test_model_calls_tokens_and_cost_are_counted_with_the_request() -> None:
    clock = ManualClock(SEVEN)
    app = shop(clock)
    old = app.engine
    costs = CostTracker(PriceTable({"gpt-4o-mini": Price(0.001, 0.002)}), clock)
    app.engine = MockEngine(
        api=old.api,
        generator=old.generator,
        sessions=app.sessions,
        cache=app.cache,
        clock=clock,
        settings=old.settings,
        world=old.world,
        llm=LlmContent(Model(), costs),
        stats=RequestStats(MemoryStatsCounter()),
    )
    send(app, "POST", "/login", {"username": "a", "password": "b"})
    assert send(app, "GET", "/admin/stats").source == "llm"
    assert send(app, "GET", "/admin/stats").source == "cache"  # no call

    assert app.engine.stats is not None
    (hour,) = app.engine.stats.last_hours(clock.now(), 1).hours
    assert (hour.requests, hour.cache_hits, hour.llm_calls, hour.tokens) == (3, 1, 1, 1500)
    assert hour.cost_usd == pytest.approx(0.002)  # 1,000 x $0.001/1k + 500 x $0.002/1k
    assert hour.cost_nano_usd == 2_000_000
