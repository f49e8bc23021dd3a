"""Every backend of a port gets the same contract suite: add a backend here, get the tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from mockmind.adapters.aws import (
    DynamoEntityStore,
    DynamoJournal,
    DynamoResponseCache,
    DynamoSessionStore,
    DynamoStatsCounter,
    DynamoTable,
)
from mockmind.adapters.aws.provisioning import create_table
from mockmind.adapters.aws.s3_blob_store import S3BlobStore
from mockmind.adapters.files import FolderBlobStore
from mockmind.adapters.memory import (
    MemoryEntityStore,
    MemoryJournal,
    MemoryResponseCache,
    MemorySessionStore,
    MemoryStatsCounter,
)
from mockmind.adapters.sqlite import (
    SqliteDatabase,
    SqliteEntityStore,
    SqliteJournal,
    SqliteResponseCache,
    SqliteSessionStore,
    SqliteStatsCounter,
)
from mockmind.adapters.vectors.blob_memory import BlobVectorMemory
from mockmind.adapters.vectors.index import Quantization
from mockmind.adapters.vectors.memory import MemoryVectorMemory
from mockmind.ports import (
    BlobStore,
    EntityStore,
    Journal,
    ResponseCache,
    SessionStore,
    StatsCounter,
    VectorMemory,
)
from tests.support.aws import aws_client, unique_name
from tests.support.clock import still_lifetimes

# The runs on the moto server are integration tests (tests/conftest.py says why). The memory
# stores' own clock stands still here: these suites pass their times in, and what the memory
# backend frees as time passes is tested in tests/unit/adapters/test_memory_lifetimes.py.
BACKENDS = ["memory", "sqlite", pytest.param("aws", marks=pytest.mark.integration)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def dynamo_table(moto_endpoint: str) -> Iterator[DynamoTable]:
    """A fresh table on the session's moto server, so tests cannot see each other's items."""
    client = aws_client("dynamodb", moto_endpoint)
    name = unique_name("contract")
    create_table(client, name)
    yield DynamoTable(client, name)
    client.delete_table(TableName=name)


@pytest.fixture
def session_store(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[SessionStore]:
    if backend == "memory":
        yield MemorySessionStore(still_lifetimes())
    elif backend == "aws":
        # Requested only here, so the memory and SQLite runs never start moto.
        yield DynamoSessionStore(request.getfixturevalue("dynamo_table"))
    else:
        db = SqliteDatabase(tmp_path / "sessions.db")
        yield SqliteSessionStore(db)
        db.close()


@pytest.fixture
def response_cache(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[ResponseCache]:
    if backend == "memory":
        yield MemoryResponseCache(still_lifetimes())
    elif backend == "aws":
        # Requested only here, so the memory and SQLite runs never start moto.
        yield DynamoResponseCache(request.getfixturevalue("dynamo_table"))
    else:
        db = SqliteDatabase(tmp_path / "cache.db")
        yield SqliteResponseCache(db)
        db.close()


@pytest.fixture
def entity_store(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[EntityStore]:
    if backend == "memory":
        yield MemoryEntityStore(still_lifetimes())
    elif backend == "aws":
        # Requested only here, so the memory and SQLite runs never start moto.
        yield DynamoEntityStore(request.getfixturevalue("dynamo_table"))
    else:
        db = SqliteDatabase(tmp_path / "entities.db")
        yield SqliteEntityStore(db)
        db.close()


# Small, so the bound is crossed with a few events.
JOURNAL_MAX_EVENTS = 3


@pytest.fixture
def journal(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Journal]:
    if backend == "memory":
        yield MemoryJournal(still_lifetimes(), max_events=JOURNAL_MAX_EVENTS)
    elif backend == "aws":
        # Requested only here, so the memory and SQLite runs never start moto.
        table = request.getfixturevalue("dynamo_table")
        yield DynamoJournal(table, max_events=JOURNAL_MAX_EVENTS)
    else:
        db = SqliteDatabase(tmp_path / "journal.db")
        yield SqliteJournal(db, max_events=JOURNAL_MAX_EVENTS)
        db.close()


@pytest.fixture
def stats_counter(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[StatsCounter]:
    if backend == "memory":
        yield MemoryStatsCounter()
    elif backend == "aws":
        # Requested only here, so the memory and SQLite runs never start moto.
        yield DynamoStatsCounter(request.getfixturevalue("dynamo_table"))
    else:
        db = SqliteDatabase(tmp_path / "stats.db")
        yield SqliteStatsCounter(db)
        db.close()


@pytest.fixture(params=["int8", "none"])
def quantization(request: pytest.FixtureRequest) -> Quantization:
    return cast(Quantization, request.param)


# The blob vector memory runs on a folder here; tests/integration/test_s3_vector_memory.py runs
# it on S3, and test_blob_store.py holds both blob stores to the same contract.
@pytest.fixture(params=["memory", "blobs"])
def vector_memory(
    request: pytest.FixtureRequest, quantization: Quantization, tmp_path: Path
) -> Iterator[VectorMemory]:
    if request.param == "memory":
        yield MemoryVectorMemory(quantization)
        return
    # A small compaction threshold, so the contract also runs over shards, not only deltas.
    memory = BlobVectorMemory.load(
        FolderBlobStore(tmp_path / "blobs"), "vectors/", compact_every=3, quantization=quantization
    )
    yield memory
    memory.close()


@pytest.fixture(params=["folder", pytest.param("s3", marks=pytest.mark.integration)])
def blob_store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "folder":
        return FolderBlobStore(tmp_path / "blobs")
    # Requested only here, so the folder runs never start moto.
    s3 = aws_client("s3", request.getfixturevalue("moto_endpoint"))
    bucket = unique_name("blobs")
    s3.create_bucket(Bucket=bucket)
    # Pages of two keys, so listing and deleting cross page boundaries with a few blobs.
    return S3BlobStore(s3, bucket, page_size=2)
