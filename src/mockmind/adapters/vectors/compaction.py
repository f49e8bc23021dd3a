"""Folding a namespace's deltas into a new shard, recorded with a conditional write of its index.

Two instances may compact the same namespace at once: each writes its own shard objects, then
replaces ``index.json`` only if its ETag is still the one it read. The loser deletes the shards
it wrote and starts over from the winner's index, so no shard is ever dropped from the index.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from mockmind.adapters.vectors.blobs import FETCH_WORKERS, read_delta, read_index, read_matrix
from mockmind.adapters.vectors.format import (
    DELTAS,
    INDEX,
    Delta,
    ShardEntry,
    encode_index,
    encode_matrix,
    float32_entry,
    index_dims,
    int8_fields,
    new_index,
    shard_name,
    stored_dtype,
)
from mockmind.adapters.vectors.index import Quantization, quantize
from mockmind.domain.errors import VersionConflict
from mockmind.lean_dataclass import dataclass
from mockmind.ports.blob_store import BlobStore

_ATTEMPTS = 3


@dataclass(frozen=True)
class Folded:
    """What a compaction recorded in the index: the delta objects and their vectors, in order."""

    dims: int
    keys: list[str]
    deltas: list[Delta]


class Compaction:
    """Compacts namespaces of one store for an instance of quantization ``quantization``.

    With int8 quantization it also rewrites the index's float32 shards as int8 ones.
    """

    def __init__(self, store: BlobStore, quantization: Quantization) -> None:
        self._store = store
        self._quantization: Quantization = quantization

    def run(self, base: str, known: Callable[[], Mapping[str, Delta]]) -> Folded | None:
        """Fold every delta under ``base`` (this instance's and others') into one new shard.

        ``known`` gives the deltas the caller already holds, by key, so they are not fetched
        again. Returns what was folded (the caller deletes the delta objects), or None when
        there was nothing to fold or every attempt lost its race.
        """
        for _ in range(_ATTEMPTS):
            keys = self._store.list_keys(base + DELTAS)
            index, etag = read_index(self._store, base)
            shards: list[ShardEntry] = list(index.get("shards", []))
            legacy = [s for s in shards if self._rewritable(s)] if index else []
            if not keys and not legacy:
                return None
            deltas = self._deltas(keys, known())
            if deltas is None:
                continue
            dims = index_dims(index, deltas)
            written: list[str] = []
            for entry in legacy:
                shards[shards.index(entry)] = self._rewritten(base, entry, written)
            if deltas:
                shards.append(self._new_shard(base, deltas, written))
            body = encode_index(new_index(self._quantization, dims, shards))
            try:
                self._store.put_if_match(base + INDEX, body, etag)
            except VersionConflict:
                # Another instance changed the index first: drop the orphan shards, start over.
                self._store.delete(written)
                continue
            return Folded(dims, keys, deltas)
        return None

    def _rewritable(self, entry: ShardEntry) -> bool:
        return self._quantization == "int8" and stored_dtype(entry) == "float32"

    def _rewritten(self, base: str, entry: ShardEntry, written: list[str]) -> ShardEntry:
        """A float32 shard's entry as int8: new codes, the float32 object kept as their rows."""
        stored, offset = read_matrix(self._store, base + entry["key"])
        rows = stored.astype(np.float32)
        codes = quantize(rows)
        key = shard_name(uuid.uuid4().hex)
        self._store.put(base + key, encode_matrix(codes))
        written.append(base + key)
        return {**entry, **int8_fields(entry["key"], offset, rows, codes), "key": key}

    def _new_shard(self, base: str, deltas: list[Delta], written: list[str]) -> ShardEntry:
        fresh = np.vstack([delta.row for delta in deltas])
        key = shard_name(uuid.uuid4().hex)
        entry = float32_entry(key, deltas)
        if self._quantization == "int8":
            exact = shard_name(uuid.uuid4().hex, exact=True)
            body = encode_matrix(fresh)
            self._store.put(base + exact, body)
            written.append(base + exact)
            codes = quantize(fresh)
            self._store.put(base + key, encode_matrix(codes))
            entry.update(int8_fields(exact, len(body) - fresh.nbytes, fresh, codes))
        else:
            self._store.put(base + key, encode_matrix(fresh))
        written.append(base + key)
        return entry

    def _deltas(self, keys: list[str], known: Mapping[str, Delta]) -> list[Delta] | None:
        """The deltas behind ``keys``; None when one vanished (another instance compacted it)."""
        found: dict[str, Delta | None] = dict(known)
        missing = [key for key in keys if key not in found]
        with ThreadPoolExecutor(max_workers=FETCH_WORKERS) as pool:
            fetched = pool.map(lambda key: read_delta(self._store, key), missing)
            found.update(zip(missing, fetched, strict=True))
        deltas = [found[key] for key in keys]
        return None if any(d is None for d in deltas) else [d for d in deltas if d is not None]
