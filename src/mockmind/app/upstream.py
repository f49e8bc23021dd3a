"""``serve`` with ``upstream:``: what the mock cannot answer goes to the real API, recorded.

A request is forwarded when it asks to be (``Prefer: proxy=true``) or when the mock has no
operation for its path (an OpenAPI document without it; the config's schemas alone answer
every path, so nothing is forwarded for lack of a route there). A path the document has with
another method is the mock's to answer (its 405 says which methods it has). Forwarded
exchanges go through ``proxy.forwarding`` and are recorded as ``proxy.recording`` writes them,
masked by the credentials and secret-named fields rule plus ``upstream.mask`` and the login's
field names.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

from mockmind.app.bootstrap import Container
from mockmind.app.mock_asgi import path_as_sent
from mockmind.config.models import UpstreamConfig
from mockmind.domain.errors import MethodNotAllowed, RouteNotFound
from mockmind.domain.paths import canonical_path
from mockmind.domain.prefer import parse_prefer
from mockmind.openapi.description import OpenAPIDescription
from mockmind.openapi.document import OpenAPIDocument
from mockmind.proxy.forwarding import Upstream
from mockmind.proxy.masking import Masking
from mockmind.proxy.recording import Recorder, open_recorder

logger = logging.getLogger("mockmind.proxy")

# Written by the server in front (uvicorn) on every answer: the upstream's are not repeated.
_SERVERS_OWN = frozenset({"date", "server"})


class MockUpstream:
    def __init__(
        self,
        upstream: Upstream,
        *,
        document: OpenAPIDocument | None,
        recorder: Recorder | None = None,
    ) -> None:
        self.upstream = upstream
        self.recorder = recorder
        self._document = document

    def takes(self, scope: Scope) -> bool:
        """Whether this request goes upstream instead of to the mock."""
        for name, value in scope["headers"]:
            if name.lower() == b"prefer" and parse_prefer(value.decode("latin-1")).proxy:
                return True
        if self._document is None:
            return False
        query: dict[str, list[str]] = {}
        for key, value in parse_qsl(scope["query_string"].decode("latin-1"), True):
            query.setdefault(key, []).append(value)
        try:
            self._document.match(scope["method"], canonical_path(path_as_sent(scope)), query)
        except RouteNotFound:
            return True
        except MethodNotAllowed:
            return False
        return False

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = await self.upstream.forward(scope, receive, send)
        if exchange is None or self.recorder is None:
            return
        try:
            self.recorder.record(exchange)
        except Exception:  # the answer is out; a recording that fails is said, not raised
            logger.exception("%s %s: not recorded", exchange.method, exchange.path)

    async def aclose(self) -> None:
        await self.upstream.aclose()
        if self.recorder is not None:
            self.recorder.close()


def mock_upstream(container: Container) -> MockUpstream | None:
    """The config's upstream, or None when it names none."""
    config: UpstreamConfig | None = container.config.upstream
    if config is None:
        return None
    auth = container.config.intelligent_behavior.behavior_model.rules.auth
    masking = Masking([*config.mask, auth.password_field, auth.token_field])
    recorder = None
    if config.record:
        path = Path(config.record)
        if not path.is_absolute():
            base = container.source.parent if container.source is not None else Path.cwd()
            path = base / path
        recorder = open_recorder(path, masking)
    api = container.api
    document = api.document if isinstance(api, OpenAPIDescription) else None
    upstream = Upstream(config.url, timeout=config.timeout_seconds, own_headers=_SERVERS_OWN)
    return MockUpstream(upstream, document=document, recorder=recorder)
