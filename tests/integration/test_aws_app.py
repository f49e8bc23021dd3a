"""The whole app in AWS mode: the Lambda handler over DynamoDB on a moto server.

Requests go through ``mockmind.handler.handler`` as API Gateway v2 payloads built from
events/post-json.json, so Mangum, the app, the engine and the DynamoDB adapters all run as in
Lambda. An httpx transport (tests/support/lambda_transport.py) turns each request into such an
event, which lets the e2e suite's shop flow run unchanged, its cookie jar carrying the session
from one event to the next.
"""

from __future__ import annotations

import importlib
import inspect
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from mockmind.adapters.aws.provisioning import create_table
from mockmind.adapters.aws.table import MAX_BODY_BYTES, decode_payload
from mockmind.app.bootstrap import build
from mockmind.app.cold_start import load
from mockmind.config import LoadedConfig
from mockmind.config.models import MockmindConfig
from mockmind.domain.errors import ConfigError
from tests.e2e import test_session_admin as session_admin
from tests.e2e.test_journal import (
    test_time_travel_shows_what_the_api_answered_after_each_step as time_travel_flow,
)
from tests.support.admin import admin_headers
from tests.support.aws import AWS_REGION, aws_client, unique_name
from tests.support.lambda_transport import LambdaTransport
from tests.support.paths import EXAMPLES
from tests.support.shop_flow import shop_flow

SHOP = EXAMPLES / "shop" / "mockmind.yaml"


@pytest.fixture(scope="module")
def table_name(moto_endpoint: str) -> Iterator[str]:
    client = aws_client("dynamodb", moto_endpoint)
    name = unique_name("app")
    create_table(client, name)
    yield name
    client.delete_table(TableName=name)


