"""``VectorMemory`` over a blob store (S3 deployed, a folder locally), searched in process.

``BlobVectorMemory.load`` reads every namespace under the prefix into a ``VectorIndex``: the
shards and deltas of all of them in flight at once, since at cold start the time is S3's
first-byte latency. The objects' layout is ``vector_format``'s; folding deltas into shards is
``vector_compaction``'s. Deltas another instance writes after this one loaded are seen at its
next load or its next compaction.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import field
from typing import Any

import numpy as np

from mockmind.adapters.vectors.blobs import (
    FETCH_WORKERS,
    BlobRows,
    RangeReader,
    read_delta,
    read_index,
    read_matrix,
)
from mockmind.adapters.vectors.compaction import Compaction
from mockmind.adapters.vectors.format import (
    DELTAS,
    Delta,
    Floats,
    IndexDocument,
    ShardEntry,
    delta_name,
    encode_delta,
    exact_bounds,
    index_dims,
)
from mockmind.adapters.vectors.index import (
    Codes,
    Quantization,
    RowSource,
    VectorIndex,
    error_bounds,
    normalised,
    quantize,
)
from mockmind.domain.errors import StoreError
from mockmind.lean_dataclass import dataclass
from mockmind.ports.blob_store import BlobStore
from mockmind.ports.vector_memory import VectorHit, VectorItem

logger = logging.getLogger("mockmind.vectors")

# What one shard loads as: its rows (float32 or codes), where its float32 rows are read back
# from, and its rows' error bounds (the last two for an int8 instance only).
_Loaded = tuple[Floats | Codes, BlobRows | None, Floats | None]


@dataclass
class _Namespace:
    index: VectorIndex
    # Delta objects this instance knows of and has not compacted, by key.
    pending: dict[str, Delta] = field(default_factory=dict)

    @property
    def dims(self) -> int:
        return self.index.dims


class BlobVectorMemory:
    """``VectorMemory`` over a ``BlobStore``: deltas on write, shards after compaction, numpy
    for search."""

    def __init__(
        self,
        store: BlobStore,
        prefix: str = "vectors/",
        *,
        compact_every: int = 64,
        quantization: Quantization = "none",
    ) -> None:
        """An empty memory over ``store``: nothing is read until ``load`` (the usual way in)."""
        self._store = store
        self._prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self._compact_every = compact_every
        self._quantization: Quantization = quantization
        self._spaces: dict[str, _Namespace] = {}
        self._lock = threading.Lock()
        self._ranges = RangeReader(store)
        self._compaction = Compaction(store, quantization)

    @classmethod
    def load(
        cls,
        store: BlobStore,
        prefix: str = "vectors/",
        *,
        compact_every: int = 64,
        quantization: Quantization = "none",
    ) -> BlobVectorMemory:
        """The memory with every namespace under ``prefix`` read: call it at cold start, never
        per request."""
        memory = cls(store, prefix, compact_every=compact_every, quantization=quantization)
        memory._load_all()
        return memory

    # -- the port

    def add(
        self, namespace: str, item_id: str, vector: Sequence[float], metadata: Mapping[str, Any]
    ) -> None:
        row = normalised(vector)
        delta = Delta(item_id, row, dict(metadata))
        with self._lock:
            space = self._spaces.get(namespace)
            if space is not None and row.shape[0] != space.dims:
                raise ValueError(
                    f"vector has {row.shape[0]} dimensions; "
                    f"namespace {namespace!r} holds {space.dims}"
                )
        key = self._base(namespace) + delta_name(time.time_ns(), uuid.uuid4().hex)
        self._store.put(key, encode_delta(delta))
        with self._lock:
            space = self._spaces.setdefault(namespace, self._empty(row.shape[0]))
            space.index.put(item_id, row, delta.metadata)
            space.pending[key] = delta
            due = len(space.pending) >= self._compact_every
        if due:
            try:
                self.compact(namespace)
            except StoreError as exc:
                # The vector is stored (as a delta); folding it into a shard can wait.
                logger.warning("vector compaction of %r failed: %s", namespace, exc)

    def add_many(self, namespace: str, items: Sequence[VectorItem]) -> None:
        # Each row is its own delta object: a batch is as many small writes, and compaction
        # folds them into a shard as it does single adds.
        for item in items:
            self.add(namespace, item.id, item.vector, item.metadata)

    def search(
        self,
        namespace: str,
        vector: Sequence[float],
        *,
        limit: int,
        threshold: float,
        session_id: str | None = None,
    ) -> list[VectorHit]:
        # Under the lock: a compaction may replace rows in place while a search would read them.
        with self._lock:
            space = self._spaces.get(namespace)
            if space is None:
                return []
            return space.index.search(
                vector, limit=limit, threshold=threshold, session_id=session_id
            )

    @property
    def nbytes(self) -> int:
        """Bytes held in memory for searching, over every namespace."""
        with self._lock:
            return sum(space.index.nbytes for space in self._spaces.values())

    def count(self, namespace: str) -> int:
        with self._lock:
            space = self._spaces.get(namespace)
            return len(space.index) if space else 0

    def compact(self, namespace: str) -> None:
        """Fold every delta of the namespace (this instance's and others') into one new shard.

        With int8 quantization it also rewrites the index's float32 shards as int8 ones.
        """
        folded = self._compaction.run(self._base(namespace), lambda: self._pending(namespace))
        if folded is None:
            return
        self._store.delete(folded.keys)
        done = set(folded.keys)
        with self._lock:
            space = self._spaces.setdefault(namespace, self._empty(folded.dims))
            # An add of the same id made while this compaction ran is newer than the row
            # folded here: the index keeps it (its delta is still pending).
            newer = {delta.id for key, delta in space.pending.items() if key not in done}
            for delta in folded.deltas:
                if delta.id not in newer:
                    space.index.put(delta.id, delta.row, delta.metadata)
            for key in folded.keys:
                space.pending.pop(key, None)

    def close(self) -> None:
        """Stop the threads that read float32 rows (a search after this starts new ones)."""
        self._ranges.close()

    def _pending(self, namespace: str) -> dict[str, Delta]:
        with self._lock:
            space = self._spaces.get(namespace)
            return dict(space.pending) if space else {}

    # -- loading

    def _load_all(self) -> None:
        namespaces = [
            folder[len(self._prefix) : -1] for folder in self._store.list_folders(self._prefix)
        ]
        if not namespaces:
            return
        with ThreadPoolExecutor(max_workers=FETCH_WORKERS) as pool:
            plans = list(pool.map(self._plan, namespaces))
            # Every shard and delta of every namespace in flight at once.
            fetches: list[
                tuple[str, IndexDocument, list[str], list[Future[_Loaded]], list[Future[Delta]]]
            ] = [
                (
                    namespace,
                    index,
                    delta_keys,
                    [
                        pool.submit(self._loaded_shard, self._base(namespace), shard)
                        for shard in index.get("shards", [])
                    ],
                    [pool.submit(self._delta, key) for key in delta_keys],
                )
                for namespace, index, delta_keys in plans
            ]
            for namespace, index, delta_keys, shard_futures, delta_futures in fetches:
                loaded = [f.result() for f in shard_futures]
                deltas = [f.result() for f in delta_futures]
                if loaded or deltas:
                    self._spaces[namespace] = self._assemble(index, loaded, delta_keys, deltas)

    def _plan(self, namespace: str) -> tuple[str, IndexDocument, list[str]]:
        base = self._base(namespace)
        index, _ = read_index(self._store, base)
        return namespace, index, self._store.list_keys(base + DELTAS)

    def _loaded_shard(self, base: str, entry: ShardEntry) -> _Loaded:
        """What a shard loads as here.

        A float32 instance loads float32 rows (the exact object of an int8 shard); an int8
        instance loads codes, quantizing a float32 shard as it loads and reading its rows
        back from it.
        """
        exact = entry.get("exact")
        int8_entry = entry.get("dtype") == "int8"
        if self._quantization == "none":
            key = exact if int8_entry and exact else entry["key"]
            return read_matrix(self._store, base + key)[0], None, None
        if int8_entry:
            codes = read_matrix(self._store, base + entry["key"])[0]
            if not exact:
                return codes, None, None  # format 2: the codes are all there is
            try:
                bounds, offset = exact_bounds(entry, codes.shape[0])
            except ValueError as exc:
                raise StoreError(f"vector shard {base}{entry['key']} {exc}") from exc
            return codes, BlobRows(self._ranges, base + exact, offset, codes.shape[1]), bounds
        floats, offset = read_matrix(self._store, base + entry["key"])
        codes = quantize(floats)
        rows = BlobRows(self._ranges, base + entry["key"], offset, floats.shape[1])
        return codes, rows, error_bounds(floats.astype(np.float32), codes)

    def _delta(self, key: str) -> Delta:
        delta = read_delta(self._store, key)
        if delta is None:
            raise StoreError(f"vector delta {self._store.url(key)} vanished while loading")
        return delta

    def _assemble(
        self,
        index: IndexDocument,
        loaded: list[_Loaded],
        delta_keys: list[str],
        deltas: list[Delta],
    ) -> _Namespace:
        shards = index.get("shards", [])
        matrices = [matrix for matrix, _, _ in loaded]
        dims = index_dims(index, deltas)
        space = self._empty(dims)
        ids = [str(i) for s in shards for i in s["ids"]]
        rows = sum(m.shape[0] for m in matrices)
        if rows != len(ids) or any(m.shape[1] != dims for m in matrices if m.shape[0]):
            shapes = sorted({m.shape[1] for m in matrices if m.shape[0]})
            raise StoreError(
                f"vector index holds {len(ids)} ids of {dims} dimensions, "
                f"its shards {rows} rows of {shapes} dimensions"
            )
        # The shards load in order; an id stored twice keeps its last row.
        last = {item_id: n for n, item_id in enumerate(ids)}
        offset = 0
        for shard, (matrix, exact_rows, bounds) in zip(shards, loaded, strict=True):
            count = matrix.shape[0]
            keep = [n for n in range(count) if last[ids[offset + n]] == offset + n]
            if keep:
                whole = len(keep) == count
                kept = np.asarray(keep, dtype=np.intp)
                source = None
                if exact_rows is not None and bounds is not None:
                    source = RowSource(exact_rows, kept, bounds[kept])
                space.index.extend(
                    [ids[offset + n] for n in keep],
                    matrix if whole else matrix[kept],
                    [dict(shard["metadata"][n]) for n in keep],
                    source,
                )
            offset += count
        for key, delta in zip(delta_keys, deltas, strict=True):
            space.index.put(delta.id, delta.row, delta.metadata)
            space.pending[key] = delta
        return space

    # -- names

    def _base(self, namespace: str) -> str:
        return f"{self._prefix}{namespace}/"

    def _empty(self, dims: int) -> _Namespace:
        return _Namespace(VectorIndex(dims, self._quantization))
