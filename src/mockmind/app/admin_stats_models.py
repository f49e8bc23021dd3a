"""The wire shapes of ``GET /__mockmind/stats`` (domain/stats.py)."""

from __future__ import annotations

import datetime
from typing import Any

from pydantic import BaseModel, Field

from mockmind.domain.stats import HourStats, StatsReport


class Counts(BaseModel):
    requests: int = Field(ge=0, description="requests answered by the mock (not admin ones)")
    cache_hits: int = Field(ge=0, description="answers from the response cache")
    cache_hit_rate: float | None = Field(
        ge=0, le=1, description="cache hits per request; null when there was no request"
    )
    llm_calls: int = Field(ge=0, description="calls to the model")
    tokens: int = Field(ge=0, description="the model's prompt and completion tokens")
    cost_usd: float = Field(ge=0, description="what the model calls cost, in US dollars")
    fallbacks: int = Field(
        ge=0, description="answers the offline generator gave in the model's place"
    )
    errors: int = Field(ge=0, description="answers with a status of 400 or more")
    errors_by_source: dict[str, int] = Field(
        description="errors by the source of the answer (rule, store, offline, ...)"
    )
    requests_by_source: dict[str, int] = Field(
        description="requests by the source of the answer (the X-Mockmind-Source header)"
    )


class HourCounts(Counts):
    hour: str = Field(description="the UTC hour, ISO 8601 (2026-12-03T07:00:00Z)")


class StatsView(BaseModel):
    """The last `hours` hours, oldest first, each of them (hours without requests too)."""

    totals: Counts
    hours: list[HourCounts]


def stats_view(report: StatsReport) -> dict[str, Any]:
    return {
        "totals": _counts(report.totals),
        "hours": [{"hour": _iso_hour(h.hour), **_counts(h)} for h in report.hours],
    }


def _counts(stats: HourStats) -> dict[str, Any]:
    return {
        "requests": stats.requests,
        "cache_hits": stats.cache_hits,
        "cache_hit_rate": stats.cache_hit_rate,
        "llm_calls": stats.llm_calls,
        "tokens": stats.tokens,
        "cost_usd": stats.cost_usd,
        "fallbacks": stats.fallbacks,
        "errors": stats.errors,
        "errors_by_source": dict(stats.errors_by_source),
        "requests_by_source": dict(stats.by_source),
    }


def _iso_hour(start: int | None) -> str:
    assert start is not None  # an hour's counts have their hour
    moment = datetime.datetime.fromtimestamp(start, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:00:00Z")
