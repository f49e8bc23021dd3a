"""Writes that lose a race start again from a fresh read, a bounded number of times.

Two requests (of one process, of two servers on one file, of many Lambda environments on one
table) may change one entity at once. Each writes conditionally on what it read; the one that
loses re-reads and re-applies its change, after a short random pause so the two do not collide
again in step. One that loses every time is answered 409: a write is never silently lost.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator

from mockmind.domain.errors import RequestError, VersionConflict

WRITE_ATTEMPTS = 8
# "Full jitter": the pause before turn n (from 1) is random in [0, min(cap, base * 2**(n-1))].
_FIRST_PAUSE_SECONDS = 0.001
_MAX_PAUSE_SECONDS = 0.05


def tries() -> Iterator[int]:
    """The turns of a conditional write: ``WRITE_ATTEMPTS`` of them, with a short random
    pause before each one after the first, so racing writers fall out of step."""
    for turn in range(WRITE_ATTEMPTS):
        if turn:
            cap = min(_MAX_PAUSE_SECONDS, _FIRST_PAUSE_SECONDS * 2 ** (turn - 1))
            time.sleep(random.uniform(0, cap))
        yield turn


def retried[T](attempt: Callable[[], T], what: str) -> T:
    """``attempt()``, again while it raises ``VersionConflict``; 409 after the last try."""
    for _ in tries():
        try:
            return attempt()
        except VersionConflict:
            continue
    raise write_conflict(what)


def write_conflict(what: str) -> RequestError:
    return RequestError(
        409,
        "Conflict",
        f"{what} kept being changed by other requests while this one wrote it "
        f"({WRITE_ATTEMPTS} tries); nothing was written, send the request again",
        headers={"Retry-After": "1"},
    )
