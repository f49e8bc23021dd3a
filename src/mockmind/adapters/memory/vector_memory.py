from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from mockmind.ports.vector_memory import VectorHit


class _Namespace:
    def __init__(self, dims: int) -> None:
        self.dims = dims
        self.matrix: npt.NDArray[np.float32] = np.empty((0, dims), dtype=np.float32)
        self.ids: list[str] = []
        self.metadata: list[Mapping[str, Any]] = []


class MemoryVectorMemory:
    """Normalised float32 rows; a search is one matrix-vector product and a partial sort."""

    def __init__(self) -> None:
        self._spaces: dict[str, _Namespace] = {}
        self._lock = threading.Lock()

    def add(
        self, namespace: str, item_id: str, vector: Sequence[float], metadata: Mapping[str, Any]
    ) -> None:
        row = _normalised(vector)
        with self._lock:
            space = self._spaces.setdefault(namespace, _Namespace(row.shape[0]))
            if row.shape[0] != space.dims:
                raise ValueError(
                    f"vector has {row.shape[0]} dimensions; "
                    f"namespace {namespace!r} holds {space.dims}"
                )
            space.matrix = np.vstack([space.matrix, row[None, :]])
            space.ids.append(item_id)
            space.metadata.append(dict(metadata))

    def search(
        self,
        namespace: str,
        vector: Sequence[float],
        *,
        limit: int,
        threshold: float,
        session_id: str | None = None,
    ) -> list[VectorHit]:
        space = self._spaces.get(namespace)
        if space is None or not space.ids:
            return []
        scores = space.matrix @ _normalised(vector)
        if session_id is not None:
            mask = np.array([m.get("session_id") == session_id for m in space.metadata])
            scores = np.where(mask, scores, -np.inf)
        k = min(limit, scores.shape[0])
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [
            VectorHit(space.ids[i], float(scores[i]), space.metadata[i])
            for i in top
            if scores[i] >= threshold
        ]

    def count(self, namespace: str) -> int:
        space = self._spaces.get(namespace)
        return len(space.ids) if space else 0


def _normalised(vector: Sequence[float]) -> npt.NDArray[np.float32]:
    row = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(row))
    return row / norm if norm > 0 else row