@pytest.fixture(scope="module")
def lambda_env(
    moto_endpoint: str, table_name: str, event_loop_for_mangum: None
) -> Iterator[pytest.MonkeyPatch]:
    """The environment the template gives the function, pointed at the moto server."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOCKMIND_CONFIG", str(SHOP))
        patch.setenv("MOCKMIND_STORAGE", "aws")
        patch.setenv("MOCKMIND_TABLE", table_name)
        patch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
        for name in ("OPENAI_API_KEY", "MOCKMIND_SECRET_ARN", "MOCKMIND_SECRET_ID"):
            patch.delenv(name, raising=False)
        yield patch
        sys.modules.pop("mockmind.handler", None)


def cold_start() -> ModuleType:
    """A new execution environment: the handler module imported afresh, the app rebuilt."""
    sys.modules.pop("mockmind.handler", None)
    return importlib.import_module("mockmind.handler")


@dataclass
class Shop:
    """The shop flow, run once through Lambda: its client (the session) and the shipped order."""

    client: httpx.Client
    transport: LambdaTransport
    order: dict[str, Any]


@pytest.fixture(scope="module")
def shop(lambda_env: pytest.MonkeyPatch) -> Iterator[Shop]:
    module = cold_start()
    assert module.app.container.storage == "aws"
    transport = LambdaTransport(module.handler)
    with httpx.Client(transport=transport, base_url="https://mock.example") as client:
        yield Shop(client, transport, shop_flow(client))


def test_shop_flow_through_lambda_on_dynamodb(
    shop: Shop, moto_endpoint: str, table_name: str
) -> None:
    client, order = shop.client, shop.order
    assert order["status"] == "shipped"
    # The order is an item in the table, under the session's scope.
    session = client.cookies["mockforge_session"]
    raw = aws_client("dynamodb", moto_endpoint).get_item(
        TableName=table_name,
        Key={"pk": {"S": f"ENTITY#{session}#orders"}, "sk": {"S": order["id"]}},
    )
    assert "Item" in raw


def test_data_survives_a_restart(shop: Shop) -> None:
    client, order = shop.client, shop.order
    before = shop.transport.handler
    shop.transport.handler = cold_start().handler
    assert shop.transport.handler is not before
    fetched = client.get(f"/orders/{order['id']}")
    assert fetched.status_code == 200, fetched.text
    assert fetched.json() == order
    assert fetched.headers["x-mockmind-source"] == "store"
    # The same session: it was found in the table, so no new cookie was handed out.
    assert "set-cookie" not in fetched.headers
    assert client.get("/cart").json()["items"] == []


def test_a_snapstart_restore_rebuilds_the_aws_clients(shop: Shop) -> None:
    from mockmind.app import aws
    from mockmind.app.snapstart import after_restore

    clients = list(aws._MADE)
    before = [client._client for client in clients]
    assert before, "the AWS stores hold no client made by app/aws.py"
    after_restore(sys.modules["mockmind.handler"].app.container)
    assert all(c._client is not old for c, old in zip(clients, before, strict=True))
    # The session and its order are read through the new client.
    fetched = shop.client.get(f"/orders/{shop.order['id']}")
    assert fetched.status_code == 200, fetched.text
    assert fetched.json() == shop.order


def test_a_body_too_big_for_an_item_is_413_and_not_stored(shop: Shop) -> None:
    client = shop.client
    big = {"product_id": "p-1", "quantity": 1, "note": "x" * MAX_BODY_BYTES}
    response = client.post("/cart/items", json=big)
    assert response.status_code == 413
    assert str(MAX_BODY_BYTES) in response.json()["detail"]
    assert client.get("/cart").json()["items"] == []


def test_time_travel_and_the_journal_on_dynamodb_read_each_answer_once_stored(
    shop: Shop, moto_endpoint: str, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The e2e suite's time travel, on DynamoDB: the journal's events are kept in the
    session's interaction items, one item a request (adapters/aws/session_store.py), and
    read back whole, answers included."""
    # Lambda's requests come from elsewhere than this machine: the admin routes want a token
    # (the app's, read at its cold start; the e2e suite's helper sends it).
    monkeypatch.setenv("MOCKMIND_ADMIN_TOKEN", "row-20-admin")
    shop.transport.handler = cold_start().handler
    with httpx.Client(transport=shop.transport, base_url="https://mock.example") as client:
        time_travel_flow(client)
        listed = client.get("/products", params={"limit": 3})
        assert listed.status_code == 200, listed.text
        session = client.cookies["mockforge_session"]
        events = client.get(
            f"/__mockmind/sessions/{session}/journal", headers=admin_headers()
        ).json()["events"]
    assert events[-1]["response"]["body"] == listed.json()
    dynamodb = aws_client("dynamodb", moto_endpoint)

    def items(pk: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = dynamodb.query(
            TableName=table_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
        )["Items"]
        return found

    assert items(f"JOURNAL#{session}") == []
    kept = [decode_payload(i) for i in items(f"SESSION#{session}") if i["sk"]["S"][:2] == "I#"]
    assert sorted(k["j"]["seq"] for k in kept) == [e["seq"] for e in events]
    # The answer body once, in the interaction's own field.
    newest = max(kept, key=lambda k: int(k["j"]["seq"]))
    assert newest["jb"] == 1
    assert newest["j"]["response"]["body"] is None
    assert newest["response_body"] == listed.json()
    # A new execution environment, which wrote none of them, reads the same events.
    shop.transport.handler = cold_start().handler
    with httpx.Client(transport=shop.transport, base_url="https://mock.example") as client:
        again = client.get(
            f"/__mockmind/sessions/{session}/journal", headers=admin_headers()
        ).json()["events"]
    assert again == events


@pytest.mark.parametrize(
    "flow",
    [
        session_admin.test_a_reset_empties_the_session_under_the_same_id,
        session_admin.test_a_reset_refuses_a_step_the_session_never_took,
    ],
)
def test_resets_on_dynamodb_clear_the_journal_the_saves_kept(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, flow: Callable[[httpx.Client], None]
) -> None:
    """The e2e suite's resets, on DynamoDB through Lambda: the journal kept in the session's
    interaction items is cleared, and the requests after are its steps 1, 2... again."""
    monkeypatch.setenv("MOCKMIND_ADMIN_TOKEN", "row-20-admin")
    shop.transport.handler = cold_start().handler
    with httpx.Client(transport=shop.transport, base_url="https://mock.example") as client:
        flow(client)


@pytest.mark.parametrize(
    "flow",
    [
        session_admin.test_a_reset_to_a_step_puts_the_world_back_and_goes_on_from_there,
        session_admin.test_a_fork_has_the_world_of_its_step_and_its_journal,
        session_admin.test_a_fork_without_a_step_copies_the_latest,
        session_admin.test_an_imported_fixture_answers_as_the_exported_session,
    ],
)
def test_resets_to_a_step_and_forks_on_dynamodb_copy_the_world_and_its_id_sequences(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, flow: Callable[..., None]
) -> None:
    """The e2e suite's copies of a world (a reset to a step, a fork, an export imported), on
    DynamoDB through Lambda: each reads the scope's id sequences by adding 0 to its counters,
    which changes no value (the counter must still be read back), and writes them into the
    copy."""
    monkeypatch.setenv("MOCKMIND_ADMIN_TOKEN", "row-20-admin")
    shop.transport.handler = cold_start().handler
    base_url = "https://mock.example"

    def with_session(_: str, session_id: str) -> httpx.Client:
        # The flow's second client (the fork's session) goes through Lambda too.
        cookies = {"mockforge_session": session_id}
        return httpx.Client(transport=shop.transport, base_url=base_url, cookies=cookies)

    monkeypatch.setattr(session_admin, "_with_session", with_session)
    with httpx.Client(transport=shop.transport, base_url=base_url) as client:
        if "base_url" in inspect.signature(flow).parameters:
            flow(client, base_url)
        else:
            flow(client)


def test_lambda_defaults_to_aws_and_caps_the_body_limit(
    moto_endpoint: str, table_name: str
) -> None:
    env = {
        "AWS_LAMBDA_FUNCTION_NAME": "mockmind",
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_REGION": AWS_REGION,
        "MOCKMIND_TABLE": table_name,
    }
    unnamed = LoadedConfig(MockmindConfig())
    container = build(unnamed, env=env)
    assert container.storage == "aws"
    assert container.engine.settings.max_body_bytes == MAX_BODY_BYTES
    # A backend the config names still wins (the shop says memory), as it does off Lambda.
    assert build(load(SHOP, env=env), env=env).storage == "memory"
    local = {k: v for k, v in env.items() if k != "AWS_LAMBDA_FUNCTION_NAME"}
    memory = build(unnamed, env=local)
    assert memory.storage == "memory"
    assert memory.engine.settings.max_body_bytes == unnamed.config.server.max_body_bytes


def test_aws_storage_without_a_table_is_a_config_error(moto_endpoint: str) -> None:
    from mockmind.domain.errors import ConfigError

    env = {"MOCKMIND_STORAGE": "aws", "AWS_ENDPOINT_URL": moto_endpoint, "AWS_REGION": AWS_REGION}
    with pytest.raises(ConfigError, match="MOCKMIND_TABLE"):
        build(load(SHOP, env=env), env=env)


def _init_aws(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockmind.cli", "init-aws"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


@pytest.mark.slow
def test_init_aws_creates_table_and_bucket_once(moto_endpoint: str) -> None:
    table, bucket = unique_name("init"), unique_name("vectors")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_REGION": AWS_REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "MOCKMIND_TABLE": table,
        "MOCKMIND_BUCKET": bucket,
    }
    first = _init_aws(env)
    assert first.returncode == 0, first.stderr
    assert f"created table {table} (TTL on expires_at)" in first.stdout
    assert f"created bucket {bucket}" in first.stdout
    second = _init_aws(env)
    assert second.returncode == 0, second.stderr
    assert f"table {table} (TTL on expires_at) already exists" in second.stdout
    assert f"bucket {bucket} already exists" in second.stdout

    dynamodb = aws_client("dynamodb", moto_endpoint)
    ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl == {"AttributeName": "expires_at", "TimeToLiveStatus": "ENABLED"}
    aws_client("s3", moto_endpoint).head_bucket(Bucket=bucket)
    dynamodb.delete_table(TableName=table)


def test_init_aws_without_a_table_name_fails_clearly(moto_endpoint: str) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AWS_ENDPOINT_URL": moto_endpoint}
    result = _init_aws(env)
    assert result.returncode == 1
    assert "MOCKMIND_TABLE" in result.stderr


def test_the_vector_index_loads_from_the_named_bucket(moto_endpoint: str) -> None:
    from mockmind.app.aws import s3_vector_memory

    bucket = unique_name("vectors")
    aws_client("s3", moto_endpoint).create_bucket(Bucket=bucket)
    env = {"MOCKMIND_BUCKET": bucket, "AWS_ENDPOINT_URL": moto_endpoint, "AWS_REGION": AWS_REGION}
    s3_vector_memory(MockmindConfig(), env).add("interactions", "i-1", [1.0, 0.0], {})
    reloaded = s3_vector_memory(MockmindConfig(), env)
    assert reloaded.count("interactions") == 1


def _vector_config(tmp_path: Path) -> Path:
    """The shop, with the vector store on."""
    text = SHOP.read_text().replace("openapi: openapi.yaml", f"openapi: {SHOP.parent}/openapi.yaml")
    text = text.replace("  vector_store:\n    enabled: false", "  vector_store:\n    enabled: true")
    assert "enabled: true\n\n  performance" in text
    path = tmp_path / "mockmind.yaml"
    path.write_text(text)
    return path


def test_a_cold_start_loads_the_vector_index_beside_the_imports(
    lambda_env: pytest.MonkeyPatch, moto_endpoint: str, tmp_path: Path
) -> None:
    from mockmind.app.aws import s3_vector_memory

    bucket = unique_name("vectors")
    aws_client("s3", moto_endpoint).create_bucket(Bucket=bucket)
    lambda_env.setenv("MOCKMIND_BUCKET", bucket)
    lambda_env.setenv("MOCKMIND_CONFIG", str(_vector_config(tmp_path)))
    writer = s3_vector_memory(load().config, os.environ)
    writer.add("interactions", "i-1", [1.0] * 256, {"session_id": "s"})

    module = cold_start()
    memory = module.app.container.memory
    assert memory is not None
    assert memory.vectors.count("interactions") == 1
    # The thread that loaded it is done; nothing loads in the background after the start.
    assert not [t for t in threading.enumerate() if t.name.startswith("mockmind-vectors")]


def test_a_cold_start_with_a_missing_bucket_fails_with_the_config_error(
    lambda_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    lambda_env.delenv("MOCKMIND_BUCKET", raising=False)
    lambda_env.setenv("MOCKMIND_CONFIG", str(_vector_config(tmp_path)))
    with pytest.raises(ConfigError, match="MOCKMIND_BUCKET"):
        cold_start()


def test_no_region_is_a_config_error_that_says_what_to_set(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from mockmind.domain.errors import ConfigError

    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    env = {"MOCKMIND_STORAGE": "aws", "MOCKMIND_TABLE": "t", "AWS_ENDPOINT_URL": moto_endpoint}
    with pytest.raises(ConfigError, match=r"NoRegionError.*AWS_REGION"):
        build(LoadedConfig(MockmindConfig()), env=env)
