"""The ASGI app: mock requests into the engine, admin routes (FastAPI) under /__mockmind/."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

from mockmind.app.admin_prefix import is_admin_path
from mockmind.app.bootstrap import Container
from mockmind.app.mock_asgi import serve_mock

if TYPE_CHECKING:
    from fastapi import FastAPI


class MockmindApp:
    """The ASGI app: mock requests go straight to the engine, admin ones to FastAPI.

    Every mock request used to pass through FastAPI's middleware and router first, only to
    fall through to the default handler; the profile put that at a large share of a cached
    answer's time (bench/RESULTS.md), so the split is made here, on the path prefix.
    """

    def __init__(self, container: Container) -> None:
        self.container = container
        self._admin: FastAPI | None = None
        self._admin_lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not is_admin_path(scope["path"]):
            await serve_mock(self.container, scope, receive, send)
            return
        await self.admin(scope, receive, send)

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


def create_app(container: Container) -> MockmindApp:
    return MockmindApp(container)
