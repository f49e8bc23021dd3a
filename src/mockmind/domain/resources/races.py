"""Writes that lose a race start again from a fresh read, a bounded number of times.

Two requests (of one process, of two servers on one file, of many Lambda environments on one
table) may change one entity at once. Each writes conditionally on what it read; the one that
loses re-reads and re-applies its change, after a short random pause so the two do not collide
again in step. One that loses every time is answered 409: a write is never silently lost.

A ``RaceTally`` counts, per process, the turns taken again and the writes given up: the health
route shows it, so one can see how often writers collide (``serve --workers``, two servers on
one store, bench/many_writers.py).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Literal

from mockmind.domain.errors import RequestError, VersionConflict

WRITE_ATTEMPTS = 8
# "Full jitter": the pause before turn n (from 1) is random in [0, min(cap, base * 2**(n-1))].
_FIRST_PAUSE_SECONDS = 0.001
_MAX_PAUSE_SECONDS = 0.05


RaceKind = Literal["entity", "session"]
"""What lost the race: a write of an entity (given up: 409), or a session's save (503)."""


class RaceTally:
    """Lost races of one process's conditional writes: the turns taken again after one, and
    the writes given up after the last try. Counted under a lock: only lost races pay for
    it, and the counts stay right whichever threads the requests run on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._retried: dict[RaceKind, int] = {"entity": 0, "session": 0}
        self._given_up: dict[RaceKind, int] = {"entity": 0, "session": 0}

    def count_retry(self, kind: RaceKind) -> None:
        with self._lock:
            self._retried[kind] += 1

    def count_give_up(self, kind: RaceKind) -> None:
        with self._lock:
            self._given_up[kind] += 1

    def as_dict(self) -> dict[str, dict[str, int]]:
        """``{"entity": {"retried": n, "given_up": n}, "session": {...}}``, counted so far."""
        with self._lock:
            return {
                kind: {"retried": self._retried[kind], "given_up": self._given_up[kind]}
                for kind in ("entity", "session")
            }


def tries(tally: RaceTally, kind: RaceKind) -> Iterator[int]:
    """The turns of a conditional write: ``WRITE_ATTEMPTS`` of them, with a short random
    pause before each one after the first, so racing writers fall out of step. A turn after
    the first follows a lost race: ``tally`` counts it."""
    for turn in range(WRITE_ATTEMPTS):
        if turn:
            tally.count_retry(kind)
            cap = min(_MAX_PAUSE_SECONDS, _FIRST_PAUSE_SECONDS * 2 ** (turn - 1))
            time.sleep(random.uniform(0, cap))
        yield turn


def retried[T](attempt: Callable[[], T], what: str, tally: RaceTally) -> T:
    """``attempt()``, again while it raises ``VersionConflict``; 409 after the last try."""
    for _ in tries(tally, "entity"):
        try:
            return attempt()
        except VersionConflict:
            continue
    tally.count_give_up("entity")
    raise write_conflict(what)


def write_conflict(what: str) -> RequestError:
    return RequestError(
        409,
        "Conflict",
        f"{what} kept being changed by other requests while this one wrote it "
        f"({WRITE_ATTEMPTS} tries); nothing was written, send the request again",
        headers={"Retry-After": "1"},
    )
