"""The wire shapes of ``GET /__mockmind/stats`` (domain/stats.py, and domain/quotas.py for
today's quotas)."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from mockmind.app.admin_prompts_models import PromptsView
from mockmind.domain.quotas import QuotaReport, QuotaUse
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


class RequestQuota(BaseModel):
    limit: int = Field(ge=1, description="requests a UTC day (quotas.requests_per_day)")
    used: int = Field(ge=0, description="requests answered today, up to the limit")
    refused: int = Field(ge=0, description="requests answered 429 today, past the limit")
    used_up: bool = Field(description="the next request today is refused")
    past_limit: Literal["refuse"] = Field(description="what a request past the limit meets")


class BudgetQuota(BaseModel):
    limit: float = Field(
        ge=0, description="US dollars of model calls a UTC day (quotas.llm_budget_usd_per_day)"
    )
    used: float = Field(ge=0, description="what the requests' model calls cost today, in USD")
    used_up: bool = Field(description="the budget is spent: past_limit applies until midnight")
    past_limit: Literal["offline", "refuse"] = Field(
        description="offline: the offline generator answers in the model's place; refuse: 429"
    )


class QuotasView(BaseModel):
    """Today's quotas, counted across every instance on the store; only those configured."""

    day: str = Field(description="the UTC day, YYYY-MM-DD")
    resets_at: str = Field(description="when the quotas renew: the next UTC midnight, ISO 8601")
    requests_per_day: RequestQuota | None = None
    llm_budget_usd_per_day: BudgetQuota | None = None


class StatsView(BaseModel):
    """The last `hours` hours, oldest first, each of them (hours without requests too)."""

    totals: Counts
    hours: list[HourCounts]
    quotas: QuotasView | None = Field(
        None, description="today's use of each configured quota; null without quotas"
    )
    prompt_variants: PromptsView | None = Field(
        None,
        description="the prompt variants under experiment, as GET /__mockmind/prompts answers "
        "(counted by the instance that answered); null without behavior_model.prompt_variants",
    )


def stats_view(
    report: StatsReport,
    quotas: QuotaReport | None = None,
    prompt_variants: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "totals": _counts(report.totals),
        "hours": [{"hour": _iso_hour(h.hour), **_counts(h)} for h in report.hours],
        "quotas": _quotas(quotas) if quotas is not None else None,
        "prompt_variants": prompt_variants,
    }


def _quotas(report: QuotaReport) -> dict[str, Any]:
    view: dict[str, Any] = {"day": report.day, "resets_at": report.resets_at}
    for use in report.quotas:
        view[use.name] = _quota(use)
    return view


def _quota(use: QuotaUse) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "limit": use.limit,
        "used": use.used,
        "used_up": use.used_up,
        "past_limit": use.past_limit,
    }
    if use.refused is not None:
        # A count of requests: whole numbers.
        shown.update(limit=int(use.limit), used=int(use.used), refused=use.refused)
    return shown


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
