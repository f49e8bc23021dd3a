"""A small real API for the proxy's tests, served over real sockets (``threaded_server``).

Each path shows one thing: ``/echo`` answers what it was sent (and hop-by-hop headers of
its own), ``/stream-down`` sends its answer in two parts with a pause the test ends,
``/stream-up`` notes when the first part of a body arrives, ``/slow`` never answers,
``/login`` answers a token and a cookie, and ``/pets/{id}`` drifts from
``tests/fixtures/proxy/pets.yaml``: pet 1's name is a number, pet 2 answers 418, pet 4's
answer never gets past its head.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from starlette.types import Receive, Scope, Send

PETS: dict[str, tuple[int, Any]] = {
    "/pets/1": (200, {"id": 1, "name": 7}),
    "/pets/2": (418, {"error": "I am a teapot"}),
    "/pets/3": (200, {"id": 3, "name": "Rex"}),
}


class RealApi:
    def __init__(self) -> None:
        # /stream-down waits for this before its second part; /stream-up sets the other
        # when its body's first part is in.
        self.release = threading.Event()
        self.first_part_in = threading.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                kind = message["type"].rsplit(".", 1)[-1]
                await send({"type": f"lifespan.{kind}.complete"})
                if kind == "shutdown":
                    return
        path = scope["path"]
        if path == "/slow":
            # Never answers; ends when the client (the proxy, timed out) goes away.
            while (await receive())["type"] != "http.disconnect":
                pass
            return
        if path == "/pets/4":
            # The head of a JSON answer, and then nothing.
            await _start(send, 200, [("content-type", "application/json")])
            while (await receive())["type"] != "http.disconnect":
                pass
            return
        if path == "/stream-down":
            await _start(send, 200, [("content-type", "text/plain")])
            await send({"type": "http.response.body", "body": b"first,", "more_body": True})
            released = await asyncio.to_thread(self.release.wait, 10)
            last = b"second" if released else b"never released"
            await send({"type": "http.response.body", "body": last, "more_body": False})
            return
        body = await self._body(receive, note_first=path == "/stream-up")
        if path == "/stream-up":
            await _json(send, 200, {"received": body.decode()})
        elif path == "/echo":
            headers = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]]
            answer = {
                "method": scope["method"],
                "path": path,
                "query": scope["query_string"].decode(),
                "headers": headers,
                "body": body.decode(),
            }
            hop = [("connection", "x-hop"), ("x-hop", "1"), ("keep-alive", "timeout=5")]
            await _json(send, 200, answer, [*hop, ("x-kept", "yes")])
        elif path == "/login":
            await _json(
                send,
                200,
                {"token": "s3cr3t", "token_type": "Bearer", "user": {"name": "ann"}},
                [("set-cookie", "sid=fresh; HttpOnly")],
            )
        elif path in PETS:
            status, value = PETS[path]
            await _json(send, status, value)
        else:
            await _json(send, 404, {"title": "nothing here"})

    async def _body(self, receive: Receive, *, note_first: bool) -> bytes:
        parts: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            parts.append(message.get("body", b""))
            if note_first and parts[-1]:
                self.first_part_in.set()
            if not message.get("more_body", False):
                break
        return b"".join(parts)


async def _start(send: Send, status: int, headers: list[tuple[str, str]]) -> None:
    raw = [(k.encode(), v.encode()) for k, v in headers]
    await send({"type": "http.response.start", "status": status, "headers": raw})


async def _json(
    send: Send, status: int, value: Any, headers: list[tuple[str, str]] | None = None
) -> None:
    body = json.dumps(value).encode()
    await _start(
        send,
        status,
        [
            ("content-type", "application/json"),
            ("content-length", str(len(body))),
            *(headers or []),
        ],
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
