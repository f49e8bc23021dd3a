"""What only the S3 vector memory does: its objects, cold-start loading and compaction.

The search behaviour it shares with the memory adapter is in tests/contract/test_vector_memory.py.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from typing import Any

import numpy as np
import pytest

from mockmind.adapters.aws.s3_vector_memory import S3VectorMemory
from mockmind.adapters.vector_index import Quantization, error_bounds, quantize
from mockmind.domain.errors import StoreError
from tests.conftest import aws_client, unique_name

DIMS = 8


@pytest.fixture
def s3(moto_endpoint: str) -> Any:
    return aws_client("s3", moto_endpoint)


@pytest.fixture
def bucket(s3: Any) -> str:
    name = unique_name("vectors")
    s3.create_bucket(Bucket=name)
    return name


def _vector(n: int) -> list[float]:
    return [float(v) for v in np.random.default_rng(n).normal(size=DIMS)]


def _keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    contents = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return sorted(obj["Key"] for obj in contents)


def test_a_new_instance_loads_shards_and_deltas(s3: Any, bucket: str) -> None:
    first = S3VectorMemory(s3, bucket, "vectors/", compact_every=4)
    for n in range(10):
        first.add("talk", f"v{n}", _vector(n), {"session_id": f"s{n % 2}", "n": n})
    keys = _keys(s3, bucket, "vectors/talk/")
    assert len([k for k in keys if k.startswith("vectors/talk/shards/")]) == 2
    assert len([k for k in keys if k.startswith("vectors/talk/deltas/")]) == 2
    assert "vectors/talk/index.json" in keys

    second = S3VectorMemory(s3, bucket, "vectors/", compact_every=4)
    assert second.count("talk") == 10
    for n in (0, 5, 9):
        query = _vector(n)
        assert second.search("talk", query, limit=3, threshold=0.0) == first.search(
            "talk", query, limit=3, threshold=0.0
        )
        (best,) = second.search("talk", query, limit=1, threshold=0.99, session_id=f"s{n % 2}")
        assert best.id == f"v{n}"
        assert best.metadata == {"session_id": f"s{n % 2}", "n": n}


@pytest.mark.parametrize(("quantization", "dtype"), [("int8", np.int8), ("none", np.float32)])
def test_shards_are_npy_and_the_index_is_compact_versioned_json(
    s3: Any, bucket: str, quantization: Quantization, dtype: type[np.generic]
) -> None:
    memory = S3VectorMemory(s3, bucket, "vectors/", compact_every=3, quantization=quantization)
    for n in range(3):
        memory.add("talk", f"v{n}", _vector(n), {"n": n})
    raw = s3.get_object(Bucket=bucket, Key="vectors/talk/index.json")["Body"].read()
    index = json.loads(raw)
    assert b": " not in raw
    assert (index["format"], index["quantization"], index["dims"]) == (3, quantization, DIMS)
    (shard,) = index["shards"]
    assert shard["ids"] == ["v0", "v1", "v2"]
    assert shard["metadata"] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert shard["dtype"] == np.dtype(dtype).name
    body = s3.get_object(Bucket=bucket, Key="vectors/talk/" + shard["key"])["Body"].read()
    matrix = np.load(io.BytesIO(body), allow_pickle=False)
    assert matrix.dtype == dtype
    assert matrix.shape == (3, DIMS)
    rows = np.array([_vector(n) for n in range(3)], dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    if quantization == "int8":
        assert np.array_equal(matrix, quantize(rows))
        # Beside the codes: the float32 rows, where they start, and each row's error bound.
        exact = s3.get_object(Bucket=bucket, Key="vectors/talk/" + shard["exact"])["Body"].read()
        assert np.allclose(np.load(io.BytesIO(exact)), rows, atol=1e-6)
        start = shard["exact_offset"]
        assert np.allclose(np.frombuffer(exact[start:], dtype="<f4"), rows.ravel(), atol=1e-6)
        bounds = np.frombuffer(base64.b64decode(shard["bounds"]), dtype="<f4")
        assert np.allclose(bounds, error_bounds(rows, matrix))
    else:
        assert np.allclose(matrix, rows, atol=1e-6)
        assert "exact" not in shard
    assert _keys(s3, bucket, "vectors/talk/deltas/") == []


def _write_format_1(s3: Any, bucket: str, rows: np.ndarray[Any, Any], ids: list[str]) -> str:
    """An index as the float32-only adapter (format 1) wrote it: no dtype, no quantization."""
    buffer = io.BytesIO()
    np.save(buffer, rows.astype("<f4"), allow_pickle=False)
    s3.put_object(Bucket=bucket, Key="vectors/talk/shards/old.npy", Body=buffer.getvalue())
    index = {
        "format": 1,
        "dims": DIMS,
        "shards": [
            {
                "key": "shards/old.npy",
                "ids": ids,
                "metadata": [{"session_id": f"s{n % 2}", "n": n} for n in range(len(ids))],
            }
        ],
    }
    s3.put_object(Bucket=bucket, Key="vectors/talk/index.json", Body=json.dumps(index).encode())
    return "vectors/talk/shards/old.npy"


def test_a_format_1_float32_index_is_read_and_rewritten_as_int8_on_compaction(
    s3: Any, bucket: str
) -> None:
    rows = np.array([_vector(n) for n in range(6)], dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    old_key = _write_format_1(s3, bucket, rows, [f"v{n}" for n in range(6)])

    exact = S3VectorMemory(s3, bucket, "vectors/", quantization="none")
    quantized = S3VectorMemory(s3, bucket, "vectors/", compact_every=2, quantization="int8")
    assert quantized.count("talk") == 6
    for n in range(6):
        (hit,) = exact.search("talk", _vector(n), limit=1, threshold=0.99)
        assert (hit.id, hit.score) == (f"v{n}", pytest.approx(1.0, abs=1e-6))
        (hit,) = quantized.search(
            "talk", _vector(n), limit=1, threshold=0.99, session_id=f"s{n % 2}"
        )
        assert (hit.id, hit.metadata) == (f"v{n}", {"session_id": f"s{n % 2}", "n": n})

    # Two adds reach compact_every: the delta becomes a shard and the old shard gets codes,
    # keeping its float32 object as their exact rows.
    quantized.add("talk", "v6", _vector(6), {"n": 6})
    quantized.add("talk", "v0", _vector(100), {"n": 100})
    index = json.loads(s3.get_object(Bucket=bucket, Key="vectors/talk/index.json")["Body"].read())
    assert index["format"] == 3
    assert [s["dtype"] for s in index["shards"]] == ["int8", "int8"]
    assert index["shards"][0]["exact"] == "shards/old.npy"
    assert old_key in _keys(s3, bucket, "vectors/talk/shards/")
    rewritten = s3.get_object(Bucket=bucket, Key="vectors/talk/" + index["shards"][0]["key"])
    assert np.array_equal(np.load(io.BytesIO(rewritten["Body"].read())), quantize(rows))

    fresh = S3VectorMemory(s3, bucket, "vectors/", quantization="int8")
    assert fresh.count("talk") == 7
    (hit,) = fresh.search("talk", _vector(100), limit=1, threshold=0.99)
    assert (hit.id, hit.metadata, hit.score) == ("v0", {"n": 100}, pytest.approx(1.0, abs=1e-6))
    # A float32 reader loads the float32 objects, not the codes.
    reader = S3VectorMemory(s3, bucket, "vectors/", quantization="none")
    (hit,) = reader.search("talk", _vector(3), limit=1, threshold=0.99)
    assert (hit.id, hit.score) == ("v3", pytest.approx(1.0, abs=1e-6))


def test_a_float32_instance_leaves_format_1_shards_as_they_are(s3: Any, bucket: str) -> None:
    rows = np.array([_vector(n) for n in range(3)], dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    old_key = _write_format_1(s3, bucket, rows, ["a", "b", "c"])
    memory = S3VectorMemory(s3, bucket, "vectors/", compact_every=1, quantization="none")
    memory.add("talk", "d", _vector(3), {})
    index = json.loads(s3.get_object(Bucket=bucket, Key="vectors/talk/index.json")["Body"].read())
    assert index["shards"][0]["key"] == "shards/old.npy"
    assert index["shards"][1]["dtype"] == "float32"
    assert old_key in _keys(s3, bucket, "vectors/talk/shards/")


class _RecordedGets:
    """The client, with each get_object's key and range recorded."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.gets: list[tuple[str, str | None]] = []

    def get_object(self, **kwargs: Any) -> Any:
        self.gets.append((kwargs["Key"], kwargs.get("Range")))
        return self._client.get_object(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_an_int8_instance_loads_codes_and_reads_few_float32_rows_per_search(
    s3: Any, bucket: str
) -> None:
    dims = 256
    rows = np.random.default_rng(3).standard_normal((300, dims)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    writer = S3VectorMemory(s3, bucket, "vectors/", compact_every=300, quantization="int8")
    for n in range(300):
        writer.add("talk", f"v{n}", rows[n].tolist(), {"n": n})
    index = json.loads(s3.get_object(Bucket=bucket, Key="vectors/talk/index.json")["Body"].read())
    (shard,) = index["shards"]

    recorded = _RecordedGets(s3)
    loaded = S3VectorMemory(recorded, bucket, "vectors/", quantization="int8")  # type: ignore[arg-type]
    assert ("vectors/talk/" + shard["exact"], None) not in recorded.gets
    assert ("vectors/talk/" + shard["key"], None) in recorded.gets
    recorded.gets.clear()

    query = np.random.default_rng(4).standard_normal(dims).astype(np.float32)
    hits = loaded.search("talk", query.tolist(), limit=5, threshold=-1.0)
    exact = rows @ (query / np.linalg.norm(query))
    best = np.argsort(-exact)[:5]
    assert [h.id for h in hits] == [f"v{n}" for n in best]
    assert [h.score for h in hits] == pytest.approx(exact[best].tolist(), abs=1e-6)
    # Only ranged GETs of the float32 object, for a fraction of its rows.
    assert recorded.gets
    assert {key for key, _ in recorded.gets} == {"vectors/talk/" + shard["exact"]}
    spans = [tuple(int(b) for b in r.removeprefix("bytes=").split("-")) for _, r in recorded.gets]  # type: ignore[union-attr]
    assert sum(last - first + 1 for first, last in spans) < 0.5 * rows.nbytes


def test_format_2_int8_shards_without_float32_rows_are_scored_by_reconstruction(
    s3: Any, bucket: str
) -> None:
    rows = np.array([_vector(n) for n in range(4)], dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    buffer = io.BytesIO()
    np.save(buffer, quantize(rows), allow_pickle=False)
    s3.put_object(Bucket=bucket, Key="vectors/talk/shards/codes.npy", Body=buffer.getvalue())
    shard = {"key": "shards/codes.npy", "dtype": "int8", "ids": list("abcd"), "metadata": [{}] * 4}
    index = {"format": 2, "quantization": "int8", "dims": DIMS, "shards": [shard]}
    s3.put_object(Bucket=bucket, Key="vectors/talk/index.json", Body=json.dumps(index).encode())
    memory = S3VectorMemory(s3, bucket, "vectors/", quantization="int8")
    (hit,) = memory.search("talk", _vector(2), limit=1, threshold=-1)
    reconstruction = quantize(rows)[2].astype(np.float32)
    reconstruction /= np.linalg.norm(reconstruction)
    assert (hit.id, hit.score) == ("c", pytest.approx(float(reconstruction @ rows[2]), abs=1e-6))


class _SlowGets:
    """The client, with get_object slowed down and its concurrency recorded."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.active = 0
        self.most = 0

    def get_object(self, **kwargs: Any) -> Any:
        with self._lock:
            self.active += 1
            self.most = max(self.most, self.active)
        try:
            time.sleep(0.05)
            return self._client.get_object(**kwargs)
        finally:
            with self._lock:
                self.active -= 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_cold_start_fetches_shards_in_parallel(s3: Any, bucket: str) -> None:
    writer = S3VectorMemory(s3, bucket, "vectors/", compact_every=1)
    for n in range(8):
        writer.add("talk", f"v{n}", _vector(n), {})
    slow = _SlowGets(s3)
    started = time.monotonic()
    loaded = S3VectorMemory(slow, bucket, "vectors/")  # type: ignore[arg-type]
    elapsed = time.monotonic() - started
    assert loaded.count("talk") == 8
    assert slow.most > 1
    # One index GET, then eight shard GETs side by side: far less than nine in a row.
    assert elapsed < 9 * 0.05


def test_concurrent_writers_and_compactions_lose_nothing(s3: Any, bucket: str) -> None:
    instances = [S3VectorMemory(s3, bucket, "vectors/", compact_every=3) for _ in range(3)]

    def write(which: int) -> None:
        for n in range(12):
            instances[which].add("talk", f"w{which}-{n}", _vector(which * 100 + n), {})

    threads = [threading.Thread(target=write, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fresh = S3VectorMemory(s3, bucket, "vectors/")
    assert fresh.count("talk") == 36
    hits = fresh.search("talk", _vector(205), limit=1, threshold=0.99)
    assert [h.id for h in hits] == ["w2-5"]


def test_a_missing_bucket_is_a_store_error(s3: Any) -> None:
    with pytest.raises(StoreError, match=r"s3://no-such-bucket-here/vectors/.*NoSuchBucket"):
        S3VectorMemory(s3, "no-such-bucket-here", "vectors/")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bounds": None}, "no valid bounds"),
        ({"bounds": base64.b64encode(b"\0" * 8).decode()}, "has 3 rows but 2 bounds"),
    ],
)
def test_an_int8_entry_with_broken_bounds_is_a_store_error(
    s3: Any, bucket: str, change: dict[str, Any], message: str
) -> None:
    writer = S3VectorMemory(s3, bucket, "vectors/", compact_every=3, quantization="int8")
    for n in range(3):
        writer.add("talk", f"v{n}", _vector(n), {})
    key = "vectors/talk/index.json"
    index = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    index["shards"][0] |= change
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(index).encode())
    with pytest.raises(StoreError, match=message):
        S3VectorMemory(s3, bucket, "vectors/", quantization="int8")


def test_float32_rows_far_apart_come_in_separate_ranged_gets(s3: Any, bucket: str) -> None:
    rows = np.random.default_rng(5).standard_normal((40, DIMS)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    writer = S3VectorMemory(s3, bucket, "vectors/", compact_every=40, quantization="int8")
    for n in range(40):
        writer.add("talk", f"v{n}", rows[n].tolist(), {})
    loaded = S3VectorMemory(s3, bucket, "vectors/", quantization="int8")
    recorded = _RecordedGets(s3)
    loaded._client = recorded  # type: ignore[assignment]
    # Every row re-scored: rows 0-39, in runs no more than four apart, so one GET.
    loaded.search("talk", _vector(1), limit=40, threshold=-1.0)
    assert len(recorded.gets) == 1
    # Two rows 30 apart: two GETs, each of one row, and the rows in the order asked.
    space = loaded._spaces["talk"]
    picked = space.index._exact_rows(np.array([35, 2]))
    assert np.allclose(picked, rows[[35, 2]], atol=1e-7)
    assert sorted(str(r) for _, r in recorded.gets[1:]) == sorted(
        f"bytes={start}-{start + 4 * DIMS - 1}" for start in _row_starts(s3, bucket, [2, 35])
    )


def _row_starts(s3: Any, bucket: str, rows: list[int]) -> list[int]:
    index = json.loads(s3.get_object(Bucket=bucket, Key="vectors/talk/index.json")["Body"].read())
    offset = index["shards"][0]["exact_offset"]
    return [offset + 4 * DIMS * row for row in rows]


def test_an_add_during_a_compaction_is_not_undone_by_it(s3: Any, bucket: str) -> None:
    """Found by review: the compaction re-put the row it folded over a newer add of the id."""
    memory = S3VectorMemory(s3, bucket, "vectors/", compact_every=100, quantization="int8")
    memory.add("talk", "v1", _vector(1), {"n": 1})
    put_index = memory._put_index

    def meanwhile(*args: Any, **kwargs: Any) -> bool:
        memory.add("talk", "v1", _vector(2), {"n": 2})  # lands between listing and indexing
        return put_index(*args, **kwargs)

    memory._put_index = meanwhile  # type: ignore[method-assign]
    memory.compact("talk")
    (hit,) = memory.search("talk", _vector(2), limit=1, threshold=-1.0)
    assert (hit.id, hit.metadata, hit.score) == ("v1", {"n": 2}, pytest.approx(1.0, abs=1e-6))
    # And a cold start agrees: the newer delta outlives the compaction.
    fresh = S3VectorMemory(s3, bucket, "vectors/", quantization="int8")
    (hit,) = fresh.search("talk", _vector(2), limit=1, threshold=-1.0)
    assert (hit.id, hit.metadata) == ("v1", {"n": 2})
