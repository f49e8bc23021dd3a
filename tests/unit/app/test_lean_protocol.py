"""app/uvicorn_protocol.py's LeanHttpToolsProtocol (app/uvicorn_cycle.py) as `serve` runs it:
HTTP on a real socket, on both event loops, for the cases its fast path changes: a request
whose head and body come in one read runs at once; one split over reads, pipelined ones,
100-continue and chunked bodies wait as on uvicorn's own; answers' headers are checked as
uvicorn checks them; the proxy headers still reach the scope."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httptools
import pytest
import uvicorn

from mockmind.app.mock_asgi import _whole_answer
from mockmind.app.uvicorn_cycle import LeanCycle
from mockmind.app.uvicorn_protocol import CoalescingHttpToolsProtocol, target_parts

# What the app saw of each request: (method, path, body, client, scheme).
_seen: list[tuple[str, str, bytes, Any, str]] = []


async def _echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers with the request's body, after reading all of it; /smuggle sends a header
    value holding a second header; /late answers after a turn of the loop."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    _seen.append((scope["method"], scope["path"], body, scope["client"], scope["scheme"]))
    headers = [(b"content-length", str(len(body) + 2).encode()), (b"X-Seen", b"yes")]
    if scope["path"] == "/smuggle":
        headers.append((b"x-key", b"value\r\nset-cookie: smuggled=1"))
    if scope["path"] == "/lists":  # ASGI allows any iterable of pairs, bytearray values too
        headers = [[name, bytearray(value)] for name, value in headers]  # type: ignore[misc]
    if scope["path"] == "/late":
        await asyncio.sleep(0.01)
    if scope["path"].startswith("/whole"):  # in one call, as mock_asgi.write_response sends
        whole = _whole_answer(send)
        assert whole is not None
        assert whole(200, headers, b"<" + body + b">")
        return
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if scope["path"] == "/slow-body":  # the head is out while the body is awaited
        await asyncio.sleep(0.5)
    if scope["path"] == "/broken":
        raise RuntimeError("the app fails after its head")
    await send({"type": "http.response.body", "body": b"<" + body + b">"})


@contextmanager
def _serving(loop: str, **settings: Any) -> Iterator[int]:
    """uvicorn serving ``_echo`` with serve's protocol on ``loop``; its port."""
    config = uvicorn.Config(
        _echo,
        host="127.0.0.1",
        port=0,
        http=CoalescingHttpToolsProtocol,
        loop=loop,
        lifespan="off",
        log_level="critical",
        **settings,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    _seen.clear()
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(params=["asyncio", "uvloop"])
def port(request: pytest.FixtureRequest) -> Iterator[int]:
    with _serving(request.param) as serving:
        yield serving


def _answers(client: socket.socket, count: int) -> list[bytes]:
    """``count`` whole answers (head and Content-Length body) read from ``client``."""
    data = b""
    answers: list[bytes] = []
    while len(answers) < count:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            if len(rest) >= length:
                answers.append(head + sep + rest[:length])
                data = rest[length:]
                continue
        chunk = client.recv(65536)
        assert chunk, f"closed after {answers}"
        data += chunk
    return answers


def _connect(port: int) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return client


def test_a_pipelined_pair_in_one_read_is_answered_in_order(port: int) -> None:
    with _connect(port) as client:
        client.sendall(
            b"POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
            b"GET /two HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        first, second = _answers(client, 2)
    assert first.startswith(b"HTTP/1.1 200 OK\r\n")
    assert first.endswith(b"\r\n\r\n<abc>")
    assert second.startswith(b"HTTP/1.1 200 OK\r\n")
    assert second.endswith(b"\r\n\r\n<>")
    assert [(method, path, body) for method, path, body, *_ in _seen] == [
        ("POST", "/one", b"abc"),
        ("GET", "/two", b""),
    ]


def test_a_body_split_over_two_reads_is_read_whole(port: int) -> None:
    with _connect(port) as client:
        client.sendall(b"POST /split HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello")
        time.sleep(0.2)  # the server has read the head and half the body, and waits
        client.sendall(b"world")
        (answer,) = _answers(client, 1)
        # Kept alive: the next request on the connection is answered too.
        client.sendall(b"GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        (after,) = _answers(client, 1)
    assert answer.endswith(b"\r\n\r\n<helloworld>")
    assert after.endswith(b"\r\n\r\n<>")


def test_a_chunked_body_and_an_expect_100_continue(port: int) -> None:
    with _connect(port) as client:
        client.sendall(
            b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        )
        (chunked,) = _answers(client, 1)
        client.sendall(
            b"POST /expect HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
        )
        assert client.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        client.sendall(b"ok")
        (expected,) = _answers(client, 1)
    assert chunked.endswith(b"\r\n\r\n<abcde>")
    assert expected.endswith(b"\r\n\r\n<ok>")


def test_an_answer_after_the_loop_turns_and_head_and_close(port: int) -> None:
    with _connect(port) as client:
        client.sendall(b"GET /late HTTP/1.1\r\nHost: x\r\n\r\n")
        (late,) = _answers(client, 1)
        client.sendall(b"HEAD /head HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head = b""
        while chunk := client.recv(65536):
            head += chunk
    assert late.endswith(b"\r\n\r\n<>")
    # HEAD: the head alone (its length announced), then the close the client asked for.
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert head.endswith(b"\r\n\r\n")
    assert b"\r\nconnection: close\r\n" in head
    assert b"\r\ncontent-length: 2\r\n" in head


def test_answer_headers_are_lower_cased_and_a_smuggled_header_is_refused(port: int) -> None:
    with _connect(port) as client:
        client.sendall(b"GET /plain HTTP/1.1\r\nHost: x\r\n\r\n")
        (plain,) = _answers(client, 1)
        client.sendall(b"GET /smuggle HTTP/1.1\r\nHost: x\r\n\r\n")
        rest = b""
        while chunk := client.recv(65536):
            rest += chunk
    assert b"\r\nx-seen: yes\r\n" in plain
    assert b"\r\ndate: " in plain
    # uvicorn's check: the app's error, the connection closed, no smuggled header sent.
    assert b"smuggled" not in rest


def test_forwarded_headers_from_a_trusted_proxy_reach_the_scope(port: int) -> None:
    with _connect(port) as client:
        client.sendall(b"GET /direct HTTP/1.1\r\nHost: x\r\n\r\n")
        _answers(client, 1)
        client.sendall(
            b"GET /proxied HTTP/1.1\r\nHost: x\r\n"
            b"X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n\r\n"
        )
        _answers(client, 1)
    (_, _, _, direct_client, direct_scheme), (_, _, _, proxied_client, proxied_scheme) = _seen
    assert direct_client[0] == "127.0.0.1"
    assert direct_scheme == "http"
    assert proxied_client[0] == "203.0.113.7"
    assert proxied_scheme == "https"


def test_a_request_after_a_proxied_one_on_the_connection_is_its_own(port: int) -> None:
    # A request's fields are reset where the last one's head ended, and its scope is a copy
    # of the connection's: nothing of the proxied request (its headers, the proxy's rewrite
    # of client and scheme) carries over to the next.
    with _connect(port) as client:
        client.sendall(
            b"GET /proxied HTTP/1.1\r\nHost: x\r\n"
            b"X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n\r\n"
        )
        _answers(client, 1)
        client.sendall(b"GET /direct HTTP/1.1\r\nHost: x\r\n\r\n")
        _answers(client, 1)
    (_, _, _, proxied_client, proxied_scheme), (_, _, _, direct_client, direct_scheme) = _seen
    assert proxied_client[0] == "203.0.113.7"
    assert proxied_scheme == "https"
    assert direct_client[0] == "127.0.0.1"
    assert direct_scheme == "http"


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_a_connection_is_closed_once_idle_for_the_keep_alive_time_and_not_before(
    loop: str,
) -> None:
    with _serving(loop, timeout_keep_alive=1) as serving, _connect(serving) as client:
        # Requests 0.6 s apart for 1.8 s: each quiet spell is shorter than the keep-alive.
        for _ in range(4):
            client.sendall(b"GET /busy HTTP/1.1\r\nHost: x\r\n\r\n")
            _answers(client, 1)
            time.sleep(0.6)
        quiet = time.monotonic()
        assert client.recv(65536) == b""  # closed by the server
        assert 0.3 <= time.monotonic() - quiet <= 1.5


def test_headers_as_lists_and_bytearrays_are_sent_and_checked_each_time(port: int) -> None:
    with _connect(port) as client:
        for _ in range(2):
            client.sendall(b"GET /lists HTTP/1.1\r\nHost: x\r\n\r\n")
            (answer,) = _answers(client, 1)
            assert b"\r\nx-seen: yes\r\n" in answer
            assert answer.endswith(b"\r\n\r\n<>")


def test_a_head_is_sent_before_a_body_the_app_waits_for_and_before_its_failure(
    port: int,
) -> None:
    with _connect(port) as client:
        client.sendall(b"GET /slow-body HTTP/1.1\r\nHost: x\r\n\r\n")
        client.settimeout(0.4)  # less than the app's wait for its body
        head = client.recv(65536)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert head.endswith(b"\r\n\r\n")
        client.settimeout(5)
        assert client.recv(65536) == b"<>"
        client.sendall(b"GET /broken HTTP/1.1\r\nHost: x\r\n\r\n")
        rest = b""
        while chunk := client.recv(65536):
            rest += chunk
    # As uvicorn: the head that was sent, then the connection closed.
    assert rest.startswith(b"HTTP/1.1 200 OK\r\n")
    assert rest.endswith(b"\r\n\r\n")


def test_a_whole_answer_in_one_call_is_what_its_two_messages_send(port: int) -> None:
    with _connect(port) as client:
        answers = []
        for path in (b"/messages", b"/whole", b"/whole-pipelined"):
            request = b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
            client.sendall(request * 2 if path == b"/whole-pipelined" else request)
            answers += _answers(client, 2 if path == b"/whole-pipelined" else 1)
    undated = [
        b"\r\n".join(line for line in answer.split(b"\r\n") if not line.startswith(b"date:"))
        for answer in answers
    ]
    assert undated[0].endswith(b"\r\n\r\n<hi>")
    assert undated == [undated[0]] * 4


def _cycle(
    written: list[bytes], *, write_paused: bool = False, expect_100_continue: bool = False
) -> LeanCycle:
    """A cycle on a transport that keeps what is written, for its methods alone."""

    class Transport:
        write = written.append

        def is_closing(self) -> bool:
            return False

    class Flow:
        read_paused = False

    flow = Flow()
    flow.write_paused = write_paused  # type: ignore[attr-defined]
    loop = asyncio.new_event_loop()
    loop.close()

    class Connection:
        transport = Transport()
        logger = access_logger = logging.getLogger("test")
        access_log = False
        write_whole = written.append

        class server_state:
            default_headers: list[tuple[bytes, bytes]] = []

        def __init__(self) -> None:
            self.flow = flow
            self.loop = loop

        def rendered_defaults(self, headers: list[tuple[bytes, bytes]]) -> bytes:
            return b""

        def on_response_complete(self) -> None:
            pass

    return LeanCycle({"method": "GET"}, Connection(), expect_100_continue, True)  # type: ignore[arg-type]


@pytest.mark.parametrize("why", ["started", "disconnected", "write_paused"])
def test_a_whole_answer_is_left_to_the_messages_when_send_would_not_send_at_once(
    why: str,
) -> None:
    written: list[bytes] = []
    cycle = _cycle(written, write_paused=why == "write_paused")
    cycle.response_started = why == "started"
    cycle.disconnected = why == "disconnected"
    assert not cycle.mockmind_whole_answer(200, [(b"content-length", b"1")], b"x")
    assert written == []
    assert not cycle.response_complete


def test_a_whole_body_is_taken_once_and_only_when_receive_would_hand_it_over_at_once() -> None:
    cycle = _cycle([])
    assert cycle.mockmind_whole_body() is None  # nothing in yet
    cycle.add_body(b"ab")
    assert cycle.mockmind_whole_body() is None  # more to come
    cycle.add_body(b"cd")
    cycle.more_body = False
    cycle.wake()
    assert cycle.mockmind_whole_body() == b"abcd"
    assert cycle.mockmind_whole_body() is None  # taken: receive would wait now
    for why in ("disconnected", "response_complete"):
        gone = _cycle([])
        gone.more_body = False
        gone.wake()
        setattr(gone, why, True)
        assert gone.mockmind_whole_body() is None


def test_a_whole_body_is_left_to_receive_while_a_100_continue_is_due() -> None:
    written: list[bytes] = []
    cycle = _cycle(written, expect_100_continue=True)
    cycle.more_body = False
    cycle.wake()
    assert cycle.mockmind_whole_body() is None
    message = asyncio.run(cycle.receive())
    assert written == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    assert message == {"type": "http.request", "body": b"", "more_body": False}


def _target_as_parsed(target: bytes) -> bytes | None:
    """The target as llhttp reads it off a request line, or None when it refuses it."""

    class Reader:
        url = b""

        def on_url(self, part: bytes) -> None:
            self.url += part

    reader = Reader()
    try:
        httptools.HttpRequestParser(reader).feed_data(
            b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        )
    except httptools.HttpParserError:
        return None
    return reader.url


def test_a_target_splits_into_path_and_query_as_httptools_parse_url_splits_it() -> None:
    bases = [b"/a", b"/a?b", b"/a?", b"/?", b"/a?b?c", b"//x", b"/a%20b?c=%zz", b"/a;b?c;d"]
    absolute = [b"http://h:8/a?b", b"http://h", b"*", b"/a#f", b"/a?b#f"]
    targets = absolute + [
        base[:at] + bytes([byte]) + base[at:]
        for base in bases
        for at in range(len(base) + 1)
        for byte in range(256)
    ]
    checked = 0
    for target in targets:
        read = _target_as_parsed(target)
        if read is None:
            continue
        parsed = httptools.parse_url(read)
        assert target_parts(read) == (parsed.path, parsed.query or b""), read
        checked += 1
    assert checked > 3500
