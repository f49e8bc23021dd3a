from __future__ import annotations

import pytest

from mockmind.domain.costs import DEFAULT_UNKNOWN_PRICE, CostTracker, Price, PriceTable, format_usd


class FixedClock:
    def __init__(self, now: float) -> None:
        self.t = now

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


DAY1 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@pytest.mark.parametrize(
    ("provider", "model", "price", "known"),
    [
        ("openai", "gpt-4o-mini", Price(0.00015, 0.0006), True),
        # A dated snapshot takes its family's price, the longest prefix winning.
        ("openai", "gpt-4o-mini-2024-07-18", Price(0.00015, 0.0006), True),
        ("openai", "gpt-4o-2024-08-06", Price(0.0025, 0.01), True),
        ("openai", "GPT-3.5-Turbo", Price(0.0005, 0.0015), True),
        ("anthropic", "claude-3-haiku-20240307", Price(0.00025, 0.00125), True),
        ("ollama", "gpt-4o", Price(0.0, 0.0), True),
        ("openai", "o9-preview", DEFAULT_UNKNOWN_PRICE, False),
        ("openai_compatible", "my-local-llama", Price(0.0, 0.0), False),
    ],
)
def test_price_lookup(provider: str, model: str, price: Price, known: bool) -> None:
    assert PriceTable().lookup(provider, model) == (price, known)


def test_overrides_replace_and_add() -> None:
    table = PriceTable.with_overrides({"gpt-4o-mini": Price(1, 2), "my-model": Price(3, 4)})
    assert table.lookup("openai", "gpt-4o-mini")[0] == Price(1, 2)
    assert table.lookup("openai_compatible", "my-model-v2") == (Price(3, 4), True)
    assert table.lookup("openai", "gpt-4o")[0] == Price(0.0025, 0.01)


def test_cost_is_per_thousand_tokens() -> None:
    assert Price(0.5, 1.5).cost(2000, 1000) == pytest.approx(2.5)


def test_counters_per_session_and_per_day() -> None:
    clock = FixedClock(DAY1 + 3600)
    costs = CostTracker(PriceTable({"m": Price(1, 2)}), clock, daily_budget_usd=5)
    assert costs.record(
        provider="openai", model="m", prompt_tokens=1000, completion_tokens=500, session_id="a"
    ) == pytest.approx(2.0)
    costs.record(
        provider="openai",
        model="m",
        prompt_tokens=1000,
        completion_tokens=0,
        session_id="b",
        estimated=True,
    )
    costs.record_fallback("a")
    assert costs.session("a").calls == 1
    assert costs.session("a").fallbacks == 1
    assert costs.session("b").estimated_calls == 1
    assert costs.session("never").calls == 0
    assert costs.spent_today() == pytest.approx(3.0)
    assert not costs.budget_exhausted()
    costs.record(provider="openai", model="m", prompt_tokens=2000, completion_tokens=0)
    assert costs.budget_exhausted()

    snapshot = costs.snapshot()
    assert snapshot["date"] == "2026-01-01"
    assert snapshot["today"] == {
        "calls": 3,
        "prompt_tokens": 4000,
        "completion_tokens": 500,
        "cost_usd": 5.0,
        "estimated_calls": 1,
        "fallbacks": 1,
        "embedding_calls": 0,
        "embedding_tokens": 0,
        "embedding_cost_usd": 0.0,
        "estimated_embedding_calls": 0,
    }
    assert snapshot["budget_exhausted"] is True
    assert snapshot["sessions_tracked"] == 2

    # A new UTC day starts from zero, and the budget is available again.
    clock.t = DAY1 + 86_400 + 1
    assert not costs.budget_exhausted()
    snapshot = costs.snapshot()
    assert (snapshot["date"], snapshot["today"]["calls"]) == ("2026-01-02", 0)
    assert snapshot["since_start"]["calls"] == 3


def test_no_budget_is_never_exhausted() -> None:
    costs = CostTracker(PriceTable(), FixedClock(DAY1))
    costs.record(provider="openai", model="gpt-4", prompt_tokens=10**7, completion_tokens=0)
    assert not costs.budget_exhausted()
    assert costs.snapshot()["budget_exhausted"] is False


def test_unpriced_models_are_listed_and_sessions_bounded() -> None:
    costs = CostTracker(PriceTable(), FixedClock(DAY1), max_sessions=2)
    for session in ("a", "b", "c"):
        costs.record(
            provider="openai", model="o9", prompt_tokens=1, completion_tokens=1, session_id=session
        )
    snapshot = costs.snapshot()
    assert snapshot["unpriced_models"] == ["openai:o9"]
    assert snapshot["sessions_tracked"] == 2
    assert costs.session("a").calls == 0  # the oldest session was let go
    assert costs.session("c").calls == 1


def test_embedding_calls_are_counted_apart_and_spent_with_the_chat() -> None:
    clock = FixedClock(DAY1)
    prices = PriceTable.with_overrides({"m": Price(1, 2)})
    costs = CostTracker(prices, clock, daily_budget_usd=0.0001)
    costs.record(provider="openai", model="m", prompt_tokens=0, completion_tokens=0)
    cost = costs.record_embedding(
        provider="openai", model="text-embedding-3-small", tokens=2500, session_id="s"
    )
    assert cost == pytest.approx(0.00005)
    costs.record_embedding(provider="local", model="hashed-512", tokens=40, estimated=True)
    today = costs.snapshot()["today"]
    assert {k: today[k] for k in today if "embedding" in k or k in ("calls", "cost_usd")} == {
        "calls": 1,
        "cost_usd": 0.00005,
        "embedding_calls": 2,
        "embedding_tokens": 2540,
        "embedding_cost_usd": 0.00005,
        "estimated_embedding_calls": 1,
    }
    assert costs.session("s").embedding_calls == 1
    assert not costs.budget_exhausted()
    costs.record_embedding(provider="openai", model="text-embedding-3-small", tokens=2500)
    # Embeddings spend the same daily budget as the chat.
    assert costs.budget_exhausted()
    assert costs.snapshot()["unpriced_models"] == []


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (0.0, "$0.00"),
        (0.0001, "$0.0001"),
        (0.00015, "$0.00015"),
        (0.01, "$0.01"),
        (5.0, "$5.00"),
        (12.5, "$12.50"),
        (1.2345, "$1.2345"),
        (1500.0, "$1,500.00"),
    ],
)
def test_dollars_print_with_the_digits_they_have(amount: float, shown: str) -> None:
    assert format_usd(amount) == shown
