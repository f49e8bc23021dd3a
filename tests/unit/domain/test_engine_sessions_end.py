"""What the engine does with a session the memory backend has ended (expired or evicted by
``storage.max_sessions``): a request that brings its id back starts a new, empty session."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from mockmind.adapters.memory import MemoryEntityStore, MemoryResponseCache, MemorySessionStore
from mockmind.app.bootstrap import Container, build
from mockmind.config import parse_config
from mockmind.domain.engine import EngineResult
from mockmind.domain.http import MockRequest
from mockmind.domain.memory import NAMESPACE
from tests.support.clock import ManualClock

T0 = 1_700_000_000.0

CONFIG = """
storage: {{backend: memory, max_sessions: {max_sessions}}}
intelligent_behavior:
  session_tracking: {{method: header}}
  vector_store: {{enabled: {vectors}, embedding_provider: local}}
  performance: {{session_timeout_seconds: 5}}
  behavior_model:
    rules:
      schemas:
        Order:
          type: object
          required: [id, total]
          properties: {{id: {{type: string}}, total: {{type: number, minimum: 0}}}}
"""


def _app(max_sessions: int = 100, *, vectors: bool = False) -> tuple[Container, ManualClock]:
    clock = ManualClock(T0)
    text = CONFIG.format(max_sessions=max_sessions, vectors=str(vectors).lower())
    loaded = parse_config(text, env={})
    return build(loaded, env={"MOCKMIND_STORAGE": "memory"}, clock=clock), clock


def _call(app: Container, session: str, method: str, path: str, body: Any = None) -> EngineResult:
    request = MockRequest(
        method=method,
        path=path,
        headers={"x-session-id": session, "content-type": "application/json"},
        body=json.dumps(body).encode() if body is not None else b"",
    )
    return asyncio.run(app.engine.handle(request))


def _order_of(app: Container, session: str) -> str:
    created = _call(app, session, "POST", "/orders", {"total": 3})
    assert created.response.status == 201
    order_id: str = created.response.body["id"]
    assert [o["id"] for o in _call(app, session, "GET", "/orders").response.body] == [order_id]
    return order_id


def _memory(app: Container) -> tuple[MemorySessionStore, MemoryEntityStore, MemoryResponseCache]:
    assert isinstance(app.sessions, MemorySessionStore)
    assert isinstance(app.entities, MemoryEntityStore)
    assert isinstance(app.cache, MemoryResponseCache)
    return app.sessions, app.entities, app.cache


def test_an_expired_session_is_freed_and_its_id_starts_a_new_empty_session() -> None:
    app, clock = _app()
    sessions, entities, cache = _memory(app)
    order_id = _order_of(app, "a")
    # An action on an item no schema names: generated, then answered from the cache.
    assert _call(app, "a", "GET", "/stats/s1/summary").response.source == "offline"
    assert _call(app, "a", "GET", "/stats/s1/summary").response.source == "cache"
    assert len(cache) == 1
    clock.t += 6
    _call(app, "b", "GET", "/orders")  # b's save sweeps a, expired a second ago
    assert not sessions.holds("a")
    assert not entities.holds("a")
    assert len(cache) == 0
    again = _call(app, "a", "GET", "/orders")
    assert again.new_session
    assert (again.response.status, again.response.body) == (200, [])
    assert _call(app, "a", "GET", "/stats/s1/summary").response.source == "offline"
    found = sessions.get("a", now=clock.t)
    assert found is not None
    assert [i.path for i in found.history] == ["/orders", "/stats/s1/summary"]
    assert order_id not in json.dumps([i.response_body for i in found.history])


def test_a_session_evicted_by_max_sessions_starts_again_empty() -> None:
    app, _ = _app(max_sessions=2)
    sessions, entities, _ = _memory(app)
    _order_of(app, "a")
    _order_of(app, "b")
    _call(app, "c", "GET", "/orders")  # the third live session: a, least recently used, goes
    assert (sessions.holds("a"), entities.holds("a")) == (False, False)
    again = _call(app, "a", "GET", "/orders")
    assert again.new_session
    assert (again.response.status, again.response.body) == (200, [])
    # a came back, so b is now the least recently used of three, and c's next request ends it.
    _call(app, "c", "GET", "/orders")
    assert not sessions.holds("b")
    back = _call(app, "b", "GET", "/orders")
    assert back.new_session
    assert back.response.body == []
    assert len(sessions) == 2


def test_a_live_session_keeps_its_entities_while_others_come_and_go() -> None:
    app, clock = _app(max_sessions=3)
    order_id = _order_of(app, "keeper")
    for n in range(20):
        clock.t += 1
        # The keeper comes back every other second: never the least recent, never expired.
        if n % 2 == 0:
            kept = _call(app, "keeper", "GET", "/orders")
            assert [o["id"] for o in kept.response.body] == [order_id]
            assert not kept.new_session
        _call(app, f"visitor-{n}", "GET", "/orders")
    sessions, _, _ = _memory(app)
    assert len(sessions) <= 3


def test_the_vector_memory_forgets_a_sessions_interactions_when_it_ends() -> None:
    app, clock = _app(vectors=True)
    assert app.memory is not None
    vectors = app.memory.vectors
    _order_of(app, "a")
    _call(app, "b", "GET", "/orders")
    # Requests only queue their interactions; the writer (started after each response by the
    # app) embeds and stores them.
    assert vectors.count(NAMESPACE) == 0
    asyncio.run(app.memory.flush())
    assert vectors.count(NAMESPACE) == 3  # a's two requests and b's one
    clock.t += 6
    _call(app, "c", "GET", "/orders")  # a and b expired: this save sweeps both
    asyncio.run(app.memory.flush())
    assert vectors.count(NAMESPACE) == 1
