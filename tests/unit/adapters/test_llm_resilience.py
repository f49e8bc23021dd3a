"""Retry timing, the circuit breaker and the masked key, without a network."""

from __future__ import annotations

import asyncio
import pickle
import random

import httpx
import pytest

from mockmind.adapters.llm.http import ResilientHttp
from mockmind.adapters.llm.resilience import CircuitBreaker, RetryPolicy
from mockmind.adapters.llm.secret import Secret
from mockmind.ports.llm import ProviderError

NOW = 1_767_225_600.0


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4)
    rng = random.Random(7)
    for attempt, cap in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        delays = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(0 <= d <= cap for d in delays)
        assert max(delays) > cap * 0.8, "full jitter spreads over the whole range"


def test_breaker_lets_one_trial_through_when_half_open() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=3, cooldown=10, monotonic=lambda: now[0])
    for _ in range(2):
        breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_success()  # success resets the count: failures must be consecutive
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    assert breaker.snapshot()["retry_in_seconds"] == 10.0
    now[0] = 10.0
    assert breaker.state == "half_open"
    assert breaker.allow()
    assert not breaker.allow(), "only one trial call at a time"
    breaker.record_failure()  # the trial failed: open again for a full cool-down
    assert breaker.state == "open"
    assert breaker.snapshot()["times_opened"] == 2
    now[0] = 20.0
    assert breaker.allow()
    breaker.release()  # a verdict-less call (a 400) frees the trial slot
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"


def test_invalid_answers_in_a_row_open_the_breaker_with_their_own_reason() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=2, cooldown=10, monotonic=lambda: now[0])
    # Each answer came back over HTTP fine (a success), then failed validation and repair.
    breaker.record_success()
    breaker.record_invalid()
    breaker.record_success()
    assert breaker.state == "closed", "a transport success does not end a run of invalid answers"
    breaker.record_valid()
    breaker.record_success()
    breaker.record_invalid()
    assert breaker.state == "closed", "a valid answer did"
    breaker.record_success()
    breaker.record_invalid()
    assert breaker.is_open()
    assert breaker.snapshot() == {
        "state": "open",
        "consecutive_failures": 0,
        "times_opened": 1,
        "retry_in_seconds": 10.0,
        "consecutive_invalid_answers": 2,
        "invalid_answers": 3,
        "opened_by": "invalid answers",
    }
    now[0] = 10.0
    assert not breaker.is_open(), "half-open lets the trial through"
    assert breaker.allow()
    breaker.record_success()
    breaker.record_invalid()  # the trial's answer was invalid too: open again
    assert breaker.state == "open"
    assert breaker.opened_by == "invalid answers"


def test_an_open_breaker_names_what_opened_it() -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown=60)
    breaker.record_invalid()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))

    async def call() -> str:
        async with httpx.AsyncClient(transport=transport) as client:
            http = ResilientHttp("openai", client, "http://llm", breaker=breaker)
            try:
                await http.post_json("/v1/chat/completions", {})
            except ProviderError as exc:
                return exc.reason
            return "answered"

    reason = asyncio.run(call())
    assert reason.startswith("circuit breaker open after repeated invalid answers; next try in ")


def test_retries_follow_retry_after_ms_and_stop_at_the_deadline() -> None:
    slept: list[float] = []
    clock = [100.0]
    statuses = iter([429, 503, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(statuses)
        if status == 429:
            return httpx.Response(429, headers={"retry-after-ms": "250"}, json={})
        if status == 503:
            return httpx.Response(503, json={"error": {"message": "busy"}})
        return httpx.Response(200, json={"ok": True})

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    async def run(deadline: float | None) -> object:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            http = ResilientHttp(
                "openai",
                client,
                "http://x",
                retry=RetryPolicy(max_attempts=3, base_delay=1, max_delay=1),
                monotonic=lambda: clock[0],
                sleep=sleep,
                rng=random.Random(1),
            )
            return await http.post_json("/p", {}, deadline=deadline)

    assert asyncio.run(run(None)) == {"ok": True}
    assert slept[0] == 0.25
    assert 0 <= slept[1] <= 1

    # With 0.2 s left, a 0.25 s Retry-After cannot be honoured: fail now, with time to fall back.
    statuses = iter([429, 200])
    slept.clear()
    with pytest.raises(ProviderError, match="no time left to retry"):
        asyncio.run(run(clock[0] + 0.2))
    assert slept == []


def test_secret_is_masked_everywhere_but_reveal() -> None:
    key = Secret("sk-live-abcdefghijklmnop")
    assert "abcdef" not in repr(key) + str(key) + f"{key}" + repr([key]) + repr({"k": key})
    assert key.reveal() == "sk-live-abcdefghijklmnop"
    assert key.scrub("key sk-live-abcdefghijklmnop end") == "key *** end"
    assert key.scrub("other key sk-proj-ZZZZZZZZZZZZ") == "other key ***"
    with pytest.raises(TypeError):
        pickle.dumps(key)


# Threads other tests left behind make os.fork warn; the child only writes to a pipe and exits.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_forked_workers_draw_their_own_retry_jitter() -> None:
    """granian forks its workers from one built app: a jitter generator copied with it would
    make every worker retry a failing provider at the same instants."""
    import os

    http = ResilientHttp("p", httpx.AsyncClient(), "http://provider.test")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its draws, then gone without pytest's teardown
        os.write(write, repr([http._rng.random() for _ in range(4)]).encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 4096).decode()
    os.waitpid(pid, 0)
    os.close(read)
    assert child != repr([http._rng.random() for _ in range(4)])
