"""Quotas of one world (one config): requests per UTC day, and what the model may cost a day.

The counts live in the stats counter's day buckets (``ports/stats.StatsCounter.add_to_day``),
which every server process and Lambda environment on the same store shares, so a quota holds
for the deployment, not for each instance.

- ``requests_per_day``: each mock request adds 1 to the day's count and reads the day's totals
  back in the same atomic write (one DynamoDB UpdateItem). The request that takes the count past
  the limit, and each one after it until UTC midnight, is answered 429 with a problem document
  naming the quota, ``Retry-After`` (the seconds to midnight) and the IETF draft's
  ``RateLimit-Policy`` and ``RateLimit`` headers (which every counted answer carries too). The
  count holds refused requests as well: the first ``limit`` of the day were answered, the rest
  refused, whatever the order they raced in.
- ``llm_budget_usd_per_day``: what the requests' own model calls cost (``domain/outcome``'s
  ``ContentUsage``, priced by ``domain/costs``) is added to the day's ``cost_nano_usd`` after
  each request that spent any. Once the day's spend reaches the budget, ``offline`` has the
  content source answer with the offline generator (source ``fallback``, reason
  ``llm-budget: ...``), ``refuse`` answers every mock request 429 until midnight. The check comes
  before a request runs, from the totals its admission read: calls already under way when the
  budget is reached are paid, so a day can end over budget by the calls in flight.

Admin routes and replays never come here. With no quota configured the engine has no
``Quotas`` at all: no counter call is made. A counter that fails is logged and the request is
answered as if under every quota: a quota guards a bill, it is no reason for the mock to fail.
"""

from __future__ import annotations

import datetime
import logging
import math
from collections.abc import Mapping
from dataclasses import field
from typing import Literal

from mockmind.domain.costs import format_usd
from mockmind.domain.errors import RequestError
from mockmind.lean_dataclass import dataclass
from mockmind.ports.stats import StatsCounter

logger = logging.getLogger("mockmind.quotas")

DAY_SECONDS = 86_400
NANO = 1_000_000_000
# The day buckets' counter names.
REQUESTS = "requests"
COST_NANO_USD = "cost_nano_usd"
# The quotas' names, as the config, the 429's ``quota`` member and the stats call them.
REQUESTS_QUOTA = "requests_per_day"
BUDGET_QUOTA = "llm_budget_usd_per_day"
# How a fallback reason for a spent budget begins: a client or a test can tell it from others.
LLM_BUDGET_REASON = "llm-budget"
# The RateLimit headers' policy name (draft-ietf-httpapi-ratelimit-headers).
_POLICY = '"requests-per-day"'

PastBudget = Literal["offline", "refuse"]


@dataclass(frozen=True)
class QuotaLimits:
    """The config's ``quotas:`` section; None: that quota is not set."""

    requests_per_day: int | None = None
    llm_budget_usd_per_day: float | None = None
    # What a request meets once the day's LLM budget is spent.
    past_llm_budget: PastBudget = "offline"

    @property
    def configured(self) -> bool:
        return self.requests_per_day is not None or self.llm_budget_usd_per_day is not None


def day_of(at: float) -> int:
    """The UTC day ``at`` (epoch seconds) falls in, as days since the epoch."""
    return math.floor(at / DAY_SECONDS)


def seconds_to_midnight(at: float) -> int:
    """Whole seconds until the next UTC midnight (at least 1: a Retry-After of 0 says now)."""
    return max(1, math.ceil((day_of(at) + 1) * DAY_SECONDS - at))


