"""Every backend of a port gets the same contract suite: add a backend here, get the tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mockmind.adapters.memory import MemoryEntityStore, MemoryResponseCache, MemorySessionStore
from mockmind.adapters.sqlite import (
    SqliteDatabase,
    SqliteEntityStore,
    SqliteResponseCache,
    SqliteSessionStore,
)
from mockmind.ports import EntityStore, ResponseCache, SessionStore

BACKENDS = ["memory", "sqlite"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def session_store(backend: str, tmp_path: Path) -> Iterator[SessionStore]:
    if backend == "memory":
        yield MemorySessionStore()
    else:
        db = SqliteDatabase(tmp_path / "sessions.db")
        yield SqliteSessionStore(db)
        db.close()


@pytest.fixture
def response_cache(backend: str, tmp_path: Path) -> Iterator[ResponseCache]:
    if backend == "memory":
        yield MemoryResponseCache()
    else:
        db = SqliteDatabase(tmp_path / "cache.db")
        yield SqliteResponseCache(db)
        db.close()


@pytest.fixture
def entity_store(backend: str, tmp_path: Path) -> Iterator[EntityStore]:
    if backend == "memory":
        yield MemoryEntityStore()
    else:
        db = SqliteDatabase(tmp_path / "entities.db")
        yield SqliteEntityStore(db)
        db.close()
