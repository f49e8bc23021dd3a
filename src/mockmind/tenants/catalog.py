"""The tenants' configs and documents over a ``BlobStore``: S3 on AWS, a folder locally.

Layout, under the catalog's ``prefix``::

    {prefix}{tenant}/mockmind.yaml          the tenant's config
    {prefix}{tenant}/openapi.yaml ...       the files it names, by paths relative to it
    {prefix}{tenant}/.mockmind-tenant.json  the manifest: written last by ``store``

A tenant's version is the manifest's ETag: one small read tells a warm instance whether the
tenant changed, never a read of its files. A folder made by hand has no manifest; its version
is then a digest of the names, sizes and modification times of its YAML and JSON files (a
stat each, no read): what a server writes beside them (a SQLite file, a recording) is no
change of the tenant. In
S3 without a manifest (files uploaded by other means), it is the config's ETag: a document
changed alone is seen when the tenant is stored again.

Tenant names are checked (``names.py``) before any key is made from one, so an invalid or
forged name never reaches the store.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Mapping
from dataclasses import field
from pathlib import Path, PurePosixPath

from mockmind.config import LoadedConfig, load_config
from mockmind.domain.errors import ConfigError, ConfigIssue
from mockmind.lean_dataclass import dataclass
from mockmind.ports.blob_store import BlobStore
from mockmind.tenants.names import checked_tenant_name, is_tenant_name

CONFIG_FILE = "mockmind.yaml"
MANIFEST = ".mockmind-tenant.json"
# What a tenant's folder may not hold: the manifest is the catalog's, the rest the folder
# store's own work files.
_RESERVED = (MANIFEST, ".mockmind-blobs")

# Checks a config beyond parsing (the app builds it on a memory store); raises ConfigError.
Validator = Callable[[LoadedConfig], None]


@dataclass
class LoadedTenant:
    """A tenant's config, loaded from the catalog at ``version``.

    ``workdir``: the temporary folder its files were copied to (from S3), which must outlive
    whatever reads them (the document, a relative SQLite path); ``close`` removes it, and so
    does the object's collection, should nobody close it (a process's end).
    """

    name: str
    version: str
    loaded: LoadedConfig
    # The bytes of its files: a floor for the memory its world takes (tenants/worlds.py).
    size: int
    workdir: Path | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._removal = (
            weakref.finalize(self, shutil.rmtree, self.workdir, True)
            if self.workdir is not None
            else None
        )

    def close(self) -> None:
        if self._removal is not None:
            self._removal()
            self.workdir = None


class TenantCatalog:
    """The tenants under ``prefix`` in ``store``.

    ``local_root``: the folder ``store`` keeps its blobs in, when it is a local one; tenants
    then load from their own folder (no copy) and hand-made folders have a version.
    ``env``: the variables the configs' ``${VAR}`` references name.
    """

    def __init__(
        self,
        store: BlobStore,
        prefix: str = "",
        *,
        env: Mapping[str, str],
        local_root: Path | None = None,
        validate: Validator | None = None,
    ) -> None:
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        self._store = store
        self._prefix = prefix
        self._env = env
        self._local_root = local_root
        self._validate = validate

    def where(self, name: str) -> str:
        """The tenant's folder, for messages."""
        return self._store.url(self._folder(checked_tenant_name(name)))

    def names(self) -> list[str]:
        """The tenants present (folders with a valid name), sorted."""
        found = (
            folder[len(self._prefix) : -1] for folder in self._store.list_folders(self._prefix)
        )
        return [name for name in found if is_tenant_name(name)]

    def version(self, name: str) -> str | None:
        """The tenant's version (one read), None when there is no such tenant."""
        folder = self._folder(checked_tenant_name(name))
        manifest = self._store.get(folder + MANIFEST)
        if manifest is not None:
            return manifest.etag
        if self._local_root is not None:
            return _stat_digest(self._local_root / folder)
        config = self._store.get(folder + CONFIG_FILE)
        return None if config is None else config.etag

    def load(self, name: str) -> LoadedTenant | None:
        """The tenant's config, loaded; None when there is no such tenant.

        A config that no longer loads raises its ConfigError (a hand-edited folder: ``store``
        refuses one).
        """
        version = self.version(name)
        if version is None:
            return None
        folder = self._folder(name)
        if self._local_root is not None:
            config = self._local_root / folder / CONFIG_FILE
            if not config.is_file():
                return None
            loaded = load_config(config, self._env)
            _check_tenant_config(loaded)
            return LoadedTenant(name, version, loaded, _folder_size(config.parent))
        keys = [key for key in self._store.list_keys(folder) if _relative(key, folder)]
        if folder + CONFIG_FILE not in keys:
            return None
        workdir = Path(tempfile.mkdtemp(prefix=f"mockmind-tenant-{name}-"))
        try:
            size = 0
            for key in keys:
                blob = self._store.get(key)
                if blob is None:  # deleted since the listing: a store is under way
                    continue
                size += len(blob.body)
                _write(workdir, key[len(folder) :], blob.body)
            loaded = load_config(workdir / CONFIG_FILE, self._env)
            _check_tenant_config(loaded)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        return LoadedTenant(name, version, loaded, size, workdir)

    def store(self, name: str, files: Mapping[str, bytes]) -> str:
        """Check the tenant's files and write them; its new version.

        ``files``: paths relative to the tenant's folder, ``mockmind.yaml`` among them. A
        config that does not load, or names a document not among ``files``, raises its
        ConfigError and nothing is written. Files of the tenant's previous version that are
        not in ``files`` are deleted after the manifest names the new ones.
        """
        checked_tenant_name(name)
        _check_paths(files)
        with tempfile.TemporaryDirectory(prefix=f"mockmind-tenant-{name}-") as staging:
            for path, body in files.items():
                _write(Path(staging), path, body)
            loaded = load_config(Path(staging) / CONFIG_FILE, self._env)
            _check_tenant_config(loaded)
            _check_document(loaded, Path(staging))
            if self._validate is not None:
                self._validate(loaded)
        folder = self._folder(name)
        before = set(self._store.list_keys(folder))
        etags = {path: self._store.put(folder + path, body) for path, body in sorted(files.items())}
        manifest = json.dumps({"files": etags}, sort_keys=True, indent=1).encode()
        version = self._store.put(folder + MANIFEST, manifest)
        stale = sorted(before - {folder + path for path in files} - {folder + MANIFEST})
        if stale:
            self._store.delete(stale)
        return version

    def delete(self, name: str) -> bool:
        """Delete every file of the tenant, its manifest first; False when it had none."""
        folder = self._folder(checked_tenant_name(name))
        keys = self._store.list_keys(folder)
        if not keys:
            return False
        manifest = folder + MANIFEST
        if manifest in keys:
            self._store.delete([manifest])
        self._store.delete([key for key in keys if key != manifest])
        return True

    def _folder(self, name: str) -> str:
        return f"{self._prefix}{name}/"


