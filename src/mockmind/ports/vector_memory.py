"""Embeddings of past interactions, searched by similarity to give the LLM relevant context."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from mockmind.lean_dataclass import dataclass


@dataclass(frozen=True)
class VectorHit:
    id: str
    score: float
    metadata: Mapping[str, Any]


@dataclass(frozen=True)
class VectorItem:
    id: str
    vector: Sequence[float]
    metadata: Mapping[str, Any]


class VectorMemory(Protocol):
    def add(
        self, namespace: str, item_id: str, vector: Sequence[float], metadata: Mapping[str, Any]
    ) -> None: ...

    def add_many(self, namespace: str, items: Sequence[VectorItem]) -> None:
        """``add`` of each item, in order, as one update where the store can (one index
        growth for a batch of rows, not one per row)."""
        ...

    def search(
        self,
        namespace: str,
        vector: Sequence[float],
        *,
        limit: int,
        threshold: float,
        session_id: str | None = None,
    ) -> list[VectorHit]:
        """The ``limit`` most similar items with cosine similarity >= ``threshold``, best first."""
        ...

    def count(self, namespace: str) -> int: ...
