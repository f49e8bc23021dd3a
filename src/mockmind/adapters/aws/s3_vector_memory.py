"""Vector memory in S3, searched in process: the whole index is loaded when the adapter is built.

Layout under ``{prefix}{namespace}/``:

``index.json``
    the namespace's compact metadata: dimensions, and per shard its object key, ids and
    metadata. It is replaced with a conditional write (``If-Match`` its ETag, or
    ``If-None-Match: *`` for the first), so two compacting instances cannot lose a shard.
``shards/<uuid>.npy``
    float32 rows, already normalised, in the order of the shard's ids: ``numpy.load`` reads one
    without parsing each vector.
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
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from botocore.exceptions import BotoCoreError, ClientError

from mockmind.domain.errors import StoreError
from mockmind.ports.vector_memory import VectorHit

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

logger = logging.getLogger("mockmind.vectors")

Matrix = npt.NDArray[np.float32]

_INDEX = "index.json"
_FORMAT = 1
# Enough parallel GETs to hide S3's first-byte latency at cold start.
_FETCH_WORKERS = 16
_COMPACT_ATTEMPTS = 3


@dataclass
class _Namespace:
    dims: int
    matrix: Matrix
    ids: list[str] = field(default_factory=list)
    metadata: list[Mapping[str, Any]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    # Delta objects this instance knows of and has not compacted: key -> (id, row, metadata).
    pending: dict[str, tuple[str, Matrix, Mapping[str, Any]]] = field(default_factory=dict)

    def put(self, item_id: str, row: Matrix, metadata: Mapping[str, Any]) -> None:
        if row.shape[0] != self.dims:
            raise ValueError(
                f"vector has {row.shape[0]} dimensions; this namespace holds {self.dims}"
            )
        at = self.rows.get(item_id)
        if at is not None:
            self.matrix[at] = row
            self.metadata[at] = metadata
            return
        self.rows[item_id] = len(self.ids)
        self.matrix = np.vstack([self.matrix, row[None, :]])
        self.ids.append(item_id)
        self.metadata.append(metadata)


class S3VectorMemory:
    """``VectorMemory`` over S3: deltas on write, shards after compaction, numpy for search."""

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        prefix: str = "vectors/",
        *,
        compact_every: int = 64,
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self._compact_every = compact_every
        self._spaces: dict[str, _Namespace] = {}
        self._lock = threading.Lock()
        self._load_all()

    # -- the port

    def add(
        self, namespace: str, item_id: str, vector: Sequence[float], metadata: Mapping[str, Any]
    ) -> None:
        row = _normalised(vector)
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
            space = self._spaces.setdefault(namespace, _empty(row.shape[0]))
            space.put(item_id, row, meta)
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
        with self._lock:
            space = self._spaces.get(namespace)
            if space is None or not space.ids or limit <= 0:
                return []
            matrix, ids, metadata = space.matrix, list(space.ids), list(space.metadata)
        scores = matrix @ _normalised(vector)
        if session_id is not None:
            mask = np.array([m.get("session_id") == session_id for m in metadata])
            scores = np.where(mask, scores, -np.inf)
        k = min(limit, scores.shape[0])
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [
            VectorHit(ids[i], float(scores[i]), metadata[i]) for i in top if scores[i] >= threshold
        ]

    def count(self, namespace: str) -> int:
        with self._lock:
            space = self._spaces.get(namespace)
            return len(space.ids) if space else 0

    # -- compaction

    def compact(self, namespace: str) -> None:
        """Fold every delta of the namespace (this instance's and others') into one new shard."""
        base = self._base(namespace)
        for _ in range(_COMPACT_ATTEMPTS):
            keys = self._list(f"{base}deltas/")
            if not keys:
                return
            deltas = self._deltas(namespace, keys)
            if deltas is None:
                continue
            index, etag = self._index(namespace)
            dims = deltas[0][1].shape[0]
            shard_key = f"{base}shards/{uuid.uuid4().hex}.npy"
            self._put(shard_key, _npy(np.vstack([row for _, row, _ in deltas])))
            shards = [*index.get("shards", []), _shard_entry(shard_key, base, deltas)]
            new_index = {"format": _FORMAT, "dims": index.get("dims", dims), "shards": shards}
            if self._put_index(namespace, new_index, etag):
                self._delete(keys)
                with self._lock:
                    space = self._spaces.setdefault(namespace, _empty(dims))
                    for item_id, row, meta in deltas:
                        space.put(item_id, row, meta)
                    for key in keys:
                        space.pending.pop(key, None)
                return
            # Another instance changed the index first: drop the orphan shard and start over.
            self._delete([shard_key])

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
                        pool.submit(self._shard, self._base(namespace) + s["key"])
                        for s in index.get("shards", [])
                    ],
                    [pool.submit(self._delta, key) for key in delta_keys],
                )
                for namespace, index, delta_keys in plans
            ]
            for namespace, index, delta_keys, shard_futures, delta_futures in fetches:
                matrices = [f.result() for f in shard_futures]
                deltas = [f.result() for f in delta_futures]
                if matrices or deltas:
                    self._spaces[namespace] = _assemble(
                        index, index.get("shards", []), matrices, delta_keys, deltas
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

    def _shard(self, key: str) -> Matrix:
        data = self._get(key)
        try:
            matrix = np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as exc:
            raise StoreError(f"vector shard s3://{self._bucket}/{key} is not a .npy file") from exc
        return np.asarray(matrix, dtype=np.float32)

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

    def _base(self, namespace: str) -> str:
        return f"{self._prefix}{namespace}/"

    def _get(self, key: str) -> bytes:
        with self._translated("GetObject", key):
            return self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()

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


def _assemble(
    index: Mapping[str, Any],
    shards: list[Mapping[str, Any]],
    matrices: list[Matrix],
    delta_keys: list[str],
    deltas: list[tuple[str, Matrix, Mapping[str, Any]]],
) -> _Namespace:
    dims = int(index.get("dims") or (deltas[0][1].shape[0] if deltas else 0))
    space = _empty(dims)
    parts = [m for m in matrices if m.shape[0]]
    ids = [str(i) for s in shards for i in s["ids"]]
    metadata = [dict(m) for s in shards for m in s["metadata"]]
    if parts:
        matrix = np.vstack(parts)
        if matrix.shape != (len(ids), dims):
            raise StoreError(
                f"vector index holds {len(ids)} ids of {dims} dimensions, "
                f"its shards {matrix.shape[0]} rows of {matrix.shape[1]}"
            )
        # The shards load as one block; an id stored twice keeps its last row.
        last = {item_id: n for n, item_id in enumerate(ids)}
        keep = sorted(last.values())
        space.matrix = matrix[keep]
        space.ids = [ids[n] for n in keep]
        space.metadata = [metadata[n] for n in keep]
        space.rows = {item_id: n for n, item_id in enumerate(space.ids)}
    for key, (item_id, row, meta) in zip(delta_keys, deltas, strict=True):
        space.put(item_id, row, meta)
        space.pending[key] = (item_id, row, meta)
    return space


def _shard_entry(
    key: str, base: str, deltas: list[tuple[str, Matrix, Mapping[str, Any]]]
) -> dict[str, Any]:
    return {
        "key": key[len(base) :],
        "ids": [item_id for item_id, _, _ in deltas],
        "metadata": [dict(meta) for _, _, meta in deltas],
    }


def _empty(dims: int) -> _Namespace:
    return _Namespace(dims, np.empty((0, dims), dtype=np.float32))


def _normalised(vector: Sequence[float]) -> Matrix:
    row = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(row))
    return row / norm if norm > 0 else row


def _encode_row(row: Matrix) -> str:
    return base64.b64encode(row.astype("<f4").tobytes()).decode()


def _npy(matrix: Matrix) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, matrix.astype("<f4"), allow_pickle=False)
    return buffer.getvalue()
