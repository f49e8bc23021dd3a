"""Retry timing and a circuit breaker, kept free of httpx so they are tested on their own.

Backoff is exponential with full jitter (a random delay between 0 and the exponential cap), which
spreads the retries of many Lambda instances that failed together instead of synchronising them.
A ``Retry-After`` from the server (adapters/retry_after.py) wins over our own guess: it knows
when it will have capacity.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

from mockmind.lean_dataclass import dataclass

BreakerState = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    # A server that asks us to wait longer than this is treated as down for this call.
    max_retry_after: float = 30.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter delay before retry number ``attempt`` (1 for the first retry)."""
        cap = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return rng.uniform(0, cap)


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 30.0


class CircuitBreaker:
    """Opens after ``failure_threshold`` consecutive failed calls and stays open ``cooldown``
    seconds; then one trial call is let through (half-open): success closes it, failure opens
    it again. While open, callers fail fast instead of waiting on a provider that is down.

    Answers count too: ``failure_threshold`` answers in a row still invalid after their repair
    (``record_invalid``, told by the content layer; a transport success does not end the run,
    only a valid answer does) open it as well, and health says which opened it.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        cooldown: float = 30.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self._threshold = failure_threshold
        self._cooldown = cooldown
        self._monotonic = monotonic
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False
        self._opened_count = 0
        self._invalid = 0
        self._invalid_total = 0
        self._opened_by: str | None = None
        # Calls run on one event loop, but health may read from another thread.
        self._lock = threading.Lock()

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state_locked()

    def _state_locked(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._monotonic() - self._opened_at >= self._cooldown:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        """Whether a call may go out now; in half-open, only the first caller's may."""
        with self._lock:
            state = self._state_locked()
            if state == "closed":
                return True
            if state == "open" or self._trial_in_flight:
                return False
            self._trial_in_flight = True
            return True

    def retry_in(self) -> float:
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self._cooldown - (self._monotonic() - self._opened_at))

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            was_trial = self._trial_in_flight
            self._trial_in_flight = False
            if was_trial or self._failures >= self._threshold:
                self._open("provider failures")

    def record_invalid(self) -> None:
        """An answer that came back fine over HTTP but was unusable, even after its repair."""
        with self._lock:
            self._invalid += 1
            self._invalid_total += 1
            if self._invalid >= self._threshold:
                self._open("invalid answers")

    def record_valid(self) -> None:
        with self._lock:
            self._invalid = 0

    def is_open(self) -> bool:
        """Open and cooling down: a call now would be refused (half-open lets one through)."""
        return self.state == "open"

    @property
    def opened_by(self) -> str:
        """What opened the breaker last: "provider failures" or "invalid answers"."""
        with self._lock:
            return self._opened_by or "provider failures"

    def _open(self, cause: str) -> None:
        self._opened_at = self._monotonic()
        self._opened_count += 1
        self._opened_by = cause

    def release(self) -> None:
        """A call ended with neither verdict (a client error): free the half-open slot."""
        with self._lock:
            self._trial_in_flight = False

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            state = self._state_locked()
            retry_in = (
                max(0.0, self._cooldown - (self._monotonic() - self._opened_at))
                if self._opened_at is not None
                else 0.0
            )
            return {
                "state": state,
                "consecutive_failures": self._failures,
                "times_opened": self._opened_count,
                "retry_in_seconds": round(retry_in, 1),
                "consecutive_invalid_answers": self._invalid,
                "invalid_answers": self._invalid_total,
                "opened_by": self._opened_by,
            }
