"""The tenants' configs and documents over a ``BlobStore``: S3 on AWS, a folder locally.

Layout, under the catalog's ``prefix``::

    {prefix}{tenant}/mockmind.yaml          the tenant's config
    {prefix}{tenant}/openapi.yaml ...       the files it names, by paths relative to it
    {prefix}{tenant}/.mockmind-tenant.json  the manifest: written last by ``store``

A tenant's version is the manifest's ETag: one small read tells a warm instance whether the
tenant changed, never a read of its files. The manifest is also the lock of a store: ``store``
first claims it (a conditional write over the ETag it read; a lost race is a
``VersionConflict`` and writes nothing), then writes the files, then replaces the claim with
the new manifest (conditional on the claim). While a claim stands, ``version`` still names the
version before it, so a warm instance keeps its world; a cold load is refused as
``TenantBeingStored`` (a 503 to try again) rather than read a mix of two pushes. A claim older
than ``STALE_CLAIM_SECONDS`` (its writer died) may be taken over; ``delete`` claims the same
way. A folder made by hand has no manifest; its version
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
import time
import uuid
import weakref
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from mockmind.config import LoadedConfig, load_config
from mockmind.domain.errors import ConfigError, ConfigIssue, MockmindError, VersionConflict
from mockmind.lean_dataclass import dataclass
from mockmind.ports.blob_store import BlobStore
from mockmind.tenants.names import checked_tenant_name, is_tenant_name

CONFIG_FILE = "mockmind.yaml"
MANIFEST = ".mockmind-tenant.json"
# What a tenant's folder may not hold: the manifest is the catalog's, the rest the folder
# store's own work files.
_RESERVED = (MANIFEST, ".mockmind-blobs")

# A store's claim on the manifest, older than this, was left by a writer that died: another
# store (or a delete) may take it over. Pushing a tenant's files takes seconds, not minutes.
STALE_CLAIM_SECONDS = 120.0

# Checks a config beyond parsing (the app builds it on a memory store); raises ConfigError.
Validator = Callable[[LoadedConfig], None]


class TenantBeingStored(VersionConflict):
    """Another store (or delete) of the tenant holds its manifest: its files may be half
    written. A load tries again later; a second store is refused (409)."""


@dataclass(frozen=True)
class _Manifest:
    """What the manifest says: a stored version, or a store or delete under way."""

    etag: str
    # "stored"; "storing" or "deleting" while a writer holds the claim.
    state: str
    # The files of the version stored (a claim: of the version before it), by path.
    files: Mapping[str, str]
    # A claim's: the version before it, the paths it writes, and when it was made.
    previous: str | None = None
    writing: tuple[str, ...] = ()
    since: float = 0.0

    def live_claim(self, now: float) -> bool:
        return self.state != "stored" and now - self.since < STALE_CLAIM_SECONDS


def _read_manifest(etag: str, body: bytes) -> _Manifest:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        # Not the catalog's writing: an upload by other means; its ETag is still a version.
        return _Manifest(etag, "stored", {})
    files = data.get("files")
    files = {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
    claim = data.get("claim")
    if not isinstance(claim, dict):
        return _Manifest(etag, "stored", files)
    previous = data.get("previous")
    writing = claim.get("writing")
    since = claim.get("since")
    return _Manifest(
        etag,
        "deleting" if claim.get("kind") == "delete" else "storing",
        files,
        previous if isinstance(previous, str) else None,
        tuple(str(path) for path in writing) if isinstance(writing, list) else (),
        float(since) if isinstance(since, int | float) else 0.0,
    )


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
        clock: Callable[[], float] = time.time,
    ) -> None:
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        self._store = store
        self._prefix = prefix
        self._env = env
        self._local_root = local_root
        self._validate = validate
        # Wall-clock time: claims are compared across processes and machines.
        self._clock = clock

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
        """The tenant's version (one read), None when there is no such tenant.

        While a store is under way, the version before it; while a delete is, None.
        """
        folder = self._folder(checked_tenant_name(name))
        return self._served_version(folder, self._manifest(folder))

    def _served_version(self, folder: str, manifest: _Manifest | None) -> str | None:
        """The version the folder serves: the stored manifest's; under a claim (live, or
        stale: its writer died, its files may be a mix) the one before a store, none under a
        delete; without a manifest (a hand-made folder), the files' own."""
        if manifest is None:
            return self._unmanifested_version(folder)
        if manifest.state == "stored":
            return manifest.etag
        return manifest.previous if manifest.state == "storing" else None

    def _unmanifested_version(self, folder: str) -> str | None:
        if self._local_root is not None:
            return _stat_digest(self._local_root / folder)
        config = self._store.get(folder + CONFIG_FILE)
        return None if config is None else config.etag

    def _manifest(self, folder: str) -> _Manifest | None:
        blob = self._store.get(folder + MANIFEST)
        return None if blob is None else _read_manifest(blob.etag, blob.body)

    def _not_claimed(self, name: str, manifest: _Manifest | None) -> None:
        if manifest is not None and manifest.live_claim(self._clock()):
            doing = "deleted" if manifest.state == "deleting" else "stored"
            raise TenantBeingStored(
                f"tenant {name!r} is being {doing} by another push (since "
                f"{time.strftime('%H:%M:%S', time.gmtime(manifest.since))} UTC): try again"
            )

    def load(self, name: str) -> LoadedTenant | None:
        """The tenant's config, loaded; None when there is no such tenant.

        A config that no longer loads raises its ConfigError (a hand-edited folder: ``store``
        refuses one).
        """
        folder = self._folder(checked_tenant_name(name))
        manifest = self._manifest(folder)
        self._not_claimed(name, manifest)
        version = self._served_version(folder, manifest)
        if version is None:
            return None
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
            after = self._manifest(folder)
            if manifest is not None and (after is None or after.etag != manifest.etag):
                # A store began (or ended) while the files were copied: they may be a mix.
                raise TenantBeingStored(f"tenant {name!r} changed while it was read: try again")
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
        ConfigError (each issue's file named by its path among ``files``) and nothing is
        written. Another store or delete of the same tenant under way, or one that got to the
        manifest first, raises ``VersionConflict`` (``TenantBeingStored``) and writes nothing.
        The files the previous version's manifest named that are not in ``files`` are deleted
        after the new manifest names the new ones; other files in the folder (a local
        server's SQLite file) are left.
        """
        checked_tenant_name(name)
        self.check(name, files)
        folder = self._folder(name)
        current = self._manifest(folder)
        self._not_claimed(name, current)
        # Under a stale claim, taken over here.
        previous = self._served_version(folder, current)
        old_files = set(current.files) | set(current.writing) if current else set()
        claim = self._claim(folder, current, "store", previous, sorted(files))
        try:
            etags = {
                path: self._store.put(folder + path, body) for path, body in sorted(files.items())
            }
            manifest = json.dumps({"files": etags}, sort_keys=True, indent=1).encode()
            version = self._store.put_if_match(folder + MANIFEST, manifest, claim)
        except BaseException:
            self._release(folder, claim)
            raise
        stale = sorted(folder + path for path in old_files - set(files))
        if stale:
            self._store.delete(stale)
        return version

    def check(self, name: str, files: Mapping[str, bytes]) -> None:
        """What ``store`` checks before it writes (``check_tenant_files``)."""
        check_tenant_files(name, files, self._env, self._validate)

    def delete(self, name: str) -> bool:
        """Delete every file of the tenant (under a claim on its manifest, so that readers see
        it gone at once and a store racing it loses); False when it had none."""
        folder = self._folder(checked_tenant_name(name))
        current = self._manifest(folder)
        self._not_claimed(name, current)
        keys = self._store.list_keys(folder)
        if not keys:
            return False
        manifest = folder + MANIFEST
        self._claim(folder, current, "delete", None, [])
        self._store.delete([key for key in keys if key != manifest])
        self._store.delete([manifest])
        return True

    def _claim(
        self,
        folder: str,
        current: _Manifest | None,
        kind: str,
        previous: str | None,
        writing: list[str],
    ) -> str:
        """Write the claim over the manifest read; its ETag. A lost race: VersionConflict."""
        body: dict[str, Any] = {
            "claim": {
                "kind": kind,
                "id": uuid.uuid4().hex,
                "since": self._clock(),
                "writing": writing,
            },
            "files": dict(current.files) if current else {},
            "previous": previous,
        }
        try:
            return self._store.put_if_match(
                folder + MANIFEST,
                json.dumps(body, sort_keys=True, indent=1).encode(),
                current.etag if current else None,
            )
        except VersionConflict as exc:
            raise TenantBeingStored(
                f"another push of tenant {folder[len(self._prefix) : -1]!r} got there first: "
                "try again"
            ) from exc

    def _release(self, folder: str, claim: str) -> None:
        """After a failed store: mark the claim stale, so the next store need not wait for it
        to age (the files may be half written: only a store puts them right)."""
        blob = self._store.get(folder + MANIFEST)
        if blob is None or blob.etag != claim:
            return
        body = json.loads(blob.body)
        body["claim"]["since"] = 0
        with suppress(MockmindError):
            self._store.put_if_match(folder + MANIFEST, json.dumps(body).encode(), claim)

    def _folder(self, name: str) -> str:
        return f"{self._prefix}{name}/"


def check_tenant_files(
    name: str,
    files: Mapping[str, bytes],
    env: Mapping[str, str],
    validate: Validator | None = None,
) -> None:
    """The tenant's files as a store takes them: paths inside its folder, a config that loads
    from ``files`` alone (its document among them) and that ``validate`` accepts; else a
    ConfigError naming each issue's file by its path among ``files``."""
    checked_tenant_name(name)
    _check_paths(files)
    with tempfile.TemporaryDirectory(prefix=f"mockmind-tenant-{name}-") as staging:
        for path, body in files.items():
            _write(Path(staging), path, body)
        try:
            loaded = load_config(Path(staging) / CONFIG_FILE, env)
            _check_tenant_config(loaded)
            _check_document(loaded, Path(staging))
            if validate is not None:
                validate(loaded)
        except ConfigError as exc:
            raise _relative_to(exc, Path(staging)) from None


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


def _relative_to(error: ConfigError, staging: Path) -> ConfigError:
    """The error with the staging folder's paths made relative (``mockmind.yaml:3:5``): the
    pusher knows its files by those names, not by a temporary folder's."""
    roots = [str(staging) + os.sep, os.path.realpath(staging) + os.sep]

    def relative(text: str | None) -> str | None:
        if text is None:
            return None
        for root in roots:
            text = text.replace(root, "")
        return text

    issues = [
        replace(
            issue,
            source=relative(issue.source),
            message=relative(issue.message) or "",
            path=relative(issue.path) or "",
        )
        for issue in error.issues
    ]
    return type(error)(issues) if type(error) is ConfigError else ConfigError(issues)


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
