"""float32 rows kept on local disk instead of in memory: where an int8 index reads exact rows.

An int8 index re-scores a few dozen candidates per search with their float32 rows. Holding
every float32 row in memory would undo the quantization, so rows written in this process go to
an unnamed temporary file (gone when the process ends). Rows are written with ``pwrite``, so
they are never mapped into the process, and read through a read-only mapping: a search touches
a few hundred kilobytes of page cache, and ``pread`` per row measured about 8x slower.
"""

from __future__ import annotations

import mmap
import os
import tempfile
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt

from mockmind.domain.errors import StoreError

Floats = npt.NDArray[np.float32]
_MIN_SLOTS = 1024


class RowFile:
    """Fixed-width float32 rows by slot number, in a temporary file."""

    def __init__(self, dims: int, directory: str | None = None) -> None:
        self.dims = dims
        self._row_bytes = 4 * dims
        self._directory = directory or tempfile.gettempdir()
        try:
            self._file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 - see _closer
        except OSError as exc:
            raise StoreError(
                f"vector row file cannot be made in {self._directory}: {exc.strerror or exc}"
            ) from exc
        self._fd = self._file.fileno()
        # An index is dropped, never closed: its file closes (and so vanishes) with it.
        self._closer = weakref.finalize(self, self._file.close)
        self._slots = 0
        self._capacity = 0
        self._rows: Floats = np.empty((0, dims), dtype=np.float32)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._slots

    def append(self, rows: Floats) -> npt.NDArray[np.intp]:
        """Write rows after the last slot; their slots."""
        data = np.ascontiguousarray(rows, dtype="<f4")
        with self._lock, self._translated("append"):
            start = self._slots
            self._reserve(start + data.shape[0])
            os.pwrite(self._fd, data.tobytes(), start * self._row_bytes)
            self._slots += data.shape[0]
        return np.arange(start, start + data.shape[0], dtype=np.intp)

    def write(self, slot: int, row: Floats) -> None:
        if not 0 <= slot < self._slots:
            raise IndexError(f"row slot {slot} out of {self._slots}")
        data = np.ascontiguousarray(row, dtype="<f4").tobytes()
        with self._translated("write"):
            os.pwrite(self._fd, data, slot * self._row_bytes)

    @contextmanager
    def _translated(self, operation: str) -> Iterator[None]:
        # A full disk (Lambda's /tmp is 512 MB unless configured) is a store failure.
        try:
            yield
        except OSError as exc:
            raise StoreError(
                f"vector row file {operation} failed in {self._directory}: {exc.strerror or exc}"
            ) from exc

    def read(self, offsets: npt.NDArray[np.intp]) -> Floats:
        """The rows at these slots, in the order given (a copy)."""
        outside = (offsets < 0) | (offsets >= self._slots)
        if outside.any():
            bad = int(offsets[outside][0])
            raise IndexError(f"row slot {bad} out of {self._slots}")
        rows: Floats = self._rows[offsets]
        return rows

    def close(self) -> None:
        self._closer()

    def _reserve(self, needed: int) -> None:
        if needed <= self._capacity:
            return
        capacity = max(needed, 2 * self._capacity, _MIN_SLOTS)
        os.ftruncate(self._fd, capacity * self._row_bytes)
        # The old mapping stays valid for a search still reading it, and is unmapped when
        # the last view of it goes.
        mapping = mmap.mmap(self._fd, capacity * self._row_bytes, access=mmap.ACCESS_READ)
        self._rows = np.frombuffer(mapping, dtype="<f4").reshape(capacity, self.dims)
        self._capacity = capacity
