"""``/__mockmind/prompts``: the prompt variants under experiment and how each one's answers
fare (domain/prompt_experiment.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, params

from mockmind.app.admin_prefix import ADMIN_PREFIX
from mockmind.app.admin_prompts_models import PromptsView
from mockmind.app.bootstrap import Container


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
