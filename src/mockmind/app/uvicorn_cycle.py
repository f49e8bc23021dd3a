"""One request and its answer on uvicorn's httptools protocol, at a smaller cost a request.

uvicorn and the ASGI round trip spent more than a quarter of a served cache hit's
instructions outside the app (callgrind, session 30): an ``asyncio.Event``
made for every request, two regular-expression searches for every header of every answer,
the server's own headers (date, server) copied into each answer's list and checked again.
This cycle keeps its contract (what the protocol and the ASGI app see, the errors it raises,
when it closes) and drops those: it wakes a waiting ``receive`` with a future made only when
one waits, remembers the header lines it has checked (by the pair the app sent), and renders
the server's headers once for each list uvicorn makes of them (a new one a second).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any, Protocol

from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import (
    HEADER_RE,
    HEADER_VALUE_RE,
    STATUS_LINE,
    RequestResponseCycle,
)
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string
from uvicorn.server import ServerState

# Header lines already checked, by the (name, value) pair the app sent: an API's answers
# repeat the same few (their source, their content type), and uvicorn's two expression
# searches a header were 3.6k instructions each time. Framing headers are never kept: they
# are read every time. Bounded: cleared when full (values made per request churn through).
_CHECKED_LINES: dict[tuple[bytes, bytes], bytes] = {}
_MAX_CHECKED_LINES = 4096
# Names whose values frame the answer: the others are written as they come.
_FRAMING = frozenset({b"content-length", b"transfer-encoding", b"connection"})


class CycleConnection(Protocol):
    """What a ``LeanCycle`` reads of its connection (``LeanHttpToolsProtocol``): the same for
    all the connection's requests."""

    transport: asyncio.Transport
    flow: FlowControl
    logger: logging.Logger
    access_logger: logging.Logger
    access_log: bool
    server_state: ServerState
    loop: asyncio.AbstractEventLoop

    def rendered_defaults(self, headers: list[tuple[bytes, bytes]]) -> bytes | None:
        """The server's headers (``server_state.default_headers``) as head lines, None when
        one of them frames the answer."""

    def write_whole(self, data: bytes) -> None:
        """Write a whole answer (its head and body)."""

    def on_response_complete(self) -> None:
        """The answer is sent."""


