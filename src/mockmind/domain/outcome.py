"""What one mock request came to: where its answer came from, for which session, and what
its model calls cost. The entry points make their log line and metrics of it (in Lambda,
``app/lambda_telemetry``); the domain only says what happened, and knows no logger or
metrics library.

A request's model spending is what its own calls cost: a request that joined another's call
in flight (``LlmContent``'s single flight) spent nothing, so that summing the requests' costs
gives what the provider was paid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockmind.domain.http import Source
from mockmind.lean_dataclass import dataclass

if TYPE_CHECKING:
    from mockmind.ports.llm import ChatResult


@dataclass(frozen=True)
class ContentUsage:
    """What model calls cost (kept here, beside the outcome that carries it, so a mock-only
    start imports no LLM code)."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    # True when any call's token counts were estimated (the provider reported none).
    estimated: bool = False

    def plus(self, result: ChatResult, cost: float) -> ContentUsage:
        return ContentUsage(
            calls=self.calls + 1,
            prompt_tokens=self.prompt_tokens + result.prompt_tokens,
            completion_tokens=self.completion_tokens + result.completion_tokens,
            cost_usd=self.cost_usd + cost,
            estimated=self.estimated or result.estimated_usage,
        )


# What a request that called no model spent.
NO_USAGE = ContentUsage()


@dataclass(slots=True)
class Spending:
    """The model calls of one request, added up as its steps make them."""

    # The shared zero (frozen): most requests spend nothing, and need not make one each.
    usage: ContentUsage = NO_USAGE

    def add(self, usage: ContentUsage) -> None:
        if usage.calls:
            self.usage = ContentUsage(
                calls=self.usage.calls + usage.calls,
                prompt_tokens=self.usage.prompt_tokens + usage.prompt_tokens,
                completion_tokens=self.usage.completion_tokens + usage.completion_tokens,
                cost_usd=self.usage.cost_usd + usage.cost_usd,
                estimated=self.usage.estimated or usage.estimated,
            )


# Without slots, so that the engine makes one for every request without the frozen __init__
# (lean_dataclass.built).
@dataclass(frozen=True)
class RequestOutcome:
    status: int
    source: Source
    # None when sessions are not tracked.
    session_id: str | None
    new_session: bool
    # Why the model's answer was not used (the X-Mockmind-Fallback-Reason header).
    fallback_reason: str | None
    usage: ContentUsage

    @property
    def cache_hit(self) -> bool:
        return self.source == "cache"

    @property
    def fell_back(self) -> bool:
        return self.source == "fallback"
