"""What the language model costs: a price table, and counters per session and per day.

Prices are US dollars per 1,000 tokens, prompt and completion apart. A model is priced by its
longest matching name prefix, so a dated snapshot (``gpt-4o-mini-2024-07-18``) takes its
family's price. Ollama runs locally and costs nothing. An unknown model behind OpenAI or
Anthropic is charged at ``default`` (deliberately not cheap) so that a daily budget still holds;
an unknown model behind an OpenAI-compatible server is taken to be self-hosted and free. Both are
listed in the snapshot as unpriced, so a wrong guess is visible in health.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from mockmind.lean_dataclass import dataclass
from mockmind.ports.clock import Clock


@dataclass(frozen=True)
class Price:
    prompt_per_1k: float
    completion_per_1k: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (
            prompt_tokens * self.prompt_per_1k + completion_tokens * self.completion_per_1k
        ) / 1000


# List prices when this table was written; override them in the config as they change.
DEFAULT_PRICES: Mapping[str, Price] = {
    "gpt-4o-mini": Price(0.00015, 0.0006),
    "gpt-4o": Price(0.0025, 0.01),
    "gpt-4.1-nano": Price(0.0001, 0.0004),
    "gpt-4.1-mini": Price(0.0004, 0.0016),
    "gpt-4.1": Price(0.002, 0.008),
    "gpt-4-turbo": Price(0.01, 0.03),
    "gpt-4": Price(0.03, 0.06),
    "gpt-3.5-turbo": Price(0.0005, 0.0015),
    "claude-3-haiku": Price(0.00025, 0.00125),
    "claude-3-5-haiku": Price(0.0008, 0.004),
    "claude-3-5-sonnet": Price(0.003, 0.015),
    "claude-3-7-sonnet": Price(0.003, 0.015),
    "claude-sonnet-4": Price(0.003, 0.015),
    "claude-3-opus": Price(0.015, 0.075),
    "claude-opus-4": Price(0.015, 0.075),
    "text-embedding-3-small": Price(0.00002, 0.0),
    "text-embedding-3-large": Price(0.00013, 0.0),
    "text-embedding-ada-002": Price(0.0001, 0.0),
}
DEFAULT_UNKNOWN_PRICE = Price(0.005, 0.015)
_FREE = Price(0.0, 0.0)
# Ollama and the embedders that run in this process (hashed, MiniLM) cost nothing.
_FREE_PROVIDERS = frozenset({"ollama", "local", "minilm", "offline"})
_PAID_PROVIDERS = frozenset({"openai", "anthropic"})


class PriceTable:
    def __init__(
        self,
        prices: Mapping[str, Price] | None = None,
        *,
        default: Price = DEFAULT_UNKNOWN_PRICE,
    ) -> None:
        self._prices = dict(DEFAULT_PRICES if prices is None else prices)
        self._default = default

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, Price]) -> PriceTable:
        """The default table with some models' prices replaced or added."""
        return cls({**DEFAULT_PRICES, **overrides})

    def lookup(self, provider: str, model: str) -> tuple[Price, bool]:
        """(price, known). ``known`` is False when the price is a guess."""
        if provider in _FREE_PROVIDERS:
            return _FREE, True
        name = model.lower()
        if name in self._prices:
            return self._prices[name], True
        matches = [key for key in self._prices if name.startswith(key)]
        if matches:
            return self._prices[max(matches, key=len)], True
        if provider in _PAID_PROVIDERS:
            return self._default, False
        return _FREE, False


