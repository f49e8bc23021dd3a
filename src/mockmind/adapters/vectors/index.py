"""The in-process vector index both vector memories search: float32 rows, or int8 codes.

With ``quantization="int8"`` a row is held as int8 codes, ``round(127 * x / max|x|)``, read back
as ``codes / ||codes||`` (the unit vector closest in direction to the codes, so the scale is
recomputed from the codes and never stored), plus one float per row: ``||x - reconstruction||``,
the bound on how far any unit query's score with the reconstruction can be from its score with
the row (Cauchy-Schwarz). The float32 rows stay out of memory, in an ``ExactRows`` source: a
temporary file for rows added in this process, the shard's float32 object in S3 for loaded ones.

A search is exact, not approximate, in three passes that each only drop rows they can prove are
not among the best ``limit``:

1. every row's codes against the query's int8 codes (SimSIMD's integer kernel), which bounds
   each score within ``bound + ||query - query codes||``;
2. the survivors (a few hundred of 100,000 random unit vectors; a few dozen for embeddings)
   against the query's residual codes too, which leaves each score within ``bound + 1e-4``;
3. the remaining few dozen re-scored with their float32 rows.

Session filtering compares an int32 code per row (one code per distinct ``session_id``) instead
of reading every row's metadata on each search.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol, cast

import numpy as np
import numpy.typing as npt
import simsimd

from mockmind.adapters.vectors.row_file import RowFile
from mockmind.lean_dataclass import dataclass
from mockmind.ports.vector_memory import VectorHit

Quantization = Literal["none", "int8"]
Floats = npt.NDArray[np.float32]
Codes = npt.NDArray[np.int8]
Positions = npt.NDArray[np.intp]

_NO_SESSION = -1
# Rows without a float32 source (an int8 shard written before sources existed) are re-scored
# with their reconstruction.
_NO_SOURCE = -1
# float32 rounding in the passes' arithmetic, far below any bound that matters.
_SLACK = 1e-5
_BLOCK = 64
# Survivors of the first pass few enough to re-score from their float32 rows directly.
_FEW = 48


class ExactRows(Protocol):
    """Where an int8 index reads the float32 rows of its last candidates."""

    def read(self, offsets: Positions) -> Floats:
        """The rows at these offsets, in the order given."""
        ...


@dataclass(frozen=True)
class RowSource:
    """Codes loaded from a shard, and where their float32 rows are."""

    rows: ExactRows
    offsets: Positions
    bounds: Floats


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
    if codes.shape[0] == 0:
        return np.empty(0, dtype=np.float32)
    # Row by row, exact in float: 1,536 * 127**2 is about 2.5e7. SimSIMD's integer kernel
    # measured 10x faster than numpy's einsum over 100,000 rows, at cold start.
    squares = np.asarray(simsimd.dot(codes, codes), dtype=np.float32).reshape(-1)
    inverse: Floats = np.zeros_like(squares)
    np.divide(1.0, np.sqrt(squares), out=inverse, where=squares > 0)
    return inverse


def dequantize(codes: Codes, inverse: Floats | None = None) -> Floats:
    """The unit vectors the codes stand for; ``inverse`` is ``inverse_norms(codes)`` if known."""
    if inverse is None:
        inverse = inverse_norms(codes)
    rows: Floats = codes.astype(np.float32) * inverse[:, None]
    return rows


def error_bounds(rows: Floats, codes: Codes, inverse: Floats | None = None) -> Floats:
    """``||row - reconstruction||`` per row: a bound on any unit query's score error."""
    reconstruction = dequantize(codes, inverse)
    bounds: Floats = np.linalg.norm(rows - reconstruction, axis=1).astype(np.float32)
    return bounds


