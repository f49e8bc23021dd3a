"""app/uvicorn_protocol.py: an answer's writes leave in one, in order, before a close."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from mockmind.app.uvicorn_protocol import (
    FLUSH_BYTES,
    CoalescingHttpToolsProtocol,
    CoalescingTransport,
)


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: Any) -> None:
        self.events.append(("write", bytes(data)))

    def close(self) -> None:
        self.events.append(("close", b""))
        self.closing = True

    def abort(self) -> None:
        self.events.append(("abort", b""))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 0


def _turn(loop: asyncio.AbstractEventLoop) -> None:
    """One turn of the loop: what it was asked to call soon, called."""
    loop.run_until_complete(asyncio.sleep(0))


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    made = asyncio.new_event_loop()
    yield made
    made.close()


def test_the_writes_of_one_turn_leave_as_one_write_at_its_end(
    loop: asyncio.AbstractEventLoop,
) -> None:
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, loop)
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(bytearray(b"{}"))
    assert inner.events == []
    assert transport.get_write_buffer_size() == 40
    _turn(loop)
    assert inner.events == [("write", b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")]
    transport.write(b"next")
    _turn(loop)
    assert inner.events[1:] == [("write", b"next")]


def test_a_close_sends_what_waits_first(loop: asyncio.AbstractEventLoop) -> None:
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, loop)
    # A cut answer: its head and half its body, then the connection closed.
    transport.write(b"head")
    transport.write(b"half")
    transport.close()
    assert inner.events == [("write", b"headhalf"), ("close", b"")]
    _turn(loop)  # the flush due at the end of the turn finds nothing left
    assert inner.events == [("write", b"headhalf"), ("close", b"")]


def test_a_large_answer_is_sent_as_it_grows(loop: asyncio.AbstractEventLoop) -> None:
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, loop)
    transport.write(b"head")
    chunk = b"x" * (FLUSH_BYTES // 2)
    transport.write(chunk)
    assert inner.events == []
    transport.write(chunk)  # the socket's flow control sees it now, not after the turn
    assert inner.events == [("write", b"head" + chunk + chunk)]


def test_what_waits_for_a_closing_or_aborted_connection_is_dropped(
    loop: asyncio.AbstractEventLoop,
) -> None:
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, loop)
    transport.write(b"lost")
    inner.closing = True  # the client went away
    _turn(loop)
    assert inner.events == []
    inner.closing = False
    transport.write(b"lost too")
    transport.abort()
    _turn(loop)
    assert inner.events == [("abort", b"")]


def test_writelines_and_empty_writes(loop: asyncio.AbstractEventLoop) -> None:
    inner = RecordingTransport()
    transport = CoalescingTransport(inner, loop)
    transport.write(b"")
    transport.writelines([b"a", b"b", memoryview(b"c")])
    _turn(loop)
    assert inner.events == [("write", b"abc")]


async def _answer(scope: dict[str, Any], receive: Any, send: Any) -> None:
    assert scope["type"] == "http"
    body = b'{"ok":true}'
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


# What the socket's transport was asked to write, answer after answer.
_socket_writes: list[bytes] = []


class _RecordedProtocol(CoalescingHttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # asyncio's own transport (not uvloop's) takes an attribute: its writes are recorded.
        send = transport.write

        def write(data: Any) -> None:
            _socket_writes.append(bytes(data))
            send(data)

        transport.write = write  # type: ignore[method-assign]
        super().connection_made(transport)


def test_uvicorn_writes_an_answers_head_and_body_to_the_socket_at_once() -> None:
    _socket_writes.clear()
    config = uvicorn.Config(
        _answer,
        host="127.0.0.1",
        port=0,
        http=_RecordedProtocol,
        loop="asyncio",
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            for n in range(1, 4):  # kept alive: each answer of the connection in one write
                client.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
                received = client.recv(65536)
                assert received.startswith(b"HTTP/1.1 200 OK\r\n")
                assert received.endswith(b'\r\n\r\n{"ok":true}')
                assert len(_socket_writes) == n
                assert _socket_writes[-1] == received
    finally:
        server.should_exit = True
        thread.join(10)
