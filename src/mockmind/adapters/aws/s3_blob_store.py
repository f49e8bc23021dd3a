"""``BlobStore`` over one S3 bucket; conditional writes are S3's ``If-Match`` / ``If-None-Match``.

Every botocore failure leaves this module as a ``StoreError`` naming the operation, the
``s3://`` URL and the AWS error code, never a request signature or a credential.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from mockmind.domain.errors import StoreError, VersionConflict
from mockmind.ports.blob_store import Blob

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

# S3's own limit for both a listing page and a DeleteObjects batch.
_PAGE = 1000
_MISSING = ("NoSuchKey", "404")
# 409 ConditionalRequestConflict: another conditional write to the key is in flight.
# NoSuchKey on an If-Match write: the blob was deleted since it was read.
_LOST_RACE = ("PreconditionFailed", "ConditionalRequestConflict", *_MISSING)


class S3BlobStore:
    """The blobs of one bucket; the boto3 client is passed in."""

    def __init__(self, client: S3Client, bucket: str, *, page_size: int = _PAGE) -> None:
        self._client = client
        self._bucket = bucket
        self._page = min(page_size, _PAGE)

    def get(self, key: str) -> Blob | None:
        try:
            with self._translated("GetObject", key, passthrough=_MISSING):
                response = self._client.get_object(Bucket=self._bucket, Key=key)
                body = response["Body"].read()
        except ClientError:
            return None
        return Blob(body, response["ETag"])

    def get_range(self, key: str, offset: int, length: int) -> bytes:
        if offset < 0 or length < 1:
            raise ValueError(f"no bytes to read at offset {offset}, length {length}")
        with self._translated("GetObject", key):
            response = self._client.get_object(
                Bucket=self._bucket, Key=key, Range=f"bytes={offset}-{offset + length - 1}"
            )
            return response["Body"].read()

    def put(self, key: str, body: bytes) -> str:
        with self._translated("PutObject", key):
            return self._client.put_object(Bucket=self._bucket, Key=key, Body=body)["ETag"]

    def put_if_match(self, key: str, body: bytes, etag: str | None) -> str:
        try:
            with self._translated("PutObject", key, passthrough=_LOST_RACE):
                if etag is None:
                    response = self._client.put_object(
                        Bucket=self._bucket, Key=key, Body=body, IfNoneMatch="*"
                    )
                else:
                    response = self._client.put_object(
                        Bucket=self._bucket, Key=key, Body=body, IfMatch=etag
                    )
        except ClientError as exc:
            raise VersionConflict(
                f"S3 PutObject {self.url(key)} lost a race: {_code(exc)}, "
                f"the blob is no longer {etag or 'absent'}"
            ) from exc
        return response["ETag"]

    def list_keys(self, prefix: str) -> list[str]:
        return sorted(obj["Key"] for page in self._pages(prefix) for obj in page["Contents"])

    def list_folders(self, prefix: str) -> list[str]:
        return sorted(
            folder["Prefix"]
            for page in self._pages(prefix, Delimiter="/")
            for folder in page["CommonPrefixes"]
        )

    def delete(self, keys: Sequence[str]) -> None:
        for start in range(0, len(keys), self._page):
            batch = keys[start : start + self._page]
            with self._translated("DeleteObjects", batch[0]):
                response = self._client.delete_objects(
                    Bucket=self._bucket,
                    Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
                )
            # DeleteObjects answers 200 and names the keys it could not delete.
            failed = response.get("Errors", [])
            if failed:
                first = failed[0]
                raise StoreError(
                    f"S3 DeleteObjects {self.url(first.get('Key', batch[0]))} failed: "
                    f"{first.get('Code', 'Unknown')} ({len(failed)} of {len(batch)} keys)"
                )

    def url(self, key: str) -> str:
        return f"s3://{self._bucket}/{key}"

    def _pages(self, prefix: str, **options: str) -> Iterator[dict[str, Any]]:
        request: dict[str, Any] = {
            "Bucket": self._bucket,
            "Prefix": prefix,
            "MaxKeys": self._page,
            **options,
        }
        while True:
            with self._translated("ListObjectsV2", prefix):
                page = self._client.list_objects_v2(**request)
            yield {
                "Contents": page.get("Contents", []),
                "CommonPrefixes": page.get("CommonPrefixes", []),
            }
            if not page.get("IsTruncated"):
                return
            request["ContinuationToken"] = page["NextContinuationToken"]

    @contextmanager
    def _translated(
        self, operation: str, key: str, passthrough: tuple[str, ...] = ()
    ) -> Iterator[None]:
        try:
            yield
        except ClientError as exc:
            if _code(exc) in passthrough:
                raise
            raise StoreError(f"S3 {operation} {self.url(key)} failed: {_code(exc)}") from exc
        except BotoCoreError as exc:
            raise StoreError(
                f"S3 {operation} {self.url(key)} failed: {type(exc).__name__}"
            ) from exc


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))
