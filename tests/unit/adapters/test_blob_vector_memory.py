"""What only the blob vector memory does: its objects, loading and compaction, on a folder.

The search behaviour it shares with the memory adapter is in tests/contract/test_vector_memory.py;
tests/integration/test_s3_vector_memory.py runs it on S3 (moto).
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mockmind.adapters.files import FolderBlobStore
from mockmind.adapters.vectors.blob_memory import BlobVectorMemory
from mockmind.adapters.vectors.index import Quantization, error_bounds, quantize
from mockmind.domain.errors import StoreError
from mockmind.ports import Blob, BlobStore

DIMS = 8


@pytest.fixture
def store(tmp_path: Path) -> FolderBlobStore:
    return FolderBlobStore(tmp_path / "blobs")


def _vector(n: int) -> list[float]:
    return [float(v) for v in np.random.default_rng(n).normal(size=DIMS)]


def _body(store: BlobStore, key: str) -> bytes:
    blob = store.get(key)
    assert blob is not None, key
    return blob.body


def _index(store: BlobStore) -> dict[str, Any]:
    index: dict[str, Any] = json.loads(_body(store, "vectors/talk/index.json"))
    return index


class _Passing:
    """A store passing every call on to another."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store

    def get(self, key: str) -> Blob | None:
        return self._store.get(key)

    def get_range(self, key: str, offset: int, length: int) -> bytes:
        return self._store.get_range(key, offset, length)

    def put(self, key: str, body: bytes) -> str:
        return self._store.put(key, body)

    def put_if_match(self, key: str, body: bytes, etag: str | None) -> str:
        return self._store.put_if_match(key, body, etag)

    def list_keys(self, prefix: str) -> list[str]:
        return self._store.list_keys(prefix)

    def list_folders(self, prefix: str) -> list[str]:
        return self._store.list_folders(prefix)

    def delete(self, keys: Sequence[str]) -> None:
        self._store.delete(keys)

    def url(self, key: str) -> str:
        return self._store.url(key)


def test_a_new_instance_loads_shards_and_deltas(store: FolderBlobStore) -> None:
    first = BlobVectorMemory.load(store, "vectors/", compact_every=4)
    for n in range(10):
        first.add("talk", f"v{n}", _vector(n), {"session_id": f"s{n % 2}", "n": n})
    keys = store.list_keys("vectors/talk/")
    assert len([k for k in keys if k.startswith("vectors/talk/shards/")]) == 2
    assert len([k for k in keys if k.startswith("vectors/talk/deltas/")]) == 2
    assert "vectors/talk/index.json" in keys

    second = BlobVectorMemory.load(store, "vectors/", compact_every=4)
    assert second.count("talk") == 10
    for n in (0, 5, 9):
        query = _vector(n)
        assert second.search("talk", query, limit=3, threshold=0.0) == first.search(
            "talk", query, limit=3, threshold=0.0
        )
        (best,) = second.search("talk", query, limit=1, threshold=0.99, session_id=f"s{n % 2}")
        assert best.id == f"v{n}"
        assert best.metadata == {"session_id": f"s{n % 2}", "n": n}


