"""8. The int8 vector index against float32: recall@10, search time, cold-start bytes, memory.

    .venv/bin/python bench/quantization.py          # prints the markdown section
    .venv/bin/python bench/run.py --only quantization

Both indexes are `mockmind.adapters.vectors.index.VectorIndex` (quantization "none" and "int8"),
fed the same rows and queries. Cold-start bytes and resident memory are measured on the S3
adapter loading from a moto server in its own process, so the bytes it holds are not counted.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import (
    MOTO_ENV,
    Section,
    fmt_bytes,
    fmt_ratio,
    fmt_s,
    moto_s3,
    upload_vector_index,
    verdict,
)
from mockmind.adapters.aws.s3_blob_store import S3BlobStore
from mockmind.adapters.llm.hashed_embedder import LocalHashedEmbedder
from mockmind.adapters.vectors.blob_memory import BlobVectorMemory
from mockmind.adapters.vectors.index import Quantization, VectorIndex, error_bounds, quantize

DIMS = 1536
SIZES = (10_000, 100_000)
QUERIES = 50
_BLOCK = 10
_PAUSE = 0.2
LIMIT = 10
RECALL_TARGET = 0.99
_S3_QUERIES = 3
TIME_TARGET = 0.35
BYTES_TARGET = 0.3
Floats = npt.NDArray[np.float32]

_AWS = MOTO_ENV

# A few thousand words in all, so texts share words in varied ways.
_SUBJECTS = [
    "customer",
    "order",
    "invoice",
    "product",
    "shipment",
    "account",
    "payment",
    "refund",
    "cart",
    "review",
    "ticket",
    "user",
    "session",
    "address",
    "coupon",
    "warehouse",
    "supplier",
    "subscription",
    "plan",
    "report",
]
_VERBS = [
    "created",
    "updated",
    "cancelled",
    "shipped",
    "paid",
    "refunded",
    "viewed",
    "deleted",
    "reviewed",
    "added",
    "removed",
    "searched",
    "opened",
    "closed",
    "returned",
    "approved",
    "rejected",
    "delayed",
    "exported",
    "imported",
]
_ADJECTIVES = [
    "new",
    "old",
    "large",
    "small",
    "urgent",
    "pending",
    "blue",
    "red",
    "express",
    "premium",
    "basic",
    "annual",
    "monthly",
    "late",
    "early",
    "fragile",
    "digital",
    "international",
    "local",
    "bulk",
]
_WORDS = [f"{a}{b}" for a in ("ka", "lo", "mi", "nu", "pe", "ra", "si", "to") for b in range(400)]


def random_units(n: int, seed: int) -> Floats:
    rows = np.random.default_rng(seed).standard_normal((n, DIMS), dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def text(seed: int) -> str:
    """One deterministic sentence: an event on a thing, with free words and a number."""
    r = random.Random(seed)
    words = [r.choice(_ADJECTIVES), r.choice(_SUBJECTS), r.choice(_VERBS)]
    words += [r.choice(("for", "by", "after", "with")), r.choice(_WORDS), r.choice(_WORDS)]
    words += [f"#{r.randrange(10_000)}", r.choice(_SUBJECTS), r.choice(_VERBS)][: r.randint(1, 3)]
    return " ".join(words)


def embedded(n: int, seed: int) -> Floats:
    embedder = LocalHashedEmbedder(DIMS)
    return np.array([embedder.vector(text(seed * 10_000_000 + i)) for i in range(n)])


def build(rows: Floats, quantization: Quantization) -> VectorIndex:
    index = VectorIndex(DIMS, quantization)
    n = rows.shape[0]
    index.extend(
        [f"v{i}" for i in range(n)], rows, [{"session_id": f"s{i % 100}"} for i in range(n)]
    )
    return index


def found(exact: Floats, returned: Any) -> int:
    """Returned rows among the exact top 10; rows tied with the 10th count, either is right."""
    tenth = np.partition(exact, -LIMIT)[-LIMIT]
    return int((exact[np.asarray(list(returned), dtype=np.intp)] >= tenth - 1e-6).sum())


def quantization_errors(rows: Floats) -> tuple[float, float]:
    """Median ||row - reconstruction|| with per-vector scales (what the index uses) and with
    per-dimension scales: the bound each search's candidates are kept within, so the smaller
    one leaves fewer float32 rows to read."""
    per_vector = float(np.median(error_bounds(rows, quantize(rows))))
    peak = np.abs(rows).max(axis=0)
    peak[peak == 0] = 1.0
    codes = np.rint(rows * (127.0 / peak)).astype(np.int8)
    per_dim = float(np.median(np.linalg.norm(rows - codes * (peak / 127.0), axis=1)))
    return per_vector, per_dim


def measure(rows: Floats, queries: Floats) -> dict[str, float]:
    exact_index, int8_index = build(rows, "none"), build(rows, "int8")
    total = 0
    float_times: list[float] = []
    int8_times: list[float] = []
    # Alternating blocks of queries, so both see the same load from anything else on the
    # machine. Not query by query, and with a pause before each block: after a call, BLAS's
    # and OpenMP's worker threads keep spinning on the cores for up to about 0.1 s, and would
    # slow the other library's searches.
    # Recall is checked after the timing, as its float32 products would be such a call.
    answers = []
    for block in range(0, len(queries), _BLOCK):
        time.sleep(_PAUSE)
        for query in queries[block : block + _BLOCK]:
            start = time.perf_counter()
            exact_index.search(query, limit=LIMIT, threshold=-1.0)
            float_times.append(time.perf_counter() - start)
        time.sleep(_PAUSE)
        for query in queries[block : block + _BLOCK]:
            start = time.perf_counter()
            answers.append(int8_index.search(query, limit=LIMIT, threshold=-1.0))
            int8_times.append(time.perf_counter() - start)
    for query, hits in zip(queries, answers, strict=True):
        total += found(rows @ query, [int(h.id[1:]) for h in hits])
    per_vector, per_dim = quantization_errors(rows)
    return {
        "recall": total / (LIMIT * len(queries)),
        "error_per_vector": per_vector,
        "error_per_dim": per_dim,
        "float32": statistics.median(float_times),
        "int8": statistics.median(int8_times),
        "float_bytes": exact_index.nbytes,
        "int8_bytes": int8_index.nbytes,
    }


class _CountingClient:
    """The S3 client, with the body bytes and the ranged GETs added up."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.fetched = 0
        self.ranged = 0

    def get_object(self, **kwargs: Any) -> Any:
        response = self._client.get_object(**kwargs)
        self.fetched += int(response["ContentLength"])
        self.ranged += "Range" in kwargs
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def cold_start(s3: Any, n: int) -> dict[str, dict[str, float]]:
    """Write an index of n random rows in each format, load each with a fresh adapter, then
    search it: for int8, the float32 rows a search re-scores are ranged GETs to moto."""
    rows = random_units(n, seed=n)
    # moto copies a whole object per ranged GET: 100,000 rows would take half a minute a search.
    queries = random_units(_S3_QUERIES if n <= 10_000 else 0, seed=n + 1)
    results: dict[str, dict[str, float]] = {}
    for quantization in ("none", "int8"):
        bucket = f"quantization-{quantization}-{n}"
        s3.create_bucket(Bucket=bucket)
        ids = [f"v{i}" for i in range(n)]
        metadata = [{"session_id": f"s{i % 100}"} for i in range(n)]
        upload_vector_index(s3, bucket, "talk", rows, quantization, ids, metadata)
        gc.collect()
        counting = _CountingClient(s3)
        start = time.perf_counter()
        store = S3BlobStore(counting, bucket)  # type: ignore[arg-type]
        loaded = BlobVectorMemory.load(store, "vectors/", quantization=quantization)
        seconds = time.perf_counter() - start
        results[quantization] = {
            "fetched": counting.fetched,
            "memory": loaded.nbytes,
            "seconds": seconds,
            "count": loaded.count("talk"),
        }
        fetched = counting.fetched
        for query in queries:
            loaded.search("talk", query, limit=LIMIT, threshold=-1.0)
        searched = max(len(queries), 1)
        results[quantization] |= {
            "searches": len(queries),
            "search_gets": counting.ranged / searched,
            "search_bytes": (counting.fetched - fetched) / searched,
        }
        del loaded
        gc.collect()
    return results


