"""2. Cold start: import the handler and load a vector index from S3 (moto on loopback).

Each measurement is a fresh interpreter, timed from inside (interpreter start-up is the same
for both and left out). The floor fetches the index's objects (its ``index.json`` and its
``.npy`` shard) with boto3 alone, in parallel, and keeps the bytes.
"""

from __future__ import annotations

import io
import json
import statistics
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np

from bench.report import (
    MOTO_ENV,
    ROOT,
    Section,
    bench_env,
    fmt_bytes,
    fmt_ratio,
    fmt_s,
    moto_s3,
    verdict,
)

DIMS = 1536
SIZES = (10_000, 100_000)
REPEAT = 3
NAMESPACE = "interactions"
TARGET_RATIO = 1.5
ADAPTER = ROOT / "src" / "mockmind" / "adapters" / "aws" / "s3_vector_memory.py"

_AWS = MOTO_ENV

FULL = """
import json, os, time
t0 = time.perf_counter()
import mockmind.handler
t1 = time.perf_counter()
from mockmind.app.aws import s3_vector_memory
memory = s3_vector_memory(mockmind.handler.app.container.config, os.environ)
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "count": memory.count(%r)}))
"""

FLOOR = """
import json, os, time
from concurrent.futures import ThreadPoolExecutor
t0 = time.perf_counter()
import boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                  config=Config(max_pool_connections=16))
bucket = os.environ["MOCKMIND_BUCKET"]
keys = json.loads(os.environ["BENCH_KEYS"])
with ThreadPoolExecutor(16) as pool:
    bodies = list(pool.map(lambda k: s3.get_object(Bucket=bucket, Key=k)["Body"].read(), keys))
t1 = time.perf_counter()
print(json.dumps({"load": t1 - t0, "bytes": sum(map(len, bodies))}))
"""


def _upload(s3: Any, bucket: str, n: int) -> tuple[list[str], int]:
    """The index layout S3VectorMemory reads: one shard of n rows and its index.json."""
    rng = np.random.default_rng(n)
    matrix = rng.standard_normal((n, DIMS), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    buffer = io.BytesIO()
    np.save(buffer, matrix.astype("<f4"), allow_pickle=False)
    shard = buffer.getvalue()
    del matrix, buffer
    base = f"vectors/{NAMESPACE}/"
    index = {
        "format": 1,
        "dims": DIMS,
        "shards": [
            {
                "key": "shards/bench.npy",
                "ids": [f"i{k:06d}" for k in range(n)],
                "metadata": [{"session_id": f"s{k % 100}", "n": k} for k in range(n)],
            }
        ],
    }
    body = json.dumps(index, separators=(",", ":")).encode()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=base + "shards/bench.npy", Body=shard)
    s3.put_object(Bucket=bucket, Key=base + "index.json", Body=body)
    return [base + "index.json", base + "shards/bench.npy"], len(shard) + len(body)


def _child(code: str, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr else "no output")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run() -> Section:
    section = Section(
        "2. Cold start (handler import + vector index from S3)",
        f"""
A fresh interpreter imports `mockmind.handler` (examples/shop, memory stores, offline) and
loads an index of n vectors of {DIMS:,} dims from S3 with `mockmind.app.aws.s3_vector_memory`
(the S3VectorMemory adapter: `index.json` with ids and metadata, one `.npy` shard), against
the floor: a fresh interpreter importing boto3 and GETting the same objects in parallel. S3 is
a moto server on loopback; median of {REPEAT} runs each.
""",
        [
            "n",
            "bytes in S3",
            "floor: GET the bytes",
            "import handler",
            "load index",
            "import + load",
            "vs floor",
            "target",
        ],
    )
    if not ADAPTER.exists():
        section.status.append(
            "pending: S3 vector index (src/mockmind/adapters/aws/s3_vector_memory.py is not "
            "written yet); only the floor is measured"
        )
    with moto_s3("moto.log") as (endpoint, s3):
        for n in SIZES:
            bucket = f"bench-vectors-{n}"
            keys, size = _upload(s3, bucket, n)
            env = bench_env(
                **_AWS,
                AWS_ENDPOINT_URL=endpoint,
                MOCKMIND_BUCKET=bucket,
                MOCKMIND_CONFIG=str(ROOT / "examples" / "shop" / "mockmind.yaml"),
                BENCH_KEYS=json.dumps(keys),
                POWERTOOLS_LOG_LEVEL="ERROR",
            )
            floors = [_child(FLOOR, env) for _ in range(REPEAT)]
            assert all(f["bytes"] == size for f in floors)
            floor = statistics.median(f["load"] for f in floors)
            if not ADAPTER.exists():
                section.row(f"{n:,}", fmt_bytes(size), fmt_s(floor), "", "", "", "", "pending")
                continue
            try:
                fulls = [_child(FULL % NAMESPACE, env) for _ in range(REPEAT)]
            except RuntimeError as exc:
                section.status.append(f"pending: S3 vector index not usable yet ({exc})")
                section.row(f"{n:,}", fmt_bytes(size), fmt_s(floor), "", "", "", "", "pending")
                continue
            assert all(f["count"] == n for f in fulls), fulls
            imp = statistics.median(f["import"] for f in fulls)
            load = statistics.median(f["load"] for f in fulls)
            total = statistics.median(f["import"] + f["load"] for f in fulls)
            section.row(
                f"{n:,}",
                fmt_bytes(size),
                fmt_s(floor),
                fmt_s(imp),
                fmt_s(load),
                fmt_s(total),
                fmt_ratio(total / floor),
                verdict(total / floor <= TARGET_RATIO, f"≤ {TARGET_RATIO}x floor"),
            )
            s3.delete_object(Bucket=bucket, Key=keys[1])  # let moto free the big shard
    section.notes.append(
        "The handler does not load the vector index by itself yet (bootstrap builds no vector "
        "memory); the child calls `s3_vector_memory(config, env)` right after the import, as "
        "a cold start would."
    )
    section.notes.append(
        f"The index objects are written by the benchmark in the adapter's documented layout "
        f"(`{ADAPTER.relative_to(ROOT)}`), not through `add` (one PUT per vector)."
    )
    return section
