"""``/__mockmind/prompts``: the prompt variants under experiment and how each one's answers
fare (domain/prompt_experiment.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, params
from pydantic import BaseModel, ConfigDict

from mockmind.app.admin_prefix import ADMIN_PREFIX
from mockmind.app.bootstrap import Container


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


def add_prompt_routes(
    app: FastAPI,
    container: Container,
    guarded: Sequence[params.Depends],
    refused: Mapping[int | str, dict[str, Any]],
) -> None:
    stats = container.prompt_stats

    @app.get(
        ADMIN_PREFIX + "/prompts",
        response_model=PromptsView,
        responses={**refused},
        dependencies=list(guarded),
    )
    async def prompts() -> dict[str, Any]:
        """Each prompt variant: answers valid at first try (with a 95% interval), repaired,
        fallen back, latency, tokens and cost, and a plain verdict."""
        if stats is None:
            return {"variants": [], "verdict": "no prompt variants configured"}
        return stats.report()
