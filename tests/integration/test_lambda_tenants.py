"""The Lambda handler in tenant mode: tenants stored in S3 (moto) through the catalog, served
under /t/{tenant}/ with their state in DynamoDB, a stored change seen without a new deployment."""

from __future__ import annotations

import base64
import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from mockmind.adapters.aws.provisioning import create_table
from mockmind.adapters.aws.s3_blob_store import S3BlobStore
from mockmind.tenants.catalog import TenantCatalog
from tests.support.aws import aws_client, unique_name
from tests.support.paths import EVENTS, EXAMPLES

SOCIAL = {
    name: (EXAMPLES / "tenants" / "social" / name).read_bytes()
    for name in ("mockmind.yaml", "openapi.yaml")
}
ONBOARDING = {
    name: (EXAMPLES / "tenants" / "onboarding" / name).read_bytes()
    for name in ("mockmind.yaml", "openapi.yaml")
}


STACK_TOKEN = "stack-token"


@pytest.fixture(scope="module")
def catalog(moto_endpoint: str) -> tuple[TenantCatalog, str]:
    s3 = aws_client("s3", moto_endpoint)
    bucket = unique_name("tenants")
    s3.create_bucket(Bucket=bucket)
    return TenantCatalog(S3BlobStore(s3, bucket), "tenants/", env={}), bucket


@pytest.fixture(scope="module")
def handler(
    moto_endpoint: str,
    catalog: tuple[TenantCatalog, str],
    event_loop_for_mangum: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ModuleType]:
    tenants, bucket = catalog
    tenants.store("social", SOCIAL)
    dynamodb = aws_client("dynamodb", moto_endpoint)
    table = unique_name("tenants")
    create_table(dynamodb, table)
    stack: Path = tmp_path_factory.mktemp("stack") / "mockmind.yaml"
    # The stack's config says how tenants are served; the template's variable says where.
    stack.write_text("tenants:\n  refresh_seconds: 0\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOCKMIND_CONFIG", str(stack))
        patch.setenv("MOCKMIND_TENANTS", f"s3://{bucket}/tenants/")
        patch.setenv("MOCKMIND_STORAGE", "aws")
        patch.setenv("MOCKMIND_TABLE", table)
        patch.setenv("MOCKMIND_LLM_PROVIDER", "offline")
        patch.setenv("MOCKMIND_ADMIN_TOKEN", STACK_TOKEN)
        patch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
        for name in ("OPENAI_API_KEY", "MOCKMIND_SECRET_ARN", "MOCKMIND_SECRET_ID"):
            patch.delenv(name, raising=False)
        sys.modules.pop("mockmind.handler", None)
        yield importlib.import_module("mockmind.handler")
        sys.modules.pop("mockmind.handler", None)
    dynamodb.delete_table(TableName=table)


def _context() -> Any:
    return SimpleNamespace(
        function_name="mockmind",
        aws_request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:mockmind",
        get_remaining_time_in_millis=lambda: 29_000,
    )


def _invoke(
    module: ModuleType,
    path: str | None = None,
    *,
    method: str = "GET",
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    event = json.loads((EVENTS / "tenant-get.json").read_text())
    if path is not None:
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["pathParameters"] = {"proxy": path[1:]}
    event["requestContext"]["http"]["method"] = method
    event["headers"].update(headers or {})
    if body is not None:
        event["body"] = json.dumps(body)
        event["headers"]["content-type"] = "application/json"
    response: dict[str, Any] = module.handler(event, _context())
    raw = response.get("body") or ""
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    return response["statusCode"], json.loads(raw)


def test_the_tenant_event_lists_the_tenants_users(handler: ModuleType) -> None:
    status, body = _invoke(handler)
    assert status == 200
    assert len(body) == 6
    assert all({"id", "name"} <= set(user) for user in body)


def test_an_unknown_tenant_is_a_404_naming_it(handler: ModuleType) -> None:
    status, body = _invoke(handler, "/t/nobody/users")
    assert status == 404
    assert body["detail"] == "no tenant named 'nobody'"


def test_a_stored_change_is_served_without_a_new_deployment(
    handler: ModuleType, catalog: tuple[TenantCatalog, str]
) -> None:
    tenants, _ = catalog
    assert _invoke(handler)[0] == 200
    assert _invoke(handler, "/t/social/applications")[0] == 404
    # The tenant now serves the onboarding API instead.
    tenants.store("social", ONBOARDING)
    tenants.store("later", SOCIAL)
    assert _invoke(handler, "/t/social/applications")[0] == 200
    assert _invoke(handler)[0] == 404
    assert _invoke(handler, "/t/later/users")[0] == 200


def test_the_operator_pushes_a_tenant_into_s3_through_the_function(
    handler: ModuleType, catalog: tuple[TenantCatalog, str]
) -> None:
    tenants, _ = catalog
    files = {name: body.decode() for name, body in SOCIAL.items()}
    token = {"x-mockmind-admin-token": STACK_TOKEN}
    path = "/__mockmind/tenants/pushed"
    status, body = _invoke(handler, path, method="PUT", body={"files": files})
    assert status == 401
    status, body = _invoke(handler, path, method="PUT", body={"files": files}, headers=token)
    assert status == 201, body
    assert body["version"] == tenants.version("pushed")
    assert _invoke(handler, "/t/pushed/users")[0] == 200
    status, listed = _invoke(handler, "/__mockmind/tenants", headers=token)
    assert status == 200
    rows = {row["name"]: row for row in listed["tenants"]}
    assert rows["pushed"] == {
        "name": "pushed",
        "version": body["version"],
        "built": True,
        "built_version": body["version"],
    }
    status, _ = _invoke(handler, path, method="DELETE", headers=token)
    assert status == 200
    assert tenants.version("pushed") is None
    assert _invoke(handler, "/t/pushed/users")[0] == 404
