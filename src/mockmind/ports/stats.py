"""Where the request counters live: one bucket per UTC hour (domain/stats.py), and one per UTC
day for the quotas (domain/quotas.py), kept apart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class StatsCounter(Protocol):
    def add(self, hour: int, counts: Mapping[str, int], *, expires_at: float) -> None:
        """Add each count to the hour's counter of that name, atomically against other
        writers (processes, Lambda environments), in one write; the bucket is kept until
        ``expires_at`` at least."""
        ...

    def read(self, first: int, last: int, *, now: float) -> dict[int, dict[str, int]]:
        """The counters of the hours ``first`` to ``last`` (both included) that have any, by
        hour; hours whose bucket expired by ``now`` are left out."""
        ...

    def add_to_day(
        self, day: int, counts: Mapping[str, int], *, expires_at: float
    ) -> dict[str, int]:
        """Add each count to the day's counter of that name (``day``: days since the epoch,
        UTC) and return every counter of the day as this write left it, all in one atomic
        step: of N writers adding 1 at once, each sees a different total, 1 to N. The bucket
        is kept until ``expires_at`` at least."""
        ...

    def read_day(self, day: int, *, now: float) -> dict[str, int]:
        """The day's counters (empty when it has none, or its bucket expired by ``now``)."""
        ...
