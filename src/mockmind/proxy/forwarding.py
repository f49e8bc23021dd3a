"""The reverse proxy itself: an ASGI request sent on to the upstream over httpx, its answer
streamed back.

- Bodies stream both ways, chunk by chunk; a copy of each body's first bytes is kept for the
  checks and the recording (``exchange.Body``). A caller that inspects exchanges
  (``Inspection``) sees the request with its body's first ``keep_bytes`` before it is sent
  on, and may hold an answer it wants to check (up to ``keep_bytes``: what is longer streams
  on unchecked) before adding its headers; answers it does not hold stream as they come.
- Hop-by-hop headers (RFC 9110 section 7.6.1: ``Connection`` and every header it names,
  ``Keep-Alive``, ``TE``, ``Transfer-Encoding``, ``Upgrade``, ``Proxy-*``) are dropped both
  ways; ``Host`` is the upstream's; ``X-Forwarded-For``, ``-Host`` and ``-Proto`` say whom the
  request came from. Nothing else is added: httpx's default headers are not sent.
- ``timeout`` bounds connecting, each write and each wait for the upstream's next bytes.
  An upstream that cannot be reached is answered 502, one that does not answer in time 504,
  both as problem documents (``domain/error_answers``). Once the answer's head is sent, a
  failure can only cut the answer short: the connection is closed, and the failure logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Protocol
from urllib.parse import urlsplit

import httpx
from starlette.types import Receive, Scope, Send

from mockmind.app.mock_asgi import path_as_sent
from mockmind.domain import json_codec
from mockmind.domain.error_answers import http_answer
from mockmind.domain.errors import RequestError
from mockmind.proxy.exchange import DEFAULT_KEEP_BYTES, Body, Exchange

logger = logging.getLogger("mockmind.proxy")

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)


_BODY_HEADERS = frozenset({b"content-length", b"transfer-encoding"})


class Inspection(Protocol):
    """What a caller checking exchanges is shown, and what it adds."""

    def request_seen(self, exchange: Exchange) -> None:
        """The request, its body's first ``keep_bytes`` read, before it is sent upstream."""
        ...

    def holds_answer(self, exchange: Exchange) -> bool:
        """Given the answer's status and headers: whether to read its body (up to
        ``keep_bytes``) before the head is sent, for ``answer_headers`` to see it."""
        ...

    def answer_headers(self, exchange: Exchange, complete: bool) -> list[tuple[str, str]]:
        """Headers to add to the answer (``complete``: its whole body was read)."""
        ...


class UpstreamFailed(RequestError):
    """502: the upstream could not be reached, or broke the exchange."""

    def __init__(self, detail: str) -> None:
        super().__init__(502, "Bad Gateway", detail)


class UpstreamTimeout(RequestError):
    """504: the upstream did not answer in time."""

    def __init__(self, detail: str) -> None:
        super().__init__(504, "Gateway Timeout", detail)