class VectorIndex:
    """One namespace's rows, ids and metadata, searched in process.

    Rows live in arrays with spare capacity (doubled when full), so ``put`` costs amortised O(1)
    copies instead of re-stacking the whole matrix. A search reads the first ``len(self)`` rows;
    appends write past them, so a search running beside an ``add`` sees a consistent prefix.
    """

    def __init__(self, dims: int, quantization: Quantization = "none", *, threads: int = 0) -> None:
        self.dims = dims
        self.quantization: Quantization = quantization
        # SimSIMD's threads for the integer pass; 0 is every core, as numpy's BLAS uses.
        self._threads = threads
        self.ids: list[str] = []
        self.metadata: list[Mapping[str, Any]] = []
        self.positions: dict[str, int] = {}
        self._size = 0
        self._floats: Floats = np.empty((0, dims), dtype=np.float32)
        self._codes: Codes = np.empty((0, dims), dtype=np.int8)
        self._inverse: Floats = np.empty(0, dtype=np.float32)
        self._bounds: Floats = np.empty(0, dtype=np.float32)
        # Per row: which source holds its float32 row (an index into _sources), and where.
        self._source: npt.NDArray[np.int32] = np.empty(0, dtype=np.int32)
        self._offset: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self._sources: list[ExactRows] = []
        self._spill: RowFile | None = None
        self._spill_lock = threading.Lock()
        self._sessions: npt.NDArray[np.int32] = np.empty(0, dtype=np.int32)
        self._session_codes: dict[str, int] = {}
        # Rows held per session code, so a session whose rows all went is forgotten too.
        self._session_rows: dict[int, int] = {}
        self._session_names: dict[int, str] = {}
        self._next_session_code = 0
        # Slots of the row file whose rows were removed, reused before the file grows.
        self._free_slots: list[int] = []

    def __len__(self) -> int:
        return self._size

    @property
    def nbytes(self) -> int:
        """Bytes held in memory for searching (spare capacity included; not the row file)."""
        arrays = (
            self._floats,
            self._codes,
            self._inverse,
            self._bounds,
            self._source,
            self._offset,
            self._sessions,
        )
        return sum(a.nbytes for a in arrays)

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
        self._store(at, row[None, :], None)
        self.metadata[at] = metadata
        self._release_session(int(self._sessions[at]))
        self._sessions[at] = self._session_code(metadata)

    def extend(
        self,
        ids: Sequence[str],
        rows: Floats | Codes,
        metadata: Sequence[Mapping[str, Any]],
        source: RowSource | None = None,
    ) -> None:
        """Append rows (unit float32, or int8 codes as a shard holds them); ids must be new.

        Codes come with the ``source`` of their float32 rows and their error bounds; codes
        without one are re-scored with their reconstruction, so their scores are approximate.
        """
        count = len(ids)
        if rows.shape != (count, self.dims) or len(metadata) != count:
            raise ValueError(
                f"{count} ids, {len(metadata)} metadata and rows of shape {rows.shape} "
                f"for a namespace of {self.dims} dimensions"
            )
        start = self._size
        self._reserve(start + count)
        self._store(start, rows, source)
        self._sessions[start : start + count] = [self._session_code(m) for m in metadata]
        self.ids.extend(ids)
        self.metadata.extend(metadata)
        self.positions.update((item_id, start + n) for n, item_id in enumerate(ids))
        self._size = start + count

    def _store(self, start: int, rows: Floats | Codes, source: RowSource | None) -> None:
        end = start + rows.shape[0]
        # A shard's int8 codes are taken as they are: quantizing them again would be a no-op
        # at best, and a float32 index reads them as their unit reconstructions.
        if rows.dtype == np.int8:
            codes = cast(Codes, rows)
            if self.quantization == "none":
                self._floats[start:end] = dequantize(codes)
                return
            self._codes[start:end] = codes
            self._inverse[start:end] = inverse_norms(codes)
            if source is None:
                self._bounds[start:end] = 0.0
                self._source[start:end] = _NO_SOURCE
            else:
                self._bounds[start:end] = source.bounds
                self._source[start:end] = self._source_number(source.rows)
                self._offset[start:end] = source.offsets
            return
        floats = cast(Floats, rows)
        if self.quantization == "none":
            self._floats[start:end] = floats
            return
        codes = quantize(floats)
        inverse = inverse_norms(codes)
        self._codes[start:end] = codes
        self._inverse[start:end] = inverse
        self._bounds[start:end] = error_bounds(floats, codes, inverse)
        self._spill_rows(start, end, floats)

    def _spill_rows(self, start: int, end: int, rows: Floats) -> None:
        with self._spill_lock:
            if self._spill is None:
                self._spill = RowFile(self.dims)
                self._sources.append(self._spill)
            spill, number = self._spill, self._sources.index(self._spill)
        # A row this file already holds is overwritten in place; any other gets a new slot.
        held = (np.arange(start, end) < self._size) & (self._source[start:end] == number)
        for n in np.flatnonzero(held).tolist():
            spill.write(int(self._offset[start + n]), rows[n])
        fresh = np.flatnonzero(~held)
        reused = min(len(self._free_slots), fresh.shape[0])
        for n in fresh[:reused].tolist():
            slot = self._free_slots.pop()
            spill.write(slot, rows[n])
            self._offset[start + n] = slot
            self._source[start + n] = number
        fresh = fresh[reused:]
        if fresh.shape[0]:
            at = fresh + start
            self._offset[at] = spill.append(rows[fresh])
            self._source[at] = number

    def _source_number(self, rows: ExactRows) -> int:
        for number, known in enumerate(self._sources):
            if known is rows:
                return number
        self._sources.append(rows)
        return len(self._sources) - 1

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
            self._bounds = _grown(self._bounds, capacity, self._size)
            self._source = _grown(self._source, capacity, self._size, fill=_NO_SOURCE)
            self._offset = _grown(self._offset, capacity, self._size)
        self._sessions = _grown(self._sessions, capacity, self._size)

    def _session_code(self, metadata: Mapping[str, Any]) -> int:
        """The code of the row's session, counted as holding one more row."""
        session = metadata.get("session_id")
        if not isinstance(session, str):
            return _NO_SESSION
        code = self._session_codes.get(session)
        if code is None:
            # A counter, not the map's size: codes of forgotten sessions are never reused.
            code = self._session_codes[session] = self._next_session_code
            self._session_names[code] = session
            self._session_rows[code] = 0
            self._next_session_code += 1
        self._session_rows[code] += 1
        return code

    def _release_session(self, code: int) -> None:
        """One row fewer for the session ``code``; a session with none left is forgotten."""
        if code == _NO_SESSION:
            return
        left = self._session_rows[code] - 1
        if left:
            self._session_rows[code] = left
            return
        del self._session_rows[code]
        del self._session_codes[self._session_names.pop(code)]

    # -- removing

    def remove(self, item_ids: Iterable[str]) -> int:
        """Remove the rows of these ids (ids not held are skipped); how many went.

        The last row moves into each hole, so a removal costs O(rows removed) and rows do not
        keep their order. The row file's slot of a removed row is reused by a later add.
        Not safe beside a search: callers hold the lock their searches take.
        """
        removed = 0
        for item_id in item_ids:
            at = self.positions.pop(item_id, None)
            if at is None:
                continue
            self._release_session(int(self._sessions[at]))
            if self._spill is not None and self._source[at] == self._sources.index(self._spill):
                self._free_slots.append(int(self._offset[at]))
            last = self._size - 1
            if at != last:
                for array in self._row_arrays():
                    array[at] = array[last]
                moved = self.ids[last]
                self.ids[at] = moved
                self.metadata[at] = self.metadata[last]
                self.positions[moved] = at
            self.ids.pop()
            self.metadata.pop()
            self._size = last
            removed += 1
        return removed

    def _row_arrays(self) -> tuple[npt.NDArray[Any], ...]:
        """Every array with one entry per row, as this index's quantization holds them."""
        if self.quantization == "none":
            return (self._floats, self._sessions)
        return (
            self._codes,
            self._inverse,
            self._bounds,
            self._source,
            self._offset,
            self._sessions,
        )

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
        rows: Positions | None = None
        if session_id is not None:
            code = self._session_codes.get(session_id)
            if code is None:
                return []
            rows = np.flatnonzero(self._sessions[:size] == code)
        if self.quantization == "none":
            positions, scores = self._float_scores(query, size, rows)
        else:
            positions, scores = self._int8_scores(query, size, rows, limit)
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
        self, query: Floats, size: int, rows: Positions | None
    ) -> tuple[Positions, Floats]:
        if rows is None:
            return np.arange(size), self._floats[:size] @ query
        return rows, self._floats[rows] @ query

    def _int8_scores(
        self, query: Floats, size: int, rows: Positions | None, limit: int
    ) -> tuple[Positions, Floats]:
        """Candidates that may be among the best ``limit``, with their exact scores."""
        if rows is None:
            candidates = np.arange(size)
            codes, inverse, bounds = self._codes[:size], self._inverse[:size], self._bounds[:size]
        else:
            candidates = rows
            codes, inverse, bounds = self._codes[rows], self._inverse[rows], self._bounds[rows]
        first, first_scale = _codes_and_scale(query)
        residual = query - first.astype(np.float32) * first_scale

        # Pass 1: the query's codes stand in for the query, off by at most ||residual||.
        dots = _dots(first, codes, self._threads)
        scores = dots * inverse
        scores *= first_scale
        keep = _may_be_best(scores, bounds + _norm(residual), limit)
        candidates, dots = candidates[keep], dots[keep]

        if candidates.shape[0] > _FEW:
            # Pass 2: the residual's codes too; what is left of the query is about 1/127 of
            # it. Not worth its set-up for a few dozen rows, which pass 3 reads as they are.
            second, second_scale = _codes_and_scale(residual)
            left = residual - second.astype(np.float32) * second_scale
            more = _dots(second, self._codes[candidates], 1)
            scores = (dots * first_scale + more * second_scale) * self._inverse[candidates]
            keep = _may_be_best(scores, self._bounds[candidates] + _norm(left), limit)
            candidates = candidates[keep]

        # Pass 3: exact scores of what is left, from the float32 rows. SimSIMD, not matmul: a
        # BLAS call here would wake BLAS's threads, which then spin on the cores the next
        # integer pass needs (and einsum took longer than the rows' reading).
        return candidates, _dots(query, self._exact_rows(candidates), 1)

    def _exact_rows(self, positions: Positions) -> Floats:
        sources = self._source[positions]
        if positions.shape[0] and sources.min() == sources.max() >= 0:
            # The usual case: every row in one source (the row file, or one loaded shard).
            return self._sources[int(sources[0])].read(self._offset[positions])
        exact: Floats = np.empty((positions.shape[0], self.dims), dtype=np.float32)
        for number in np.unique(sources).tolist():
            mine = sources == number
            if number == _NO_SOURCE:
                at = positions[mine]
                exact[mine] = dequantize(self._codes[at], self._inverse[at])
            else:
                exact[mine] = self._sources[number].read(self._offset[positions[mine]])
        return exact


