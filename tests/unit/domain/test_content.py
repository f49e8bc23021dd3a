"""LlmContent with a fake provider: the flow, single flight, budget and observers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from mockmind.domain.content import ContentResult, ContentSettings, ContentUsage, LlmContent
from mockmind.domain.costs import CostTracker, Price, PriceTable
from mockmind.domain.prompts import Prompt
from mockmind.ports.clock import SystemClock
from mockmind.ports.llm import ChatRequest, ChatResult, ProviderError
from tests.support.clock import ManualClock

PROMPT = Prompt("system", "user")


@dataclass
class FakeModel:
    answers: list[str | ProviderError]
    delay: float = 0.0
    asked: list[ChatRequest] = field(default_factory=list)
    deadlines: list[float | None] = field(default_factory=list)
    name: str = "openai"
    model: str = "gpt-4o-mini"

    async def complete(self, request: ChatRequest, *, deadline: float | None = None) -> ChatResult:
        self.asked.append(request)
        self.deadlines.append(deadline)
        await asyncio.sleep(self.delay)
        answer = self.answers.pop(0)
        if isinstance(answer, ProviderError):
            raise answer
        return ChatResult(answer, self.name, self.model, 1000, 1000, estimated_usage=True)


def needs_id(value: Any) -> list[str]:
    return [] if isinstance(value, dict) and "id" in value else ["'id' is a required property"]


@dataclass
class Recorder:
    seen: list[ContentResult] = field(default_factory=list)

    def observe(self, result: ContentResult) -> None:
        self.seen.append(result)


def make(model: FakeModel, budget: float | None = None, **kwargs: Any) -> LlmContent:
    costs = CostTracker(
        PriceTable({"gpt-4o-mini": Price(0.01, 0.01)}), SystemClock(), daily_budget_usd=budget
    )
    return LlmContent(model, costs, **kwargs)


def test_settings_schema_and_deadline_reach_the_provider() -> None:
    model = FakeModel(['{"id": 1}'])
    recorder = Recorder()
    llm = make(
        model, settings=ContentSettings(max_tokens=99, temperature=0.1), observers=[recorder]
    )
    result = asyncio.run(
        llm.generate(PROMPT, needs_id, "k", deadline=123.0, json_schema={"type": "object"})
    )
    assert result.source == "llm"
    assert result.usage.estimated is True
    assert result.usage.cost_usd == pytest.approx(0.02)
    [request] = model.asked
    assert (request.system, request.user, request.max_tokens, request.temperature) == (
        "system",
        "user",
        99,
        0.1,
    )
    assert request.json_schema == {"type": "object"}
    assert model.deadlines == [123.0]
    assert recorder.seen == [result]


def test_repair_failure_of_the_provider_falls_back() -> None:
    model = FakeModel(["{}", ProviderError("openai", "HTTP 503", retryable=True)])
    result = asyncio.run(make(model).generate(PROMPT, needs_id, "k"))
    assert result.source == "fallback"
    assert result.reason == (
        "invalid answer ('id' is a required property); the repair call failed: HTTP 503"
    )
    assert result.usage.calls == 1


def test_budget_spent_by_the_first_call_skips_the_repair() -> None:
    model = FakeModel(["{}", '{"id": 1}'])
    result = asyncio.run(make(model, budget=0.01).generate(PROMPT, needs_id, "k"))
    assert result.source == "fallback"
    assert (
        result.reason
        == "invalid answer ('id' is a required property); no repair, the budget is spent"
    )
    assert len(model.asked) == 1


def test_single_flight_survives_a_cancelled_waiter() -> None:
    model = FakeModel(['{"id": 1}'], delay=0.05)
    llm = make(model)

    async def run() -> list[ContentResult]:
        first = asyncio.ensure_future(llm.generate(PROMPT, needs_id, "k"))
        others = [asyncio.ensure_future(llm.generate(PROMPT, needs_id, "k")) for _ in range(5)]
        await asyncio.sleep(0.01)
        first.cancel()
        return list(await asyncio.gather(*others))

    results = asyncio.run(run())
    assert len(model.asked) == 1
    assert all(r.body == {"id": 1} for r in results)


def test_a_shared_call_is_paid_for_by_the_caller_that_made_it() -> None:
    """A request's outcome counts its own spending (domain/outcome.py): summed over the
    requests, the call is counted once, as the provider bills it."""
    model = FakeModel(['{"id": 1}'], delay=0.05)
    llm = make(model)

    async def run() -> list[ContentResult]:
        return list(await asyncio.gather(*(llm.generate(PROMPT, needs_id, "k") for _ in range(3))))

    first, *joined = asyncio.run(run())
    assert len(model.asked) == 1
    assert (first.usage.calls, first.usage.prompt_tokens, first.usage.completion_tokens) == (
        1,
        1000,
        1000,
    )
    assert first.usage.cost_usd == pytest.approx(0.02)
    assert [r.usage for r in joined] == [ContentUsage(), ContentUsage()]
    assert [r.body for r in joined] == [{"id": 1}, {"id": 1}]


def test_a_dead_loop_does_not_poison_the_key() -> None:
    model = FakeModel(['{"id": 1}', '{"id": 2}'], delay=10)
    llm = make(model)

    async def abandon() -> None:
        task = asyncio.ensure_future(llm.generate(PROMPT, needs_id, "k"))
        await asyncio.sleep(0.01)
        task.cancel()

    loop = asyncio.new_event_loop()
    loop.run_until_complete(abandon())
    stranded = llm._inflight["k"]
    # It will be garbage the moment the key is reused; asyncio would print a note about it.
    stranded._log_destroy_pending = False  # type: ignore[attr-defined]
    loop.close()  # the shared call never finished in this loop
    model.delay = 0
    model.answers = ['{"id": 2}']
    assert asyncio.run(llm.generate(PROMPT, needs_id, "k")).body == {"id": 2}
    assert llm._inflight == {}


@dataclass
class FakeBreaker:
    open: bool = False
    verdicts: list[str] = field(default_factory=list)

    def is_open(self) -> bool:
        return self.open

    def record_valid(self) -> None:
        self.verdicts.append("valid")

    def record_invalid(self) -> None:
        self.verdicts.append("invalid")


def test_a_request_that_fell_back_is_not_paid_for_again_until_its_ttl_ends() -> None:
    clock = ManualClock(1000.0)
    model = FakeModel(["{}", "{}", '{"id": 1}', '{"id": 2}'])
    breaker = FakeBreaker()
    costs = CostTracker(PriceTable({"gpt-4o-mini": Price(0.01, 0.01)}), clock)
    llm = LlmContent(
        model, costs, settings=ContentSettings(negative_ttl_seconds=30), breaker=breaker
    )

    async def ask(key: str) -> ContentResult:
        return await llm.generate(PROMPT, needs_id, key)

    first = asyncio.run(ask("k"))
    assert (first.source, first.usage.calls) == ("fallback", 2)
    assert breaker.verdicts == ["invalid"]
    assert llm.refusal("k") == (
        "this request fell back recently, not asked again yet: "
        "answer still invalid after one repair: 'id' is a required property"
    )
    assert not llm.will_call("k")
    again = asyncio.run(ask("k"))
    assert (again.source, again.usage.calls, again.reason) == ("fallback", 0, llm.refusal("k"))
    assert len(model.asked) == 2, "the repeat cost no call"
    other = asyncio.run(ask("other"))
    assert (other.source, other.body) == ("llm", {"id": 1})
    assert breaker.verdicts == ["invalid", "valid"]
    clock.t = 1030.0
    assert llm.will_call("k")
    later = asyncio.run(ask("k"))
    assert (later.source, later.body) == ("llm", {"id": 2})
    assert costs.snapshot()["today"]["fallbacks"] == 2


def test_no_negative_cache_with_a_ttl_of_zero_nor_for_an_open_breaker() -> None:
    model = FakeModel(["{}", "{}", ProviderError("openai", "HTTP 503", retryable=True)])
    breaker = FakeBreaker()
    llm = make(model, settings=ContentSettings(negative_ttl_seconds=0), breaker=breaker)
    asyncio.run(llm.generate(PROMPT, needs_id, "k"))
    assert llm.refusal("k") is None
    breaker.open = True
    assert not llm.will_call("k")
    llm = make(model, breaker=breaker)
    result = asyncio.run(llm.generate(PROMPT, needs_id, "k"))
    assert result.reason == "the provider failed: HTTP 503"
    assert llm.refusal("k") is None, "an open breaker stops every key already"


def test_a_tiny_budget_is_named_with_its_digits() -> None:
    model = FakeModel(['{"id": 1}'])
    llm = make(model, budget=0.0001)
    llm.costs.record(provider="openai", model="gpt-4o-mini", prompt_tokens=10, completion_tokens=0)
    result = asyncio.run(llm.generate(PROMPT, needs_id, "k"))
    assert result.reason == "the daily LLM budget of $0.0001 is spent"
    assert model.asked == []
