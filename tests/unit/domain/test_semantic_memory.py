"""Semantic memory when its vector store fails: the request goes on, recall falls back."""

from __future__ import annotations

import asyncio
import errno
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest

from mockmind.adapters.llm.hashed_embedder import LocalHashedEmbedder
from mockmind.adapters.vectors import row_file
from mockmind.adapters.vectors.memory import MemoryVectorMemory
from mockmind.adapters.vectors.row_file import RowFile
from mockmind.domain.costs import CostTracker, PriceTable
from mockmind.domain.errors import StoreError
from mockmind.domain.memory import NAMESPACE, SemanticMemory, describe
from mockmind.domain.prompts import estimate_tokens
from mockmind.domain.sessions import Interaction
from mockmind.ports.llm import Embeddings
from mockmind.ports.vector_memory import VectorHit, VectorItem
from tests.support.clock import ManualClock


class _BrokenVectors:
    """A vector store whose backend is down (S3 refusing, a full disk)."""

    def add(
        self, namespace: str, item_id: str, vector: Sequence[float], metadata: Mapping[str, Any]
    ) -> None:
        raise StoreError("S3 PutObject s3://vectors/x failed: ServiceUnavailable")

    def add_many(self, namespace: str, items: Sequence[VectorItem]) -> None:
        raise StoreError("S3 PutObject s3://vectors/x failed: ServiceUnavailable")

    def search(
        self,
        namespace: str,
        vector: Sequence[float],
        *,
        limit: int,
        threshold: float,
        session_id: str | None = None,
    ) -> list[VectorHit]:
        raise StoreError("S3 GetObject s3://vectors/x failed: ServiceUnavailable")

    def count(self, namespace: str) -> int:
        return 0


def test_a_failing_store_loses_recall_not_the_request(caplog: pytest.LogCaptureFixture) -> None:
    memory = SemanticMemory(LocalHashedEmbedder(), _BrokenVectors(), limit=2)
    seen = [Interaction(float(n), "GET", f"/orders/{n}", 200, None, {"id": n}) for n in range(3)]
    asyncio.run(memory.remember("s", "i-1", seen[0]))
    recalled = asyncio.run(memory.recall("s", "orders", tuple(seen)))
    assert recalled == ['GET /orders/1 -> 200 {"id": 1}', 'GET /orders/2 -> 200 {"id": 2}']
    assert "ServiceUnavailable" in caplog.text


def test_a_full_disk_under_the_row_file_is_a_store_error(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = RowFile(4, directory=str(tmp_path))
    file.append(np.zeros((1, 4), dtype=np.float32))

    def full(fd: int, data: bytes, offset: int) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(row_file.os, "pwrite", full)
    with pytest.raises(StoreError, match=r"vector row file append failed .*No space left"):
        file.append(np.zeros((1, 4), dtype=np.float32))
    with pytest.raises(StoreError, match="vector row file write failed"):
        file.write(0, np.ones(4, dtype=np.float32))
    monkeypatch.undo()
    assert len(file) == 1
    assert file.read(np.array([0])).tolist() == [[0.0, 0.0, 0.0, 0.0]]


def test_a_row_file_in_a_missing_directory_is_a_store_error(tmp_path: Any) -> None:
    with pytest.raises(StoreError, match=r"cannot be made in .*nowhere"):
        RowFile(4, directory=str(tmp_path / "nowhere"))


class _CountingEmbedder:
    """The hashed embedder, counting its calls, with a deadline it records; ``hang`` makes
    every call wait for ever (an endpoint that accepts and never answers)."""

    def __init__(self, *, hang: bool = False, tokens: int | None = None) -> None:
        self.inner = LocalHashedEmbedder(16)
        self.calls: list[list[str]] = []
        self.deadlines: list[float | None] = []
        self.hang = hang
        self.tokens = tokens
        self.name = "openai"
        self.model = "text-embedding-3-small"
        self.dimensions = 16

    async def embed(
        self, texts: Sequence[str], *, deadline: float | None = None
    ) -> list[list[float]]:
        self.calls.append(list(texts))
        self.deadlines.append(deadline)
        if self.hang:
            await asyncio.Event().wait()
        return Embeddings(self.inner.embed_sync(texts), self.tokens)


def _interaction(n: int) -> Interaction:
    return Interaction(float(n), "GET", f"/orders/{n}", 200, None, {"id": n})


def test_noting_costs_no_call_and_the_writer_embeds_a_burst_in_one_call() -> None:
    embedder = _CountingEmbedder(tokens=70)
    vectors = MemoryVectorMemory()
    costs = CostTracker(PriceTable(), ManualClock())
    memory = SemanticMemory(embedder, vectors, costs=costs)

    async def burst() -> None:
        for n in range(3):
            memory.note("s", f"i-{n}", _interaction(n))
        assert embedder.calls == [], "noting is not embedding"
        memory.write_behind()
        memory.note("s", "i-3", _interaction(3))
        memory.write_behind()  # one writer at a time: this one's lingering takes the fourth
        assert memory.pending == 4
        await memory.settle()

    asyncio.run(burst())
    assert embedder.calls == [[describe(_interaction(n)) for n in range(4)]]
    assert vectors.count(NAMESPACE) == 4
    assert (memory.pending, memory.counters.written, memory.counters.batches) == (0, 4, 1)
    today = costs.snapshot()["today"]
    assert (today["embedding_calls"], today["embedding_tokens"]) == (1, 70)
    assert today["estimated_embedding_calls"] == 0


def test_every_embedding_call_is_bounded_by_the_timeout_and_the_deadline() -> None:
    embedder = _CountingEmbedder(hang=True)
    now = [100.0]
    memory = SemanticMemory(
        embedder, MemoryVectorMemory(), timeout_seconds=0.01, monotonic=lambda: now[0]
    )
    seen = tuple(_interaction(n) for n in range(2))
    recalled = asyncio.run(memory.recall("s", "orders", seen, deadline=100.005))
    assert recalled == [describe(i) for i in seen], "recall falls back to recent history"
    # The embedder is told to give up 10 ms before the bound, so that it times out itself.
    assert embedder.deadlines == [pytest.approx(99.995)], "the request's deadline was nearer"
    asyncio.run(memory.remember("s", "i-0", seen[0]))
    assert embedder.deadlines[1] == pytest.approx(100.0)
    assert (memory.counters.not_embedded, memory.counters.written) == (1, 0)


def test_the_queue_is_capped_and_drops_the_oldest() -> None:
    memory = SemanticMemory(_CountingEmbedder(), MemoryVectorMemory(), max_pending=2)
    for n in range(3):
        memory.note("s", f"i-{n}", _interaction(n))
    assert (memory.pending, memory.counters.dropped) == (2, 1)
    asyncio.run(memory.flush())
    assert memory.vectors.count(NAMESPACE) == 2


def test_an_embedder_without_counts_is_charged_by_estimate() -> None:
    costs = CostTracker(PriceTable(), ManualClock())
    memory = SemanticMemory(_CountingEmbedder(), MemoryVectorMemory(), costs=costs)
    asyncio.run(memory.remember("s", "i-0", _interaction(0)))
    today = costs.snapshot()["today"]
    text = describe(_interaction(0))
    assert (today["embedding_calls"], today["embedding_tokens"]) == (1, estimate_tokens(text))
    assert today["estimated_embedding_calls"] == 1
