"""The vector index's objects read from a blob store: ``index.json`` with its ETag, shards,
deltas, and a shard's float32 rows a few at a time with parallel ranged GETs.

``BlobRows`` is where an int8 index loaded from a blob store reads the float32 rows a search
re-scores (``vector_index.ExactRows``): a few dozen rows of a shard, never the whole object.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from mockmind.adapters.vectors.format import (
    INDEX,
    Delta,
    IndexDocument,
    decode_delta,
    decode_index,
    decode_matrix,
)
from mockmind.adapters.vectors.index import Codes, Positions
from mockmind.domain.errors import StoreError
from mockmind.ports.blob_store import BlobStore

Floats = npt.NDArray[np.float32]

# Enough parallel GETs to hide S3's first-byte latency.
FETCH_WORKERS = 16
# Rows this close together are fetched with one ranged GET.
_ROW_GAP = 4


def read_index(store: BlobStore, base: str) -> tuple[IndexDocument, str | None]:
    """The namespace's index and its ETag; an empty index and None when there is none yet."""
    blob = store.get(base + INDEX)
    if blob is None:
        return {}, None
    return decode_index(blob.body), blob.etag


def read_matrix(store: BlobStore, key: str) -> tuple[Floats | Codes, int]:
    """A shard's matrix, and the offset of its rows in the object."""
    blob = store.get(key)
    if blob is None:
        raise StoreError(f"vector shard {store.url(key)} is missing")
    try:
        return decode_matrix(blob.body)
    except ValueError as exc:
        raise StoreError(
            f"vector shard {store.url(key)} is not a float32 or int8 .npy matrix"
        ) from exc


def read_delta(store: BlobStore, key: str) -> Delta | None:
    """The delta, or None when it is gone (another instance compacted it)."""
    blob = store.get(key)
    return None if blob is None else decode_delta(blob.body)


class RangeReader:
    """Ranged reads of a store's blobs, several in flight at once on threads kept for reuse."""

    def __init__(self, store: BlobStore, workers: int = FETCH_WORKERS) -> None:
        self.store = store
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def read(self, key: str, ranges: list[tuple[int, int]]) -> list[bytes]:
        """The bytes of each ``(offset, length)`` range of the blob, in the order given."""
        if len(ranges) == 1:
            # One range: no thread hop.
            return [self.store.get_range(key, *ranges[0])]
        return list(self._threads().map(lambda r: self.store.get_range(key, *r), ranges))

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)

    def _threads(self) -> ThreadPoolExecutor:
        """Made on first use: most instances (float32 ones) never read a range."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self._workers, thread_name_prefix="mockmind-rows"
                )
            return self._pool


class BlobRows:
    """The float32 rows of one shard: ``dims`` floats each, from ``offset`` in blob ``key``."""

    def __init__(self, reader: RangeReader, key: str, offset: int, dims: int) -> None:
        self._reader = reader
        self._key = key
        self._offset = offset
        self._row_bytes = 4 * dims
        self._dims = dims

    def read(self, offsets: Positions) -> Floats:
        wanted = np.unique(offsets)
        # Runs of nearby rows, one GET each, all in flight at once.
        breaks = np.flatnonzero(np.diff(wanted) > _ROW_GAP) + 1
        runs = [(int(r[0]), int(r[-1])) for r in np.split(wanted, breaks) if r.shape[0]]
        size = self._row_bytes
        ranges = [(self._offset + a * size, (b - a + 1) * size) for a, b in runs]
        bodies = self._reader.read(self._key, ranges)
        found: dict[int, Floats] = {}
        for (first, last), body in zip(runs, bodies, strict=True):
            if len(body) != (last - first + 1) * size:
                raise StoreError(
                    f"vector shard {self._reader.store.url(self._key)} ends before row {last}"
                )
            block = np.frombuffer(body, dtype="<f4").reshape(-1, self._dims)
            found.update((first + n, block[n]) for n in range(block.shape[0]))
        rows: Floats = np.array([found[o] for o in offsets.tolist()], dtype=np.float32)
        return rows.reshape(offsets.shape[0], self._dims)
