"""uvicorn's HTTP protocol (httptools), with an answer's writes sent to the socket together.

uvicorn writes an answer's head (status line and headers) and its body to the transport one
after the other, and uvloop sends each at once: two ``write`` calls and two TCP segments a
request, where the client reads two. On loopback each send runs the kernel's TCP path for both
ends, the larger part of what the server spends in the kernel: a cache hit's answer made 2.0
``write`` calls a request (strace of `mockmind serve` under wrk, 16 connections), 1.0 with
the writes of one turn of the event loop joined. Imported by ``serve`` only, with uvicorn.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

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


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol writing through a ``CoalescingTransport``: an answer's
    head and body, sent in one turn of the loop, leave in one ``write``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # uvicorn reads the addresses and sets up its flow control on the socket's own.
        super().connection_made(transport)
        self.transport = CoalescingTransport(transport, self.loop)