@dataclass
class Totals:
    """Chat calls (``calls``, their tokens) and embedding calls apart; ``cost_usd`` is the
    spend of both, which is what a daily budget holds."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    estimated_calls: int = 0
    fallbacks: int = 0
    embedding_calls: int = 0
    embedding_tokens: int = 0
    embedding_cost_usd: float = 0.0
    # Embedding calls whose tokens were estimated (the embedder reported none).
    estimated_embedding_calls: int = 0

    def add(self, prompt: int, completion: int, cost: float, estimated: bool) -> None:
        self.calls += 1
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        self.cost_usd += cost
        self.estimated_calls += int(estimated)

    def add_embedding(self, tokens: int, cost: float, estimated: bool) -> None:
        self.embedding_calls += 1
        self.embedding_tokens += tokens
        self.embedding_cost_usd += cost
        self.cost_usd += cost
        self.estimated_embedding_calls += int(estimated)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cost_usd"] = round(self.cost_usd, 8)
        data["embedding_cost_usd"] = round(self.embedding_cost_usd, 8)
        return data


def format_usd(amount: float) -> str:
    """Dollars as a person reads them: cents when the amount has them ($12.50), else as many
    decimals as it takes, so a budget of $0.0001 does not print as $0.00."""
    if amount == 0 or (abs(amount) >= 0.01 and round(amount, 2) == round(amount, 8)):
        return f"${amount:,.2f}"
    digits = f"{amount:.8f}".rstrip("0")
    return f"${digits}"


class CostTracker:
    """Counters since start, for the current UTC day and per session (the most recent
    ``max_sessions`` sessions: a long-lived server must not keep one entry per visitor forever).
    """

    def __init__(
        self,
        prices: PriceTable,
        clock: Clock,
        *,
        daily_budget_usd: float | None = None,
        max_sessions: int = 10_000,
    ) -> None:
        self._prices = prices
        self._clock = clock
        self.daily_budget_usd = daily_budget_usd
        self._max_sessions = max_sessions
        self._total = Totals()
        self._day = self._date()
        self._today = Totals()
        self._sessions: OrderedDict[str, Totals] = OrderedDict()
        self._unpriced: set[str] = set()
        self._lock = threading.Lock()

    @property
    def clock(self) -> Clock:
        return self._clock

    def _date(self) -> str:
        return time.strftime("%Y-%m-%d", time.gmtime(self._clock.now()))

    def _roll(self) -> None:
        day = self._date()
        if day != self._day:
            self._day = day
            self._today = Totals()

    def _session(self, session_id: str) -> Totals:
        totals = self._sessions.get(session_id)
        if totals is None:
            totals = self._sessions[session_id] = Totals()
            while len(self._sessions) > self._max_sessions:
                self._sessions.popitem(last=False)
        else:
            self._sessions.move_to_end(session_id)
        return totals

    def cost_of(
        self, provider: str, model: str, prompt_tokens: int, completion_tokens: int
    ) -> float:
        price, _ = self._prices.lookup(provider, model)
        return price.cost(prompt_tokens, completion_tokens)

    def record(
        self,
        *,
        provider: str,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        session_id: str | None = None,
        estimated: bool = False,
    ) -> float:
        """Count one provider call; returns its cost in USD."""
        price, known = self._prices.lookup(provider, model)
        cost = price.cost(prompt_tokens, completion_tokens)
        with self._lock:
            self._roll()
            if not known:
                self._unpriced.add(f"{provider}:{model}")
            for totals in self._targets(session_id):
                totals.add(prompt_tokens, completion_tokens, cost, estimated)
        return cost

    def record_embedding(
        self,
        *,
        provider: str,
        model: str,
        tokens: int,
        session_id: str | None = None,
        estimated: bool = False,
    ) -> float:
        """Count one embedding call of ``tokens`` input tokens; returns its cost in USD."""
        price, known = self._prices.lookup(provider, model)
        cost = price.cost(tokens, 0)
        with self._lock:
            self._roll()
            if not known:
                self._unpriced.add(f"{provider}:{model}")
            for totals in self._targets(session_id):
                totals.add_embedding(tokens, cost, estimated)
        return cost

    def record_fallback(self, session_id: str | None = None) -> None:
        with self._lock:
            self._roll()
            for totals in self._targets(session_id):
                totals.fallbacks += 1

    def _targets(self, session_id: str | None) -> list[Totals]:
        targets = [self._total, self._today]
        if session_id is not None:
            targets.append(self._session(session_id))
        return targets

    def spent_today(self) -> float:
        with self._lock:
            self._roll()
            return self._today.cost_usd

    def budget_exhausted(self) -> bool:
        if self.daily_budget_usd is None:
            return False
        return self.spent_today() >= self.daily_budget_usd

    def session(self, session_id: str) -> Totals:
        """A copy of one session's totals (zeros for a session never seen)."""
        with self._lock:
            found = self._sessions.get(session_id)
            return Totals(**asdict(found)) if found else Totals()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            self._roll()
            return {
                "currency": "USD",
                "date": self._day,
                "today": self._today.as_dict(),
                "since_start": self._total.as_dict(),
                "daily_budget_usd": self.daily_budget_usd,
                "budget_exhausted": (
                    self.daily_budget_usd is not None
                    and self._today.cost_usd >= self.daily_budget_usd
                ),
                "sessions_tracked": len(self._sessions),
                "unpriced_models": sorted(self._unpriced),
            }
