"""`mockmind serve` keeps an idle connection open longer than clients keep theirs: a client
that reuses one after five seconds of quiet (httpx's pool keeps them that long) must get its
answer, not a connection the server is closing (app/http_server.py)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mockmind_server import start_server, stop_server
from tests.support.paths import EXAMPLES

REQUEST = b"GET /products?limit=1 HTTP/1.1\r\nHost: mockmind\r\nX-Session-ID: keep-alive\r\n\r\n"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    process, url = start_server(
        Path(EXAMPLES / "shop" / "mockmind.yaml"), {"MOCKMIND_LLM_PROVIDER": "offline"}
    )
    try:
        yield url
    finally:
        stop_server(process)


def _answer(connection: socket.socket) -> bytes:
    """One whole response (its head and the Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


@pytest.mark.slow
def test_a_connection_idle_for_six_seconds_still_answers(base_url: str) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(REQUEST)
        assert _answer(connection).startswith(b"HTTP/1.1 200")
        # uvicorn's default closes a connection idle for 5 s; a client's pool keeps it as long.
        time.sleep(6)
        connection.sendall(REQUEST)
        assert _answer(connection).startswith(b"HTTP/1.1 200")
