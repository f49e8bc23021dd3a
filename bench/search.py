"""3. Semantic search: top-10 by cosine similarity over 10,000 and 100,000 vectors of 1,536 dims.

Three ways, same vectors and queries: the project's in-memory index
(adapters/vectors/memory.py), the seed's approach (a Python loop of cosine similarities
over stored objects), and the floor (the matrix's bytes over this machine's copy bandwidth).
"""

from __future__ import annotations

import math
import statistics
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.report import Section, fmt_bytes, fmt_ratio, fmt_s, verdict
from mockmind.adapters.vectors.index import Quantization, VectorIndex
from mockmind.adapters.vectors.memory import MemoryVectorMemory

DIMS = 1536
SIZES = (10_000, 100_000)
QUERIES = 20
LIMIT = 10
# The seed's loop is timed over this many stored objects and scaled linearly (it is O(n) in
# pure Python: 100,000 objects would take about a minute and 5 GB of float objects).
SEED_SAMPLE = 2_000
TARGET_RATIO = 2.0
NAMESPACE = "bench"


def unit_vectors(n: int, seed: int) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((n, DIMS), dtype=np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    return m


def bulk_loaded(matrix: npt.NDArray[np.float32], quantization: Quantization) -> MemoryVectorMemory:
    """The adapter with one namespace filled through ``VectorIndex.extend`` (one bulk append;
    ``add`` would append row by row, amortised O(1) each)."""
    memory = MemoryVectorMemory(quantization)
    n = matrix.shape[0]
    index = VectorIndex(DIMS, quantization)
    index.extend(
        [f"v{i}" for i in range(n)],
        np.ascontiguousarray(matrix, dtype=np.float32),
        [{"session_id": f"s{i % 100}"} for i in range(n)],
    )
    memory._spaces[NAMESPACE] = index
    return memory


def seed_search(objects: list[dict[str, Any]], query: list[float], limit: int) -> list[str]:
    """The seed's approach: cosine similarity of the query with every stored object, sorted."""

    def cosine(a: list[float], b: list[float]) -> float:
        dot = sum(x * y for x, y in zip(a, b, strict=True))
        na = math.sqrt(sum(x * x for x in a))
        nb = math.sqrt(sum(y * y for y in b))
        return dot / (na * nb) if na and nb else 0.0

    scored = [(cosine(query, o["embedding"]), o["id"]) for o in objects]
    scored.sort(reverse=True)
    return [item_id for _, item_id in scored[:limit]]


def copy_bandwidth() -> float:
    """Bytes moved per second (read + written) by a large numpy copy, best of 5."""
    src = np.ones(64 * 1024 * 1024, dtype=np.float64)  # 512 MiB
    dst = np.empty_like(src)
    best = math.inf
    for _ in range(5):
        start = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - start)
    return 2 * src.nbytes / best


def time_queries(fn: Any, queries: npt.NDArray[np.float32]) -> float:
    times = []
    for q in queries:
        start = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _blas_threads_note(
    matrix: npt.NDArray[np.float32], queries: npt.NDArray[np.float32], floor: float
) -> str:
    """The bare matrix-vector product with BLAS on all cores and on one (a diagnosis)."""
    try:
        from threadpoolctl import threadpool_limits  # noqa: PLC0415
    except ImportError:
        return ""
    bare = time_queries(lambda q: matrix @ q, queries)
    with threadpool_limits(limits=1, user_api="blas"):
        single = time_queries(lambda q: matrix @ q, queries)
    return (
        f"The bare `matrix @ query` takes {fmt_s(bare)} with BLAS's default threads and "
        f"{fmt_s(single)} ({fmt_ratio(single / floor)} floor) limited to one thread."
    )


