"""The tenant catalog over a folder blob store: what ``store`` writes and refuses, what ``load``
reads back (copied out, as from S3, or in place for a local folder), versions and deletion."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from mockmind.adapters.files import FolderBlobStore
from mockmind.config import LoadedConfig
from mockmind.domain.errors import ConfigError
from mockmind.ports.blob_store import Blob
from mockmind.tenants.catalog import MANIFEST, TenantBeingStored, TenantCatalog
from tests.support.paths import EXAMPLES
from tests.support.tenant_races import (
    Interleaved,
    check_a_claim_left_by_a_dead_writer_ages_out,
    check_a_second_push_during_a_first_is_refused,
    check_two_pushes_that_read_the_same_manifest_one_wins,
)

SOCIAL = {
    "mockmind.yaml": (EXAMPLES / "social" / "mockmind.yaml").read_bytes(),
    "openapi.yaml": (EXAMPLES / "social" / "openapi.yaml").read_bytes(),
}
ENV = {"MOCKMIND_LLM_PROVIDER": "offline"}


class CountingStore(FolderBlobStore):
    """Every key an operation touched, to show which ones a call never reaches."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.touched: list[str] = []

    def get(self, key: str) -> Blob | None:
        self.touched.append(key)
        return super().get(key)

    def put(self, key: str, body: bytes) -> str:
        self.touched.append(key)
        return super().put(key, body)

    def list_keys(self, prefix: str) -> list[str]:
        self.touched.append(prefix)
        return super().list_keys(prefix)

    def delete(self, keys: Sequence[str]) -> None:
        self.touched.extend(keys)
        super().delete(keys)


@pytest.fixture
def store(tmp_path: Path) -> CountingStore:
    return CountingStore(tmp_path / "blobs")


@pytest.fixture
def catalog(store: CountingStore) -> TenantCatalog:
    return TenantCatalog(store, "tenants", env=ENV)


def test_store_writes_the_files_then_the_manifest_and_load_reads_them_back(
    store: CountingStore, catalog: TenantCatalog
) -> None:
    version = catalog.store("social", SOCIAL)
    assert store.touched[-1] == f"tenants/social/{MANIFEST}"
    assert store.list_keys("tenants/") == [
        f"tenants/social/{MANIFEST}",
        "tenants/social/mockmind.yaml",
        "tenants/social/openapi.yaml",
    ]
    manifest = json.loads(store.get(f"tenants/social/{MANIFEST}").body)  # type: ignore[union-attr]
    assert sorted(manifest["files"]) == ["mockmind.yaml", "openapi.yaml"]
    assert catalog.names() == ["social"]
    assert catalog.version("social") == version
    tenant = catalog.load("social")
    assert tenant is not None
    try:
        assert tenant.version == version
        assert tenant.size == len(SOCIAL["mockmind.yaml"]) + len(SOCIAL["openapi.yaml"])
        spec = tenant.loaded.openapi_path()
        assert spec is not None
        assert spec.read_bytes() == SOCIAL["openapi.yaml"]
        assert (
            tenant.loaded.config.intelligent_behavior.behavior_model.rules.resources["users"].seed
            == 6
        )
        workdir = spec.parent
    finally:
        tenant.close()
    assert not workdir.exists()


