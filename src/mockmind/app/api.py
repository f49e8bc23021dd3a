"""The ASGI app: mock requests into the engine, admin routes (FastAPI) under /__mockmind/."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

from mockmind.app.admin_prefix import ADMIN_PREFIX, is_admin_path
from mockmind.app.bootstrap import Container, log_example_problems
from mockmind.app.mock_asgi import path_as_sent, serve_mock
from mockmind.domain.paths import decoded_segments

if TYPE_CHECKING:
    from fastapi import FastAPI

    from mockmind.app.upstream import MockUpstream

# The document's examples are checked (``check_examples``) once the first mock request is
# answered, or this long after the server started if none comes first: a big document's check
# takes seconds of CPU (GitHub's: about 1 s), which its first answer need not wait for.
EXAMPLE_CHECK_DELAY_SECONDS = 1.0


class MockmindApp:
    """The ASGI app: mock requests go straight to the engine, admin ones to FastAPI.

    Every mock request used to pass through FastAPI's middleware and router first, only to
    fall through to the default handler; the profile put that at a large share of a cached
    answer's time (bench/RESULTS.md), so the split is made here, on the path prefix.
    """

    def __init__(self, container: Container, upstream: MockUpstream | None = None) -> None:
        self.container = container
        # ``upstream:``: what the mock cannot answer, forwarded (app/upstream.py).
        self.upstream = upstream
        self._admin: FastAPI | None = None
        self._admin_lock = threading.Lock()
        # The thread listing the document's broken examples, once started.
        self.example_check: threading.Thread | None = None
        self._example_check_lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Few paths start like the admin prefix: only those are looked at more closely.
        if scope["type"] == "http" and not (
            scope["path"].startswith(ADMIN_PREFIX) and _is_admin(scope)
        ):
            if self.upstream is not None and self.upstream.takes(scope):
                await self.upstream.forward(scope, receive, send)
                return
            await serve_mock(self.container, scope, receive, send)
            if self.example_check is None:
                self.check_examples()
            return
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self)
            return
        await self.admin(scope, receive, send)

    def check_examples(self) -> None:
        """List the document's broken examples in a thread of their own; once, later calls
        do nothing. Each example is checked when it is first served all the same (the
        repair needs its error): the list is for the log."""
        with self._example_check_lock:
            if self.example_check is not None:
                return
            self.example_check = threading.Thread(
                target=log_example_problems,
                args=(self.container.api,),
                name="example-check",
                daemon=True,
            )
            self.example_check.start()

    @property
    def admin(self) -> ASGIApp:
        """The admin app, built (and FastAPI imported) on the first admin request.

        Importing FastAPI is about a third of the handler's cold start (bench/RESULTS.md,
        row 2), and a Lambda serving mocks may never see an admin request.
        """
        with self._admin_lock:
            if self._admin is None:
                from mockmind.app.admin import admin_app  # noqa: PLC0415

                self._admin = admin_app(self.container)
            return self._admin


async def _lifespan(receive: Receive, send: Send, app: MockmindApp) -> None:
    """Answered here, so the server's start-up does not build the admin app (FastAPI's import
    was a fifth of a 13 MB document's time to first answer, bench/RESULTS.md row 5). Started:
    the example check is due in ``EXAMPLE_CHECK_DELAY_SECONDS`` if no request starts it."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            asyncio.get_running_loop().call_later(EXAMPLE_CHECK_DELAY_SECONDS, app.check_examples)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if app.upstream is not None:
                await app.upstream.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return


def _is_admin(scope: Scope) -> bool:
    if not is_admin_path(scope["path"]):
        return False
    # Split before decoding, as routing splits (domain/paths): ``/__mockmind%2Fhealth``
    # decodes to an admin path, but its one segment is ``__mockmind/health``, a mock path.
    segments = decoded_segments(path_as_sent(scope))
    return bool(segments) and segments[0] == ADMIN_PREFIX.lstrip("/")


def create_app(container: Container) -> MockmindApp:
    if container.config.upstream is None:
        return MockmindApp(container)
    # httpx and the proxy load only for a config with an upstream (a Lambda's cold start).
    from mockmind.app.upstream import mock_upstream  # noqa: PLC0415

    return MockmindApp(container, mock_upstream(container))