class LeanCycle(RequestResponseCycle):
    """uvicorn's request-response cycle for ``LeanHttpToolsProtocol``; its ``message_event``
    is replaced by ``wake`` (the protocol calls it where uvicorn set the event)."""

    def __init__(
        self, scope: Any, conn: CycleConnection, expect_100_continue: bool, keep_alive: bool
    ) -> None:
        # Not super().__init__: it makes the Event this cycle does without. What is the same
        # for all of a connection's requests is read from ``conn``, not copied into each
        # cycle: thirteen arguments and attributes were ~5k instructions a request.
        self.scope = scope
        self._conn = conn
        if not keep_alive:
            self.keep_alive = False
        if expect_100_continue:
            self.waiting_for_100_continue = True
        # The rest start as the class's values below: set here, they were a tenth of the
        # cycle's making.

    @property
    def transport(self) -> asyncio.Transport:  # type: ignore[override]
        return self._conn.transport

    @property
    def flow(self) -> FlowControl:  # type: ignore[override]
        return self._conn.flow

    @property
    def logger(self) -> logging.Logger:  # type: ignore[override]
        return self._conn.logger

    keep_alive = True
    waiting_for_100_continue = False
    # Set once the app has returned: its answer, if it comes later, tells the connection nothing.
    _app_returned = False
    disconnected = False
    # The body received and not yet handed to the app: bytes until a second chunk.
    body: Any = b""
    more_body = True
    response_started = False
    response_complete = False
    chunked_encoding: bool | None = None
    expected_content_length = 0
    # What uvicorn's Event held: set when there is news for ``receive``.
    _news = False
    # The futures of ``receive`` calls waiting for news, once one waits.
    _waiters: list[asyncio.Future[None]] | None = None
    # While the protocol runs the app from ``data_received`` (``holding``), the head waits in
    # ``_head`` for the body, to go out with it in one write (``write_whole``); the protocol
    # sends a head still waiting (``release``) once the app first waits.
    holding = False
    _head: bytes | None = None

    def release(self) -> None:
        """The app ran until it first waited: a head it sent goes out on its own."""
        self.holding = False
        head = self._head
        if head is not None:
            self._head = None
            self.transport.write(head)

    def wake(self) -> None:
        """News for ``receive`` (a body chunk, the body's end, a disconnect, the answer sent)."""
        self._news = True
        if self._waiters:
            waiters, self._waiters = self._waiters, None
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def add_body(self, chunk: bytes) -> int:
        """Keep a chunk of the body; the length kept so far."""
        if not self.body:
            self.body = chunk
        else:
            if type(self.body) is bytes:
                self.body = bytearray(self.body)
            self.body += chunk
        self.wake()
        return len(self.body)

    async def run_asgi(self, app: Any) -> None:
        try:
            result = await app(self.scope, self.receive, self.send)
        except BaseException as exc:
            self.logger.error("Exception in ASGI application\n", exc_info=exc)
            if not self.response_started:
                await self.send_500_response()
            else:
                self._close()
        else:
            if result is not None:
                msg = "ASGI callable should return None, but returned '%s'."
                self.logger.error(msg, result)
                self._close()
            elif not self.response_started and not self.disconnected:
                self.logger.error("ASGI callable returned without starting response.")
                await self.send_500_response()
            elif not self.response_complete and not self.disconnected:
                self.logger.error("ASGI callable returned without completing response.")
                self._close()
        finally:
            self._app_returned = True

    def _close(self) -> None:
        # What the app sent goes out first, as it would have before the close.
        self.release()
        self.transport.close()

    async def send(self, message: Any) -> None:
        flow = self._conn.flow
        if flow.write_paused and not self.disconnected:
            await flow.drain()
        if self.disconnected:
            return
        if not self.response_started:
            if message["type"] != "http.response.start":
                raise RuntimeError(
                    f"Expected ASGI message 'http.response.start', but got '{message['type']}'."
                )
            self._start(message["status"], message.get("headers", ()))
        elif not self.response_complete:
            if message["type"] != "http.response.body":
                raise RuntimeError(
                    f"Expected ASGI message 'http.response.body', but got '{message['type']}'."
                )
            self._body(message.get("body", b""), message.get("more_body", False))
        else:
            raise RuntimeError(
                f"Unexpected ASGI message '{message['type']}' sent, after response already "
                "completed."
            )

    def mockmind_whole_answer(
        self, status_code: int, headers: Iterable[tuple[bytes, bytes]], body: bytes
    ) -> bool:
        """Send a whole answer, as ``send`` sends its start and its last body message, without
        the two messages and their awaits (``mock_asgi.write_response`` finds it on ``send``'s
        cycle). False, and nothing sent, when ``send`` would not send at once (the answer
        started, the client gone, the socket's buffer full): the app sends the messages."""
        if self.response_started or self.disconnected or self._conn.flow.write_paused:
            return False
        self._start(status_code, headers)
        self._body(body, False)
        return True

    def mockmind_whole_body(self) -> bytes | None:
        """The request's whole body, when ``receive`` would hand all of it over at once, in
        its one message (``mock_asgi.serve_mock`` finds it on ``receive``'s cycle); None, and
        nothing read, when it would not (more to come or awaited, a 100-continue to send, the
        client gone, the answer sent): the app reads the messages."""
        if (
            not self._news
            or self.more_body
            or self.waiting_for_100_continue
            or self.disconnected
            or self.response_complete
        ):
            return None
        flow = self._conn.flow
        if flow.read_paused:
            flow.resume_reading()
        self._news = False
        body = self.body
        self.body = b""
        return body if type(body) is bytes else bytes(body)

    def _start(self, status_code: int, headers: Iterable[tuple[bytes, bytes]]) -> None:
        self.response_started = True
        self.waiting_for_100_continue = False
        conn = self._conn
        if conn.access_log:
            conn.access_logger.info(
                '%s - "%s %s HTTP/%s" %d',
                get_client_addr(self.scope),
                self.scope["method"],
                get_path_with_query_string(self.scope),
                self.scope["http_version"],
                status_code,
            )
        default_headers = conn.server_state.default_headers
        defaults = conn.rendered_defaults(default_headers)
        if defaults is None:  # the server's headers frame the answer: read as uvicorn does
            headers = [*default_headers, *headers]
        lines: list[bytes] = []
        has_connection_close = False
        known = _CHECKED_LINES
        for header in headers:
            try:
                line = known.get(header)
            except TypeError:  # a list, or a bytearray in it: checked every time
                line = None
            if line is not None:
                lines.append(line)
                continue
            raw_name, value = header
            name = raw_name.lower()
            if name not in _FRAMING:
                line = checked_line(name, raw_name, value)
                if type(header) is tuple and type(raw_name) is bytes and type(value) is bytes:
                    if len(known) >= _MAX_CHECKED_LINES:
                        known.clear()
                    known[header] = line
                lines.append(line)
                continue
            # Digits need no check; the rest as uvicorn checks them, before reading them.
            if not (name == b"content-length" and value.isdigit()):
                checked_line(name, raw_name, value)
            if name == b"content-length":
                if self.chunked_encoding is None:
                    self.expected_content_length = int(value.decode())
                    self.chunked_encoding = False
            elif name == b"transfer-encoding":
                if value.lower() == b"chunked":
                    self.expected_content_length = 0
                    self.chunked_encoding = True
            elif b"close" in [token.lower().strip() for token in value.split(b",")]:
                self.keep_alive = False
                has_connection_close = True
            lines.append(b"".join((name, b": ", value, b"\r\n")))
        block = b"".join(lines)
        if not self.keep_alive and not has_connection_close:
            block += b"connection: close\r\n"
        if (
            self.chunked_encoding is None
            and self.scope["method"] != "HEAD"
            and status_code not in (204, 304)
        ):
            self.chunked_encoding = True
            block += b"transfer-encoding: chunked\r\n"
        head = b"".join((STATUS_LINE[status_code], defaults or b"", block, b"\r\n"))
        if self.holding:
            self._head = head
        else:
            conn.transport.write(head)

    def _body(self, body: bytes, more_body: bool) -> None:
        conn = self._conn
        head = self._head
        if self.scope["method"] == "HEAD":
            self.expected_content_length = 0
            data = None
        elif self.chunked_encoding:
            content = [b"%x\r\n" % len(body), body, b"\r\n"] if body else []
            if not more_body:
                content.append(b"0\r\n\r\n")
            data = b"".join(content)
        else:
            if len(body) > self.expected_content_length:
                self.release()
                raise RuntimeError("Response content longer than Content-Length")
            self.expected_content_length -= len(body)
            data = body
        if head is not None:
            self._head = None
            if more_body:
                conn.transport.write(head if data is None else head + data)
            else:
                conn.write_whole(head if data is None else head + data)
        elif data is not None:
            conn.transport.write(data)
        if not more_body:
            if self.expected_content_length != 0:
                raise RuntimeError("Response content shorter than Content-Length")
            self.response_complete = True
            self.wake()
            if not self.keep_alive:
                conn.transport.close()
            if not self._app_returned:
                conn.on_response_complete()

    async def receive(self) -> Any:
        if self.waiting_for_100_continue and not self.transport.is_closing():
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.waiting_for_100_continue = False
        if not self.disconnected and not self.response_complete:
            flow = self._conn.flow
            if flow.read_paused:
                flow.resume_reading()
            if not self._news:
                waiter: asyncio.Future[None] = self._conn.loop.create_future()
                if self._waiters is None:
                    self._waiters = [waiter]
                else:
                    self._waiters.append(waiter)
                await waiter
            self._news = False
        if self.disconnected or self.response_complete:
            return {"type": "http.disconnect"}
        body = self.body
        self.body = b""
        return {
            "type": "http.request",
            "body": body if type(body) is bytes else bytes(body),
            "more_body": self.more_body,
        }


def rendered_headers(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """``headers`` as head lines, checked as uvicorn checks them; None when one of them frames
    the answer (its length, its encoding, the connection's fate)."""
    lines: list[bytes] = []
    for raw_name, value in headers:
        name = raw_name.lower()
        if name in _FRAMING:
            return None
        lines.append(checked_line(name, raw_name, value))
    return b"".join(lines)


def checked_line(name: bytes, raw_name: bytes, value: bytes) -> bytes:
    """A header's line in the head, once uvicorn's checks pass (RuntimeError with its
    message otherwise): no CR, LF or other control character to end the line early."""
    if HEADER_RE.search(raw_name):
        raise RuntimeError("Invalid HTTP header name.")
    if HEADER_VALUE_RE.search(value):
        raise RuntimeError("Invalid HTTP header value.")
    return b"".join((name, b": ", value, b"\r\n"))
