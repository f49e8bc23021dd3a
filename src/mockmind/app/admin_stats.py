"""``GET /__mockmind/stats``: requests, cache hits, model calls, tokens, cost and errors by
source, hour by hour, read from the hourly counters (domain/stats); today's quotas beside them
(domain/quotas)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import FastAPI, Query, params

from mockmind.app.admin_models import problem_response
from mockmind.app.admin_prefix import ADMIN_PREFIX
from mockmind.app.admin_stats_models import StatsView, stats_view
from mockmind.app.bootstrap import Container
from mockmind.domain.errors import RequestError
from mockmind.domain.stats import RETENTION_HOURS


def add_stats_routes(
    app: FastAPI,
    container: Container,
    guarded: Sequence[params.Depends],
    refused: Mapping[int | str, dict[str, Any]],
) -> None:
    """The route, behind the admin token (``guarded``; ``refused`` documents its answers)."""

    @app.get(
        ADMIN_PREFIX + "/stats",
        response_model=StatsView,
        responses={
            400: problem_response(f"hours is not a whole number from 1 to {RETENTION_HOURS}"),
            404: problem_response("stats are off (stats.enabled: false)"),
            **refused,
        },
        dependencies=list(guarded),
    )
    async def stats(
        hours: Annotated[
            int,
            Query(ge=1, le=RETENTION_HOURS, description="this many hours back, this one included"),
        ] = 24,
    ) -> dict[str, Any]:
        """Requests, cache hits and hit rate, model calls, tokens, cost and errors by source,
        for each of the last `hours` UTC hours (oldest first) and in total; and today's use of
        each configured quota, and how each prompt variant fares."""
        counted = container.engine.stats
        if counted is None:
            raise RequestError(404, "Not Found", "stats are off (stats.enabled: false)")
        now = time.time()
        quotas = container.engine.quotas
        variants = container.prompt_stats
        return stats_view(
            counted.last_hours(now, hours),
            quotas.today(now) if quotas is not None else None,
            variants.report() if variants is not None else None,
        )
