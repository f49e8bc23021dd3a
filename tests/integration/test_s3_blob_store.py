"""What only the S3 blob store does: S3's errors become StoreError and VersionConflict at its edge.

The blob store contract both stores keep is in tests/contract/test_blob_store.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mockmind.adapters.aws.s3_blob_store import S3BlobStore
from mockmind.domain.errors import StoreError, VersionConflict
from tests.support.aws import aws_client
from tests.support.network import free_port


@pytest.fixture
def s3(moto_endpoint: str) -> Any:
    return aws_client("s3", moto_endpoint)


def test_a_missing_bucket_is_a_store_error_naming_it(s3: Any) -> None:
    store = S3BlobStore(s3, "no-such-bucket-here")
    with pytest.raises(
        StoreError, match=r"S3 ListObjectsV2 s3://no-such-bucket-here/vectors/ failed: NoSuchBucket"
    ):
        store.list_folders("vectors/")
    with pytest.raises(StoreError, match=r"S3 GetObject s3://no-such-bucket-here/k .*NoSuchBucket"):
        store.get("k")
    with pytest.raises(StoreError, match="NoSuchBucket") as caught:
        store.put_if_match("k", b"x", None)
    assert not isinstance(caught.value, VersionConflict)


def test_an_unreachable_endpoint_is_a_store_error(moto_endpoint: str) -> None:
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=1)
    client = aws_client("s3", f"http://127.0.0.1:{free_port()}", config=config)
    with pytest.raises(StoreError, match=r"S3 GetObject s3://bucket/k failed: EndpointConnection"):
        S3BlobStore(client, "bucket").get("k")


class _Answering:
    """A client whose every call answers ``response``, or raises the S3 error ``code``."""

    def __init__(self, *, code: str | None = None, response: Any = None) -> None:
        self._code = code
        self._response = response

    def __getattr__(self, operation: str) -> Any:
        def call(**_: Any) -> Any:
            if self._code is not None:
                raise ClientError({"Error": {"Code": self._code}}, operation)
            return self._response

        return call


def test_a_conditional_write_conflicting_with_another_is_a_lost_race() -> None:
    store = S3BlobStore(_Answering(code="ConditionalRequestConflict"), "bucket")  # type: ignore[arg-type]
    with pytest.raises(VersionConflict, match=r"s3://bucket/index.json lost a race"):
        store.put_if_match("index.json", b"{}", '"etag"')


def test_keys_delete_objects_could_not_delete_are_a_store_error() -> None:
    errors = [{"Key": "a", "Code": "AccessDenied"}, {"Key": "b", "Code": "AccessDenied"}]
    store = S3BlobStore(_Answering(response={"Errors": errors}), "bucket")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match=r"s3://bucket/a failed: AccessDenied \(2 of 3 keys\)"):
        store.delete(["a", "b", "c"])
