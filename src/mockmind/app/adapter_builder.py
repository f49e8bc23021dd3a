"""Turns an ``AdapterChoice`` into adapters: the stores, the secret provider, the vector memory.

Each backend's modules are imported only when it is chosen: boto3 for the AWS ones (through
``app/aws.py``), sqlite3 for sqlite, numpy for a vector store. A mock-only start (memory stores,
keys from the environment, no vector store) imports none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockmind.adapters.env_secrets import EnvSecretProvider
from mockmind.adapters.memory import (
    MemoryEntityStore,
    MemoryJournal,
    MemoryResponseCache,
    MemorySessionStore,
    MemoryStatsCounter,
    SessionLifetimes,
)
from mockmind.app.adapter_choice import AdapterChoice
from mockmind.app.environment import Environment
from mockmind.lean_dataclass import dataclass
from mockmind.ports.clock import Clock
from mockmind.ports.entity_store import EntityStore
from mockmind.ports.journal import Journal
from mockmind.ports.response_cache import ResponseCache
from mockmind.ports.secrets import SecretProvider
from mockmind.ports.session_store import SessionStore
from mockmind.ports.stats import StatsCounter

if TYPE_CHECKING:
    from mockmind.ports.vector_memory import VectorMemory


@dataclass(frozen=True)
class Stores:
    sessions: SessionStore
    entities: EntityStore
    cache: ResponseCache
    # The memory backend's: what else keeps data per session (the vector memory) joins it.
    lifetimes: SessionLifetimes | None = None
    # Each session's journal, in the same store (None: journals are off).
    journal: Journal | None = None
    # The hourly request counters, in the same store (None: stats are off).
    stats: StatsCounter | None = None


def build_stores(
    choice: AdapterChoice,
    clock: Clock,
    *,
    journal_events: int | None = None,
    stats: bool = False,
) -> Stores:
    """The stores ``choice`` names; ``clock`` is the time the memory ones free expired data by.

    ``journal_events``: each session's journal keeps its last that many events (None: no
    journal). ``stats``: the hourly request counters too.
    """
    if choice.storage == "sqlite":
        from mockmind.adapters.sqlite import (  # noqa: PLC0415
            SqliteDatabase,
            SqliteEntityStore,
            SqliteJournal,
            SqliteResponseCache,
            SqliteSessionStore,
            SqliteStatsCounter,
        )

        assert choice.sqlite_path is not None  # chosen with the backend
        db = SqliteDatabase(choice.sqlite_path)
        journal = None if journal_events is None else SqliteJournal(db, max_events=journal_events)
        return Stores(
            SqliteSessionStore(db),
            SqliteEntityStore(db),
            SqliteResponseCache(db),
            journal=journal,
            stats=SqliteStatsCounter(db) if stats else None,
        )
    if choice.storage == "aws":
        from mockmind.app.aws import dynamo_stores  # noqa: PLC0415

        assert choice.table is not None  # chosen with the backend
        sessions, entities, cache, dynamo_journal, counter = dynamo_stores(
            choice.table,
            choice.aws,
            journal_events=journal_events,
            stats=stats,
            key_prefix=choice.key_prefix,
        )
        return Stores(sessions, entities, cache, journal=dynamo_journal, stats=counter)
    lifetimes = SessionLifetimes(clock, max_sessions=choice.max_sessions)
    return Stores(
        MemorySessionStore(lifetimes),
        MemoryEntityStore(lifetimes),
        MemoryResponseCache(lifetimes),
        lifetimes,
        None if journal_events is None else MemoryJournal(lifetimes, max_events=journal_events),
        MemoryStatsCounter() if stats else None,
    )


def build_secrets(choice: AdapterChoice, env: Environment) -> SecretProvider:
    # The template names the stack's secret; key lookups still try the environment first.
    if choice.secrets == "secrets_manager":
        from mockmind.app.aws import secrets_manager  # noqa: PLC0415

        assert choice.secret_id is not None  # chosen with the source
        return secrets_manager(choice.secret_id, choice.aws)
    return EnvSecretProvider(env.variables)


def build_vector_memory(
    choice: AdapterChoice, lifetimes: SessionLifetimes | None = None
) -> VectorMemory | None:
    """The vector memory, loaded now (S3: the whole index); None when the store is off.

    In memory with ``lifetimes`` (the memory backend's), a session's items go when it ends.
    """
    if choice.vectors == "s3":
        from mockmind.app.aws import open_s3_vectors  # noqa: PLC0415

        assert choice.s3_vectors is not None  # chosen with the backend
        return open_s3_vectors(choice.s3_vectors, choice.aws)
    if choice.vectors == "memory":
        from mockmind.adapters.vectors.memory import MemoryVectorMemory  # noqa: PLC0415

        return MemoryVectorMemory(choice.quantization, lifetimes)
    return None


def max_body_bytes(choice: AdapterChoice, configured: int) -> int:
    """The request body limit: the configured one, capped for DynamoDB so that a body the
    engine accepts always fits in an item (the engine answers 413 before any write)."""
    if choice.storage != "aws":
        return configured
    from mockmind.adapters.aws.table import MAX_BODY_BYTES  # noqa: PLC0415

    return min(configured, MAX_BODY_BYTES)
