"""What only the S3 vector memory does: its objects, cold-start loading and compaction.

The search behaviour it shares with the memory adapter is in tests/contract/test_vector_memory.py.
"""

from __future__ import annotations

import io
import json
import threading
import time
from typing import Any

import numpy as np
import pytest

from mockmind.adapters.aws.s3_vector_memory import S3VectorMemory
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


def test_shards_are_npy_float32_and_the_index_is_compact_json(s3: Any, bucket: str) -> None:
    memory = S3VectorMemory(s3, bucket, "vectors/", compact_every=3)
    for n in range(3):
        memory.add("talk", f"v{n}", _vector(n), {"n": n})
    raw = s3.get_object(Bucket=bucket, Key="vectors/talk/index.json")["Body"].read()
    index = json.loads(raw)
    assert b": " not in raw
    assert index["dims"] == DIMS
    (shard,) = index["shards"]
    assert shard["ids"] == ["v0", "v1", "v2"]
    assert shard["metadata"] == [{"n": 0}, {"n": 1}, {"n": 2}]
    body = s3.get_object(Bucket=bucket, Key="vectors/talk/" + shard["key"])["Body"].read()
    matrix = np.load(io.BytesIO(body), allow_pickle=False)
    assert matrix.dtype == np.float32
    assert matrix.shape == (3, DIMS)
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0)
    assert _keys(s3, bucket, "vectors/talk/deltas/") == []


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
