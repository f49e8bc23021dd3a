"""The nearest-rank percentile: the value a share of the sorted values is at or below, always
one of the values (what simulation reports and prompt-variant latencies show)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def nearest_rank(ordered: Sequence[float], rank: float) -> float | None:
    """The ``rank``-th percentile of sorted values, to three decimals (a microsecond, for
    the milliseconds both callers give it); None when there are none."""
    if not ordered:
        return None
    return round(ordered[max(0, math.ceil(rank / 100 * len(ordered)) - 1)], 3)
