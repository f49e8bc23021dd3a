"""``CallbackSender`` over httpx: one attempt per call, its failures as ``DeliveryFailed``.

A client per attempt: deliveries are few, and they run on whichever event loop carries them
(uvicorn's, or one made for a Lambda delivery invocation); a pooled client belongs to one.
Redirects are not followed: a callback receiver that moved answers 3xx, which is recorded.
A ``Retry-After`` (seconds or an HTTP date) is handed on for the courier to wait.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import httpx

from mockmind import __version__
from mockmind.adapters.retry_after import parse_retry_after
from mockmind.domain.callbacks.deliveries import DeliveryFailed
from mockmind.ports.callbacks import SentAnswer

USER_AGENT = f"mockmind/{__version__} (callback)"
# What is kept of a receiver's answer for the history.
_KEPT_BYTES = 4096


class HttpCallbackSender:
    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        # Tests hand in httpx.MockTransport; by default httpx's own.
        self._transport = transport

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        timeout: float,
    ) -> SentAnswer:
        sent = {"User-Agent": USER_AGENT, **headers}
        try:
            async with httpx.AsyncClient(
                transport=self._transport, timeout=timeout, follow_redirects=False
            ) as client:
                response = await client.request(method, url, headers=sent, content=body)
        except httpx.TimeoutException as exc:
            raise DeliveryFailed(f"no answer within {timeout:g} s ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        return SentAnswer(
            status=response.status_code,
            body=response.content[:_KEPT_BYTES],
            media_type=response.headers.get("content-type"),
            retry_after=parse_retry_after(response.headers.get("retry-after"), now=time.time()),
        )
