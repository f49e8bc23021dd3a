"""The stored vector index's objects as bytes, and back: no I/O here.

Layout under ``{prefix}{namespace}/`` (``BlobVectorMemory`` reads and writes it):

``index.json``
    the namespace's compact metadata: dimensions, and per shard its object key, ids and
    metadata. It is replaced with a conditional write (``If-Match`` its ETag, or
    ``If-None-Match: *`` for the first), so two compacting instances cannot lose a shard.
``shards/<uuid>.npy``
    the rows in the order of the shard's ids, read without parsing each vector: float32 unit
    rows, or int8 codes (``vector_index.quantize``) with ``quantization="int8"``. The shard's
    entry names its ``dtype``; format 1 entries have none and are float32. An int8 entry
    (format 3) also names ``exact``, the float32 object of the same rows
    (``shards/<uuid>.f32.npy`` when written with the codes), with ``exact_offset`` where its
    rows start, and carries ``bounds``, each row's quantization error (base64 little-endian
    float32). An int8 instance loads only the codes, a quarter of the bytes, and reads the few
    float32 rows a search re-scores with ranged GETs of ``exact``. A float32 instance loads
    ``exact`` instead of the codes. An int8 instance compacting an index with float32 shards
    writes their codes and keeps the float32 object as their ``exact``.
``deltas/<time>-<uuid>.json``
    one vector each (its float32 bytes in base64, its id and metadata), written by ``add``.
    After ``compact_every`` of them an instance folds the deltas into a new shard, records it
    in ``index.json`` and deletes them.

An id stored twice (a delta read after its compaction, before its deletion) is kept once, the
later copy winning. These bytes are what every release since format 1 wrote: indexes already in
buckets must keep loading, so change nothing here without a new ``FORMAT`` that reads the old.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypedDict, cast

import numpy as np
import numpy.typing as npt

from mockmind.adapters.vectors.index import Codes, Quantization, error_bounds
from mockmind.lean_dataclass import dataclass

Floats = npt.NDArray[np.float32]
ShardDtype = Literal["float32", "int8"]

INDEX = "index.json"
DELTAS = "deltas/"
SHARDS = "shards/"
FORMAT = 3
_SHARD_DTYPES: dict[str, np.dtype[Any]] = {"float32": np.dtype("<f4"), "int8": np.dtype("i1")}


class ShardEntry(TypedDict, total=False):
    """One shard in ``index.json``; keys are relative to the namespace's folder."""

    key: str
    dtype: ShardDtype  # absent in format 1: float32
    ids: list[str]
    metadata: list[dict[str, Any]]
    # int8 entries of format 3: the float32 rows, where they start, each row's error bound.
    exact: str
    exact_offset: int
    bounds: str


class IndexDocument(TypedDict, total=False):
    """``index.json``; an empty one stands for a namespace with no index yet."""

    format: int
    quantization: Quantization
    dims: int
    shards: list[ShardEntry]


@dataclass(frozen=True)
class Delta:
    """One added vector, as its delta object holds it."""

    id: str
    row: Floats
    metadata: Mapping[str, Any]


# -- names


def delta_name(time_ns: int, token: str) -> str:
    """A delta's key in its namespace: listing order is write order (to the nanosecond)."""
    return f"{DELTAS}{time_ns:020d}-{token}.json"


def shard_name(token: str, *, exact: bool = False) -> str:
    return f"{SHARDS}{token}.f32.npy" if exact else f"{SHARDS}{token}.npy"


# -- index.json


def encode_index(index: IndexDocument) -> bytes:
    return json.dumps(index, separators=(",", ":"), ensure_ascii=False).encode()


def decode_index(body: bytes) -> IndexDocument:
    return cast(IndexDocument, json.loads(body))


def new_index(quantization: Quantization, dims: int, shards: list[ShardEntry]) -> IndexDocument:
    return {"format": FORMAT, "quantization": quantization, "dims": dims, "shards": shards}


def index_dims(index: IndexDocument, deltas: Sequence[Delta]) -> int:
    """The namespace's dimensions: the index's, else its first delta's (0 with neither)."""
    return int(index.get("dims") or (deltas[0].row.shape[0] if deltas else 0))


# -- deltas


def encode_delta(delta: Delta) -> bytes:
    document = {"id": delta.id, "vector": _encode_row(delta.row), "metadata": dict(delta.metadata)}
    return json.dumps(document, separators=(",", ":")).encode()


def decode_delta(body: bytes) -> Delta:
    document = json.loads(body)
    row = np.frombuffer(base64.b64decode(document["vector"]), dtype="<f4").astype(np.float32)
    return Delta(str(document["id"]), row, dict(document["metadata"]))


def _encode_row(row: Floats) -> str:
    return base64.b64encode(row.astype("<f4").tobytes()).decode()


# -- shards


def encode_matrix(matrix: Floats | Codes) -> bytes:
    """A shard object: the matrix as .npy, float32 little-endian or int8."""
    buffer = io.BytesIO()
    np.save(buffer, matrix.astype(_SHARD_DTYPES[dtype_of(matrix)]), allow_pickle=False)
    return buffer.getvalue()


def decode_matrix(body: bytes) -> tuple[Floats | Codes, int]:
    """The matrix in a .npy body, read in place (no copy of a shard's hundreds of megabytes),
    and the offset where its rows start. Raises ``ValueError`` for anything but a C-order
    float32 or int8 matrix."""
    stream = io.BytesIO(body)
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
    matrix = np.frombuffer(body, dtype=dtype, count=count, offset=stream.tell())
    return matrix.reshape(shape), stream.tell()


def dtype_of(matrix: Floats | Codes) -> ShardDtype:
    return "int8" if matrix.dtype == np.int8 else "float32"


def stored_dtype(entry: ShardEntry) -> ShardDtype:
    return entry.get("dtype", "float32")


def float32_entry(key: str, deltas: Sequence[Delta]) -> ShardEntry:
    """The entry of a new float32 shard holding ``deltas``' rows in order."""
    return {
        "key": key,
        "dtype": "float32",
        "ids": [delta.id for delta in deltas],
        "metadata": [dict(delta.metadata) for delta in deltas],
    }


def int8_fields(exact: str, offset: int, rows: Floats, codes: Codes) -> ShardEntry:
    """An int8 entry's own fields: dtype, its float32 object, and its rows' error bounds."""
    bounds = error_bounds(rows.astype(np.float32), codes).astype("<f4")
    return {
        "dtype": "int8",
        "exact": exact,
        "exact_offset": offset,
        "bounds": base64.b64encode(bounds.tobytes()).decode(),
    }


def exact_bounds(entry: ShardEntry, rows: int) -> tuple[Floats, int]:
    """An int8 entry's error bounds and the offset of its float32 rows in ``exact``.

    Raises ``ValueError`` when they are missing, malformed, or not one bound per row.
    """
    try:
        bounds = np.frombuffer(base64.b64decode(entry["bounds"]), dtype="<f4")
        offset = int(entry["exact_offset"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(
            f"names float32 rows but no valid bounds and exact_offset ({type(exc).__name__}: {exc})"
        ) from exc
    if bounds.shape[0] != rows:
        raise ValueError(f"has {rows} rows but {bounds.shape[0]} bounds")
    return bounds.astype(np.float32), offset
