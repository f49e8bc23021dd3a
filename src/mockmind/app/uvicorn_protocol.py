"""uvicorn's HTTP protocol (httptools), with an answer's writes sent to the socket together.

uvicorn writes an answer's head (status line and headers) and its body to the transport one
after the other, and uvloop sends each at once: two ``write`` calls and two TCP segments a
request, where the client reads two. On loopback each send runs the kernel's TCP path for both
ends, the larger part of what the server spends in the kernel: a cache hit's answer made 2.0
``write`` calls a request (strace of `mockmind serve` under wrk, 16 connections), 1.0 with
the writes of one turn of the event loop joined. Imported by ``serve`` only, with uvicorn.

Beneath it, ``LeanHttpToolsProtocol`` and its cycle (app/uvicorn_cycle.py) do what uvicorn's
own do, at fewer instructions a request: a served cache hit 437.8k -> 375.5k (callgrind,
session 30). They override uvicorn's protocol and cycle methods, so they follow its internals
(written on uvicorn 0.55); uvicorn's own tests/protocols/test_http.py, run with this class as
its ``http_protocol_cls``, passes on it as on uvicorn's.
"""

from __future__ import annotations

import asyncio
import contextvars
import urllib.parse
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT, service_unavailable
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from mockmind.app.uvicorn_cycle import LeanCycle, rendered_headers

# Pending bytes that are sent at once rather than at the end of the loop's turn: a streamed
# answer written without yielding reaches the socket, and the socket's flow control (which
# pauses the writer), as it grows.
FLUSH_BYTES = 64 * 1024


class CoalescingTransport(asyncio.Transport):
    """A transport whose writes wait for the end of the event loop's current turn (or for
    ``FLUSH_BYTES``), then go to ``transport`` as one. Everything else is ``transport``'s;
    closing sends what waits first, as a transport's close sends its buffer."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._pending_bytes = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        # Held until sent: a caller's bytearray may change once written.
        self._pending.append(data if type(data) is bytes else bytes(data))
        self._pending_bytes += len(data)
        if self._pending_bytes >= FLUSH_BYTES:
            self.flush()

    def write_whole(self, data: bytes) -> None:
        """Write ``data``, a whole answer: straight to the socket when nothing waits before
        it, as nothing written later in this turn is the same answer's."""
        if self._pending:
            self.write(data)
        elif not self._transport.is_closing():
            self._transport.write(data)

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def flush(self) -> None:
        """Send what waits, unless the connection is closing (its data would go nowhere)."""
        if not self._pending:
            return
        pending = self._pending
        self._pending = []
        self._pending_bytes = 0
        if self._transport.is_closing():
            return
        self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending = []
        self._pending_bytes = 0
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_write_buffer_size(self) -> int:
        return self._pending_bytes + self._transport.get_write_buffer_size()

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()


# Request headers the protocol looks at as they are parsed: Expect (100-continue) and those
# uvicorn's ProxyHeadersMiddleware reads.
_WATCHED = frozenset({b"expect", b"x-forwarded-for", b"x-forwarded-proto"})


# The methods' names as the scope gives them, by their bytes: not decoded each request.
_METHODS = {
    method.encode(): method
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
}


# Bytes as ints: ``int in bytes`` is a plain scan, where ``bytes in bytes`` first tries the
# needle as an int and makes (and drops) a TypeError, ten times the cost.
_SLASH = ord("/")
_HASH = ord("#")


def target_parts(url: bytes) -> tuple[bytes, bytes]:
    """A request target's path and query, as ``httptools.parse_url`` splits it (uvicorn's
    split). An origin-form target without a fragment (what clients send but to a proxy) is
    split at its first ``?`` without its URL object, for 40% fewer instructions. llhttp has
    checked the target's bytes by then."""
    if url and url[0] == _SLASH and _HASH not in url:
        path, _, query = url.partition(b"?")
        return path, query
    parsed = httptools.parse_url(url)
    return parsed.path, parsed.query or b""


class LeanHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with its requests run by ``LeanCycle``, at fewer
    instructions a request, and with the same behaviour on the wire and towards the app.

    Beyond the cycle's savings: a request whose whole head (and body) came in one read runs
    its app at once, as an eager task, at the end of ``data_received``, rather than on the
    loop's next turn: an answer that needs no waiting is written, and its task done, without
    the task ever being scheduled or kept in the server's set. And uvicorn's proxy-headers
    middleware, which changes the scope only for a request with X-Forwarded-For or -Proto,
    is called only for such a request.
    """

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        app = self.app
        self._unproxied_app = app.app if type(app) is ProxyHeadersMiddleware else app
        self._forwarded = False
        self._upgrading = False
        # The request whose head this read completed, run once the read is parsed.
        self._ready: tuple[LeanCycle, Any] | None = None
        self._fresh_context = bool(getattr(config, "reset_contextvars", False))
        # The server's own headers (date, server) as head lines, for the list they came in.
        self._defaults_of: list[tuple[bytes, bytes]] | None = None
        self._defaults: bytes | None = None
        # When the connection last fell idle (its answers sent, nothing read since); None
        # while a request is read or answered.
        self._idle_since: float | None = None
        self._next_request()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._set_transport(transport)
        # What a request's scope starts with, the same for all of the connection's: copied
        # for each (its "asgi" dict shared by them, as the server's and client's tuples are).
        self._scope_start: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": self.asgi_version, "spec_version": "2.3"},
            "http_version": "1.1",
            "server": self.server,
            "client": self.client,
            "scheme": self.scheme,
            "root_path": self.root_path,
        }
        # The socket's own, which a wrapper of it (CoalescingTransport) would ask.
        self._closing = transport.is_closing

    def _set_transport(self, transport: asyncio.Transport) -> None:
        # Looked up once a connection, not on each of its answers.
        self.write_whole = getattr(transport, "write_whole", transport.write)

    def data_received(self, data: bytes) -> None:
        # Busy: the keep-alive timer, if set, finds it so and leaves the connection open.
        self._idle_since = None
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        # Started here, not where the head ended: the body that came with it is in by now.
        ready = self._ready
        if ready is not None:
            self._ready = None
            self._start_asgi_task(*ready, eager=True)

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        cycle: LeanCycle | None = self.cycle  # type: ignore[assignment]
        if cycle is not None:
            if not cycle.response_complete:
                cycle.disconnected = True
            cycle.wake()
        if self.flow is not None:
            self.flow.resume_writing()
        if exc is None:
            self.transport.close()
            self._unset_keepalive_if_required()
        self.parser = None  # type: ignore[assignment]

    # No call at each request's start (1k instructions a request): the request's fields are
    # set for the next one where its head ends (``_next_request``), and the scope is made
    # there. httptools installs only the callbacks the protocol has (not None).
    on_message_begin = None  # type: ignore[assignment]

    def _next_request(self) -> None:
        self.url = b""
        self.expect_100_continue = False
        self._forwarded = False
        self.headers = []

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        # llhttp keeps trailing whitespace, which RFC 9110 (5.5) excludes from the value.
        value = value.rstrip(b" \t")
        if name in _WATCHED:
            if name != b"expect":
                self._forwarded = True
            elif value.lower() == b"100-continue":
                self.expect_100_continue = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        parser = self.parser
        http_version = parser.get_http_version()
        self.scope = scope = self._scope_start.copy()  # type: ignore[assignment]
        scope["headers"] = self.headers
        scope["state"] = self.app_state.copy()
        method = parser.get_method()
        scope["method"] = _METHODS.get(method) or method.decode("ascii")
        if http_version != "1.1":
            scope["http_version"] = http_version
        # Kept for the body's callbacks, which asked the parser again for each.
        self._upgrading = parser.should_upgrade() and self._should_upgrade()
        if self._upgrading:
            return
        raw_path, query = target_parts(self.url)
        path = raw_path.decode("ascii")
        if "%" in path:
            path = urllib.parse.unquote(path)
        if self.root_path:
            scope["path"] = self.root_path + path
            scope["raw_path"] = self.root_path.encode("ascii") + raw_path
        else:
            scope["path"] = path
            scope["raw_path"] = raw_path
        scope["query_string"] = query
        if self.limit_concurrency is not None and (
            len(self.connections) >= self.limit_concurrency
            or len(self.tasks) >= self.limit_concurrency
        ):
            app: Any = service_unavailable
            self.logger.warning("Exceeded concurrency limit.")
        else:
            app = self.app if self._forwarded else self._unproxied_app
        existing_cycle = self.cycle
        self.cycle = cycle = LeanCycle(
            scope,
            self,
            self.expect_100_continue,
            http_version != "1.0" and parser.should_keep_alive(),
        )
        self._next_request()
        if existing_cycle is None or existing_cycle.response_complete:
            self._ready = (cycle, app)
        else:
            # Pipelined: run once the answers before it are sent.
            self.flow.pause_reading()
            self.pipeline.appendleft((cycle, app))

    def rendered_defaults(self, headers: list[tuple[bytes, bytes]]) -> bytes | None:
        # uvicorn makes a new list each second (the date): rendered once for each.
        if headers is not self._defaults_of:
            self._defaults = rendered_headers(headers)
            self._defaults_of = headers
        return self._defaults

    def _start_asgi_task(self, cycle: Any, app: Any, eager: bool = False) -> None:
        context = contextvars.Context() if self._fresh_context else None
        coroutine = cycle.run_asgi(app)
        if eager:
            # Run until it first waits: an answer that needs no waiting is sent from here,
            # its head and body in one write.
            cycle.holding = True
            task = asyncio.Task(coroutine, loop=self.loop, context=context, eager_start=True)
            cycle.release()
        else:
            task = self.loop.create_task(coroutine, context=context)
        if not task.done():
            task.add_done_callback(self.tasks.discard)
            self.tasks.add(task)

    def on_response_complete(self) -> None:
        self.server_state.total_requests += 1
        if self._closing():
            return
        flow = self.flow
        if flow.read_paused:
            flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        # uvicorn sets a timer at each answer and cancels it at the next request: in uvloop
        # that is a libuv timer made, started, stopped and closed a request (7.4k of a
        # constant answer's 126k instructions). One timer a connection, armed when it falls
        # idle and checking the idle time when due, closes it as late as uvicorn's would.
        self._idle_since = self.loop.time()
        if self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self._keep_alive_due
            )

    def _keep_alive_due(self) -> None:
        self.timeout_keep_alive_task = None
        if self._idle_since is None:
            return  # a request came: armed again once it is answered
        left = self._idle_since + self.timeout_keep_alive - self.loop.time()
        if left > 0:
            self.timeout_keep_alive_task = self.loop.call_later(left, self._keep_alive_due)
        elif not self.transport.is_closing():
            self.transport.close()

    def on_body(self, body: bytes) -> None:
        cycle: LeanCycle = self.cycle  # type: ignore[assignment]
        if self._upgrading or cycle.response_complete:
            return
        if cycle.add_body(body) > HIGH_WATER_LIMIT:
            self.flow.pause_reading()

    def on_message_complete(self) -> None:
        cycle: LeanCycle = self.cycle  # type: ignore[assignment]
        if self._upgrading or cycle.response_complete:
            return
        cycle.more_body = False
        cycle.wake()


class CoalescingHttpToolsProtocol(LeanHttpToolsProtocol):
    """uvicorn's httptools protocol writing through a ``CoalescingTransport``: an answer's
    head and body, sent in one turn of the loop, leave in one ``write``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # uvicorn reads the addresses and sets up its flow control on the socket's own.
        super().connection_made(transport)
        self.transport = CoalescingTransport(transport, self.loop)
        self._set_transport(self.transport)