class _Refusing:
    """A store that fails the test on any call."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the store was called: {name}")


def test_building_an_instance_reads_nothing_and_it_starts_empty() -> None:
    memory = BlobVectorMemory(_Refusing(), "vectors/")  # type: ignore[arg-type]
    assert memory.count("talk") == 0
    assert memory.search("talk", _vector(1), limit=3, threshold=-1.0) == []
    assert memory.nbytes == 0


def test_loading_a_store_with_no_index_yet_is_empty(store: FolderBlobStore) -> None:
    memory = BlobVectorMemory.load(store, "vectors")
    assert memory.count("talk") == 0
    memory.add("talk", "v1", _vector(1), {})
    # The prefix gets its slash: the delta is under vectors/talk/.
    assert [k.rsplit("/", 1)[0] for k in store.list_keys("")] == ["vectors/talk/deltas"]
    assert BlobVectorMemory.load(store, "vectors/").count("talk") == 1


@pytest.mark.parametrize(("quantization", "dtype"), [("int8", np.int8), ("none", np.float32)])
def test_shards_are_npy_and_the_index_is_compact_versioned_json(
    store: FolderBlobStore, quantization: Quantization, dtype: type[np.generic]
) -> None:
    memory = BlobVectorMemory.load(store, "vectors/", compact_every=3, quantization=quantization)
    for n in range(3):
        memory.add("talk", f"v{n}", _vector(n), {"n": n})
    raw = _body(store, "vectors/talk/index.json")
    index = json.loads(raw)
    assert b": " not in raw
    assert (index["format"], index["quantization"], index["dims"]) == (3, quantization, DIMS)
    (shard,) = index["shards"]
    assert shard["ids"] == ["v0", "v1", "v2"]
    assert shard["metadata"] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert shard["dtype"] == np.dtype(dtype).name
    body = _body(store, "vectors/talk/" + shard["key"])
    matrix = np.load(io.BytesIO(body), allow_pickle=False)
    assert matrix.dtype == dtype
    assert matrix.shape == (3, DIMS)
    rows = np.array([_vector(n) for n in range(3)], dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    if quantization == "int8":
        assert np.array_equal(matrix, quantize(rows))
        # Beside the codes: the float32 rows, where they start, and each row's error bound.
        exact = _body(store, "vectors/talk/" + shard["exact"])
        assert np.allclose(np.load(io.BytesIO(exact)), rows, atol=1e-6)
        start = shard["exact_offset"]
        assert np.allclose(np.frombuffer(exact[start:], dtype="<f4"), rows.ravel(), atol=1e-6)
        bounds = np.frombuffer(base64.b64decode(shard["bounds"]), dtype="<f4")
        assert np.allclose(bounds, error_bounds(rows, matrix))
    else:
        assert np.allclose(matrix, rows, atol=1e-6)
        assert "exact" not in shard
    assert store.list_keys("vectors/talk/deltas/") == []


def _write_format_1(store: BlobStore, rows: np.ndarray[Any, Any], ids: list[str]) -> str:
    """An index as the float32-only adapter (format 1) wrote it: no dtype, no quantization."""
    buffer = io.BytesIO()
    np.save(buffer, rows.astype("<f4"), allow_pickle=False)
    store.put("vectors/talk/shards/old.npy", buffer.getvalue())
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
    store.put("vectors/talk/index.json", json.dumps(index).encode())
    return "vectors/talk/shards/old.npy"


def test_a_format_1_float32_index_is_read_and_rewritten_as_int8_on_compaction(
    store: FolderBlobStore,
) -> None:
    rows = np.array([_vector(n) for n in range(6)], dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    old_key = _write_format_1(store, rows, [f"v{n}" for n in range(6)])

    exact = BlobVectorMemory.load(store, "vectors/", quantization="none")
    quantized = BlobVectorMemory.load(store, "vectors/", compact_every=2, quantization="int8")
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
    index = _index(store)
    assert index["format"] == 3
    assert [s["dtype"] for s in index["shards"]] == ["int8", "int8"]
    assert index["shards"][0]["exact"] == "shards/old.npy"
    assert old_key in store.list_keys("vectors/talk/shards/")
    rewritten = _body(store, "vectors/talk/" + index["shards"][0]["key"])
    assert np.array_equal(np.load(io.BytesIO(rewritten)), quantize(rows))

    fresh = BlobVectorMemory.load(store, "vectors/", quantization="int8")
    assert fresh.count("talk") == 7
    (hit,) = fresh.search("talk", _vector(100), limit=1, threshold=0.99)
    assert (hit.id, hit.metadata, hit.score) == ("v0", {"n": 100}, pytest.approx(1.0, abs=1e-6))
    # A float32 reader loads the float32 objects, not the codes.
    reader = BlobVectorMemory.load(store, "vectors/", quantization="none")
    (hit,) = reader.search("talk", _vector(3), limit=1, threshold=0.99)
    assert (hit.id, hit.score) == ("v3", pytest.approx(1.0, abs=1e-6))


def test_a_float32_instance_leaves_format_1_shards_as_they_are(store: FolderBlobStore) -> None:
    rows = np.array([_vector(n) for n in range(3)], dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    old_key = _write_format_1(store, rows, ["a", "b", "c"])
    memory = BlobVectorMemory.load(store, "vectors/", compact_every=1, quantization="none")
    memory.add("talk", "d", _vector(3), {})
    index = _index(store)
    assert index["shards"][0]["key"] == "shards/old.npy"
    assert index["shards"][1]["dtype"] == "float32"
    assert old_key in store.list_keys("vectors/talk/shards/")


class _RecordedGets(_Passing):
    """The store, with each get's key and each ranged get's key and (offset, length)."""

    def __init__(self, store: BlobStore) -> None:
        super().__init__(store)
        self.gets: list[tuple[str, tuple[int, int] | None]] = []

    def get(self, key: str) -> Blob | None:
        self.gets.append((key, None))
        return super().get(key)

    def get_range(self, key: str, offset: int, length: int) -> bytes:
        self.gets.append((key, (offset, length)))
        return super().get_range(key, offset, length)


def test_an_int8_instance_loads_codes_and_reads_few_float32_rows_per_search(
    store: FolderBlobStore,
) -> None:
    dims = 256
    rows = np.random.default_rng(3).standard_normal((300, dims)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    writer = BlobVectorMemory.load(store, "vectors/", compact_every=300, quantization="int8")
    for n in range(300):
        writer.add("talk", f"v{n}", rows[n].tolist(), {"n": n})
    (shard,) = _index(store)["shards"]

    recorded = _RecordedGets(store)
    loaded = BlobVectorMemory.load(recorded, "vectors/", quantization="int8")
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
    spans = [span for _, span in recorded.gets if span is not None]
    assert len(spans) == len(recorded.gets)
    assert sum(length for _, length in spans) < 0.5 * rows.nbytes


def test_format_2_int8_shards_without_float32_rows_are_scored_by_reconstruction(
    store: FolderBlobStore,
) -> None:
    rows = np.array([_vector(n) for n in range(4)], dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    buffer = io.BytesIO()
    np.save(buffer, quantize(rows), allow_pickle=False)
    store.put("vectors/talk/shards/codes.npy", buffer.getvalue())
    shard = {"key": "shards/codes.npy", "dtype": "int8", "ids": list("abcd"), "metadata": [{}] * 4}
    index = {"format": 2, "quantization": "int8", "dims": DIMS, "shards": [shard]}
    store.put("vectors/talk/index.json", json.dumps(index).encode())
    memory = BlobVectorMemory.load(store, "vectors/", quantization="int8")
    (hit,) = memory.search("talk", _vector(2), limit=1, threshold=-1)
    reconstruction = quantize(rows)[2].astype(np.float32)
    reconstruction /= np.linalg.norm(reconstruction)
    assert (hit.id, hit.score) == ("c", pytest.approx(float(reconstruction @ rows[2]), abs=1e-6))


class _SlowGets(_Passing):
    """The store, with get slowed down and its concurrency recorded."""

    def __init__(self, store: BlobStore) -> None:
        super().__init__(store)
        self._lock = threading.Lock()
        self.active = 0
        self.most = 0

    def get(self, key: str) -> Blob | None:
        with self._lock:
            self.active += 1
            self.most = max(self.most, self.active)
        try:
            time.sleep(0.05)
            return super().get(key)
        finally:
            with self._lock:
                self.active -= 1


def test_cold_start_fetches_shards_in_parallel(store: FolderBlobStore) -> None:
    writer = BlobVectorMemory.load(store, "vectors/", compact_every=1)
    for n in range(8):
        writer.add("talk", f"v{n}", _vector(n), {})
    slow = _SlowGets(store)
    loaded = BlobVectorMemory.load(slow, "vectors/")
    assert loaded.count("talk") == 8
    # Shard GETs overlapped (each holds 50 ms): counted, not timed, so load cannot flake it.
    assert slow.most > 1


def test_concurrent_writers_and_compactions_lose_nothing(tmp_path: Path) -> None:
    # A store each, on one folder: what three processes would have.
    instances = [
        BlobVectorMemory.load(FolderBlobStore(tmp_path / "blobs"), "vectors/", compact_every=3)
        for _ in range(3)
    ]

    def write(which: int) -> None:
        for n in range(12):
            instances[which].add("talk", f"w{which}-{n}", _vector(which * 100 + n), {})

    threads = [threading.Thread(target=write, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fresh = BlobVectorMemory.load(FolderBlobStore(tmp_path / "blobs"), "vectors/")
    assert fresh.count("talk") == 36
    hits = fresh.search("talk", _vector(205), limit=1, threshold=0.99)
    assert [h.id for h in hits] == ["w2-5"]


class _CompactedMeanwhile(_Passing):
    """The store, with another instance compacting, then adding, just before this one's first
    index write."""

    def __init__(self, store: BlobStore, other: BlobVectorMemory) -> None:
        super().__init__(store)
        self.other: BlobVectorMemory | None = other

    def put_if_match(self, key: str, body: bytes, etag: str | None) -> str:
        other, self.other = self.other, None
        if other is not None:
            other.compact("talk")
            other.add("talk", "v4", _vector(4), {})
        return super().put_if_match(key, body, etag)


@pytest.mark.parametrize("quantization", ["none", "int8"])
def test_a_compaction_that_loses_the_race_drops_its_shards_and_folds_again(
    store: FolderBlobStore, quantization: Quantization
) -> None:
    writer = BlobVectorMemory.load(store, "vectors/", compact_every=100, quantization=quantization)
    for n in range(3):
        writer.add("talk", f"v{n}", _vector(n), {})
    other = BlobVectorMemory.load(store, "vectors/", quantization=quantization)
    racing = BlobVectorMemory.load(
        _CompactedMeanwhile(store, other), "vectors/", quantization=quantization
    )
    racing.add("talk", "v3", _vector(3), {})
    racing.compact("talk")
    # The other instance folded v0-v3 first; the loser started over and folded the delta the
    # other wrote after that.
    index = _index(store)
    assert [s["ids"] for s in index["shards"]] == [["v0", "v1", "v2", "v3"], ["v4"]]
    named = {"vectors/talk/" + s[f] for s in index["shards"] for f in ("key", "exact") if f in s}
    # No shard of the lost attempt is left behind, and no delta.
    assert set(store.list_keys("vectors/talk/shards/")) == named
    assert store.list_keys("vectors/talk/deltas/") == []
    assert racing.count("talk") == 5
    fresh = BlobVectorMemory.load(store, "vectors/", quantization=quantization)
    assert fresh.count("talk") == 5
    (hit,) = fresh.search("talk", _vector(4), limit=1, threshold=0.99)
    assert hit.id == "v4"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bounds": None}, "no valid bounds"),
        ({"bounds": base64.b64encode(b"\0" * 8).decode()}, "has 3 rows but 2 bounds"),
    ],
)
def test_an_int8_entry_with_broken_bounds_is_a_store_error(
    store: FolderBlobStore, change: dict[str, Any], message: str
) -> None:
    writer = BlobVectorMemory.load(store, "vectors/", compact_every=3, quantization="int8")
    for n in range(3):
        writer.add("talk", f"v{n}", _vector(n), {})
    index = _index(store)
    index["shards"][0] |= change
    store.put("vectors/talk/index.json", json.dumps(index).encode())
    with pytest.raises(StoreError, match=message):
        BlobVectorMemory.load(store, "vectors/", quantization="int8")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("delete", r"vector shard file://.*/vectors/talk/shards/.* is missing"),
        ("float64", r"vector shard file://.*/vectors/talk/shards/.* is not a float32 or int8"),
    ],
)
def test_a_missing_or_foreign_shard_is_a_store_error(
    store: FolderBlobStore, damage: str, message: str
) -> None:
    writer = BlobVectorMemory.load(store, "vectors/", compact_every=2)
    for n in range(2):
        writer.add("talk", f"v{n}", _vector(n), {})
    key = "vectors/talk/" + _index(store)["shards"][0]["key"]
    if damage == "delete":
        store.delete([key])
    else:
        buffer = io.BytesIO()
        np.save(buffer, np.zeros((2, DIMS)), allow_pickle=False)
        store.put(key, buffer.getvalue())
    with pytest.raises(StoreError, match=message):
        BlobVectorMemory.load(store, "vectors/")


def test_float32_rows_far_apart_come_in_separate_ranged_gets(store: FolderBlobStore) -> None:
    rows = np.random.default_rng(5).standard_normal((40, DIMS)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    writer = BlobVectorMemory.load(store, "vectors/", compact_every=40, quantization="int8")
    for n in range(40):
        writer.add("talk", f"v{n}", rows[n].tolist(), {})
    recorded = _RecordedGets(store)
    loaded = BlobVectorMemory.load(recorded, "vectors/", quantization="int8")
    recorded.gets.clear()
    # Every row re-scored: rows 0-39, in runs no more than four apart, so one GET.
    loaded.search("talk", _vector(1), limit=40, threshold=-1.0)
    assert len(recorded.gets) == 1
    # Two rows 30 apart: two GETs, each of one row, and the rows in the order asked.
    space = loaded._spaces["talk"]
    picked = space.index._exact_rows(np.array([35, 2]))
    assert np.allclose(picked, rows[[35, 2]], atol=1e-7)
    assert sorted(r for _, r in recorded.gets[1:]) == sorted(  # type: ignore[type-var]
        (start, 4 * DIMS) for start in _row_starts(store, [2, 35])
    )


def _row_starts(store: BlobStore, rows: list[int]) -> list[int]:
    offset = _index(store)["shards"][0]["exact_offset"]
    return [offset + 4 * DIMS * row for row in rows]


class _AddedMeanwhile(_Passing):
    """The store, with an add of the memory landing just before its index write."""

    memory: BlobVectorMemory

    def put_if_match(self, key: str, body: bytes, etag: str | None) -> str:
        self.memory.add("talk", "v1", _vector(2), {"n": 2})  # between listing and indexing
        return super().put_if_match(key, body, etag)


def test_an_add_during_a_compaction_is_not_undone_by_it(store: FolderBlobStore) -> None:
    """Found by review: the compaction re-put the row it folded over a newer add of the id."""
    meanwhile = _AddedMeanwhile(store)
    memory = BlobVectorMemory.load(meanwhile, "vectors/", compact_every=100, quantization="int8")
    meanwhile.memory = memory
    memory.add("talk", "v1", _vector(1), {"n": 1})
    memory.compact("talk")
    (hit,) = memory.search("talk", _vector(2), limit=1, threshold=-1.0)
    assert (hit.id, hit.metadata, hit.score) == ("v1", {"n": 2}, pytest.approx(1.0, abs=1e-6))
    # And a cold start agrees: the newer delta outlives the compaction.
    fresh = BlobVectorMemory.load(store, "vectors/", quantization="int8")
    (hit,) = fresh.search("talk", _vector(2), limit=1, threshold=-1.0)
    assert (hit.id, hit.metadata) == ("v1", {"n": 2})
