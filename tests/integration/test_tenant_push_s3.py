"""Tenants pushed to a catalog in S3 (moto): two pushes of one tenant racing leave no mix of
their files, and a warm instance sees a pushed change after its refresh interval."""

from __future__ import annotations

from typing import Any

import pytest

from mockmind.adapters.aws.s3_blob_store import S3BlobStore
from tests.support.aws import aws_client, unique_name
from tests.support.paths import EXAMPLES
from tests.support.tenant_races import (
    check_a_claim_left_by_a_dead_writer_ages_out,
    check_a_second_push_during_a_first_is_refused,
    check_two_pushes_that_read_the_same_manifest_one_wins,
)

SOCIAL = {
    name: (EXAMPLES / "tenants" / "social" / name).read_bytes()
    for name in ("mockmind.yaml", "openapi.yaml")
}
CHANGED = {name: body + b"\n# changed\n" for name, body in SOCIAL.items()}


@pytest.fixture
def bucket(moto_endpoint: str) -> tuple[Any, str]:
    s3 = aws_client("s3", moto_endpoint)
    name = unique_name("push")
    s3.create_bucket(Bucket=name)
    return s3, name


@pytest.fixture
def store(bucket: tuple[Any, str]) -> S3BlobStore:
    s3, name = bucket
    return S3BlobStore(s3, name)


def test_a_push_during_another_push_of_the_tenant_is_refused(store: S3BlobStore) -> None:
    check_a_second_push_during_a_first_is_refused(store, "tenants/", SOCIAL, CHANGED)


def test_of_two_pushes_that_read_the_same_manifest_one_wins(store: S3BlobStore) -> None:
    check_two_pushes_that_read_the_same_manifest_one_wins(store, "tenants/", SOCIAL, CHANGED)


def test_a_claim_left_by_a_dead_writer_ages_out(store: S3BlobStore) -> None:
    check_a_claim_left_by_a_dead_writer_ages_out(store, "tenants/", SOCIAL)