def test_a_new_version_replaces_the_old_files_and_changes_the_version(
    store: CountingStore, catalog: TenantCatalog
) -> None:
    first = catalog.store("social", {**SOCIAL, "extra/notes.txt": b"old"})
    config = SOCIAL["mockmind.yaml"].replace(b"openapi: openapi.yaml", b"openapi: api.yaml")
    second = catalog.store("social", {"mockmind.yaml": config, "api.yaml": SOCIAL["openapi.yaml"]})
    assert second != first
    assert catalog.version("social") == second
    assert store.list_keys("tenants/social/") == [
        f"tenants/social/{MANIFEST}",
        "tenants/social/api.yaml",
        "tenants/social/mockmind.yaml",
    ]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"openapi.yaml": SOCIAL["openapi.yaml"]}, "a tenant needs its mockmind.yaml"),
        ({"mockmind.yaml": b"storage: {backend: paper}\n"}, "storage.backend"),
        ({"mockmind.yaml": b"nonsense_key: 1\n"}, "nonsense_key"),
        ({"mockmind.yaml": SOCIAL["mockmind.yaml"]}, "is not among the tenant's files"),
        (
            {"mockmind.yaml": b"openapi: ../other/openapi.yaml\n", "openapi.yaml": b"{}"},
            "is not among the tenant's files",
        ),
        ({**SOCIAL, "../escape.yaml": b"x"}, "is not a path inside the tenant's folder"),
        ({**SOCIAL, "/abs.yaml": b"x"}, "is not a path inside the tenant's folder"),
        ({**SOCIAL, MANIFEST: b"{}"}, "is not a path inside the tenant's folder"),
        (
            {"mockmind.yaml": b"tenants: {catalog: elsewhere}\n"},
            "a tenant's config cannot name tenants",
        ),
    ],
)
def test_store_refuses_a_broken_tenant_and_writes_nothing(
    store: CountingStore, catalog: TenantCatalog, files: dict[str, bytes], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        catalog.store("social", files)
    assert store.touched == []
    assert catalog.names() == []


def test_store_runs_the_validator_and_its_error_writes_nothing(store: CountingStore) -> None:
    seen: list[LoadedConfig] = []

    def refuse(loaded: LoadedConfig) -> None:
        seen.append(loaded)
        raise ConfigError([loaded.issue(["openapi"], "the builder refused it")])

    catalog = TenantCatalog(store, "tenants/", env=ENV, validate=refuse)
    with pytest.raises(ConfigError, match="the builder refused it"):
        catalog.store("social", SOCIAL)
    assert len(seen) == 1
    assert store.touched == []


@pytest.mark.parametrize(
    "name", ["", "Social", "so_cial", "-social", "social-", "a" * 64, "..", "a/b", "é", "a b"]
)
def test_an_invalid_name_never_touches_the_store(
    store: CountingStore, catalog: TenantCatalog, name: str
) -> None:
    for call in (
        lambda: catalog.store(name, SOCIAL),
        lambda: catalog.version(name),
        lambda: catalog.load(name),
        lambda: catalog.delete(name),
    ):
        with pytest.raises(ConfigError, match="invalid tenant name"):
            call()
    assert store.touched == []


def test_names_are_sixty_three_characters_at_most() -> None:
    from mockmind.tenants.names import is_tenant_name

    assert is_tenant_name("a" * 63)
    assert is_tenant_name("shop-eu-2")
    assert not is_tenant_name("a" * 64)


def test_delete_removes_the_manifest_first_and_then_every_file(
    store: CountingStore, catalog: TenantCatalog
) -> None:
    catalog.store("social", SOCIAL)
    catalog.store("other", SOCIAL)
    store.touched.clear()
    assert catalog.delete("social") is True
    deleted = [key for key in store.touched if key.startswith("tenants/social/") and "." in key]
    assert deleted[0] == f"tenants/social/{MANIFEST}"
    assert catalog.version("social") is None
    assert catalog.load("social") is None
    assert catalog.names() == ["other"]
    assert catalog.delete("social") is False


def test_an_unknown_tenant_has_no_version_and_loads_as_none(catalog: TenantCatalog) -> None:
    assert catalog.version("nobody") is None
    assert catalog.load("nobody") is None


def test_a_hand_made_local_folder_loads_in_place_with_a_stat_version(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    (root / "social").mkdir(parents=True)
    for name, body in SOCIAL.items():
        (root / "social" / name).write_bytes(body)
    (root / "Not-A-Tenant").mkdir()
    (root / "Not-A-Tenant" / "mockmind.yaml").write_bytes(b"{}")
    catalog = TenantCatalog(FolderBlobStore(root), env=ENV, local_root=root)
    assert catalog.names() == ["social"]
    version = catalog.version("social")
    assert version is not None
    tenant = catalog.load("social")
    assert tenant is not None
    assert tenant.workdir is None
    assert tenant.loaded.source == root / "social" / "mockmind.yaml"
    assert tenant.version == version
    assert catalog.version("social") == version  # unchanged: the same stat digest
    config = root / "social" / "openapi.yaml"
    stat = config.stat()
    os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert catalog.version("social") not in (None, version)
    (root / "empty").mkdir()
    assert catalog.version("empty") is None
    assert catalog.load("empty") is None


def test_a_copied_tenant_nobody_closed_is_removed_when_collected(catalog: TenantCatalog) -> None:
    import gc

    catalog.store("social", SOCIAL)
    tenant = catalog.load("social")
    assert tenant is not None
    workdir = tenant.workdir
    assert workdir is not None
    assert workdir.is_dir()
    del tenant
    gc.collect()
    assert not workdir.exists()


# -- pushes racing, on the folder store (tests/integration/test_tenant_push_s3.py: on S3)

SOCIAL_CHANGED = {
    "mockmind.yaml": SOCIAL["mockmind.yaml"] + b"\n# changed\n",
    "openapi.yaml": SOCIAL["openapi.yaml"] + b"\n# changed\n",
}


def test_a_push_during_another_push_of_the_tenant_is_refused(tmp_path: Path) -> None:
    check_a_second_push_during_a_first_is_refused(
        FolderBlobStore(tmp_path), "tenants/", SOCIAL, SOCIAL_CHANGED
    )


def test_of_two_pushes_that_read_the_same_manifest_one_wins(tmp_path: Path) -> None:
    check_two_pushes_that_read_the_same_manifest_one_wins(
        FolderBlobStore(tmp_path), "tenants/", SOCIAL, SOCIAL_CHANGED
    )


def test_a_claim_left_by_a_dead_writer_ages_out(tmp_path: Path) -> None:
    check_a_claim_left_by_a_dead_writer_ages_out(FolderBlobStore(tmp_path), "tenants/", SOCIAL)


def test_a_push_leaves_files_the_previous_push_did_not_name(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    catalog = TenantCatalog(FolderBlobStore(root), env=ENV, local_root=root)
    catalog.store("social", {**SOCIAL, "old.yaml": b"a: 1\n"})
    (root / "social" / "mockmind.social.db").write_bytes(b"a server's own file")
    catalog.store("social", SOCIAL)
    assert sorted(path.name for path in (root / "social").iterdir()) == [
        MANIFEST,
        "mockmind.social.db",
        "mockmind.yaml",
        "openapi.yaml",
    ]


def test_a_refusal_names_the_file_by_its_path_among_the_files(catalog: TenantCatalog) -> None:
    with pytest.raises(ConfigError) as caught:
        catalog.store("social", {"mockmind.yaml": b"storage:\n  backend: paper\n"})
    assert [str(issue) for issue in caught.value.issues] == [
        "mockmind.yaml:2:12: storage.backend: Input should be 'memory', 'sqlite' or 'aws' "
        "(got 'paper')"
    ]


def test_a_delete_during_a_push_is_refused(tmp_path: Path) -> None:
    store = FolderBlobStore(tmp_path)
    racing = Interleaved(store, "mockmind.yaml")
    catalog = TenantCatalog(racing, "tenants/", env=ENV)

    def delete() -> None:
        with pytest.raises(TenantBeingStored, match="'social' is being stored"):
            catalog.delete("social")

    racing.during = delete
    version = catalog.store("social", SOCIAL)
    assert racing.during is None  # the delete was tried
    assert catalog.version("social") == version
