"""Every backend of a port gets the same contract suite: add a backend here, get the tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mockmind.adapters.memory import MemoryResponseCache, MemorySessionStore
from mockmind.adapters.sqlite import SqliteDatabase, SqliteResponseCache, SqliteSessionStore
from mockmind.ports import ResponseCache, SessionStore

BACKENDS = ["memory", "sqlite"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[SqliteDatabase]:
    db = SqliteDatabase(tmp_path / "contract.db")
    yield db
    db.close()


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