def _iso_day_start(day: int) -> str:
    moment = datetime.datetime.fromtimestamp(day * DAY_SECONDS, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _nano(usd: float) -> int:
    return round(usd * NANO)


class QuotaExceeded(RequestError):
    """429: a quota of the day is used up; ``Retry-After`` says when the next day begins."""

    def __init__(
        self, quota: str, limit: int | float, detail: str, now: float, headers: Mapping[str, str]
    ) -> None:
        wait = seconds_to_midnight(now)
        super().__init__(
            429,
            "Too Many Requests",
            detail,
            headers={**headers, "Retry-After": str(wait)},
            extra={
                "quota": quota,
                "limit": limit,
                "resets_at": _iso_day_start(day_of(now) + 1),
            },
        )


@dataclass(frozen=True)
class Admission:
    """What the quotas say of one request, from the day's totals its admission read."""

    day: int
    # The 429 to answer instead of the request.
    refused: QuotaExceeded | None = None
    # Why the model must not be asked (the budget is spent and ``offline`` is configured): the
    # fallback reason of every answer the model would have written.
    llm_barred: str | None = None
    # Sent with the answer (the RateLimit headers of ``requests_per_day``).
    headers: Mapping[str, str] = field(default_factory=dict)


def decide(limits: QuotaLimits, totals: Mapping[str, int], now: float) -> Admission:
    """The request's admission, given the day's totals with it counted in (``requests``)."""
    day = day_of(now)
    headers: dict[str, str] = {}
    limit = limits.requests_per_day
    if limit is not None:
        count = totals.get(REQUESTS, 0)
        headers = {
            "RateLimit-Policy": f"{_POLICY};q={limit};w={DAY_SECONDS}",
            "RateLimit": f"{_POLICY};r={max(0, limit - count)};t={seconds_to_midnight(now)}",
        }
        if count > limit:
            detail = (
                f"the day's quota of {limit} request{'' if limit == 1 else 's'} is used up "
                f"(quotas.{REQUESTS_QUOTA}); it renews at 00:00 UTC"
            )
            return Admission(day, QuotaExceeded(REQUESTS_QUOTA, limit, detail, now, headers))
    budget = limits.llm_budget_usd_per_day
    if budget is not None and totals.get(COST_NANO_USD, 0) >= _nano(budget):
        spent = f"the day's LLM budget of {format_usd(budget)} is spent (quotas.{BUDGET_QUOTA})"
        if limits.past_llm_budget == "refuse":
            detail = f"{spent}; it renews at 00:00 UTC"
            return Admission(day, QuotaExceeded(BUDGET_QUOTA, budget, detail, now, headers))
        reason = f"{LLM_BUDGET_REASON}: {spent}; the offline generator answers until 00:00 UTC"
        return Admission(day, llm_barred=reason, headers=headers)
    return Admission(day, headers=headers)


@dataclass(frozen=True)
class QuotaUse:
    """One quota today: its limit, how much of it is used, and what happens past it."""

    name: str
    limit: float
    used: float
    past_limit: Literal["refuse", "offline"]
    used_up: bool
    # Requests refused today for this quota (``requests_per_day`` only).
    refused: int | None = None


@dataclass(frozen=True)
class QuotaReport:
    """The quotas of the UTC day ``day`` (``YYYY-MM-DD``), renewed at ``resets_at``."""

    day: str
    resets_at: str
    quotas: tuple[QuotaUse, ...]


def report(limits: QuotaLimits, totals: Mapping[str, int], now: float) -> QuotaReport:
    """Each configured quota's use, from the day's totals (exact: counted in whole requests
    and nano-dollars)."""
    day = day_of(now)
    uses: list[QuotaUse] = []
    limit = limits.requests_per_day
    if limit is not None:
        count = totals.get(REQUESTS, 0)
        uses.append(
            QuotaUse(
                REQUESTS_QUOTA,
                limit,
                min(count, limit),
                "refuse",
                count >= limit,
                refused=max(0, count - limit),
            )
        )
    budget = limits.llm_budget_usd_per_day
    if budget is not None:
        spent = totals.get(COST_NANO_USD, 0)
        uses.append(
            QuotaUse(
                BUDGET_QUOTA, budget, spent / NANO, limits.past_llm_budget, spent >= _nano(budget)
            )
        )
    return QuotaReport(_iso_day_start(day)[:10], _iso_day_start(day + 1), tuple(uses))


class Quotas:
    """Counts each mock request against the day's quotas, and what its model calls cost."""

    def __init__(self, limits: QuotaLimits, counter: StatsCounter, *, model: bool) -> None:
        """``model``: whether a model is configured at all (without one, no money is spent
        and the budget needs no read)."""
        self.limits = limits
        self._counter = counter
        self._reads_spend = model and limits.llm_budget_usd_per_day is not None

    def admit(self, now: float) -> Admission:
        """The request counted (one atomic write with ``requests_per_day``; one read with a
        budget only), and what the day's totals say of it."""
        day = day_of(now)
        try:
            if self.limits.requests_per_day is not None:
                totals = self._counter.add_to_day(day, {REQUESTS: 1}, expires_at=_kept(day))
            elif self._reads_spend:
                totals = self._counter.read_day(day, now=now)
            else:
                return Admission(day)
        except Exception:  # a guard on cost: a failing counter never fails a request
            logger.exception("quotas not checked for a request at %.0f", now)
            return Admission(day)
        return decide(self.limits, totals, now)

    def spent(self, day: int, cost_usd: float) -> None:
        """Add what a request's model calls cost to its day (the day it was admitted in)."""
        nano = _nano(cost_usd)
        if nano <= 0 or self.limits.llm_budget_usd_per_day is None:
            return
        try:
            self._counter.add_to_day(day, {COST_NANO_USD: nano}, expires_at=_kept(day))
        except Exception:  # as in admit: logged, the request already answered
            logger.exception("model spending of %s not counted in the day's quota", cost_usd)

    def today(self, now: float) -> QuotaReport:
        return report(self.limits, self._counter.read_day(day_of(now), now=now), now)


def _kept(day: int) -> float:
    # A day's bucket outlives its day by one, so that the day before can still be read.
    return (day + 2) * DAY_SECONDS
