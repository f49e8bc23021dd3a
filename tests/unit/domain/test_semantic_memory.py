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
from mockmind.adapters.vectors.row_file import RowFile
from mockmind.domain.errors import StoreError
from mockmind.domain.memory import SemanticMemory
from mockmind.domain.sessions import Interaction
from mockmind.ports.vector_memory import VectorHit


class _BrokenVectors:
    """A vector store whose backend is down (S3 refusing, a full disk)."""

    def add(
        self, namespace: str, item_id: str, vector: Sequence[float], metadata: Mapping[str, Any]
    ) -> None:
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
