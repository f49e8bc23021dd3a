"""Where a tenant's stores are: its DynamoDB key prefix, its S3 vector folder, its SQLite file,
whatever its config names; the single API's choice is unchanged."""

from __future__ import annotations

from pathlib import Path

from mockmind.app.adapter_choice import choose_adapters
from mockmind.app.bootstrap import build
from mockmind.app.environment import Environment
from mockmind.config import parse_config
from mockmind.config.models import MockmindConfig
from mockmind.domain.sessions import Session

AWS = Environment.from_mapping(
    {"MOCKMIND_STORAGE": "aws", "MOCKMIND_TABLE": "t", "MOCKMIND_BUCKET": "b"}
)
VECTORS = MockmindConfig.model_validate(
    {"intelligent_behavior": {"vector_store": {"enabled": True}}}
)


def test_a_tenants_dynamodb_keys_and_vector_folder_are_its_own() -> None:
    single = choose_adapters(VECTORS, AWS)
    tenant = choose_adapters(VECTORS, AWS, tenant="shop-eu")
    assert single.key_prefix == ""
    assert tenant.key_prefix == "TENANT#shop-eu#"
    assert single.s3_vectors is not None
    assert tenant.s3_vectors is not None
    assert single.s3_vectors.prefix == "vectors/"
    assert tenant.s3_vectors.prefix == "vectors-tenants/shop-eu/"
    assert tenant.table == single.table == "t"


def test_two_tenants_naming_one_sqlite_file_get_one_each(tmp_path: Path) -> None:
    shared = tmp_path / "mock.db"
    text = f"storage: {{backend: sqlite, sqlite_path: {shared}}}\n"
    env = {"MOCKMIND_LLM_PROVIDER": "offline"}
    alpha = build(parse_config(text, env=env), env=env, tenant="alpha")
    beta = build(parse_config(text, env=env), env=env, tenant="beta")
    alpha.sessions.put(Session("s1", 1000.0, 1000.0, 9e9), expected_version=None)
    assert alpha.sessions.get("s1", now=1001.0) is not None
    assert beta.sessions.get("s1", now=1001.0) is None
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".db") == [
        "mock.alpha.db",
        "mock.beta.db",
    ]