class Upstream:
    def __init__(
        self,
        url: str,
        *,
        timeout: float,
        keep_bytes: int = DEFAULT_KEEP_BYTES,
        client: httpx.AsyncClient | None = None,
        own_headers: frozenset[str] = frozenset(),
    ) -> None:
        """``own_headers``: answer headers the serving app writes itself (uvicorn's ``date``
        and ``server`` under ``serve``), dropped from the upstream's so none is sent twice."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"the upstream must be an http(s) URL with a host, not {url!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"the upstream URL {url!r} may not hold a query or a fragment")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.keep_bytes = keep_bytes
        self._own_headers = frozenset(name.lower() for name in own_headers)
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        inspection: Inspection | None = None,
    ) -> Exchange | None:
        """Forward one request and stream its answer; the exchange as it went (None when
        the upstream failed and the client was answered 502 or 504)."""
        exchange = _exchange(scope, self.keep_bytes)
        clock = time.perf_counter()
        body: AsyncIterator[bytes] | None = None
        # RFC 9112 section 6.3: a request without either header has no body (and sending it
        # on as a stream would give it an empty chunked one).
        if any(name.lower() in _BODY_HEADERS for name, _ in scope["headers"]):
            if inspection is not None:
                body = await _read_ahead(receive, exchange.request_body)
            else:
                body = _teed(_received(receive), exchange.request_body)
        if inspection is not None:
            inspection.request_seen(exchange)
        request = httpx.Request(
            exchange.method,
            self.url
            + exchange.path
            + (f"?{exchange.query_string}" if exchange.query_string else ""),
            headers=_request_headers(scope),
            content=body,
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.TimeoutException:
            await self._fail(send, exchange, UpstreamTimeout(self._late()))
            return None
        except httpx.HTTPError as exc:
            await self._fail(send, exchange, UpstreamFailed(self._unreachable(exc)))
            return None
        try:
            answered = await self._answer(response, exchange, send, inspection, clock)
        finally:
            await response.aclose()
        if not answered:
            return None
        exchange.elapsed_ms = (time.perf_counter() - clock) * 1000
        return exchange

    async def _answer(
        self,
        response: httpx.Response,
        exchange: Exchange,
        send: Send,
        inspection: Inspection | None,
        clock: float,
    ) -> bool:
        """Send the upstream's answer on; False when it failed before its head was sent
        (the client was answered 502 or 504 instead)."""
        exchange.status = response.status_code
        exchange.http_version = response.http_version
        exchange.response_headers = [
            (k, v)
            for k, v in _answer_headers(response.headers.multi_items())
            if k not in self._own_headers
        ]
        exchange.wait_ms = (time.perf_counter() - clock) * 1000
        chunks = response.aiter_raw()
        held: list[bytes] = []
        complete = False
        added: list[tuple[str, str]] = []
        try:
            if inspection is not None and inspection.holds_answer(exchange):
                async for chunk in chunks:
                    held.append(chunk)
                    exchange.response_body.add(chunk)
                    if exchange.response_body.truncated:
                        break
                else:
                    complete = True
            if inspection is not None:
                added = inspection.answer_headers(exchange, complete)
        except httpx.TimeoutException:
            await self._fail(send, exchange, UpstreamTimeout(self._late()))
            return False
        except httpx.HTTPError as exc:
            await self._fail(send, exchange, UpstreamFailed(self._unreachable(exc)))
            return False
        head = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in exchange.response_headers]
        head.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in added)
        await send({"type": "http.response.start", "status": response.status_code, "headers": head})
        for chunk in held:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if not complete:
            try:
                async for chunk in chunks:
                    exchange.response_body.add(chunk)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except httpx.HTTPError as exc:
                # The head is out: all that is left is to end the answer short.
                logger.warning(
                    "%s %s: the upstream's answer broke off after %d bytes: %s",
                    exchange.method,
                    exchange.path,
                    exchange.response_body.size,
                    type(exc).__name__,
                )
                raise
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return True

    def _late(self) -> str:
        return f"the upstream {self.url} did not answer within {self.timeout:g} s"

    def _unreachable(self, exc: httpx.HTTPError) -> str:
        reason = str(exc) or type(exc).__name__
        return f"the upstream {self.url} could not be reached: {reason}"

    async def _fail(self, send: Send, exchange: Exchange, error: RequestError) -> None:
        logger.warning("%s %s: %s", exchange.method, exchange.path, error.detail)
        answer = http_answer(error)
        encoded = json_codec.compact(answer.body)
        headers = [
            (b"content-type", answer.media_type.encode("latin-1")),
            (b"content-length", str(len(encoded)).encode()),
        ]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        body = b"" if exchange.method == "HEAD" else encoded
        await send({"type": "http.response.body", "body": body, "more_body": False})


def _exchange(scope: Scope, keep_bytes: int) -> Exchange:
    headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
    dropped = HOP_BY_HOP | _named_by_connection(headers)
    host = next((v for k, v in headers if k == "host"), None)
    if host is None:
        server = scope.get("server")
        host = f"{server[0]}:{server[1]}" if server else "localhost"
    # The path as sent (percent-encoding kept), so an encoded ``/`` reaches the upstream as one.
    path = path_as_sent(scope)
    query = scope.get("query_string", b"").decode("latin-1")
    scheme = scope.get("scheme", "http")
    return Exchange(
        started_at=time.time(),
        method=scope["method"],
        url=f"{scheme}://{host}{path}" + (f"?{query}" if query else ""),
        path=path,
        query_string=query,
        request_headers=[(k, v) for k, v in headers if k not in dropped],
        request_body=Body(keep_bytes),
        response_body=Body(keep_bytes),
        http_version=f"HTTP/{scope.get('http_version', '1.1')}",
    )


def _named_by_connection(headers: list[tuple[str, str]]) -> set[str]:
    named: set[str] = set()
    for name, value in headers:
        if name == "connection":
            named.update(token.strip().lower() for token in value.split(",") if token.strip())
    return named


def _request_headers(scope: Scope) -> list[tuple[str, str]]:
    raw = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
    dropped = HOP_BY_HOP | _named_by_connection(raw) | {"host"}
    kept = [(k, v) for k, v in raw if k not in dropped and not k.startswith("x-forwarded-")]
    forwarded_for = [v for k, v in raw if k == "x-forwarded-for"]
    client = scope.get("client")
    if client:
        forwarded_for.append(str(client[0]))
    if forwarded_for:
        kept.append(("x-forwarded-for", ", ".join(forwarded_for)))
    host = next((v for k, v in raw if k == "host"), None)
    if host:
        kept.append(("x-forwarded-host", host))
    kept.append(("x-forwarded-proto", str(scope.get("scheme", "http"))))
    return kept


def _answer_headers(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    lowered = [(k.lower(), v) for k, v in items]
    dropped = HOP_BY_HOP | _named_by_connection(lowered)
    return [(k, v) for k, v in lowered if k not in dropped]


async def _received(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def _teed(chunks: AsyncIterator[bytes], kept: Body) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        kept.add(chunk)
        yield chunk


async def _read_ahead(receive: Receive, kept: Body) -> AsyncIterator[bytes]:
    """The request body read up to the kept limit before anything is sent (so it can be
    checked), then the rest as it comes."""
    chunks = _received(receive)
    held: list[bytes] = []
    async for chunk in chunks:
        held.append(chunk)
        kept.add(chunk)
        if kept.truncated:
            break

    async def body() -> AsyncIterator[bytes]:
        for chunk in held:
            yield chunk
        async for chunk in chunks:
            kept.add(chunk)
            yield chunk

    return body()
