"""Where the hourly request counters live (domain/stats.py): one bucket per UTC hour."""

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
