"""The wire shapes of ``GET /__mockmind/prompts``, also part of ``GET /__mockmind/stats``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class VariantView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    weight: float
    answers: int
    calls: int
    valid_first_try: int
    valid_first_try_rate: float | None
    valid_first_try_interval: list[float] | None
    repaired: int
    fallbacks: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


class PromptsView(BaseModel):
    """Counted by this instance since it started (each Lambda instance or worker counts its
    own, as it does its costs)."""

    model_config = ConfigDict(extra="forbid")

    variants: list[VariantView]
    verdict: str
