"""The in-process vector index both vector memories search: float32 rows, or int8 codes.

With ``quantization="int8"`` a row is stored as int8 codes, ``round(127 * x / max|x|)``, and read
back as ``codes / ||codes||``: the unit vector closest in direction to the codes, so the
per-vector scale is recomputed from the codes and never stored. A quarter of float32's bytes,
in memory and in S3.

A search scores every row with integer arithmetic (the query quantized the same way, int32
accumulation), keeps the best ``RERANK`` candidates, and re-scores those with the float32 query
against the rows' reconstructions; threshold and limit apply to those scores. The coarse pass only
has to keep the true top hits among a few hundred candidates, which it does with a wide margin;
the re-ranked scores are within about 1e-3 of float32's on a 1,536-dimension unit vector.

Session filtering compares an int32 code per row (one code per distinct ``session_id``) instead
of reading every row's metadata on each search.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt

from mockmind.ports.vector_memory import VectorHit

Quantization = Literal["none", "int8"]
Floats = npt.NDArray[np.float32]
Codes = npt.NDArray[np.int8]

# Candidates re-scored exactly after the int8 pass: enough that the true top 10 of 100,000 random
# unit vectors was always among them when measured (bench/quantization.py), few enough that the
# re-scoring costs a small fraction of the pass over the whole matrix.
RERANK = 256
_NO_SESSION = -1


def normalised(vector: Sequence[float] | Floats) -> Floats:
    row = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(row))
    return row / norm if norm > 0 else row


def quantize(rows: Floats | Codes) -> Codes:
    """int8 codes of each row, scaled so its largest component is +-127."""
    rows = np.atleast_2d(np.asarray(rows, dtype=np.float32))
    peak = np.abs(rows).max(axis=1, keepdims=True)
    peak[peak == 0] = 1.0
    codes: Codes = np.rint(rows * (127.0 / peak)).astype(np.int8)
    return codes


def inverse_norms(codes: Codes) -> Floats:
    """1 / ||codes|| per row (0 for an all-zero row), what turns codes back into unit vectors."""
    # int32 cannot overflow: 1,536 * 127**2 is about 2.5e7.
    squares = np.einsum("ij,ij->i", codes, codes, dtype=np.int32).astype(np.float32)
    inverse: Floats = np.zeros_like(squares)
    np.divide(1.0, np.sqrt(squares), out=inverse, where=squares > 0)
    return inverse


def dequantize(codes: Codes) -> Floats:
    rows: Floats = codes.astype(np.float32) * inverse_norms(codes)[:, None]
    return rows


class VectorIndex:
    """One namespace's rows, ids and metadata, searched in process.

    Rows live in arrays with spare capacity (doubled when full), so ``put`` costs amortised O(1)
    copies instead of re-stacking the whole matrix. A search reads the first ``len(self)`` rows;
    appends write past them, so a search running beside an ``add`` sees a consistent prefix.
    """

    def __init__(self, dims: int, quantization: Quantization = "none") -> None:
        self.dims = dims
        self.quantization: Quantization = quantization
        self.ids: list[str] = []
        self.metadata: list[Mapping[str, Any]] = []
        self.positions: dict[str, int] = {}
        self._size = 0
        self._floats: Floats = np.empty((0, dims), dtype=np.float32)
        self._codes: Codes = np.empty((0, dims), dtype=np.int8)
        self._inverse: Floats = np.empty(0, dtype=np.float32)
        self._sessions: npt.NDArray[np.int32] = np.empty(0, dtype=np.int32)
        self._session_codes: dict[str, int] = {}

    def __len__(self) -> int:
        return self._size

    @property
    def nbytes(self) -> int:
        """Bytes of the searched arrays (rows, scales, session codes), spare capacity included."""
        return sum(a.nbytes for a in (self._floats, self._codes, self._inverse, self._sessions))

    # -- writing

    def put(self, item_id: str, row: Floats, metadata: Mapping[str, Any]) -> None:
        """Add a unit row, or replace the row and metadata of an id already held."""
        if row.shape[0] != self.dims:
            raise ValueError(
                f"vector has {row.shape[0]} dimensions; this namespace holds {self.dims}"
            )
        at = self.positions.get(item_id)
        if at is None:
            self.extend([item_id], row[None, :], [metadata])
            return
        self._store(at, row[None, :])
        self.metadata[at] = metadata
        self._sessions[at] = self._session_code(metadata)

    def extend(
        self,
        ids: Sequence[str],
        rows: Floats | Codes,
        metadata: Sequence[Mapping[str, Any]],
    ) -> None:
        """Append rows (unit float32, or int8 codes as a shard holds them); ids must be new."""
        count = len(ids)
        if rows.shape != (count, self.dims) or len(metadata) != count:
            raise ValueError(
                f"{count} ids, {len(metadata)} metadata and rows of shape {rows.shape} "
                f"for a namespace of {self.dims} dimensions"
            )
        start = self._size
        self._reserve(start + count)
        self._store(start, rows)
        self._sessions[start : start + count] = [self._session_code(m) for m in metadata]
        self.ids.extend(ids)
        self.metadata.extend(metadata)
        self.positions.update((item_id, start + n) for n, item_id in enumerate(ids))
        self._size = start + count

    def stored_rows(self, positions: Sequence[int] | None = None) -> Floats | Codes:
        """The rows as stored (float32, or int8 codes), for writing a shard."""
        held = self._codes if self.quantization == "int8" else self._floats
        if positions is None:
            return held[: self._size].copy()
        return held[np.asarray(positions, dtype=np.intp)]

    def _store(self, start: int, rows: Floats | Codes) -> None:
        end = start + rows.shape[0]
        # A shard's int8 codes are taken as they are: quantizing them again would be a no-op
        # at best, and a float32 index reads them as their unit reconstructions.
        is_codes = rows.dtype == np.int8
        if self.quantization == "none":
            self._floats[start:end] = dequantize(cast(Codes, rows)) if is_codes else rows
            return
        codes = cast(Codes, rows) if is_codes else quantize(rows)
        self._codes[start:end] = codes
        self._inverse[start:end] = inverse_norms(codes)

    def _reserve(self, needed: int) -> None:
        capacity = self._sessions.shape[0]
        if needed <= capacity:
            return
        capacity = max(needed, 2 * capacity, 16)
        if self.quantization == "none":
            self._floats = _grown(self._floats, capacity, self._size)
        else:
            self._codes = _grown(self._codes, capacity, self._size)
            self._inverse = _grown(self._inverse, capacity, self._size)
        self._sessions = _grown(self._sessions, capacity, self._size)

    def _session_code(self, metadata: Mapping[str, Any]) -> int:
        session = metadata.get("session_id")
        if not isinstance(session, str):
            return _NO_SESSION
        return self._session_codes.setdefault(session, len(self._session_codes))

    # -- searching

    def search(
        self,
        vector: Sequence[float] | Floats,
        *,
        limit: int,
        threshold: float,
        session_id: str | None = None,
    ) -> list[VectorHit]:
        size = self._size
        if size == 0 or limit <= 0:
            return []
        query = normalised(vector)
        if query.shape[0] != self.dims:
            raise ValueError(
                f"query has {query.shape[0]} dimensions; this namespace holds {self.dims}"
            )
        rows: npt.NDArray[np.intp] | None = None
        if session_id is not None:
            code = self._session_codes.get(session_id)
            if code is None:
                return []
            rows = np.flatnonzero(self._sessions[:size] == code)
        if self.quantization == "none":
            positions, scores = self._float_scores(query, size, rows)
        else:
            positions, scores = self._int8_scores(query, size, rows, max(limit, RERANK))
        k = min(limit, scores.shape[0])
        if k == 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        ids, metadata = self.ids, self.metadata
        return [
            VectorHit(ids[int(positions[i])], float(scores[i]), metadata[int(positions[i])])
            for i in top
            if scores[i] >= threshold
        ]

    def _float_scores(
        self, query: Floats, size: int, rows: npt.NDArray[np.intp] | None
    ) -> tuple[npt.NDArray[np.intp], Floats]:
        if rows is None:
            return np.arange(size), self._floats[:size] @ query
        return rows, self._floats[rows] @ query

    def _int8_scores(
        self, query: Floats, size: int, rows: npt.NDArray[np.intp] | None, keep: int
    ) -> tuple[npt.NDArray[np.intp], Floats]:
        candidates = np.arange(size) if rows is None else rows
        if candidates.shape[0] > keep:
            # The coarse pass: integer codes against the integer query over every candidate row.
            # einsum with int32 accumulation measured faster than matmul (which casts the
            # whole matrix) and than float16 (no BLAS for it).
            coarse_codes = self._codes[:size] if rows is None else self._codes[rows]
            peak = float(np.abs(query).max())
            query_codes = np.rint(query * (127.0 / peak)).astype(np.int32)
            coarse = np.einsum("ij,j->i", coarse_codes, query_codes, dtype=np.int32)
            approximate = coarse * self._inverse[candidates]
            candidates = candidates[np.argpartition(-approximate, keep - 1)[:keep]]
        fine: Floats = np.einsum("ij,j->i", self._codes[candidates], query, dtype=np.float32)
        return candidates, fine * self._inverse[candidates]


def _grown[T: np.generic](array: npt.NDArray[T], capacity: int, used: int) -> npt.NDArray[T]:
    grown = np.empty((capacity, *array.shape[1:]), dtype=array.dtype)
    grown[:used] = array[:used]
    return grown
