"""What only the folder blob store does: files on disk, and conditional writes that hold across
threads and processes (the blob store contract is in tests/contract/test_blob_store.py)."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from mockmind.adapters.files import FolderBlobStore
from mockmind.domain.errors import StoreError, VersionConflict


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "blobs"


def test_nothing_touches_the_disk_before_the_first_write(root: Path) -> None:
    store = FolderBlobStore(root)
    assert store.get("a") is None
    assert store.list_keys("") == []
    assert store.list_folders("") == []
    assert not root.exists()
    store.put("a/b", b"x")
    assert (root / "a" / "b").read_bytes() == b"x"


def test_the_etag_is_the_bodys_md5_as_s3_gives_it(root: Path) -> None:
    etag = FolderBlobStore(root).put("k", b"hello")
    assert etag == '"5d41402abc4b2a76b9719d911017c592"'
    assert etag == f'"{hashlib.md5(b"hello").hexdigest()}"'


@pytest.mark.parametrize(
    "key", ["", "../escape", "/absolute", "a//b", "a/./b", "a/../b", "a/", ".mockmind-blobs/lock"]
)
def test_keys_that_are_no_file_path_under_the_folder_are_refused(root: Path, key: str) -> None:
    store = FolderBlobStore(root)
    with pytest.raises(StoreError, match="cannot hold the key"):
        store.put(key, b"x")
    assert not (root.parent / "escape").exists()


def test_staging_and_the_lock_are_not_keys_and_leave_no_temporary_files(root: Path) -> None:
    store = FolderBlobStore(root)
    etag = store.put("index.json", b"v1")
    with pytest.raises(VersionConflict):
        store.put_if_match("index.json", b"v2", '"stale"')
    store.put_if_match("index.json", b"v3", etag)
    assert store.list_keys("") == ["index.json"]
    assert store.list_keys(".mockmind-blobs/") == []
    assert store.list_folders("") == []
    assert sorted(os.listdir(root / ".mockmind-blobs")) == ["lock"]


def test_a_delete_removes_the_folders_it_empties(root: Path) -> None:
    store = FolderBlobStore(root)
    store.put("v/talk/deltas/1", b"x")
    store.put("v/talk/index.json", b"x")
    store.delete(["v/talk/deltas/1"])
    assert not (root / "v" / "talk" / "deltas").exists()
    assert (root / "v" / "talk" / "index.json").exists()
    store.delete(["v/talk/index.json"])
    assert sorted(os.listdir(root)) == [".mockmind-blobs"]


def test_a_key_under_a_blob_is_a_store_error_on_write(root: Path) -> None:
    store = FolderBlobStore(root)
    store.put("a", b"x")
    with pytest.raises(StoreError, match=r"blob folder write file://.*/a/b failed"):
        store.put("a/b", b"y")


def test_the_url_is_the_files_uri(root: Path) -> None:
    assert FolderBlobStore(root).url("v/index.json") == (root / "v" / "index.json").as_uri()


def test_readers_see_a_whole_body_while_it_is_replaced(root: Path) -> None:
    store = FolderBlobStore(root)
    bodies = [b"a" * 1_000_000, b"b" * 2_000_000]
    store.put("big", bodies[0])
    done = threading.Event()
    seen: set[bytes] = set()

    def read() -> None:
        while not done.is_set():
            blob = store.get("big")
            assert blob is not None
            seen.add(blob.body[:1] + str(len(blob.body)).encode())
            assert blob.body in bodies

    reader = threading.Thread(target=read)
    reader.start()
    for n in range(40):
        store.put("big", bodies[n % 2])
    done.set()
    reader.join()
    assert seen <= {b"a1000000", b"b2000000"}


def test_of_threads_racing_from_one_version_exactly_one_wins(root: Path) -> None:
    store = FolderBlobStore(root)
    read = store.put("index.json", b"v0")
    writers = 8
    start = threading.Barrier(writers)
    won: list[int] = []
    lost: list[int] = []

    def write(n: int) -> None:
        # A store per writer, as separate instances would have.
        mine = FolderBlobStore(root)
        start.wait()
        try:
            mine.put_if_match("index.json", f"v{n + 1}".encode(), read)
        except VersionConflict:
            lost.append(n)
        else:
            won.append(n)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    assert len(lost) == writers - 1
    assert store.get("index.json").body == f"v{won[0] + 1}".encode()  # type: ignore[union-attr]


def _increment(root: str, times: int, start: Any, lost: Any) -> None:
    """Add 1 to the counter blob ``times`` times, re-reading after each lost race."""
    store = FolderBlobStore(root)
    races = 0
    start.wait()
    for _ in range(times):
        while True:
            blob = store.get("counter")
            assert blob is not None
            try:
                store.put_if_match("counter", str(int(blob.body) + 1).encode(), blob.etag)
                break
            except VersionConflict:
                races += 1
    lost.put(races)


@pytest.mark.slow
def test_processes_incrementing_through_put_if_match_lose_no_increment(root: Path) -> None:
    store = FolderBlobStore(root)
    store.put("counter", b"0")
    count, times = 4, 30
    # spawn, not fork: pytest's threads must not be copied into the children.
    context = multiprocessing.get_context("spawn")
    start, lost = context.Barrier(count), context.Queue()
    processes = [
        context.Process(target=_increment, args=(str(root), times, start, lost))
        for _ in range(count)
    ]
    for process in processes:
        process.start()
    races = [lost.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert store.get("counter").body == str(count * times).encode()  # type: ignore[union-attr]
    assert len(races) == count
