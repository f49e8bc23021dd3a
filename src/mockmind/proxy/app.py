"""``mockmind proxy``'s ASGI app: every request forwarded to the upstream, checked against the
document when there is one, recorded when asked; its own routes under ``/__mockmind/proxy/``.

Only that prefix is the proxy's: any other path (``/__mockmind/health`` of a mockmind
upstream too) is forwarded. With a document, each answer carries ``X-Mockmind-Validation``:
``ok``, or how many mismatches were found and each of them; every mismatch is also logged
(``mockmind.proxy``) and listed at ``GET /__mockmind/proxy/mismatches``.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from mockmind.app.mock_asgi import parse_cookies
from mockmind.domain.http import MockRequest, header_value
from mockmind.openapi.media import is_json
from mockmind.openapi.model import Operation
from mockmind.proxy.drift import DriftCheck, Mismatch
from mockmind.proxy.exchange import Exchange
from mockmind.proxy.mismatches import report
from mockmind.proxy.state import PROXY_PREFIX, ProxySettings, ProxyState

if TYPE_CHECKING:
    from fastapi import FastAPI

logger = logging.getLogger("mockmind.proxy")

VALIDATION_HEADER = "x-mockmind-validation"
# Longer than this, the header lists the first mismatches and points at the admin route.
MAX_HEADER_CHARS = 4000


class ProxyApp:
    def __init__(self, settings: ProxySettings) -> None:
        self.settings = settings
        self.state = ProxyState(settings)
        self._admin: FastAPI | None = None
        self._admin_lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # a WebSocket is refused (the server closes it): this proxy speaks HTTP
        path: str = scope["path"]
        if path == PROXY_PREFIX or path.startswith(PROXY_PREFIX + "/"):
            await self.admin(scope, receive, send)
            return
        await self.forward(scope, receive, send)

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.state.exchanges += 1
        drift = self.settings.drift
        inspection = None
        if drift is not None:
            inspection = DriftInspection(drift, self.state, self.state.exchanges)
        exchange = await self.settings.upstream.forward(scope, receive, send, inspection=inspection)
        recorder = self.settings.recorder
        if exchange is not None and recorder is not None:
            try:
                recorder.record(exchange)
            except Exception:  # the answer is out; a recording that fails is said, not raised
                logger.exception("%s %s: not recorded", exchange.method, exchange.path)

    @property
    def admin(self) -> ASGIApp:
        """The proxy's admin app, built (and FastAPI imported) on its first request."""
        with self._admin_lock:
            if self._admin is None:
                from mockmind.proxy.admin import proxy_admin_app  # noqa: PLC0415

                self._admin = proxy_admin_app(self.state)
            return self._admin

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.settings.upstream.aclose()
                if self.settings.recorder is not None:
                    self.settings.recorder.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _request(exchange: Exchange, body: bytes) -> MockRequest:
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(exchange.query_string, keep_blank_values=True):
        query.setdefault(key, []).append(value)
    headers: dict[str, str] = {}
    for name, value in exchange.request_headers:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    cookie = headers.get("cookie")
    return MockRequest(
        method=exchange.method,
        path=exchange.path,
        query=query,
        headers=headers,
        cookies=parse_cookies(cookie) if cookie else {},
        body=body,
    )


def validation_header(found: list[Mismatch]) -> str:
    """``ok``, or ``N mismatch(es); <each one>``: as many as fit, then how many more."""
    if not found:
        return "ok"
    text = f"{len(found)} mismatch{'es' if len(found) != 1 else ''}"
    for index, mismatch in enumerate(found):
        item = header_value(str(mismatch))
        rest = len(found) - index
        if len(text) + len(item) + 2 > MAX_HEADER_CHARS:
            return f"{text}; and {rest} more at {PROXY_PREFIX}/mismatches"
        text += f"; {item}"
    return text


class DriftInspection:
    """One exchange checked against the document (``forwarding.Inspection``): the request
    when it arrives, the answer once its head (and, for a JSON answer of a documented
    operation, its body) is in; every mismatch logged, listed and put in the header."""

    def __init__(self, drift: DriftCheck, state: ProxyState, number: int) -> None:
        self._drift = drift
        self._state = state
        self._number = number
        self._operation: Operation | None = None
        self._found: list[Mismatch] = []

    def request_seen(self, exchange: Exchange) -> None:
        sent = exchange.request_body
        decoded = sent.decoded(exchange.request_header("content-encoding"))
        request = _request(exchange, decoded or b"")
        checked = self._drift.request(
            request, body_known=not sent.truncated and decoded is not None
        )
        self._operation = checked.operation
        self._found = list(checked.mismatches)

    def holds_answer(self, exchange: Exchange) -> bool:
        # Only a body the check reads is waited for; any other answer streams as it comes.
        return self._operation is not None and is_json(exchange.response_header("content-type"))

    def answer_headers(self, exchange: Exchange, complete: bool) -> list[tuple[str, str]]:
        operation = self._operation
        found = self._found
        if operation is not None:
            answer = None
            if complete:
                coding = exchange.response_header("content-encoding")
                answer = exchange.response_body.decoded(coding)
            headers = dict(exchange.response_headers)
            found.extend(
                self._drift.response(operation, exchange.method, exchange.status, headers, answer)
            )
        where = f"{operation.method} {operation.path_template}" if operation else None
        for mismatch in found:
            logger.warning(
                "drift: %s %s -> %d: %s", exchange.method, exchange.path, exchange.status, mismatch
            )
            self._state.mismatches.add(
                report(
                    mismatch,
                    exchange=self._number,
                    at=exchange.started_at,
                    method=exchange.method,
                    path=exchange.path,
                    operation=where,
                    status=exchange.status,
                )
            )
        return [(VALIDATION_HEADER, validation_header(found))]
