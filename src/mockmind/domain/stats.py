"""Request statistics per hour: counters added to as requests are answered, never a scan.

Each answered request adds its counts to the bucket of the UTC hour it came in, in one write
(``ports/stats.StatsCounter``): one request, the source of its answer (``source:cache``...),
an error by source when the status is 400 or above (``errors:rule``...), a cache hit, a
fallback, and the model calls, tokens and cost (in nano-dollars, so that every counter is an
integer and adds up exactly in every store) it spent. Reading N hours reads N buckets.

Counting is a record, like the journal: a store that fails to count is logged, and the request
is answered all the same.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import field
from types import MappingProxyType

from mockmind.lean_dataclass import dataclass
from mockmind.ports.stats import StatsCounter

logger = logging.getLogger("mockmind.stats")

HOUR_SECONDS = 3600
# How long hour buckets are kept (the DynamoDB TTL, the other stores' purge), and so the most
# hours a read may ask for: 31 days.
RETENTION_HOURS = 31 * 24
NANO = 1_000_000_000

REQUESTS = "requests"
CACHE_HITS = "cache_hits"
FALLBACKS = "fallbacks"
LLM_CALLS = "llm_calls"
TOKENS = "tokens"
COST_NANO_USD = "cost_nano_usd"
SOURCE_PREFIX = "source:"
ERROR_PREFIX = "errors:"


def hour_of(at: float) -> int:
    """The UTC hour ``at`` (epoch seconds) falls in, as hours since the epoch."""
    return math.floor(at / HOUR_SECONDS)


@dataclass(frozen=True)
class Spent:
    """What a request spent on the model."""

    llm_calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0


def request_counts(source: str, status: int, spent: Spent | None = None) -> dict[str, int]:
    """The counters one answered request adds to (only those it adds to: no zeros)."""
    counts = {REQUESTS: 1, SOURCE_PREFIX + source: 1}
    if source == "cache":
        counts[CACHE_HITS] = 1
    elif source == "fallback":
        counts[FALLBACKS] = 1
    if status >= 400:
        counts[ERROR_PREFIX + source] = 1
    if spent is not None:
        if spent.llm_calls:
            counts[LLM_CALLS] = spent.llm_calls
        if spent.tokens:
            counts[TOKENS] = spent.tokens
        cost = round(spent.cost_usd * NANO)
        if cost:
            counts[COST_NANO_USD] = cost
    return counts


@dataclass(frozen=True)
class HourStats:
    """One hour's counts (``hour``: its start, epoch seconds; ``hour`` None for totals)."""

    hour: int | None
    requests: int = 0
    cache_hits: int = 0
    fallbacks: int = 0
    llm_calls: int = 0
    tokens: int = 0
    cost_nano_usd: int = 0
    by_source: Mapping[str, int] = field(default_factory=dict)
    errors_by_source: Mapping[str, int] = field(default_factory=dict)

    @property
    def cache_hit_rate(self) -> float | None:
        """Cache hits per request; None for an hour without requests (no rate to speak of)."""
        return self.cache_hits / self.requests if self.requests else None

    @property
    def cost_usd(self) -> float:
        return self.cost_nano_usd / NANO

    @property
    def errors(self) -> int:
        return sum(self.errors_by_source.values())

    @classmethod
    def of(cls, hour: int | None, counts: Mapping[str, int]) -> HourStats:
        return cls(
            hour=hour,
            requests=counts.get(REQUESTS, 0),
            cache_hits=counts.get(CACHE_HITS, 0),
            fallbacks=counts.get(FALLBACKS, 0),
            llm_calls=counts.get(LLM_CALLS, 0),
            tokens=counts.get(TOKENS, 0),
            cost_nano_usd=counts.get(COST_NANO_USD, 0),
            by_source=_prefixed(counts, SOURCE_PREFIX),
            errors_by_source=_prefixed(counts, ERROR_PREFIX),
        )


def _prefixed(counts: Mapping[str, int], prefix: str) -> dict[str, int]:
    return {
        name[len(prefix) :]: value
        for name, value in sorted(counts.items())
        if name.startswith(prefix) and value
    }


@dataclass(frozen=True)
class StatsReport:
    """The last hours, oldest first (every hour, those without requests too), and their sum."""

    hours: tuple[HourStats, ...]
    totals: HourStats


class RequestStats:
    """Counts each answered request in its hour, and reads the last hours back."""

    def __init__(self, counter: StatsCounter) -> None:
        self._counter = counter
        # The hour of the last request counted: every request of that hour is in it, so its
        # number and expiry are worked out once an hour, not per request (a third of the
        # count). ``(hour, from, until, expires_at)``: replaced whole, safe across threads.
        self._hour: tuple[int, float, float, float] = (0, 0.0, 0.0, 0.0)
        # ``request_counts`` of a request that spent nothing on the model, by source and
        # status (read-only, as handed to every count): made once each, and few (a handful of
        # sources times the statuses answered).
        self._plain: dict[tuple[str, int], Mapping[str, int]] = {}

    def count(self, at: float, source: str, status: int, spent: Spent | None = None) -> None:
        """One write; a failure is logged, never raised (the request is answered regardless)."""
        known = self._hour
        if known[1] <= at < known[2]:
            hour, expires_at = known[0], known[3]
        else:
            hour = hour_of(at)
            expires_at = (hour + 1 + RETENTION_HOURS) * HOUR_SECONDS
            # A second inside each end: ``hour_of`` divides, and a time within a rounding of
            # the hour's edge is left to it rather than to this comparison.
            self._hour = (
                hour,
                hour * HOUR_SECONDS + 1.0,
                (hour + 1) * HOUR_SECONDS - 1.0,
                expires_at,
            )
        try:
            if spent is None:
                counts = self._plain.get((source, status))
                if counts is None:
                    counts = self._plain[(source, status)] = MappingProxyType(
                        request_counts(source, status)
                    )
            else:
                counts = request_counts(source, status, spent)
            self._counter.add(hour, counts, expires_at=expires_at)
        except Exception:  # a record: a store failing to count never fails a request
            logger.exception("request at %.0f not counted in the hour's stats", at)

    def last_hours(self, now: float, hours: int) -> StatsReport:
        if not 1 <= hours <= RETENTION_HOURS:
            raise ValueError(f"hours must be from 1 to {RETENTION_HOURS}, not {hours}")
        last = hour_of(now)
        first = last - hours + 1
        found = self._counter.read(first, last, now=now)
        buckets = tuple(
            HourStats.of(hour * HOUR_SECONDS, found.get(hour, {}))
            for hour in range(first, last + 1)
        )
        summed: dict[str, int] = {}
        for counts in found.values():
            for name, value in counts.items():
                summed[name] = summed.get(name, 0) + value
        return StatsReport(buckets, HourStats.of(None, summed))
