"""The Lambda entry point: ``mockmind.handler.handler``.

The app is built once, at import (the cold start), from ``MOCKMIND_CONFIG``; warm invocations
reuse it, its stores and its parsed OpenAPI document.
"""

from __future__ import annotations

from mangum import Mangum

from mockmind.app.api import create_app
from mockmind.app.bootstrap import build, load
from mockmind.app.logging import configure_logging

configure_logging()
app = create_app(build(load()))
handler = Mangum(app, lifespan="off")
