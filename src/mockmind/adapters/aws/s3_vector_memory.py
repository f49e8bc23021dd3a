"""Vector memory in S3, searched in process: the whole index is loaded when the adapter is built.

Layout under ``{prefix}{namespace}/``:

``index.json``
    the namespace's compact metadata: dimensions, and per shard its object key, ids and
    metadata. It is replaced with a conditional write (``If-Match`` its ETag, or
    ``If-None-Match: *`` for the first), so two compacting instances cannot lose a shard.
``shards/<uuid>.npy``
    the rows in the order of the shard's ids, read without parsing each vector: float32 unit
    rows, or int8 codes (``vector_index.quantize``) with ``quantization="int8"``. The shard's
    entry names its ``dtype``; format 1 entries have none and are float32. An int8 entry
    (format 3) also names ``exact``, the float32 object of the same rows, with ``exact_offset``
    where its rows start, and carries ``bounds``, each row's quantization error (base64
    little-endian float32). An int8 instance loads only the codes, a quarter of the bytes, and
    reads the few float32 rows a search re-scores with ranged GETs of ``exact``. A float32
    instance loads ``exact`` instead of the codes. An int8 instance compacting an index with
    float32 shards writes their codes and keeps the float32 object as their ``exact``.
``deltas/<time>-<uuid>.json``
    one vector each (its float32 bytes in base64, its id and metadata), written by ``add``.
    After ``compact_every`` of them an instance folds the deltas into a new shard, records it
    in ``index.json`` and deletes them.

An id stored twice (a delta read after its compaction, before its deletion) is kept once, the
later copy winning. Deltas another instance writes after this one loaded are seen at its next
cold start or its next compaction.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from botocore.exceptions import BotoCoreError, ClientError

from mockmind.adapters.vector_index import (
    Codes,
    Positions,
    Quantization,
    RowSource,
    VectorIndex,
    error_bounds,
    normalised,
    quantize,
)
from mockmind.domain.errors import StoreError
from mockmind.ports.vector_memory import VectorHit

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

logger = logging.getLogger("mockmind.vectors")

Matrix = npt.NDArray[np.float32]

_INDEX = "index.json"
_FORMAT = 3
_SHARD_DTYPES: dict[str, np.dtype[Any]] = {"float32": np.dtype("<f4"), "int8": np.dtype("i1")}
# Enough parallel GETs to hide S3's first-byte latency at cold start.
_FETCH_WORKERS = 16
_COMPACT_ATTEMPTS = 3
# Rows this close together in a float32 object are fetched with one ranged GET.
_ROW_GAP = 4


@dataclass
class _Namespace:
    index: VectorIndex
    # Delta objects this instance knows of and has not compacted: key -> (id, row, metadata).
    pending: dict[str, tuple[str, Matrix, Mapping[str, Any]]] = field(default_factory=dict)

    @property
    def dims(self) -> int:
        return self.index.dims


class S3VectorMemory:
    """``VectorMemory`` over S3: deltas on write, shards after compaction, numpy for search."""

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        prefix: str = "vectors/",
        *,
        compact_every: int = 64,
        quantization: Quantization = "none",
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self._compact_every = compact_every
        self._quantization: Quantization = quantization
        self._spaces: dict[str, _Namespace] = {}
        self._lock = threading.Lock()
        self._rows_pool: ThreadPoolExecutor | None = None
        self._load_all()

    # -- the port

    def add(
        self, namespace: str, item_id: str, vector: Sequence[float], metadata: Mapping[str, Any]
    ) -> None:
        row = normalised(vector)
        meta = dict(metadata)
        with self._lock:
            space = self._spaces.get(namespace)
            if space is not None and row.shape[0] != space.dims:
                raise ValueError(
                    f"vector has {row.shape[0]} dimensions; "
                    f"namespace {namespace!r} holds {space.dims}"
                )
        key = f"{self._base(namespace)}deltas/{time.time_ns():020d}-{uuid.uuid4().hex}.json"
        document = {"id": item_id, "vector": _encode_row(row), "metadata": meta}
        self._put(key, json.dumps(document, separators=(",", ":")).encode())
        with self._lock:
            space = self._spaces.setdefault(namespace, self._empty(row.shape[0]))
            space.index.put(item_id, row, meta)
            space.pending[key] = (item_id, row, meta)
            due = len(space.pending) >= self._compact_every
        if due:
            try:
                self.compact(namespace)
            except StoreError as exc:
                # The vector is stored (as a delta); folding it into a shard can wait.
                logger.warning("vector compaction of %r failed: %s", namespace, exc)

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

    # -- compaction

    def compact(self, namespace: str) -> None:
        """Fold every delta of the namespace (this instance's and others') into one new shard.

        With int8 quantization it also rewrites the index's float32 shards as int8 ones.
        """
        base = self._base(namespace)
        for _ in range(_COMPACT_ATTEMPTS):
            keys = self._list(f"{base}deltas/")
            index, etag = self._index(namespace)
            shards: list[dict[str, Any]] = list(index.get("shards", []))
            legacy = [s for s in shards if self._rewritable(s)] if index else []
            if not keys and not legacy:
                return
            deltas = self._deltas(namespace, keys)
            if deltas is None:
                continue
            dims = int(index.get("dims") or (deltas[0][1].shape[0] if deltas else 0))
            written: list[str] = []
            for entry in legacy:
                # The float32 object stays, as the codes' exact rows.
                stored, offset = self._shard(base + entry["key"])
                rows = stored.astype(np.float32)
                codes = quantize(rows)
                key = f"{base}shards/{uuid.uuid4().hex}.npy"
                self._put(key, _npy(codes))
                written.append(key)
                shards[shards.index(entry)] = {
                    **entry,
                    **_int8_fields(entry["key"], offset, rows, codes),
                    "key": key[len(base) :],
                }
            if deltas:
                fresh = np.vstack([row for _, row, _ in deltas])
                key = f"{base}shards/{uuid.uuid4().hex}.npy"
                entry = _shard_entry(key, base, deltas)
                if self._quantization == "int8":
                    exact_key = f"{base}shards/{uuid.uuid4().hex}.f32.npy"
                    body = _npy(fresh)
                    self._put(exact_key, body)
                    written.append(exact_key)
                    codes = quantize(fresh)
                    self._put(key, _npy(codes))
                    offset = len(body) - fresh.nbytes
                    entry.update(_int8_fields(exact_key[len(base) :], offset, fresh, codes))
                else:
                    self._put(key, _npy(fresh))
                written.append(key)
                shards.append(entry)
            new_index = {
                "format": _FORMAT,
                "quantization": self._quantization,
                "dims": dims,
                "shards": shards,
            }
            if self._put_index(namespace, new_index, etag):
                self._delete(keys)
                folded = set(keys)
                with self._lock:
                    space = self._spaces.setdefault(namespace, self._empty(dims))
                    # An add of the same id made while this compaction ran is newer than the
                    # row folded here: the index keeps it (its delta is still pending).
                    newer = {i for k, (i, _, _) in space.pending.items() if k not in folded}
                    for item_id, row, meta in deltas:
                        if item_id not in newer:
                            space.index.put(item_id, row, meta)
                    for key in keys:
                        space.pending.pop(key, None)
                return
            # Another instance changed the index first: drop the orphan shards and start over.
            self._delete(written)

    def _rewritable(self, entry: Mapping[str, Any]) -> bool:
        return self._quantization == "int8" and entry.get("dtype", "float32") == "float32"

    # -- loading at cold start

    def _load_all(self) -> None:
        namespaces = self._namespaces()
        if not namespaces:
            return
        with ThreadPoolExecutor(max_workers=_FETCH_WORKERS) as pool:
            plans = list(pool.map(self._plan, namespaces))
            # Every shard and delta of every namespace in flight at once.
            fetches = [
                (
                    namespace,
                    index,
                    delta_keys,
                    [
                        pool.submit(self._loaded_shard, self._base(namespace), s)
                        for s in index.get("shards", [])
                    ],
                    [pool.submit(self._delta, key) for key in delta_keys],
                )
                for namespace, index, delta_keys in plans
            ]
            for namespace, index, delta_keys, shard_futures, delta_futures in fetches:
                loaded = [f.result() for f in shard_futures]
                deltas = [f.result() for f in delta_futures]
                if loaded or deltas:
                    self._spaces[namespace] = _assemble(
                        self._empty, index, loaded, delta_keys, deltas
                    )

    def _plan(self, namespace: str) -> tuple[str, dict[str, Any], list[str]]:
        index, _ = self._index(namespace)
        return namespace, index, self._list(f"{self._base(namespace)}deltas/")

    def _namespaces(self) -> list[str]:
        found: list[str] = []
        token: dict[str, Any] = {}
        while True:
            with self._translated("ListObjectsV2", self._prefix):
                page = self._client.list_objects_v2(
                    Bucket=self._bucket, Prefix=self._prefix, Delimiter="/", **token
                )
            found += [p["Prefix"][len(self._prefix) : -1] for p in page.get("CommonPrefixes", [])]
            if not page.get("IsTruncated"):
                return found
            token = {"ContinuationToken": page["NextContinuationToken"]}

    def _index(self, namespace: str) -> tuple[dict[str, Any], str | None]:
        key = self._base(namespace) + _INDEX
        try:
            with self._translated("GetObject", key, passthrough=("NoSuchKey", "404")):
                response = self._client.get_object(Bucket=self._bucket, Key=key)
                body = response["Body"].read()
        except ClientError:
            return {}, None
        index: dict[str, Any] = json.loads(body)
        return index, response["ETag"]

    def _put_index(self, namespace: str, index: Mapping[str, Any], etag: str | None) -> bool:
        key = self._base(namespace) + _INDEX
        body = json.dumps(index, separators=(",", ":"), ensure_ascii=False).encode()
        try:
            with self._translated(
                "PutObject", key, passthrough=("PreconditionFailed", "ConditionalRequestConflict")
            ):
                if etag is None:
                    self._client.put_object(
                        Bucket=self._bucket, Key=key, Body=body, IfNoneMatch="*"
                    )
                else:
                    self._client.put_object(Bucket=self._bucket, Key=key, Body=body, IfMatch=etag)
        except ClientError:
            return False
        return True

    def _shard(self, key: str) -> tuple[Matrix | Codes, int]:
        """A shard's matrix, and the offset of its rows in the object."""
        data = self._get(key)
        try:
            return _npy_view(data)
        except ValueError as exc:
            raise StoreError(
                f"vector shard s3://{self._bucket}/{key} is not a float32 or int8 .npy matrix"
            ) from exc

    def _loaded_shard(
        self, base: str, entry: Mapping[str, Any]
    ) -> tuple[Matrix | Codes, _S3Rows | None, Matrix | None]:
        """What a shard loads as here: its rows, where its float32 rows are, its error bounds.

        A float32 index loads float32 rows (the exact object of an int8 shard); an int8 index
        loads codes, quantizing a float32 shard as it loads and reading its rows back from it.
        """
        exact = entry.get("exact")
        int8_entry = entry.get("dtype") == "int8"
        if self._quantization == "none":
            key = exact if int8_entry and exact else entry["key"]
            return self._shard(base + key)[0], None, None
        if int8_entry:
            codes = self._shard(base + entry["key"])[0]
            if not exact:
                return codes, None, None  # format 2: the codes are all there is
            try:
                bounds = np.frombuffer(base64.b64decode(entry["bounds"]), dtype="<f4")
                offset = int(entry["exact_offset"])
            except (KeyError, TypeError, ValueError) as exc:
                raise StoreError(
                    f"vector shard {base}{entry['key']} names float32 rows but no valid "
                    f"bounds and exact_offset ({type(exc).__name__}: {exc})"
                ) from exc
            if bounds.shape[0] != codes.shape[0]:
                raise StoreError(
                    f"vector shard {base}{entry['key']} has {codes.shape[0]} rows but "
                    f"{bounds.shape[0]} bounds"
                )
            rows = _S3Rows(self, base + exact, offset, codes.shape[1])
            return codes, rows, bounds.astype(np.float32)
        floats, offset = self._shard(base + entry["key"])
        codes = quantize(floats)
        rows = _S3Rows(self, base + entry["key"], offset, floats.shape[1])
        return codes, rows, error_bounds(floats.astype(np.float32), codes)

    def _delta(self, key: str) -> tuple[str, Matrix, Mapping[str, Any]]:
        document = json.loads(self._get(key))
        row = np.frombuffer(base64.b64decode(document["vector"]), dtype="<f4").astype(np.float32)
        return str(document["id"]), row, dict(document["metadata"])

    def _gone_or_delta(self, key: str) -> tuple[str, Matrix, Mapping[str, Any]] | None:
        try:
            with self._translated("GetObject", key, passthrough=("NoSuchKey", "404")):
                return self._delta(key)
        except ClientError:
            return None

    def _deltas(
        self, namespace: str, keys: list[str]
    ) -> list[tuple[str, Matrix, Mapping[str, Any]]] | None:
        """The deltas behind ``keys``; None when one vanished (another instance compacted it)."""
        with self._lock:
            space = self._spaces.get(namespace)
            known: dict[str, tuple[str, Matrix, Mapping[str, Any]] | None] = (
                dict(space.pending) if space else {}
            )
        missing = [key for key in keys if key not in known]
        with ThreadPoolExecutor(max_workers=_FETCH_WORKERS) as pool:
            known.update(zip(missing, pool.map(self._gone_or_delta, missing), strict=True))
        found = [known[key] for key in keys]
        return None if any(d is None for d in found) else [d for d in found if d is not None]

    # -- S3 calls, with errors translated

    def _row_pool(self) -> ThreadPoolExecutor:
        """The threads that fetch a search's float32 rows, made on first use and kept."""
        if self._rows_pool is None:
            self._rows_pool = ThreadPoolExecutor(
                max_workers=_FETCH_WORKERS, thread_name_prefix="mockmind-rows"
            )
        return self._rows_pool

    def _base(self, namespace: str) -> str:
        return f"{self._prefix}{namespace}/"

    def _empty(self, dims: int) -> _Namespace:
        return _Namespace(VectorIndex(dims, self._quantization))

    def _get(self, key: str, byte_range: tuple[int, int] | None = None) -> bytes:
        with self._translated("GetObject", key):
            if byte_range is None:
                return self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
            first, last = byte_range
            response = self._client.get_object(
                Bucket=self._bucket, Key=key, Range=f"bytes={first}-{last}"
            )
            return response["Body"].read()

    def _put(self, key: str, body: bytes) -> None:
        with self._translated("PutObject", key):
            self._client.put_object(Bucket=self._bucket, Key=key, Body=body)

    def _list(self, prefix: str) -> list[str]:
        keys: list[str] = []
        token: dict[str, Any] = {}
        while True:
            with self._translated("ListObjectsV2", prefix):
                page = self._client.list_objects_v2(Bucket=self._bucket, Prefix=prefix, **token)
            keys += [obj["Key"] for obj in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return sorted(keys)
            token = {"ContinuationToken": page["NextContinuationToken"]}

    def _delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = keys[start : start + 1000]
            with self._translated("DeleteObjects", batch[0]):
                self._client.delete_objects(
                    Bucket=self._bucket,
                    Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
                )

    @contextmanager
    def _translated(
        self, operation: str, key: str, passthrough: tuple[str, ...] = ()
    ) -> Iterator[None]:
        try:
            yield
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
            if code in passthrough:
                raise
            raise StoreError(f"S3 {operation} s3://{self._bucket}/{key} failed: {code}") from exc
        except BotoCoreError as exc:
            raise StoreError(
                f"S3 {operation} s3://{self._bucket}/{key} failed: {type(exc).__name__}"
            ) from exc


class _S3Rows:
    """A shard's float32 rows in S3, read a few at a time with ranged GETs."""

    def __init__(self, memory: S3VectorMemory, key: str, offset: int, dims: int) -> None:
        self._memory = memory
        self._key = key
        self._offset = offset
        self._row_bytes = 4 * dims
        self._dims = dims

    def read(self, offsets: Positions) -> Matrix:
        wanted = np.unique(offsets)
        # Runs of nearby rows, one GET each, all in flight at once.
        breaks = np.flatnonzero(np.diff(wanted) > _ROW_GAP) + 1
        runs = [(int(r[0]), int(r[-1])) for r in np.split(wanted, breaks) if r.shape[0]]
        size = self._row_bytes
        ranges = [(self._offset + a * size, self._offset + (b + 1) * size - 1) for a, b in runs]
        if len(ranges) == 1:
            bodies = [self._memory._get(self._key, ranges[0])]
        else:
            pool = self._memory._row_pool()
            bodies = list(pool.map(lambda r: self._memory._get(self._key, r), ranges))
        found: dict[int, Matrix] = {}
        for (first, last), body in zip(runs, bodies, strict=True):
            if len(body) != (last - first + 1) * size:
                raise StoreError(
                    f"vector shard s3://{self._memory._bucket}/{self._key} ends before row {last}"
                )
            block = np.frombuffer(body, dtype="<f4").reshape(-1, self._dims)
            found.update((first + n, block[n]) for n in range(block.shape[0]))
        rows: Matrix = np.array([found[o] for o in offsets.tolist()], dtype=np.float32)
        return rows.reshape(offsets.shape[0], self._dims)


def _assemble(
    empty: Callable[[int], _Namespace],
    index: Mapping[str, Any],
    loaded: list[tuple[Matrix | Codes, _S3Rows | None, Matrix | None]],
    delta_keys: list[str],
    deltas: list[tuple[str, Matrix, Mapping[str, Any]]],
) -> _Namespace:
    shards: list[Mapping[str, Any]] = index.get("shards", [])
    matrices = [matrix for matrix, _, _ in loaded]
    dims = int(index.get("dims") or (deltas[0][1].shape[0] if deltas else 0))
    space = empty(dims)
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
    for shard, (matrix, rows, bounds) in zip(shards, loaded, strict=True):
        count = matrix.shape[0]
        keep = [n for n in range(count) if last[ids[offset + n]] == offset + n]
        if keep:
            whole = len(keep) == count
            kept = np.asarray(keep, dtype=np.intp)
            source = None
            if rows is not None and bounds is not None:
                source = RowSource(rows, kept, bounds[kept])
            space.index.extend(
                [ids[offset + n] for n in keep],
                matrix if whole else matrix[kept],
                [dict(shard["metadata"][n]) for n in keep],
                source,
            )
        offset += count
    for key, (item_id, row, meta) in zip(delta_keys, deltas, strict=True):
        space.index.put(item_id, row, meta)
        space.pending[key] = (item_id, row, meta)
    return space


def _shard_entry(
    key: str, base: str, deltas: list[tuple[str, Matrix, Mapping[str, Any]]]
) -> dict[str, Any]:
    return {
        "key": key[len(base) :],
        "dtype": "float32",
        "ids": [item_id for item_id, _, _ in deltas],
        "metadata": [dict(meta) for _, _, meta in deltas],
    }


def _int8_fields(exact: str, offset: int, rows: Matrix, codes: Codes) -> dict[str, Any]:
    """An int8 entry's own fields: dtype, its float32 object, and its rows' error bounds."""
    bounds = error_bounds(rows.astype(np.float32), codes).astype("<f4")
    return {
        "dtype": "int8",
        "exact": exact,
        "exact_offset": offset,
        "bounds": base64.b64encode(bounds.tobytes()).decode(),
    }


def _dtype_name(matrix: Matrix | Codes) -> str:
    return "int8" if matrix.dtype == np.int8 else "float32"


def _encode_row(row: Matrix) -> str:
    return base64.b64encode(row.astype("<f4").tobytes()).decode()


def _npy(matrix: Matrix | Codes) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, matrix.astype(_SHARD_DTYPES[_dtype_name(matrix)]), allow_pickle=False)
    return buffer.getvalue()


def _npy_view(data: bytes) -> tuple[Matrix | Codes, int]:
    """The matrix in a .npy body, read in place (no copy of a shard's hundreds of megabytes),
    and the offset where its rows start."""
    stream = io.BytesIO(data)
    version = np.lib.format.read_magic(stream)
    read = (
        np.lib.format.read_array_header_1_0
        if version == (1, 0)
        else np.lib.format.read_array_header_2_0
    )
    shape, fortran_order, dtype = read(stream)
    if dtype not in _SHARD_DTYPES.values() or fortran_order or len(shape) != 2:
        raise ValueError(f"a shard is a C-order float32 or int8 matrix, not {dtype} {shape}")
    count = int(shape[0]) * int(shape[1])
    matrix = np.frombuffer(data, dtype=dtype, count=count, offset=stream.tell())
    return matrix.reshape(shape), stream.tell()
