"""Adapters over a folder on local disk: blobs (the vector index's objects) without S3."""

from mockmind.adapters.files.blob_store import FolderBlobStore

__all__ = ["FolderBlobStore"]