def _check_paths(files: Mapping[str, bytes]) -> None:
    issues = []
    if CONFIG_FILE not in files:
        issues.append(ConfigIssue("files", f"a tenant needs its {CONFIG_FILE}"))
    for path in files:
        parts = PurePosixPath(path).parts
        if (
            not path
            or path.startswith("/")
            or "\\" in path
            or "\0" in path
            or any(part in ("", ".", "..") for part in path.split("/"))
            or parts[0] in _RESERVED
        ):
            issues.append(
                ConfigIssue("files", f"{path[:200]!r} is not a path inside the tenant's folder")
            )
    if issues:
        raise ConfigError(issues)


def _check_tenant_config(loaded: LoadedConfig) -> None:
    if loaded.config.tenants is not None:
        raise ConfigError(
            [loaded.issue(["tenants"], "a tenant's config cannot name tenants of its own")]
        )


def _check_document(loaded: LoadedConfig, folder: Path) -> None:
    """The document the config names must be one of the files stored with it."""
    spec = loaded.openapi_path()
    if spec is None:
        return
    inside = os.path.realpath(spec).startswith(os.path.realpath(folder) + os.sep)
    if not inside or not spec.is_file():
        raise ConfigError(
            [
                loaded.issue(
                    ["openapi"],
                    f"the document {loaded.config.openapi!r} is not among the tenant's files "
                    "(name it by a path relative to mockmind.yaml, and send it too)",
                )
            ]
        )


def _relative(key: str, folder: str) -> bool:
    rest = key[len(folder) :]
    return bool(rest) and rest.split("/", 1)[0] not in _RESERVED


def _write(root: Path, relative: str, body: bytes) -> None:
    path = root.joinpath(*relative.split("/"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def _walk(folder: Path) -> list[tuple[str, os.stat_result]]:
    found = []
    for directory, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if f not in _RESERVED)
        for file in sorted(files):
            if file in _RESERVED:
                continue
            path = os.path.join(directory, file)
            found.append((os.path.relpath(path, folder), os.stat(path)))
    return found


# The files a config and its documents are made of ($refs included).
_SOURCE_SUFFIXES = (".yaml", ".yml", ".json")


def _stat_digest(folder: Path) -> str | None:
    files = [(name, stat) for name, stat in _walk(folder) if name.endswith(_SOURCE_SUFFIXES)]
    if not any(name == CONFIG_FILE for name, _ in files):
        return None
    digest = hashlib.sha256()
    for name, stat in files:
        digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return f'"{digest.hexdigest()[:32]}"'


def _folder_size(folder: Path) -> int:
    return sum(stat.st_size for _, stat in _walk(folder))
