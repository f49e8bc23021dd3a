"""The request flow: session, route, choose the response, cache, generate, validate, remember.

The engine is pure: stores, the API description and the generator come in through ports.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mockmind.domain.cache_keys import (
    canonical_body,
    canonical_query,
    normalise_path,
    response_cache_key,
)
from mockmind.domain.errors import PayloadTooLarge, RequestError, VersionConflict
from mockmind.domain.generator import OfflineGenerator
from mockmind.domain.http import MockRequest, MockResponse, Source
from mockmind.domain.prefer import parse_prefer
from mockmind.domain.sessions import (
    Interaction,
    Session,
    SessionTracking,
    new_session_id,
    session_id_from,
)
from mockmind.ports.api_description import ApiDescription, ResponsePlan, RoutedRequest
from mockmind.ports.clock import Clock
from mockmind.ports.response_cache import CachedResponse, ResponseCache
from mockmind.ports.session_store import SessionStore

logger = logging.getLogger("mockmind.engine")

_SAVE_ATTEMPTS = 5


@dataclass(frozen=True)
class EngineSettings:
    tracking: SessionTracking = field(default_factory=SessionTracking)
    cache_ttl_seconds: int = 300
    enable_response_cache: bool = True
    max_history_length: int = 50
    session_timeout_seconds: int = 3600
    max_body_bytes: int = 1_048_576


@dataclass(frozen=True)
class EngineResult:
    response: MockResponse
    session_id: str | None
    new_session: bool


class MockEngine:
    def __init__(
        self,
        *,
        api: ApiDescription,
        generator: OfflineGenerator,
        sessions: SessionStore,
        cache: ResponseCache,
        clock: Clock,
        settings: EngineSettings,
    ) -> None:
        self.api = api
        self._generator = generator
        self._sessions = sessions
        self._cache = cache
        self._clock = clock
        self.settings = settings

    async def handle(self, request: MockRequest) -> EngineResult:
        now = self._clock.now()
        session, is_new = self._open_session(request, now)
        try:
            response = self._respond(request, session)
        except RequestError as exc:
            response = MockResponse(exc.status, exc.body(), dict(exc.headers), source="rule")
        if session is not None:
            self._remember(session, is_new, request, response, now)
        return EngineResult(response, session.id if session else None, is_new)

    def _open_session(self, request: MockRequest, now: float) -> tuple[Session | None, bool]:
        tracking = self.settings.tracking
        lookup = session_id_from(request, tracking)
        if lookup.session_id is not None:
            existing = self._sessions.get(lookup.session_id, now=now)
            if existing is not None:
                return existing, False
            # A well-formed id we have not seen: the client names a new, empty session.
            return self._blank(lookup.session_id, now), True
        if not tracking.auto_create:
            return None, False
        return self._blank(new_session_id(), now), True

    def _blank(self, session_id: str, now: float) -> Session:
        timeout = self.settings.session_timeout_seconds
        return Session(id=session_id, created_at=now, last_seen=now, expires_at=now + timeout)

    def _respond(self, request: MockRequest, session: Session | None) -> MockResponse:
        if len(request.body) > self.settings.max_body_bytes:
            raise PayloadTooLarge(len(request.body), self.settings.max_body_bytes)
        routed = self.api.route(request)
        plan = self.api.plan_response(routed)
        if plan.has_example and not parse_prefer(request.headers.get("prefer")).dynamic:
            return self._finish(plan, plan.example, "example")
        if plan.schema is None:
            return self._finish(plan, None, "offline")

        key = self._cache_key(routed, plan, session)
        settings = self.settings
        use_cache = settings.enable_response_cache and settings.cache_ttl_seconds > 0
        if use_cache:
            cached = self._cache.get(key, now=self._clock.now())
            if cached is not None:
                response = self._finish(plan, cached.body, "cache")
                response.headers.update(cached.headers)
                return response

        body = self._generate(plan, key)
        response = self._finish(plan, body, "offline")
        if use_cache:
            expires_at = self._clock.now() + settings.cache_ttl_seconds
            entry = CachedResponse(plan.status, body, plan.media_type or "", dict(response.headers))
            self._cache.put(key, entry, expires_at=expires_at)
        return response

    def _generate(self, plan: ResponsePlan, seed: str) -> Any:
        assert plan.schema is not None
        body = self._generator.generate(plan.schema, seed=seed)
        errors = self.api.response_errors(plan, body)
        if errors:
            # The generator is meant to be correct by construction; say loudly when it is not.
            logger.error("generated body breaks its schema %s: %s", plan.schema_key, errors[:3])
        return body

    def _finish(self, plan: ResponsePlan, body: Any, source: Source) -> MockResponse:
        headers = {
            name: _header_text(self._generator.generate(schema, seed=f"{name}:{plan.status}"))
            for name, schema in plan.header_schemas.items()
        }
        media = plan.media_type or "application/json"
        if plan.media_type is None or plan.status in (204, 304):
            return MockResponse(plan.status, None, headers, media, source, raw=b"")
        if not _is_json(media):
            text = body if isinstance(body, str) else _json_text(body)
            return MockResponse(plan.status, body, headers, media, source, raw=text.encode())
        return MockResponse(plan.status, body, headers, media, source)

    def _cache_key(self, routed: RoutedRequest, plan: ResponsePlan, session: Session | None) -> str:
        request = routed.request
        return response_cache_key(
            session.id if session else "",
            request.method,
            normalise_path(request.path),
            canonical_query(request.query),
            canonical_body(request.body, request.content_type),
            plan.status,
            plan.media_type,
        )

    def _remember(
        self,
        session: Session,
        is_new: bool,
        request: MockRequest,
        response: MockResponse,
        now: float,
    ) -> None:
        settings = self.settings
        interaction = Interaction(
            at=now,
            method=request.method,
            path=request.path,
            status=response.status,
            request_body=_trimmed(request.body),
            response_body=response.body if response.raw is None else None,
            source=response.source,
        )

        def update(current: Session) -> Session:
            return current.touched(now, settings.session_timeout_seconds).with_interaction(
                interaction, settings.max_history_length
            )

        _save_with_retry(self._sessions, session, is_new, update, now)


def _save_with_retry(
    store: SessionStore,
    session: Session,
    is_new: bool,
    update: Callable[[Session], Session],
    now: float,
) -> Session:
    """Optimistic locking: on a lost race, re-read and re-apply the change."""
    current: Session | None = session
    expected: int | None = None if is_new else session.version
    for _ in range(_SAVE_ATTEMPTS):
        assert current is not None
        try:
            return store.put(update(current), expected_version=expected)
        except VersionConflict:
            fresh = store.get(session.id, now=now)
            current, expected = (fresh, fresh.version) if fresh else (session, None)
    raise VersionConflict(
        f"session {session.id}: gave up after {_SAVE_ATTEMPTS} conflicting writes"
    )


def _trimmed(body: bytes, limit: int = 4096) -> str | None:
    if not body:
        return None
    text = body[:limit].decode("utf-8", errors="replace")
    return text if len(body) <= limit else text + "…"


def _is_json(media_type: str) -> bool:
    return media_type.endswith("/json") or media_type.endswith("+json")


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if not isinstance(value, dict | list) else _json_text(value)
