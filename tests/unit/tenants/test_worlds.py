"""Built tenants: one build per tenant however many requests wait for it, the least recently
used dropped past the count or memory bound, a version check at most every refresh interval."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from mockmind.adapters.files import FolderBlobStore
from mockmind.tenants.catalog import LoadedTenant, TenantCatalog
from mockmind.tenants.worlds import SIZE_FLOOR_FACTOR, TenantWorlds
from tests.unit.tenants.conftest import tenant_folder

ENV = {"MOCKMIND_LLM_PROVIDER": "offline"}


class CountingCatalog(TenantCatalog):
    def __init__(self, root: Path) -> None:
        super().__init__(FolderBlobStore(root), env=ENV, local_root=root)
        self.versions = 0

    def version(self, name: str) -> str | None:
        self.versions += 1
        return super().version(name)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def worlds(
    root: Path,
    *,
    clock: Clock | None = None,
    max_built: int = 10,
    max_bytes: int = 1 << 30,
    resident: list[int] | None = None,
    slow: threading.Event | None = None,
) -> tuple[TenantWorlds[str], CountingCatalog, list[str]]:
    catalog = CountingCatalog(root)
    built: list[str] = []
    readings = iter(resident or [])

    def build(tenant: LoadedTenant) -> str:
        if slow is not None:
            slow.wait(5)
        built.append(tenant.name)
        return f"app of {tenant.name} at {tenant.version}"

    made = TenantWorlds(
        catalog,
        build,
        refresh_seconds=30,
        max_built=max_built,
        max_bytes=max_bytes,
        monotonic=clock or Clock(),
        resident=(lambda: next(readings)) if resident is not None else (lambda: None),
    )
    return made, catalog, built


def test_concurrent_first_requests_share_one_build(tenants_root: Path) -> None:
    release = threading.Event()
    made, _, built = worlds(tenants_root, slow=release)

    async def go() -> list[str | None]:
        waiting = [asyncio.create_task(made.app("alpha")) for _ in range(20)]
        # The build is held until every request has come in and waits on it.
        await asyncio.sleep(0.2)
        release.set()
        return await asyncio.gather(*waiting)

    apps = asyncio.run(go())
    assert built == ["alpha"]
    assert len(set(apps)) == 1
    assert made.builds == 1


def test_the_least_recently_used_goes_past_the_count_bound(tenants_root: Path) -> None:
    made, _, built = worlds(tenants_root, max_built=2)

    async def go() -> None:
        await made.app("alpha")
        await made.app("beta")
        await made.app("alpha")  # alpha is now the most recent
        await made.app("onboard")  # beta goes

    asyncio.run(go())
    assert [entry.name for entry in made.built()] == ["alpha", "onboard"]
    assert built == ["alpha", "beta", "onboard"]
    asyncio.run(made.app("beta"))  # rebuilt after its eviction
    assert built == ["alpha", "beta", "onboard", "beta"]
    assert [entry.name for entry in made.built()] == ["onboard", "beta"]


def test_the_memory_bound_counts_each_builds_resident_growth(tenants_root: Path) -> None:
    mib = 1 << 20
    # Before and after each build: alpha grows 40 MiB, beta 30 MiB, onboard 50 MiB.
    readings = [100 * mib, 140 * mib, 140 * mib, 170 * mib, 170 * mib, 220 * mib]
    made, _, _ = worlds(tenants_root, max_bytes=75 * mib, resident=readings)

    async def go() -> None:
        for name in ("alpha", "beta", "onboard"):
            await made.app(name)

    asyncio.run(go())
    # 40 + 30 fit in 75; with onboard's 50 both older ones must go.
    assert [(entry.name, entry.size) for entry in made.built()] == [("onboard", 50 * mib)]
    assert made.total_size() == 50 * mib


def test_the_size_is_at_least_a_multiple_of_the_tenants_files(tenants_root: Path) -> None:
    made, _, _ = worlds(tenants_root, resident=[1000, 1000])
    asyncio.run(made.app("alpha"))
    files = sum(path.stat().st_size for path in (tenants_root / "alpha").iterdir())
    assert made.built()[0].size == files * SIZE_FLOOR_FACTOR


def test_a_warm_tenant_checks_its_version_at_most_every_refresh_interval(
    tenants_root: Path,
) -> None:
    clock = Clock()
    made, catalog, built = worlds(tenants_root, clock=clock)

    async def requests(count: int) -> set[str | None]:
        return {await made.app("alpha") for _ in range(count)}

    first = asyncio.run(requests(50))
    assert catalog.versions == 0  # the build's load read the version itself
    clock.now = 29.9
    assert asyncio.run(requests(50)) == first
    assert catalog.versions == 0
    clock.now = 30.0
    assert asyncio.run(requests(50)) == first  # unchanged: one check, no rebuild
    assert catalog.versions == 1
    assert built == ["alpha"]
    config = tenants_root / "alpha" / "mockmind.yaml"
    config.write_text(config.read_text() + "\n# changed\n")
    clock.now = 45.0
    assert asyncio.run(requests(5)) == first  # within the interval: not seen yet
    clock.now = 60.0
    (changed,) = asyncio.run(requests(5))
    assert changed != next(iter(first))
    assert built == ["alpha", "alpha"]


def test_a_deleted_tenant_is_dropped_at_its_next_check(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    folder = tenant_folder(root, "alpha", "social")
    clock = Clock()
    made, _, _ = worlds(root, clock=clock)
    assert asyncio.run(made.app("alpha")) is not None
    for file in folder.iterdir():
        file.unlink()
    clock.now = 31
    assert asyncio.run(made.app("alpha")) is None
    assert made.built() == []


def test_a_broken_new_version_leaves_the_last_world_serving(tenants_root: Path) -> None:
    clock = Clock()
    made, catalog, built = worlds(tenants_root, clock=clock)
    first = asyncio.run(made.app("alpha"))
    config = tenants_root / "alpha" / "mockmind.yaml"
    config.write_text("storage: {backend: paper}\n")
    clock.now = 30
    assert asyncio.run(made.app("alpha")) == first
    assert catalog.versions == 1  # the check (the load that found the config broken read its own)
    clock.now = 45  # within the interval: the catalog is not asked again
    assert asyncio.run(made.app("alpha")) == first
    assert catalog.versions == 1
    config.write_text((tenants_root / "beta" / "mockmind.yaml").read_text() + "# fixed\n")
    clock.now = 60
    fixed = asyncio.run(made.app("alpha"))
    assert fixed not in (None, first)
    assert built == ["alpha", "alpha"]


def test_files_a_server_writes_beside_the_config_are_no_new_version(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    folder = tenant_folder(root, "alpha", "social")
    catalog = TenantCatalog(FolderBlobStore(root), env=ENV, local_root=root)
    version = catalog.version("alpha")
    (folder / "mockmind.alpha.db").write_bytes(b"sqlite pages")
    (folder / "recorded.har").write_text("{}")
    assert catalog.version("alpha") == version
    (folder / "extra.json").write_text("{}")  # a document a $ref may name
    assert catalog.version("alpha") != version
