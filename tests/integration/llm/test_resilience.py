"""Retries, Retry-After, timeouts, deadlines, broken bodies and the circuit breaker, over real
loopback sockets."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from mockmind.adapters.llm.openai import OpenAIChat
from mockmind.adapters.llm.resilience import CircuitBreaker, RetryPolicy, Timeouts
from mockmind.adapters.llm.secret import Secret
from mockmind.ports.llm import ChatRequest, ChatResult, ProviderError
from tests.integration.llm.helpers import KEY, arun, http
from tests.support.fake_provider import FakeProvider, Reply, openai_chat
from tests.support.network import free_port

REQUEST = ChatRequest(system="s", user="u")
OK = Reply(body=openai_chat('{"ok": true}'))

# A reply that never comes in time: the bound below is far from both the timeouts (tenths of a
# second) and the reply (20 s), so a loaded machine cannot make these tests fail or pass wrongly.
_NEVER = 20.0
_BOUNDED = 10.0


def complete(
    url: str,
    *,
    retry: RetryPolicy | None = None,
    timeouts: Timeouts | None = None,
    breaker: CircuitBreaker | None = None,
    deadline_in: float | None = None,
) -> ChatResult:
    async def run() -> ChatResult:
        client = http(
            url,
            retry=retry or RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02),
            timeouts=timeouts,
            breaker=breaker,
            secret=Secret(KEY),
        )
        chat = OpenAIChat(client, "gpt-4o-mini", api_key=Secret(KEY))
        deadline = None if deadline_in is None else time.monotonic() + deadline_in
        return await chat.complete(REQUEST, deadline=deadline)

    return arun(run())


def test_429_waits_for_retry_after_seconds(fake: FakeProvider) -> None:
    fake.queue(Reply(429, {"error": {"message": "Rate limit"}}, {"retry-after": "1"}), OK)
    started = time.monotonic()
    assert complete(fake.url).text == '{"ok": true}'
    # Our own backoff would have waited at most 0.02 s; the server asked for one second.
    assert time.monotonic() - started >= 0.95
    assert len(fake.requests) == 2


def test_429_retry_after_as_http_date(fake: FakeProvider) -> None:
    # HTTP dates have whole seconds: two seconds ahead waits between one and two.
    when = formatdate(time.time() + 2, usegmt=True)
    fake.queue(Reply(429, {"error": {"message": "slow down"}}, {"retry-after": when}), OK)
    started = time.monotonic()
    complete(fake.url)
    # Not before the date; the upper bound only says it did not wait for a default backoff.
    assert 0.9 <= time.monotonic() - started < _BOUNDED


def test_retry_after_beyond_the_limit_gives_up(fake: FakeProvider) -> None:
    fake.queue(Reply(429, {"error": {"message": "quota"}}, {"retry-after": "120"}), OK)
    with pytest.raises(ProviderError, match="Retry-After 120s is too long") as caught:
        complete(fake.url)
    assert caught.value.retryable is True
    assert len(fake.requests) == 1


def test_500_then_success(fake: FakeProvider) -> None:
    fake.queue(Reply(500, {"error": {"message": "boom"}}), Reply(503, raw=b"<html>busy</html>"), OK)
    assert complete(fake.url).completion_tokens == 30
    assert len(fake.requests) == 3


def test_persistent_500_fails_after_the_attempts(fake: FakeProvider) -> None:
    fake.default = lambda seen: Reply(502, {"error": {"message": "bad gateway"}})
    with pytest.raises(
        ProviderError, match=r"HTTP 502: bad gateway \(after 3 attempts\)"
    ) as caught:
        complete(fake.url)
    assert caught.value.retryable is True
    assert len(fake.requests) == 3


def test_client_error_is_not_retried(fake: FakeProvider) -> None:
    fake.queue(Reply(400, {"error": {"message": "max_tokens is too large"}}), OK)
    with pytest.raises(ProviderError, match="HTTP 400: max_tokens is too large") as caught:
        complete(fake.url)
    assert caught.value.retryable is False
    assert len(fake.requests) == 1


def test_read_timeout_is_retried_then_reported(fake: FakeProvider) -> None:
    fake.default = lambda seen: Reply(body=openai_chat("{}"), delay=_NEVER)
    started = time.monotonic()
    with pytest.raises(ProviderError, match=r"timed out \(ReadTimeout\)"):
        complete(
            fake.url,
            retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.01),
            timeouts=Timeouts(connect=1, read=0.15),
        )
    assert time.monotonic() - started < _BOUNDED
    assert len(fake.requests) == 2


def test_deadline_bounds_the_whole_call(fake: FakeProvider) -> None:
    fake.default = lambda seen: Reply(body=openai_chat("{}"), delay=_NEVER)
    started = time.monotonic()
    with pytest.raises(ProviderError, match=r"deadline|no time left|timed out"):
        # The read timeout alone would wait past the bound; the deadline ends the call.
        complete(fake.url, timeouts=Timeouts(connect=1, read=15), deadline_in=0.25)
    assert time.monotonic() - started < _BOUNDED


def test_a_spent_deadline_makes_no_call(fake: FakeProvider) -> None:
    with pytest.raises(ProviderError, match="deadline reached before the call"):
        complete(fake.url, deadline_in=0.0)
    assert fake.requests == []


def test_truncated_body_is_retried(fake: FakeProvider) -> None:
    fake.queue(Reply(body=openai_chat('{"long": "' + "x" * 500 + '"}'), truncate=True), OK)
    assert complete(fake.url).text == '{"ok": true}'
    assert len(fake.requests) == 2


def test_non_json_body_is_reported_not_retried(fake: FakeProvider) -> None:
    fake.queue(Reply(200, raw=b"<html>Welcome to nginx</html>"), OK)
    with pytest.raises(ProviderError, match="not JSON: '<html>Welcome to nginx</html>'") as caught:
        complete(fake.url)
    assert caught.value.retryable is False
    assert len(fake.requests) == 1


def test_connection_refused() -> None:
    with pytest.raises(ProviderError, match=r"connection failed \(ConnectError\)"):
        complete(f"http://127.0.0.1:{free_port()}")


def test_circuit_breaker_opens_then_half_opens(fake: FakeProvider) -> None:
    now = [1000.0]
    breaker = CircuitBreaker(failure_threshold=2, cooldown=30, monotonic=lambda: now[0])
    fake.default = lambda seen: Reply(500, {"error": {"message": "down"}})
    one_try = RetryPolicy(max_attempts=1)
    for _ in range(2):
        with pytest.raises(ProviderError, match="HTTP 500"):
            complete(fake.url, retry=one_try, breaker=breaker)
    assert breaker.state == "open"
    with pytest.raises(ProviderError, match="circuit breaker open") as caught:
        complete(fake.url, retry=one_try, breaker=breaker)
    assert caught.value.retryable is True
    assert len(fake.requests) == 2, "an open breaker must not call the provider"
    assert breaker.snapshot()["times_opened"] == 1

    now[0] += 31
    assert breaker.state == "half_open"
    fake.default = None
    fake.queue(OK)
    complete(fake.url, retry=one_try, breaker=breaker)
    assert breaker.state == "closed"
    assert breaker.snapshot()["consecutive_failures"] == 0


def test_a_bad_key_opens_the_breaker_but_a_bad_request_does_not(fake: FakeProvider) -> None:
    breaker = CircuitBreaker(failure_threshold=2, cooldown=30)
    fake.default = lambda seen: Reply(400, {"error": {"message": "bad request"}})
    for _ in range(3):
        with pytest.raises(ProviderError, match="HTTP 400"):
            complete(fake.url, breaker=breaker)
    assert breaker.state == "closed"
    fake.default = lambda seen: Reply(401, {"error": {"message": "Incorrect API key"}})
    for _ in range(2):
        with pytest.raises(ProviderError, match="HTTP 401"):
            complete(fake.url, breaker=breaker)
    assert breaker.state == "open"
    assert len(fake.requests) == 5


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_new_event_loop_gets_a_new_client(fake: FakeProvider) -> None:
    # Pooled connections belong to the loop that opened them; asyncio.run per call (as some
    # tests and scripts do) must not meet "Event loop is closed" on the second call.
    import asyncio
    import gc

    import httpx

    from mockmind.adapters.llm.http import ResilientHttp

    made: list[httpx.AsyncClient] = []

    def factory() -> httpx.AsyncClient:
        made.append(httpx.AsyncClient())
        return made[-1]

    fake.default = lambda seen: OK
    layer = ResilientHttp("openai", factory(), fake.url, client_factory=factory)

    async def call() -> object:
        return await layer.post_json("/v1/chat/completions", {})

    async def call_and_close() -> object:
        try:
            return await call()
        finally:
            await layer.aclose()

    assert asyncio.run(call()) == OK.body
    assert asyncio.run(call_and_close()) == OK.body
    assert len(made) == 2
    assert made[0].is_closed is False  # abandoned with its loop; nothing can close it now
    del made[0]
    gc.collect()  # its socket's ResourceWarning belongs to this test, not a later one
