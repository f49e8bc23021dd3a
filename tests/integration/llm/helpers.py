from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import httpx

from mockmind.adapters.llm.http import ResilientHttp
from mockmind.adapters.llm.resilience import CircuitBreaker, RetryPolicy, Timeouts
from mockmind.adapters.llm.secret import Secret

KEY = "sk-test-Zq8vN3kLm5PwRt7YxB2cD4fG6hJ9"

_OPEN: list[httpx.AsyncClient] = []

FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=5)


def http(
    base_url: str,
    *,
    provider: str = "openai",
    retry: RetryPolicy = FAST_RETRY,
    timeouts: Timeouts | None = None,
    breaker: CircuitBreaker | None = None,
    secret: Secret | None = None,
) -> ResilientHttp:
    client = httpx.AsyncClient()
    _OPEN.append(client)
    return ResilientHttp(
        provider,
        client,
        base_url,
        retry=retry,
        timeouts=timeouts or Timeouts(connect=1, read=2),
        breaker=breaker,
        secret=secret,
    )


def arun[T](main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` that closes the clients ``http`` made, inside the loop they belong to."""

    async def closing() -> T:
        try:
            return await main
        finally:
            while _OPEN:
                await _OPEN.pop().aclose()

    return asyncio.run(closing())