def _norm(vector: Floats) -> float:
    # einsum, not numpy's norm (a BLAS call): see pass 3 of ``_int8_scores``.
    return float(np.sqrt(np.einsum("i,i->", vector, vector)))


def _codes_and_scale(vector: Floats) -> tuple[Codes, float]:
    """The vector's codes (``quantize``) and the scale that makes ``codes * scale`` near it."""
    return quantize(vector)[0], float(np.abs(vector).max()) / 127.0


def _dots[T: (np.int8, np.float32)](
    query: npt.NDArray[T], rows: npt.NDArray[T], threads: int
) -> Floats:
    """The query's dot product with every row (int8 codes or float32 rows), as float32."""
    if rows.shape[0] == 0:
        return np.empty(0, dtype=np.float32)
    out = simsimd.cdist(query[None, :], rows, metric="dot", out_dtype="float32", threads=threads)
    dots: Floats = np.asarray(out, dtype=np.float32).reshape(-1)
    return dots


def _may_be_best(scores: Floats, bounds: Floats, limit: int) -> npt.NDArray[np.bool_]:
    """Rows whose score, within its bound, could still reach the ``limit``-th best lower bound.

    Each true score is in ``scores +- bounds``, so ``limit`` rows score at least the floor
    below, and a row whose upper bound is below it cannot be among the best.
    """
    if scores.shape[0] <= limit:
        return np.ones(scores.shape[0], dtype=np.bool_)
    floor = _floor(scores - bounds, limit)
    upper = bounds + scores  # a new array: bounds may be the index's own
    upper += _SLACK
    keep: npt.NDArray[np.bool_] = upper >= floor
    return keep


def _floor(values: Floats, limit: int) -> float:
    """A value that at least ``limit`` of the values reach: the ``limit``-th largest of the
    maxima of blocks of ``_BLOCK`` values, each a distinct value. The best ``limit`` values
    nearly always lie in distinct blocks, so it is nearly always the ``limit``-th largest
    itself, found at a fraction of a full partition's cost."""
    blocks = values.shape[0] // _BLOCK
    if blocks < 4 * limit:
        return float(np.partition(values, -limit)[-limit])
    maxima = values[: blocks * _BLOCK].reshape(blocks, _BLOCK).max(axis=1)
    tail = values[blocks * _BLOCK :]
    if tail.shape[0]:
        maxima = np.append(maxima, tail.max())
    return float(np.partition(maxima, -limit)[-limit])


def _grown[T: np.generic](
    array: npt.NDArray[T], capacity: int, used: int, fill: int | None = None
) -> npt.NDArray[T]:
    grown = np.empty((capacity, *array.shape[1:]), dtype=array.dtype)
    if fill is not None:
        grown[used:] = fill
    grown[:used] = array[:used]
    return grown