def run() -> Section:
    section = Section(
        "8. Quantized vector index (int8 codes vs float32)",
        f"""
`VectorIndex` with int8 codes (per-vector scale, recomputed from the codes) against float32
rows, same rows and {QUERIES} queries, top-{LIMIT}. The int8 search scores every row's codes
with SimSIMD's integer kernel, narrows the candidates with the query's residual codes, and
re-scores the few left with their float32 rows, read from the index's row file on local disk;
each pass drops only rows that their error bound proves cannot be in the top {LIMIT}.
Recall@10 is measured against exact float32 search (a hit tied with the exact 10th counts as
found). "Error" is the median ||row - reconstruction||, the bound that decides how many rows
survive: per-vector scales (used) against per-dimension scales.
Random rows are unit Gaussian vectors (queries too); embeddings are the local hashed embedder's
on deterministic sentences over a vocabulary of about 3,300 words (queries: other sentences of
the same grammar). Times are medians over alternating blocks of {_BLOCK} queries, with a pause
before each block so neither library's idle worker threads still spin in the other's.
""",
        [
            "n",
            "data",
            "recall@10",
            "error per-vector / per-dim",
            "float32 search",
            "int8 search",
            "int8 / float32",
            "recall target",
            "time target",
        ],
    )
    notes_bytes: list[str] = []
    for n in SIZES:
        for label, rows, queries in (
            ("random", random_units(n, seed=1), random_units(QUERIES, seed=2)),
            ("hashed embeddings", embedded(n, 1), embedded(QUERIES, 2)),
        ):
            m = measure(rows, queries)
            ratio = m["int8"] / m["float32"]
            section.row(
                f"{n:,}",
                label,
                f"{m['recall']:.3f}",
                f"{m['error_per_vector']:.4f} / {m['error_per_dim']:.4f}",
                fmt_s(m["float32"]),
                fmt_s(m["int8"]),
                fmt_ratio(ratio),
                verdict(m["recall"] >= RECALL_TARGET, f">= {RECALL_TARGET}"),
                verdict(ratio <= TIME_TARGET, f"<= {TIME_TARGET}x"),
            )
            if label == "random":
                notes_bytes.append(
                    f"n = {n:,}: index arrays in memory {fmt_bytes(m['int8_bytes'])} int8 vs "
                    f"{fmt_bytes(m['float_bytes'])} float32 "
                    f"({fmt_ratio(m['int8_bytes'] / m['float_bytes'])})."
                )
            del rows
            gc.collect()
    cold = Section(
        "",
        "",
        [
            "n",
            "format",
            "bytes fetched",
            "held in memory",
            "load time",
            "vs float32 (bytes / memory)",
            "target",
            "a search's S3 reads",
        ],
    )
    with moto_s3("moto-quantization.log") as (_, s3):
        for n in SIZES:
            r = cold_start(s3, n)
            base = r["none"]
            for quantization in ("none", "int8"):
                got = r[quantization]
                ratio_bytes = got["fetched"] / base["fetched"]
                ratio_rss = got["memory"] / base["memory"]
                target = (
                    verdict(max(ratio_bytes, ratio_rss) <= BYTES_TARGET, f"<= {BYTES_TARGET}x")
                    if quantization == "int8"
                    else ""
                )
                cold.row(
                    f"{n:,}",
                    "float32" if quantization == "none" else "int8",
                    fmt_bytes(got["fetched"]),
                    fmt_bytes(got["memory"]),
                    fmt_s(got["seconds"]),
                    f"{fmt_ratio(ratio_bytes)} / {fmt_ratio(ratio_rss)}",
                    target,
                    f"{got['search_gets']:.0f} GETs, {fmt_bytes(got['search_bytes'])}"
                    if got["searches"]
                    else "not measured",
                )
    section.notes += notes_bytes
    section.notes.append(
        "Cold start from S3 (moto on loopback): bytes are GET bodies; memory is what the "
        "loaded adapter holds for searching (`BlobVectorMemory.nbytes`). Then searches of the "
        "loaded index: for int8, the rows a search re-scores are ranged GETs of the float32 "
        "object (mean per search). Their time is not reported: moto copies the whole object "
        "for each ranged GET, which real S3 does not; there, at tens of milliseconds a GET and "
        "16 at a time, they add a few round trips to a search."
    )
    section.notes.append(
        "\n\n| "
        + " | ".join(cold.columns)
        + " |\n|"
        + "|".join(" --- " for _ in cold.columns)
        + "|\n"
        + "\n".join("| " + " | ".join(row) + " |" for row in cold.rows)
        + "\n"
    )
    return section


if __name__ == "__main__":
    started = time.perf_counter()
    result = run()
    result.seconds = time.perf_counter() - started
    print(result.markdown())
