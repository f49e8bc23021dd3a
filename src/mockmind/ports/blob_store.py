"""Named byte strings in a flat key space, with ETags for conditional writes: S3, or a folder.

Keys are ``/``-separated paths (``vectors/talk/index.json``); a "folder" is only a key prefix
ending in ``/``, present while some key is under it. Every failure leaves an adapter as a
``StoreError`` naming the operation and ``url(key)``; a conditional write that lost its race is
a ``VersionConflict``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from mockmind.lean_dataclass import dataclass


@dataclass(frozen=True)
class Blob:
    body: bytes
    # Opaque; changes whenever the body does. Pass it to ``put_if_match`` to write only over
    # this version.
    etag: str


class BlobStore(Protocol):
    def get(self, key: str) -> Blob | None:
        """The blob, or None when there is none under ``key``."""
        ...

    def get_range(self, key: str, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset``, fewer when the blob ends first.

        Raises ``StoreError`` when the blob is missing or ``offset`` is at or past its end.
        """
        ...

    def put(self, key: str, body: bytes) -> str:
        """Write the blob (replacing any) and return its ETag; readers see all of it or none."""
        ...

    def put_if_match(self, key: str, body: bytes, etag: str | None) -> str:
        """Write the blob only if its ETag is still ``etag`` (None: only if there is no blob).

        Returns the new ETag; raises ``VersionConflict`` when another writer got there first
        (including deleting the blob). Of writers racing with the same ``etag``, one wins.
        """
        ...

    def list_keys(self, prefix: str) -> list[str]:
        """Every key starting with ``prefix`` (a plain string prefix), sorted."""
        ...

    def list_folders(self, prefix: str) -> list[str]:
        """The folders right under ``prefix``: each ``prefix + name + "/"`` that some key
        starts with, sorted."""
        ...

    def delete(self, keys: Sequence[str]) -> None:
        """Delete the blobs; keys with no blob are no error."""
        ...

    def url(self, key: str) -> str:
        """Where ``key`` is, for messages (``s3://bucket/key``, ``file:///...``)."""
        ...
