"""LlmContent over the OpenAI-compatible adapter and a loopback server: extraction, schema
validation, one repair, fallback, single flight and the daily budget."""

from __future__ import annotations

import asyncio
from typing import Any

from jsonschema import Draft202012Validator

from mockmind.adapters.llm.openai import OpenAIChat
from mockmind.adapters.llm.resilience import RetryPolicy
from mockmind.domain.content import ContentResult, LlmContent
from mockmind.domain.costs import CostTracker, Price, PriceTable
from mockmind.domain.prompts import Prompt
from mockmind.ports.clock import SystemClock
from tests.integration.llm.helpers import arun, http
from tests.support.fake_provider import FakeProvider, Reply, openai_chat

SCHEMA = {
    "type": "object",
    "required": ["id", "name"],
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
}
PROMPT = Prompt(system="Answer with JSON.", user="GET /users/u1")


def validate(value: Any) -> list[str]:
    return [error.message for error in Draft202012Validator(SCHEMA).iter_errors(value)]


def content(url: str, costs: CostTracker | None = None) -> LlmContent:
    chat = OpenAIChat(
        http(url, provider="openai_compatible", retry=RetryPolicy(max_attempts=1)),
        "gpt-4o-mini",
        api_key=None,
        name="openai_compatible",
    )
    return LlmContent(chat, costs or CostTracker(PriceTable(), SystemClock()))


def generate(url: str, key: str = "k", costs: CostTracker | None = None) -> ContentResult:
    async def run() -> ContentResult:
        return await content(url, costs).generate(PROMPT, validate, key, session_id="s1")

    return arun(run())


def test_valid_answer_in_prose_and_fences(fake: FakeProvider) -> None:
    fake.queue(
        Reply(body=openai_chat('Sure! Here it is:\n```json\n{"id": "u1", "name": "Ada"}\n```'))
    )
    result = generate(fake.url)
    assert (result.source, result.body, result.reason) == ("llm", {"id": "u1", "name": "Ada"}, None)
    assert result.usage.calls == 1
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (120, 30)
    # gpt-4o-mini's list price, though served by a compatible endpoint.
    assert result.usage.cost_usd == Price(0.00015, 0.0006).cost(120, 30)


def test_schema_break_is_repaired_once(fake: FakeProvider) -> None:
    fake.queue(
        Reply(body=openai_chat('{"id": 1, "name": "Ada"}')),
        Reply(body=openai_chat('{"id": "u1", "name": "Ada"}')),
    )
    result = generate(fake.url)
    assert result.source == "llm"
    assert result.repaired is True
    assert result.body == {"id": "u1", "name": "Ada"}
    assert result.usage.calls == 2
    repair = fake.requests[1].body["messages"][1]["content"]
    assert repair.startswith("GET /users/u1")
    assert '{"id": 1, "name": "Ada"}' in repair
    assert "1 is not of type 'string'" in repair


def test_broken_twice_falls_back_with_the_reason(fake: FakeProvider) -> None:
    fake.queue(
        Reply(body=openai_chat("I'm sorry, I cannot help with that.")),
        Reply(body=openai_chat('{"id": "u1"}')),
    )
    result = generate(fake.url)
    assert result.source == "fallback"
    assert result.body is None
    assert result.reason == "answer still invalid after one repair: 'name' is a required property"
    assert "no JSON object or array found" in fake.requests[1].body["messages"][1]["content"]
    assert len(fake.requests) == 2


def test_truncated_model_output_falls_back_after_repair(fake: FakeProvider) -> None:
    cut = '{"id": "u1", "name": "A'
    fake.queue(Reply(body=openai_chat(cut)), Reply(body=openai_chat(cut)))
    result = generate(fake.url)
    assert result.source == "fallback"
    assert result.reason == (
        "answer still invalid after one repair: not usable JSON: "
        "the answer was cut off before its JSON value ended (truncated output)"
    )


def test_provider_failure_falls_back(fake: FakeProvider) -> None:
    fake.default = lambda seen: Reply(500, {"error": {"message": "overloaded"}})
    result = generate(fake.url)
    assert result.source == "fallback"
    assert result.reason == "the provider failed: HTTP 500: overloaded"
    assert result.usage.calls == 0


def test_concurrent_identical_calls_share_one_provider_call(fake: FakeProvider) -> None:
    fake.default = lambda seen: Reply(body=openai_chat('{"id": "u1", "name": "Ada"}'), delay=0.3)

    async def run() -> list[ContentResult]:
        llm = content(fake.url)
        same = [llm.generate(PROMPT, validate, "same-key") for _ in range(10)]
        other = llm.generate(PROMPT, validate, "other-key")
        return await asyncio.gather(*same, other)

    results = arun(run())
    assert {r.source for r in results} == {"llm"}
    assert len(fake.requests) == 2, "ten identical calls and one other: two provider calls"
    # Once done, the key is free again: a later call asks again.
    fake.default = lambda seen: Reply(body=openai_chat('{"id": "u2", "name": "Bo"}'))
    assert generate(fake.url, key="same-key").body == {"id": "u2", "name": "Bo"}


def test_daily_budget_stops_calls(fake: FakeProvider) -> None:
    costs = CostTracker(
        PriceTable({"gpt-4o-mini": Price(1.0, 1.0)}), SystemClock(), daily_budget_usd=0.1
    )
    fake.default = lambda seen: Reply(body=openai_chat('{"id": "u1", "name": "Ada"}'))
    first = generate(fake.url, key="a", costs=costs)
    assert first.source == "llm"
    assert first.usage.cost_usd == 0.15  # (120 + 30) tokens at $1 per 1K
    second = generate(fake.url, key="b", costs=costs)
    assert second.source == "fallback"
    assert second.reason == "the daily LLM budget of $0.10 is spent"
    assert len(fake.requests) == 1
    snapshot = costs.snapshot()
    assert snapshot["budget_exhausted"] is True
    assert (snapshot["today"]["calls"], snapshot["today"]["fallbacks"]) == (1, 1)
    assert costs.session("s1").calls == 1