def run() -> Section:
    section = Section(
        "3. Semantic search (top-10, 1,536 dims)",
        f"""
Top-{LIMIT} by cosine similarity for a random unit query over random unit vectors, median of
{QUERIES} queries. The project's index is `MemoryVectorMemory.search` over a `VectorIndex`
(float32 rows and one matrix-vector product, or int8 codes with a coarse integer pass and a
float re-rank; then `argpartition` and hits with metadata), filled with `VectorIndex.extend`.
The seed's approach is a Python
loop computing the cosine of the query with each stored object's `embedding` list, then a sort;
it is timed over {SEED_SAMPLE:,} objects and scaled linearly to n. The floor is the matrix's
bytes divided by the copy bandwidth measured below: a search must read every vector once.
""",
        [
            "n",
            "index rows",
            "bytes read",
            "floor",
            "mockmind index",
            "vs floor",
            "recall@10",
            "seed loop",
            "seed vs index",
            "target",
        ],
    )
    bandwidth = copy_bandwidth()
    rng = np.random.default_rng(7)
    queries = rng.standard_normal((QUERIES, DIMS), dtype=np.float32)

    sample = unit_vectors(SEED_SAMPLE, seed=11)
    objects = [{"id": f"v{i}", "embedding": row.tolist()} for i, row in enumerate(sample)]
    seed_times = []
    for q in queries[:3]:
        start = time.perf_counter()
        seed_search(objects, q.tolist(), LIMIT)
        seed_times.append(time.perf_counter() - start)
    seed_per_object = statistics.median(seed_times) / SEED_SAMPLE
    del objects, sample

    for n in SIZES:
        matrix = unit_vectors(n, seed=n)
        exact = [
            [f"v{i}" for i in np.argsort(-(matrix @ (q / np.linalg.norm(q))))[:LIMIT]]
            for q in queries
        ]
        for quantization, itemsize in (("none", 4), ("int8", 1)):
            start = time.perf_counter()
            memory = bulk_loaded(matrix, quantization)  # type: ignore[arg-type]
            build = time.perf_counter() - start

            def search(q: npt.NDArray[np.float32], m: MemoryVectorMemory = memory) -> list[Any]:
                return m.search(NAMESPACE, q.tolist(), limit=LIMIT, threshold=-1.0)

            found = [[h.id for h in search(q)] for q in queries]
            recall = statistics.mean(
                len(set(f) & set(e)) / LIMIT for f, e in zip(found, exact, strict=True)
            )
            index = time_queries(search, queries)
            stored = n * DIMS * itemsize
            floor = stored / bandwidth
            seed = seed_per_object * n
            ratio = index / floor
            label = "float32" if quantization == "none" else "int8 (the default)"
            section.row(
                f"{n:,}",
                label,
                fmt_bytes(stored),
                fmt_s(floor),
                fmt_s(index),
                fmt_ratio(ratio),
                f"{recall:.0%}",
                fmt_s(seed),
                f"{seed / index:,.0f}x slower",
                verdict(ratio <= TARGET_RATIO, f"≤ {TARGET_RATIO:.0f}x floor"),
            )
            note = f"n = {n:,}, {label}: bulk-loaded in {fmt_s(build)}."
            if quantization == "none":
                note += " " + _blas_threads_note(matrix, queries, floor)
            section.notes.append(note)
            del memory
        del matrix
    section.notes.insert(
        0,
        f"Copy bandwidth: {bandwidth / 1e9:,.1f} GB/s (bytes read + written by a 512 MiB "
        f"`numpy.copyto`, best of 5).",
    )
    section.notes.append(
        "Recall@10 is against the exact float top-10 of the same queries. The floor is the "
        "bytes of the rows the index scans (int8 codes or float32) over the copy bandwidth; "
        "the int8 index also re-ranks a few candidates in float, which the floor leaves out."
    )
    section.notes.append(
        f"Seed loop: {seed_per_object * 1e6:,.1f} µs per stored object, measured over "
        f"{SEED_SAMPLE:,} objects (median of 3 queries) and multiplied by n."
    )
    return section
