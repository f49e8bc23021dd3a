"""The tenants' worlds in a warm instance: each built on its tenant's first request, the most
recently used kept within a count and a memory bound, rebuilt when the catalog's version of the
tenant changed.

- One build per tenant at a time: requests that arrive while their tenant builds wait for that
  build and share it. Builds of different tenants run one after another (the ``build`` lock),
  which is what lets the memory a build took be read off the process's resident size; a build
  is CPU work under the GIL, so running two at once would not finish them sooner.
- A built tenant's version is asked of the catalog (one small read) at most every
  ``refresh_seconds``, never on each request; so is the absence of an unknown tenant.
- A built tenant whose new version cannot be loaded or built, or whose catalog cannot be
  read, goes on serving the world built last (and the catalog is asked again after the
  interval); a tenant never built answers the error.
- Memory per tenant is estimated as the growth of the process's resident size across its
  build, at least ``SIZE_FLOOR_FACTOR`` times the bytes of its files (a rebuild may reuse
  memory an evicted world freed, and grow the resident size by less than it takes). What a
  world's caches grow to later is not counted.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable

from mockmind.domain.errors import MockmindError
from mockmind.lean_dataclass import dataclass
from mockmind.tenants.catalog import LoadedTenant, TenantCatalog

logger = logging.getLogger("mockmind.tenants")

# Parsed YAML and the indexes built over it take several times the text's bytes.
SIZE_FLOOR_FACTOR = 8
# Unknown names remembered (each for ``refresh_seconds``), so that a flood of them is not a
# flood of catalog reads.
_MISSING_KEPT = 1024


def resident_bytes() -> int | None:
    """The process's resident set size (Linux ``/proc``); None where it cannot be read."""
    try:
        with open("/proc/self/statm", encoding="ascii") as file:
            return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class BuiltTenant[AppT]:
    name: str
    version: str
    app: AppT
    size: int  # estimated bytes (the module docstring says how)
    checked_at: float
    loaded: LoadedTenant


class TenantWorlds[AppT]:
    """Built tenants by name; ``build`` makes a tenant's app from its loaded config."""

    def __init__(
        self,
        catalog: TenantCatalog,
        build: Callable[[LoadedTenant], AppT],
        *,
        refresh_seconds: float,
        max_built: int,
        max_bytes: int,
        monotonic: Callable[[], float] = time.monotonic,
        resident: Callable[[], int | None] = resident_bytes,
    ) -> None:
        self.catalog = catalog
        self._build = build
        self._refresh = refresh_seconds
        self._max_built = max_built
        self._max_bytes = max_bytes
        self._now = monotonic
        self._resident = resident
        self._built: OrderedDict[str, BuiltTenant[AppT]] = OrderedDict()
        self._missing: OrderedDict[str, float] = OrderedDict()
        # Held while a tenant is looked at or built; gone when no request holds it.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._building = asyncio.Lock()
        self.builds = 0  # every build so far, for tests and the bench

    def built(self) -> list[BuiltTenant[AppT]]:
        """The built tenants, least recently used first."""
        return list(self._built.values())

    def expire(self, name: str) -> None:
        """Have the tenant's next request ask the catalog, not wait for ``refresh_seconds``:
        this instance just stored or deleted it."""
        self._missing.pop(name, None)
        entry = self._built.get(name)
        if entry is not None:
            entry.checked_at = float("-inf")

    def total_size(self) -> int:
        return sum(entry.size for entry in self._built.values())

    async def app(self, name: str) -> AppT | None:
        """The tenant's app, built or rebuilt as needed; None when the catalog has no such
        tenant. ``name`` must be a valid tenant name (the caller checked it)."""
        fresh = self._fresh(name)
        if fresh is not None:
            return fresh
        if self._known_missing(name):
            return None
        lock = self._locks.get(name)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[name] = lock
        async with lock:
            fresh = self._fresh(name)  # built or checked while this request waited
            if fresh is not None:
                return fresh
            return await self._refreshed(name)

    def _fresh(self, name: str) -> AppT | None:
        entry = self._built.get(name)
        if entry is None or self._now() - entry.checked_at >= self._refresh:
            return None
        self._built.move_to_end(name)
        return entry.app

    def _known_missing(self, name: str) -> bool:
        since = self._missing.get(name)
        return since is not None and self._now() - since < self._refresh

    async def _refreshed(self, name: str) -> AppT | None:
        entry = self._built.get(name)
        if entry is None:
            return await self._built_now(name, None)
        checked = self._now()
        try:
            version = await asyncio.to_thread(self.catalog.version, name)
            if version == entry.version:
                entry.checked_at = checked
                self._built.move_to_end(name)
                return entry.app
            logger.info("tenant %s changed (%s -> %s): rebuilding", name, entry.version, version)
            return await self._built_now(name, checked)
        except MockmindError:
            # The catalog unreachable, or the new version broken (a hand-edited folder; the
            # catalog's store refuses one): the world built last goes on serving, and the
            # catalog is asked again after the interval.
            logger.exception("tenant %s not refreshed: serving version %s", name, entry.version)
            entry.checked_at = checked
            self._built.move_to_end(name)
            return entry.app

    async def _built_now(self, name: str, checked: float | None) -> AppT | None:
        """Load and build the tenant; None (and no world kept) when the catalog has none."""
        checked = self._now() if checked is None else checked
        async with self._building:
            tenant = await asyncio.to_thread(self.catalog.load, name)
            if tenant is None:
                self._drop(name)
                self._missing[name] = checked
                self._missing.move_to_end(name)
                while len(self._missing) > _MISSING_KEPT:
                    self._missing.popitem(last=False)
                return None
            try:
                before = self._resident()
                app = await asyncio.to_thread(self._build, tenant)
                after = self._resident()
            except BaseException:
                tenant.close()
                raise
        self._missing.pop(name, None)
        self.builds += 1
        grown = after - before if before is not None and after is not None else 0
        size = max(grown, tenant.size * SIZE_FLOOR_FACTOR)
        self._drop(name)
        self._built[name] = BuiltTenant(name, tenant.version, app, size, checked, tenant)
        logger.info("tenant %s built (version %s, about %d KiB)", name, tenant.version, size >> 10)
        self._evict(keep=name)
        return app

    def _evict(self, *, keep: str) -> None:
        """Drop the least recently used tenants past either bound, never ``keep`` (the one
        just built, which serves the request that built it even when it is over the bound
        by itself)."""
        while len(self._built) > 1 and (
            len(self._built) > self._max_built or self.total_size() > self._max_bytes
        ):
            oldest = next(iter(self._built))
            if oldest == keep:
                break
            logger.info("tenant %s evicted (least recently used)", oldest)
            self._drop(oldest)

    def _drop(self, name: str) -> None:
        entry = self._built.pop(name, None)
        if entry is not None:
            entry.loaded.close()
