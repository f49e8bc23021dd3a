"""The resilient HTTP layer every provider adapter shares.

One ``httpx.AsyncClient`` per provider, injected (tests pass ``httpx.MockTransport`` or point it
at a loopback server), reused across requests and warm Lambda invocations. A call is bounded by
connect/read timeouts and by a monotonic ``deadline`` (the Lambda invocation's remaining time),
retried on 429, 5xx and transport errors, and guarded by a circuit breaker. Every failure leaves
as ``ProviderError`` with a reason that is safe to log: the key is scrubbed from anything the
server echoed back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from mockmind.adapters.llm.resilience import CircuitBreaker, RetryPolicy, Timeouts
from mockmind.adapters.llm.secret import Secret, scrub_text
from mockmind.adapters.retry_after import parse_retry_after
from mockmind.lean_dataclass import dataclass
from mockmind.ports.llm import ProviderError

logger = logging.getLogger("mockmind.llm")

# Below this much time left a request cannot finish; failing now leaves the caller time to fall
# back to the offline generator before Lambda kills the invocation.
_MIN_USEFUL_SECONDS = 0.05
_RETRYABLE_STATUS = frozenset({408, 425, 429})
# A bad key fails every call alike: let the breaker stop us hammering the provider with it.
_BREAKER_STATUS = frozenset({401, 403})
_SNIPPET = 200


@dataclass(frozen=True)
class _Failure:
    reason: str
    retryable: bool
    counts_against_breaker: bool
    retry_after: float | None = None


class ResilientHttp:
    def __init__(
        self,
        provider: str,
        client: httpx.AsyncClient,
        base_url: str,
        *,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        breaker: CircuitBreaker | None = None,
        secret: Secret | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        client_factory: Callable[[], httpx.AsyncClient] | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.breaker = breaker or CircuitBreaker(monotonic=monotonic)
        self._client = client
        self._client_factory = client_factory
        self._loop: asyncio.AbstractEventLoop | None = None
        self._retry = retry or RetryPolicy()
        self._timeouts = timeouts or Timeouts()
        self._secret = secret
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._sleep = sleep
        # The operating system's randomness: workers forked from one built app (granian) would
        # otherwise draw the same retry jitter, and retry in step.
        self._rng = rng or random.SystemRandom()

    def __repr__(self) -> str:
        return f"ResilientHttp({self.provider!r}, {self.base_url!r})"

    async def aclose(self) -> None:
        await self._client.aclose()

    def reconnect(self) -> None:
        """A new client from the factory, and fresh retry jitter.

        For a Lambda SnapStart restore: the pooled connections in the snapshot are gone, and
        every instance restored from it would otherwise draw the same jitter.
        """
        if self._client_factory is not None:
            # The old client's sockets died with the snapshot's instance: nothing to close.
            self._client = self._client_factory()
            self._loop = None
        self._rng.seed()

    def _current_client(self) -> httpx.AsyncClient:
        """The client, rebuilt when the event loop changed and a factory was given.

        Pooled connections belong to the loop that opened them; on another loop they fail with
        "Event loop is closed". Uvicorn and Mangum keep one loop for the process, so this only
        matters where each call gets a fresh loop (``asyncio.run`` per request).
        """
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop and self._client_factory is not None:
            # The old client cannot be closed from here: its sockets belong to the old loop.
            self._client = self._client_factory()
            self._loop = loop
        return self._client

    async def post_json(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
        deadline: float | None = None,
    ) -> Any:
        """POST ``body`` as JSON and return the decoded JSON answer. Raises ProviderError."""
        if not self.breaker.allow():
            raise ProviderError(
                self.provider,
                f"circuit breaker open after repeated {self.breaker.opened_by}; "
                f"next try in {self.breaker.retry_in():.0f}s",
                retryable=True,
            )
        url = f"{self.base_url}{path}"
        attempt = 0
        while True:
            attempt += 1
            remaining = self._remaining(deadline)
            if remaining is not None and remaining < _MIN_USEFUL_SECONDS:
                failure = _Failure("deadline reached before the call", True, False)
                break
            try:
                outcome = await self._attempt(url, body, headers or {}, remaining)
            except asyncio.CancelledError:
                # The caller gave up (an outer timeout): no verdict, but a half-open trial's
                # slot must not stay taken, or the breaker would refuse every call after.
                self.breaker.release()
                raise
            if not isinstance(outcome, _Failure):
                self.breaker.record_success()
                return outcome
            failure = outcome
            if not failure.retryable or attempt >= self._retry.max_attempts:
                break
            delay = failure.retry_after
            if delay is None:
                delay = self._retry.backoff(attempt, self._rng)
            elif delay > self._retry.max_retry_after:
                failure = _Failure(
                    f"{failure.reason}; Retry-After {delay:.0f}s is too long to wait",
                    True,
                    failure.counts_against_breaker,
                )
                break
            left = self._remaining(deadline)
            if left is not None and delay + _MIN_USEFUL_SECONDS >= left:
                failure = _Failure(
                    f"{failure.reason}; no time left to retry",
                    True,
                    failure.counts_against_breaker,
                )
                break
            logger.info(
                "%s: %s; retry %d/%d in %.2fs",
                self.provider,
                failure.reason,
                attempt,
                self._retry.max_attempts - 1,
                delay,
            )
            await self._sleep(delay)
        if failure.counts_against_breaker:
            self.breaker.record_failure()
        else:
            self.breaker.release()
        if attempt > 1:
            failure = _Failure(
                f"{failure.reason} (after {attempt} attempts)",
                failure.retryable,
                failure.counts_against_breaker,
            )
        raise ProviderError(self.provider, failure.reason, retryable=failure.retryable)

    def _remaining(self, deadline: float | None) -> float | None:
        return None if deadline is None else deadline - self._monotonic()

    async def _attempt(
        self,
        url: str,
        body: Mapping[str, Any],
        headers: Mapping[str, str],
        remaining: float | None,
    ) -> Any:
        connect = self._timeouts.connect
        read = self._timeouts.read
        if remaining is not None:
            connect, read = min(connect, remaining), min(read, remaining)
        timeout = httpx.Timeout(connect=connect, read=read, write=read, pool=connect)
        try:
            # httpx's read timeout is per read; the outer bound stops a server that trickles
            # bytes from running past the deadline.
            async with asyncio.timeout(remaining):
                response = await self._current_client().post(
                    url, json=body, headers=headers, timeout=timeout
                )
        except TimeoutError:
            return _Failure("deadline reached during the call", True, True)
        except httpx.TimeoutException as exc:
            return _Failure(f"timed out ({type(exc).__name__})", True, True)
        except httpx.TransportError as exc:
            return _Failure(f"connection failed ({type(exc).__name__})", True, True)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return _Failure(f"request failed ({type(exc).__name__})", False, True)
        except RuntimeError as exc:
            # A closed client, or pooled connections bound to an event loop that has since
            # closed: the request must still be answered, by the fallback.
            return _Failure(f"HTTP client unusable ({self._snippet(str(exc))})", False, False)
        if response.is_success:
            try:
                return response.json()
            except ValueError:
                return _Failure(
                    f"HTTP {response.status_code} with a body that is not JSON: "
                    f"{self._snippet(response.text)!r}",
                    False,
                    True,
                )
        return self._status_failure(response)

    def _status_failure(self, response: httpx.Response) -> _Failure:
        status = response.status_code
        reason = f"HTTP {status}"
        message = _error_message(response)
        if message:
            reason += f": {self._snippet(message)}"
        retryable = status in _RETRYABLE_STATUS or status >= 500
        retry_after: float | None = None
        if retryable:
            retry_after = _retry_after(response.headers, self._wall_clock())
        counts = retryable or status in _BREAKER_STATUS
        return _Failure(reason, retryable, counts, retry_after)

    def _snippet(self, text: str) -> str:
        text = " ".join(text.split())
        if len(text) > _SNIPPET:
            text = text[:_SNIPPET] + "…"
        return scrub_text(text, self._secret)


def _retry_after(headers: httpx.Headers, now: float) -> float | None:
    # OpenAI also sends milliseconds; the finer value wins when both are there.
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    return parse_retry_after(headers.get("retry-after"), now=now)


def _error_message(response: httpx.Response) -> str:
    """The provider's own explanation: ``error.message`` (OpenAI, Anthropic), ``error`` (Ollama)."""
    try:
        data = response.json()
    except (ValueError, json.JSONDecodeError):
        return response.text
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if isinstance(data.get("message"), str):
            return str(data["message"])
    return json.dumps(data)[:_SNIPPET]
