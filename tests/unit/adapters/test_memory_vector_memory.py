"""The in-memory vector store under concurrent use: what only threads can show."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import numpy as np
import pytest

from mockmind.adapters.vectors.memory import MemoryVectorMemory


@pytest.fixture
def fast_switching() -> Iterator[None]:
    # Threads switch every microsecond, so a search lands inside an add as often as it can.
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.slow
@pytest.mark.usefixtures("fast_switching")
def test_a_search_beside_an_add_replacing_a_row_never_drops_a_better_row() -> None:
    """Found by review: a half-replaced int8 row (new codes, old scale) used to crowd the true
    best out of the answer in about one search in seven."""
    dims = 64
    rng = np.random.default_rng(1)
    rows = rng.standard_normal((300, dims)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    memory = MemoryVectorMemory("int8")
    for n, row in enumerate(rows):
        memory.add("ns", f"v{n}", row.tolist(), {})
    query = rows[3]
    other = rng.standard_normal(dims).astype(np.float32)
    other -= (other @ query) * query
    other /= np.linalg.norm(other)
    near = 0.9 * query + np.sqrt(1 - 0.81) * other  # cosine 0.9: v3 (1.0) stays the best
    axis = np.eye(dims, dtype=np.float32)[0]
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            memory.add("ns", "v7", (axis if n % 2 else near).tolist(), {})
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        found = [
            memory.search("ns", query.tolist(), limit=1, threshold=-1)[0].id for _ in range(3000)
        ]
    finally:
        stop.set()
        thread.join()
    assert set(found) == {"v3"}
