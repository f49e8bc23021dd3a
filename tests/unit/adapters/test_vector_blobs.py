"""Reading the vector index's objects from a blob store: a shard's float32 rows by ranged reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mockmind.adapters.files import FolderBlobStore
from mockmind.adapters.vectors.blobs import BlobRows, RangeReader, read_index, read_matrix
from mockmind.adapters.vectors.format import encode_matrix
from mockmind.domain.errors import StoreError

DIMS = 4


@pytest.fixture
def store(tmp_path: Path) -> FolderBlobStore:
    return FolderBlobStore(tmp_path / "blobs")


def _rows(count: int) -> np.ndarray:  # type: ignore[type-arg]
    return np.arange(count * DIMS, dtype=np.float32).reshape(count, DIMS)


def test_rows_come_back_in_the_order_asked_repeats_included(store: FolderBlobStore) -> None:
    rows = _rows(30)
    body = encode_matrix(rows)
    store.put("shard.npy", body)
    reader = RangeReader(store)
    source = BlobRows(reader, "shard.npy", len(body) - rows.nbytes, DIMS)
    wanted = np.array([29, 0, 3, 29, 1], dtype=np.intp)
    assert np.array_equal(source.read(wanted), rows[wanted])
    reader.close()
    # A reader closed makes new threads when asked again.
    assert np.array_equal(source.read(np.array([20, 2], dtype=np.intp)), rows[[20, 2]])
    reader.close()


def test_a_shard_ending_before_a_row_is_a_store_error(store: FolderBlobStore) -> None:
    rows = _rows(3)
    body = encode_matrix(rows)
    store.put("shard.npy", body[:-4])
    source = BlobRows(RangeReader(store), "shard.npy", len(body) - rows.nbytes, DIMS)
    assert np.array_equal(source.read(np.array([0], dtype=np.intp)), rows[[0]])
    with pytest.raises(StoreError, match=r"vector shard file://.*/shard.npy ends before row 2"):
        source.read(np.array([2], dtype=np.intp))


def test_no_index_yet_is_an_empty_one_without_an_etag(store: FolderBlobStore) -> None:
    assert read_index(store, "vectors/talk/") == ({}, None)
    etag = store.put("vectors/talk/index.json", b'{"dims":3}')
    assert read_index(store, "vectors/talk/") == ({"dims": 3}, etag)


def test_a_shard_that_is_not_npy_is_a_store_error(store: FolderBlobStore) -> None:
    store.put("shard.npy", b"not numpy")
    with pytest.raises(StoreError, match=r"is not a float32 or int8 \.npy matrix"):
        read_matrix(store, "shard.npy")
