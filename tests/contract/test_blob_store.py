"""What every BlobStore does, run on a folder and on S3 (moto).

Writers racing with one ETag are in tests/unit/adapters/test_folder_blob_store.py: moto checks
``If-Match`` and writes in two steps, so two of its conditional PUTs can both win (S3's cannot).
"""

from __future__ import annotations

import pytest

from mockmind.domain.errors import StoreError, VersionConflict
from mockmind.ports import BlobStore


def test_a_put_blob_comes_back_with_the_etag_the_put_returned(blob_store: BlobStore) -> None:
    etag = blob_store.put("a/b.json", b'{"x":1}')
    blob = blob_store.get("a/b.json")
    assert blob is not None
    assert (blob.body, blob.etag) == (b'{"x":1}', etag)


def test_a_missing_blob_is_none(blob_store: BlobStore) -> None:
    assert blob_store.get("nothing/here") is None
    blob_store.put("folder/key", b"x")
    # Neither a folder nor a key under a blob is a blob.
    assert blob_store.get("folder") is None
    assert blob_store.get("folder/key/below") is None


def test_a_put_replaces_the_blob_and_its_etag(blob_store: BlobStore) -> None:
    first = blob_store.put("k", b"one")
    second = blob_store.put("k", b"two")
    assert first != second
    blob = blob_store.get("k")
    assert blob is not None
    assert (blob.body, blob.etag) == (b"two", second)


def test_empty_and_binary_bodies_round_trip(blob_store: BlobStore) -> None:
    body = bytes(range(256)) * 3
    blob_store.put("bin", body)
    blob_store.put("empty", b"")
    assert blob_store.get("bin").body == body  # type: ignore[union-attr]
    assert blob_store.get("empty").body == b""  # type: ignore[union-attr]


def test_a_ranged_get_reads_the_bytes_asked_for(blob_store: BlobStore) -> None:
    blob_store.put("r", b"0123456789")
    assert blob_store.get_range("r", 0, 1) == b"0"
    assert blob_store.get_range("r", 3, 4) == b"3456"
    # A range running past the end is cut short.
    assert blob_store.get_range("r", 8, 10) == b"89"


@pytest.mark.parametrize("offset", [10, 11])
def test_a_range_past_the_end_is_a_store_error(blob_store: BlobStore, offset: int) -> None:
    blob_store.put("r", b"0123456789")
    with pytest.raises(StoreError):
        blob_store.get_range("r", offset, 4)


def test_a_ranged_get_of_a_missing_blob_is_a_store_error(blob_store: BlobStore) -> None:
    with pytest.raises(StoreError):
        blob_store.get_range("missing", 0, 4)


def test_put_if_match_none_creates_only(blob_store: BlobStore) -> None:
    etag = blob_store.put_if_match("index.json", b"first", None)
    assert blob_store.get("index.json").etag == etag  # type: ignore[union-attr]
    with pytest.raises(VersionConflict):
        blob_store.put_if_match("index.json", b"second", None)
    assert blob_store.get("index.json").body == b"first"  # type: ignore[union-attr]


def test_put_if_match_writes_over_the_version_read(blob_store: BlobStore) -> None:
    first = blob_store.put_if_match("index.json", b"v1", None)
    second = blob_store.put_if_match("index.json", b"v2", first)
    assert second != first
    blob = blob_store.get("index.json")
    assert blob is not None
    assert (blob.body, blob.etag) == (b"v2", second)


def test_the_later_of_two_writers_from_one_version_loses(blob_store: BlobStore) -> None:
    read = blob_store.put("index.json", b"v1")
    blob_store.put_if_match("index.json", b"mine", read)
    with pytest.raises(VersionConflict):
        blob_store.put_if_match("index.json", b"theirs", read)
    assert blob_store.get("index.json").body == b"mine"  # type: ignore[union-attr]


def test_put_if_match_on_a_deleted_blob_loses(blob_store: BlobStore) -> None:
    read = blob_store.put("index.json", b"v1")
    blob_store.delete(["index.json"])
    with pytest.raises(VersionConflict):
        blob_store.put_if_match("index.json", b"v2", read)
    assert blob_store.get("index.json") is None


def test_listing_is_every_key_under_a_string_prefix_sorted(blob_store: BlobStore) -> None:
    keys = ["v/talk/index.json", "v/talk/deltas/2", "v/talk/deltas/1", "v/tax/x", "v/z", "w/a"]
    for key in keys:
        blob_store.put(key, b"x")
    assert blob_store.list_keys("v/talk/") == [
        "v/talk/deltas/1",
        "v/talk/deltas/2",
        "v/talk/index.json",
    ]
    # A prefix is a string prefix, not a folder.
    assert blob_store.list_keys("v/ta") == sorted(k for k in keys if k.startswith("v/ta"))
    assert blob_store.list_keys("") == sorted(keys)
    assert blob_store.list_keys("v/talk/deltas/1") == ["v/talk/deltas/1"]
    assert blob_store.list_keys("nothing/") == []


def test_folders_are_the_prefixes_right_under_a_prefix(blob_store: BlobStore) -> None:
    for key in ["v/talk/index.json", "v/talk/deltas/1", "v/tax/x", "v/z", "v/w/a/b", "w/a"]:
        blob_store.put(key, b"x")
    assert blob_store.list_folders("v/") == ["v/talk/", "v/tax/", "v/w/"]
    assert blob_store.list_folders("") == ["v/", "w/"]
    assert blob_store.list_folders("v/talk/") == ["v/talk/deltas/"]
    assert blob_store.list_folders("none/") == []


def test_delete_removes_the_blobs_and_ignores_missing_ones(blob_store: BlobStore) -> None:
    for n in range(5):
        blob_store.put(f"v/talk/deltas/{n}", b"x")
    blob_store.put("v/talk/index.json", b"{}")
    blob_store.delete([f"v/talk/deltas/{n}" for n in range(5)] + ["v/talk/deltas/none"])
    blob_store.delete([])
    assert blob_store.list_keys("v/") == ["v/talk/index.json"]
    # A folder whose last blob went is no folder.
    assert blob_store.list_folders("v/talk/") == []
    assert blob_store.get("v/talk/deltas/0") is None


def test_url_names_the_key(blob_store: BlobStore) -> None:
    assert blob_store.url("v/talk/index.json").endswith("/v/talk/index.json")
