"""Races between two pushes of one tenant, run the same way on any blob store (the folder
store in tests/unit/tenants, S3 on moto in tests/integration): the second push starts while
the first is between its files, and must leave no mix of the two."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import pytest

from mockmind.domain.errors import StoreError
from mockmind.ports.blob_store import Blob, BlobStore
from mockmind.tenants.catalog import (
    MANIFEST,
    STALE_CLAIM_SECONDS,
    TenantBeingStored,
    TenantCatalog,
)


class Interleaved:
    """A ``BlobStore`` that runs ``during`` once: right after its first write of a key ending
    in ``after`` (a push between two of its files), or, with ``before_claim``, right before
    the first conditional write of the manifest (another push that read the same manifest)."""

    def __init__(self, inner: BlobStore, after: str = "", *, before_claim: bool = False) -> None:
        self._inner = inner
        self._after = after
        self._before_claim = before_claim
        self.during: Callable[[], None] | None = None

    def _run(self) -> None:
        if self.during is not None:
            during, self.during = self.during, None
            during()

    def get(self, key: str) -> Blob | None:
        return self._inner.get(key)

    def get_range(self, key: str, offset: int, length: int) -> bytes:
        return self._inner.get_range(key, offset, length)

    def put(self, key: str, body: bytes) -> str:
        etag = self._inner.put(key, body)
        if self._after and key.endswith(self._after):
            self._run()
        return etag

    def put_if_match(self, key: str, body: bytes, etag: str | None) -> str:
        if self._before_claim and key.endswith(MANIFEST):
            self._run()
        return self._inner.put_if_match(key, body, etag)

    def list_keys(self, prefix: str) -> list[str]:
        return self._inner.list_keys(prefix)

    def list_folders(self, prefix: str) -> list[str]:
        return self._inner.list_folders(prefix)

    def delete(self, keys: Sequence[str]) -> None:
        self._inner.delete(keys)

    def url(self, key: str) -> str:
        return self._inner.url(key)


def _files_are(store: BlobStore, folder: str, files: dict[str, bytes]) -> None:
    for path, body in files.items():
        blob = store.get(folder + path)
        assert blob is not None, path
        assert blob.body == body, path
    assert store.list_keys(folder) == sorted([folder + MANIFEST, *(folder + p for p in files)])


def check_a_second_push_during_a_first_is_refused(
    store: BlobStore, prefix: str, first: dict[str, bytes], second: dict[str, bytes]
) -> None:
    """The second push, made while the first is between its files, is refused and writes
    nothing; readers meanwhile see the version before; the first completes whole."""
    racing = Interleaved(store, "mockmind.yaml")
    catalog = TenantCatalog(racing, prefix, env={})
    tried: list[bool] = []

    def second_push() -> None:
        # Mid-store: readers still see no tenant, and a cold load is told to come back.
        assert catalog.version("racer") is None
        with pytest.raises(TenantBeingStored, match="'racer' is being stored by another push"):
            catalog.load("racer")
        with pytest.raises(TenantBeingStored, match="'racer' is being stored by another push"):
            catalog.store("racer", second)
        tried.append(True)

    racing.during = second_push
    version = catalog.store("racer", first)
    assert tried == [True]
    assert catalog.version("racer") == version
    _files_are(store, f"{prefix}racer/", first)


def check_two_pushes_that_read_the_same_manifest_one_wins(
    store: BlobStore, prefix: str, first: dict[str, bytes], second: dict[str, bytes]
) -> None:
    """Both pushes read the manifest before either claims it: the other push claims, writes
    and commits first; this one's claim then loses (a 409's error) and writes no file."""
    plain = TenantCatalog(store, prefix, env={})
    plain.store("racer", first)
    racing = Interleaved(store, before_claim=True)
    catalog = TenantCatalog(racing, prefix, env={})
    won: list[str] = []
    racing.during = lambda: won.append(plain.store("racer", second))
    with pytest.raises(TenantBeingStored, match="another push of tenant 'racer' got there first"):
        catalog.store("racer", first)
    assert plain.version("racer") == won[0]
    _files_are(store, f"{prefix}racer/", second)


def check_a_claim_left_by_a_dead_writer_ages_out(
    store: BlobStore, prefix: str, files: dict[str, bytes]
) -> None:
    """A claim whose writer died without a word holds the tenant for STALE_CLAIM_SECONDS,
    then the next push takes it over; one whose writer failed is released at once."""
    now = [1_000_000.0]
    catalog = TenantCatalog(store, prefix, env={}, clock=lambda: now[0])
    before = catalog.store("stale", files)
    folder = f"{prefix}stale/"
    manifest = store.get(folder + MANIFEST)
    assert manifest is not None
    claim = json.dumps(
        {
            "claim": {"kind": "store", "id": "dead", "since": now[0], "writing": ["gone.yaml"]},
            "files": json.loads(manifest.body)["files"],
            "previous": before,
        }
    ).encode()
    store.put_if_match(folder + MANIFEST, claim, manifest.etag)
    store.put(folder + "gone.yaml", b"half of a dead push")
    assert catalog.version("stale") == before  # a warm instance keeps its world
    now[0] += STALE_CLAIM_SECONDS - 1
    with pytest.raises(TenantBeingStored, match="'stale' is being stored by another push"):
        catalog.store("stale", files)
    now[0] += 1
    version = catalog.store("stale", files)
    assert catalog.version("stale") == version
    _files_are(store, folder, files)  # the dead push's file is gone too

    racing = Interleaved(store, "mockmind.yaml")
    failing = TenantCatalog(racing, prefix, env={}, clock=lambda: now[0])

    def fail() -> None:
        raise StoreError("the disk is full")

    racing.during = fail
    with pytest.raises(StoreError, match="the disk is full"):
        failing.store("stale", files)
    assert catalog.version("stale") == version  # the claim named the version before it
    assert catalog.store("stale", files) == version  # released: no wait
