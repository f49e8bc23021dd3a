from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from mockmind.adapters.vectors.index import Quantization, VectorIndex, normalised
from mockmind.ports.vector_memory import VectorHit


class MemoryVectorMemory:
    """One ``VectorIndex`` per namespace: float32 rows, or int8 codes."""

    def __init__(self, quantization: Quantization = "none") -> None:
        self._quantization: Quantization = quantization
        self._spaces: dict[str, VectorIndex] = {}
        self._lock = threading.Lock()

    def add(
        self, namespace: str, item_id: str, vector: Sequence[float], metadata: Mapping[str, Any]
    ) -> None:
        row = normalised(vector)
        with self._lock:
            space = self._spaces.setdefault(
                namespace, VectorIndex(row.shape[0], self._quantization)
            )
            if row.shape[0] != space.dims:
                raise ValueError(
                    f"vector has {row.shape[0]} dimensions; "
                    f"namespace {namespace!r} holds {space.dims}"
                )
            space.put(item_id, row, dict(metadata))

    def search(
        self,
        namespace: str,
        vector: Sequence[float],
        *,
        limit: int,
        threshold: float,
        session_id: str | None = None,
    ) -> list[VectorHit]:
        # Under the lock: an add replacing a row writes its codes, scale, bound and float32
        # row one after another, and an int8 search seeing half of that could drop a better
        # row on the strength of the half-written one's bound.
        with self._lock:
            space = self._spaces.get(namespace)
            if space is None:
                return []
            return space.search(vector, limit=limit, threshold=threshold, session_id=session_id)

    def count(self, namespace: str) -> int:
        with self._lock:
            space = self._spaces.get(namespace)
            return len(space) if space else 0
