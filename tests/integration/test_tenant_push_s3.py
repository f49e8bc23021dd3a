"""Tenants pushed to a catalog in S3 (moto): two pushes of one tenant racing leave no mix of
their files, and a warm instance sees a pushed change after its refresh interval."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from mockmind.adapters.aws.s3_blob_store import S3BlobStore
from mockmind.app.environment import Environment
from mockmind.app.tenant_front import tenant_front
from mockmind.cli import main
from mockmind.config.models import TenantsConfig
from tests.support.aws import aws_client, unique_name
from tests.support.in_process import run_steps as run
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


class Clock:
    """The refresh interval's clock, moved by hand: nothing waits for time to pass."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


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


def test_a_push_to_s3_is_seen_by_a_warm_front_after_its_refresh_interval(
    bucket: tuple[Any, str], moto_endpoint: str, tmp_path: Path
) -> None:
    _, name = bucket
    source = tmp_path / "social"
    shutil.copytree(EXAMPLES / "tenants" / "social", source)
    config = source / "mockmind.yaml"
    env = {
        "MOCKMIND_LLM_PROVIDER": "offline",
        "AWS_ENDPOINT_URL": moto_endpoint,
        "MOCKMIND_ADMIN_TOKEN": "stack-secret",
    }
    catalog = f"s3://{name}/tenants/"

    def push() -> dict[str, Any]:
        result = CliRunner().invoke(
            main, ["push", "--tenant", "social", str(config), "--to", catalog, "--json"], env=env
        )
        assert result.exit_code == 0, result.output
        answer: dict[str, Any] = json.loads(result.stdout)
        return answer

    first = push()
    assert first["created"] is True
    assert first["files"] == ["mockmind.yaml", "openapi.yaml"]
    clock = Clock()
    front = tenant_front(
        TenantsConfig(catalog=catalog, refresh_seconds=30),
        Environment.from_mapping(env),
        monotonic=clock,
    )

    async def users(http: httpx.AsyncClient) -> int:
        answer = await http.get("/t/social/users")
        assert answer.status_code == 200
        return len(answer.json())

    async def listed(http: httpx.AsyncClient) -> dict[str, Any]:
        answer = await http.get(
            "/__mockmind/tenants", headers={"X-Mockmind-Admin-Token": "stack-secret"}
        )
        row: dict[str, Any] = answer.json()["tenants"][0]
        return row

    assert run(front, users) == 6
    config.write_text(config.read_text().replace("seed: 6", "seed: 3"))
    second = push()
    assert second["created"] is False
    assert second["version"] != first["version"]
    clock.now = 29.9
    assert run(front, users) == 6  # within the interval: the world built before
    assert run(front, listed) == {
        "name": "social",
        "version": second["version"],
        "built": True,
        "built_version": first["version"],
    }
    clock.now = 30.0
    assert run(front, users) == 3
    assert run(front, listed)["built_version"] == second["version"]
