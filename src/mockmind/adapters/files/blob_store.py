"""``BlobStore`` in a folder on local disk: a key is a file path under the folder.

A blob is written to a temporary file and renamed over its key (``os.replace``), so a reader
sees the old body or the new one, never part of one. ETags are the body's MD5, as S3 gives for
a single PUT, so an ETag names a content, not a write. Writes that change the tree (a rename, a
conditional write's compare-and-rename, a delete with its pruning of empty folders) hold an
exclusive ``flock`` on one lock file, so they are atomic across threads and processes alike:
two writers racing with the same ETag cannot both win. ``flock`` is POSIX only, and not reliable
on network file systems.

``.mockmind-blobs/`` under the folder holds the lock and the temporary files; it is not a key.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from mockmind.domain.errors import StoreError, VersionConflict
from mockmind.ports.blob_store import Blob

_WORK = ".mockmind-blobs"
# S3 answers "no such key" for these too: a key under a file, or a key that is a folder.
_ABSENT = (FileNotFoundError, NotADirectoryError, IsADirectoryError)


class FolderBlobStore:
    """The blobs under one folder, made on first write."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        # abspath, not resolve(): no file system call before the first operation.
        self._root = os.path.abspath(root)
        self._work = os.path.join(self._root, _WORK)

    def get(self, key: str) -> Blob | None:
        path = self._path(key)
        try:
            with open(path, "rb") as file:
                body = file.read()
        except _ABSENT:
            return None
        except OSError as exc:
            raise self._error("read", key, exc) from exc
        return Blob(body, _etag(body))

    def get_range(self, key: str, offset: int, length: int) -> bytes:
        if offset < 0 or length < 1:
            raise ValueError(f"no bytes to read at offset {offset}, length {length}")
        path = self._path(key)
        try:
            with open(path, "rb") as file:
                size = os.fstat(file.fileno()).st_size
                if offset >= size:
                    raise StoreError(
                        f"blob {self.url(key)} has {size} bytes, none at offset {offset}"
                    )
                file.seek(offset)
                return file.read(length)
        except OSError as exc:
            raise self._error("read", key, exc) from exc

    def put(self, key: str, body: bytes) -> str:
        path = self._path(key)
        staged = self._stage(key, body)
        with self._exclusive(key):
            self._install(key, staged, path)
        return _etag(body)

    def put_if_match(self, key: str, body: bytes, etag: str | None) -> str:
        path = self._path(key)
        staged = self._stage(key, body)
        with self._exclusive(key):
            current = self.get(key)
            if (current.etag if current else None) != etag:
                _discard(staged)
                raise VersionConflict(
                    f"blob {self.url(key)} is no longer {etag or 'absent'}: another writer "
                    "changed it"
                )
            self._install(key, staged, path)
        return _etag(body)

    def list_keys(self, prefix: str) -> list[str]:
        folder = prefix.rpartition("/")[0]
        if folder and (not _valid(folder.split("/")) or folder.split("/")[0] == _WORK):
            return []  # no key this store can hold starts so
        top = os.path.join(self._root, *folder.split("/")) if folder else self._root

        def failed(exc: OSError) -> None:
            if not isinstance(exc, _ABSENT):
                raise self._error("list", prefix, exc) from exc

        keys: list[str] = []
        for directory, folders, files in os.walk(top, onerror=failed):
            if directory == self._root:
                with suppress(ValueError):
                    folders.remove(_WORK)
            relative = os.path.relpath(directory, self._root).replace(os.sep, "/")
            start = "" if relative == "." else relative + "/"
            keys += [start + name for name in files if (start + name).startswith(prefix)]
        return sorted(keys)

    def list_folders(self, prefix: str) -> list[str]:
        return sorted(
            {
                prefix + key[len(prefix) :].split("/", 1)[0] + "/"
                for key in self.list_keys(prefix)
                if "/" in key[len(prefix) :]
            }
        )

    def delete(self, keys: Sequence[str]) -> None:
        paths = [(key, self._path(key)) for key in keys]
        if not paths:
            return
        with self._exclusive(keys[0]):
            for key, path in paths:
                try:
                    os.remove(path)
                except _ABSENT:
                    continue
                except OSError as exc:
                    raise self._error("delete", key, exc) from exc
                self._prune(os.path.dirname(path))

    def url(self, key: str) -> str:
        return Path(self._root, *key.split("/")).as_uri()

    # -- files

    def _path(self, key: str) -> str:
        parts = key.split("/")
        if not _valid(parts) or parts[0] == _WORK:
            raise StoreError(f"a blob folder cannot hold the key {key!r}")
        return os.path.join(self._root, *parts)

    def _stage(self, key: str, body: bytes) -> str:
        """The body in a temporary file beside the blobs (same file system: the rename is
        atomic), written outside the lock."""
        staged = os.path.join(self._work, f"{uuid.uuid4().hex}.tmp")
        try:
            os.makedirs(self._work, exist_ok=True)
            # No fsync: atomic for readers and a crashed writer; durability across a power
            # loss is not what a local store is for.
            with open(staged, "xb") as file:
                file.write(body)
        except OSError as exc:
            _discard(staged)
            raise self._error("write", key, exc) from exc
        return staged

    def _install(self, key: str, staged: str, path: str) -> None:
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.replace(staged, path)
        except OSError as exc:
            _discard(staged)
            raise self._error("write", key, exc) from exc

    def _prune(self, folder: str) -> None:
        """Remove the emptied folders up to the root, so a listing finds no stale folder."""
        while folder != self._root and folder.startswith(self._root + os.sep):
            try:
                os.rmdir(folder)
            except OSError:
                return  # not empty (or gone): the folders above are not empty either
            folder = os.path.dirname(folder)

    @contextmanager
    def _exclusive(self, key: str) -> Iterator[None]:
        # A fresh open file per holder: flock excludes other open files, in this process too.
        try:
            os.makedirs(self._work, exist_ok=True)
            descriptor = os.open(os.path.join(self._work, "lock"), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise self._error("lock", key, exc) from exc
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # releases the lock

    def _error(self, operation: str, key: str, exc: OSError) -> StoreError:
        reason = exc.strerror or type(exc).__name__
        return StoreError(f"blob folder {operation} {self.url(key)} failed: {reason}")


def _valid(parts: list[str]) -> bool:
    return all(
        part not in ("", ".", "..") and "\\" not in part and "\0" not in part for part in parts
    )


def _etag(body: bytes) -> str:
    return f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'


def _discard(path: str) -> None:
    with suppress(OSError):
        os.remove(path)
