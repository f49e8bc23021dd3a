"""The blob vector memory on S3 (moto): the one run of it over the S3 blob store.

Everything else it does is tested on a folder (tests/unit/adapters/test_blob_vector_memory.py);
the S3 blob store keeps the same contract as the folder one (tests/contract/test_blob_store.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from mockmind.adapters.aws.s3_blob_store import S3BlobStore
from mockmind.adapters.vectors.blob_memory import BlobVectorMemory
from mockmind.domain.errors import StoreError
from tests.support.aws import aws_client, unique_name

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
    first = BlobVectorMemory.load(S3BlobStore(s3, bucket), "vectors/", compact_every=4)
    for n in range(10):
        first.add("talk", f"v{n}", _vector(n), {"session_id": f"s{n % 2}", "n": n})
    keys = _keys(s3, bucket, "vectors/talk/")
    assert len([k for k in keys if k.startswith("vectors/talk/shards/")]) == 2
    assert len([k for k in keys if k.startswith("vectors/talk/deltas/")]) == 2
    assert "vectors/talk/index.json" in keys

    second = BlobVectorMemory.load(S3BlobStore(s3, bucket), "vectors/", compact_every=4)
    assert second.count("talk") == 10
    for n in (0, 5, 9):
        query = _vector(n)
        assert second.search("talk", query, limit=3, threshold=0.0) == first.search(
            "talk", query, limit=3, threshold=0.0
        )
        (best,) = second.search("talk", query, limit=1, threshold=0.99, session_id=f"s{n % 2}")
        assert best.id == f"v{n}"
        assert best.metadata == {"session_id": f"s{n % 2}", "n": n}


def test_an_int8_instance_on_s3_reads_float32_rows_with_ranged_gets(s3: Any, bucket: str) -> None:
    rows = np.random.default_rng(5).standard_normal((40, DIMS)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    writer = BlobVectorMemory.load(
        S3BlobStore(s3, bucket), "vectors/", compact_every=40, quantization="int8"
    )
    for n in range(40):
        writer.add("talk", f"v{n}", rows[n].tolist(), {})
    loaded = BlobVectorMemory.load(S3BlobStore(s3, bucket), "vectors/", quantization="int8")
    hits = loaded.search("talk", rows[7].tolist(), limit=3, threshold=-1.0)
    assert hits[0].id == "v7"
    assert hits[0].score == pytest.approx(1.0, abs=1e-6)
    picked = loaded._spaces["talk"].index._exact_rows(np.array([35, 2]))
    assert np.allclose(picked, rows[[35, 2]], atol=1e-7)


def test_a_missing_bucket_is_a_store_error(s3: Any) -> None:
    with pytest.raises(StoreError, match=r"s3://no-such-bucket-here/vectors/.*NoSuchBucket"):
        BlobVectorMemory.load(S3BlobStore(s3, "no-such-bucket-here"), "vectors/")
