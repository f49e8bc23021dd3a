from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mockmind.adapters.memory.lifetimes import SessionLifetimes
from mockmind.adapters.vectors.index import Quantization, VectorIndex, normalised
from mockmind.ports.vector_memory import VectorHit, VectorItem

# An item: its namespace and id.
_Item = tuple[str, str]


class MemoryVectorMemory:
    """One ``VectorIndex`` per namespace: float32 rows, or int8 codes.

    With ``lifetimes`` (the memory backend's sessions), the items whose metadata names a
    session are removed when that session ends, as its entities are.
    """

    def __init__(
        self, quantization: Quantization = "none", lifetimes: SessionLifetimes | None = None
    ) -> None:
        self._quantization: Quantization = quantization
        self._spaces: dict[str, VectorIndex] = {}
        self._lock = threading.Lock()
        # Which items each session owns, kept only when sessions end (``lifetimes``).
        self._owned: dict[str, set[_Item]] | None = None
        self._owner: dict[_Item, str] = {}
        if lifetimes is not None:
            self._owned = {}
            lifetimes.on_end(self.drop_session)

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
            if self._owned is not None:
                self._own((namespace, item_id), metadata.get("session_id"))

    def add_many(self, namespace: str, items: Sequence[VectorItem]) -> None:
        if not items:
            return
        rows = [normalised(item.vector) for item in items]
        dims = {row.shape[0] for row in rows}
        with self._lock:
            space = self._spaces.setdefault(
                namespace, VectorIndex(rows[0].shape[0], self._quantization)
            )
            if dims != {space.dims}:
                raise ValueError(
                    f"vectors have {sorted(dims)} dimensions; "
                    f"namespace {namespace!r} holds {space.dims}"
                )
            # New ids grow the index once; a replaced one (held already, or given again in
            # the batch) is put after them, in order, so the last of an id wins as with add.
            fresh: dict[str, int] = {}
            later: list[int] = []
            for at, item in enumerate(items):
                if item.id in space.positions or item.id in fresh:
                    later.append(at)
                else:
                    fresh[item.id] = at
            if fresh:
                chosen = list(fresh.values())
                space.extend(
                    list(fresh),
                    np.stack([rows[at] for at in chosen]),
                    [dict(items[at].metadata) for at in chosen],
                )
            for at in later:
                space.put(items[at].id, rows[at], dict(items[at].metadata))
            if self._owned is not None:
                for item in items:
                    self._own((namespace, item.id), item.metadata.get("session_id"))

    def _own(self, item: _Item, session: object) -> None:
        owned = self._owned
        assert owned is not None  # only called when sessions end
        before = self._owner.pop(item, None)
        if before is not None:
            mine = owned[before]
            mine.discard(item)
            if not mine:
                del owned[before]
        if isinstance(session, str):
            self._owner[item] = session
            owned.setdefault(session, set()).add(item)

    def drop_session(self, session_id: str) -> None:
        """Remove the items of ``session_id`` (a session that ended) from every namespace."""
        with self._lock:
            if self._owned is None:
                return
            by_namespace: dict[str, list[str]] = {}
            for namespace, item_id in self._owned.pop(session_id, ()):
                del self._owner[(namespace, item_id)]
                by_namespace.setdefault(namespace, []).append(item_id)
            for namespace, ids in by_namespace.items():
                self._spaces[namespace].remove(ids)

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
