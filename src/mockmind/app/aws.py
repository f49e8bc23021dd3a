"""The AWS side of bootstrap: boto3 clients from the environment, and the adapters over them.

Bootstrap imports this module only when the AWS backend or a Secrets Manager secret is asked
for, so a laptop start never pays for loading boto3. Endpoints follow boto3's standard
variables (``AWS_ENDPOINT_URL``, or ``AWS_ENDPOINT_URL_DYNAMODB`` and friends), read from the
environment bootstrap was given, so the same code runs against a local emulator.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError

from mockmind.adapters.aws import (
    DynamoEntityStore,
    DynamoResponseCache,
    DynamoSessionStore,
    DynamoTable,
)
from mockmind.adapters.aws.provisioning import create_bucket, create_table
from mockmind.adapters.aws.secrets_manager import SecretsManagerSecretProvider
from mockmind.config.models import MockmindConfig
from mockmind.domain.errors import ConfigError, ConfigIssue
from mockmind.ports.entity_store import EntityStore
from mockmind.ports.response_cache import ResponseCache
from mockmind.ports.session_store import SessionStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_secretsmanager.client import SecretsManagerClient

    from mockmind.adapters.blob_vector_memory import BlobVectorMemory

# A request must finish inside API Gateway's 30 s; a few quick retries ride out throttling.
# The pool matches the vector index's parallel shard fetches at cold start.
_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=3,
    read_timeout=10,
    max_pool_connections=16,
)


# boto3's default session is not thread-safe while it builds clients, and a cold start builds
# the S3 client in the vector index's thread (cold_start.py) beside the DynamoDB one.
_CLIENTS = threading.Lock()


def region(env: Mapping[str, str]) -> str | None:
    return env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None


def endpoint(service: str, env: Mapping[str, str]) -> str | None:
    """boto3's own precedence: the service's variable, then the global one."""
    specific = f"AWS_ENDPOINT_URL_{service.upper()}"
    return env.get(specific) or env.get("AWS_ENDPOINT_URL") or None


def dynamodb_client(env: Mapping[str, str]) -> DynamoDBClient:
    client: DynamoDBClient = _client("dynamodb", env)
    return client


def s3_client(env: Mapping[str, str]) -> S3Client:
    client: S3Client = _client("s3", env)
    return client


def secretsmanager_client(env: Mapping[str, str]) -> SecretsManagerClient:
    client: SecretsManagerClient = _client("secretsmanager", env)
    return client


def _client(service: Literal["dynamodb", "s3", "secretsmanager"], env: Mapping[str, str]) -> Any:
    try:
        with _CLIENTS:
            return boto3.client(
                service,
                region_name=region(env),
                endpoint_url=endpoint(service, env),
                config=_CLIENT_CONFIG,
            )
    except BotoCoreError as exc:
        raise _client_error(service, exc) from exc


def secrets_manager(secret_id: str, env: Mapping[str, str]) -> SecretsManagerSecretProvider:
    return SecretsManagerSecretProvider(secretsmanager_client(env), secret_id)


def table_name(config: MockmindConfig, env: Mapping[str, str]) -> str:
    name = env.get("MOCKMIND_TABLE") or config.storage.table
    if not name:
        raise ConfigError(
            [
                ConfigIssue(
                    "storage.table",
                    "storage backend 'aws' needs a DynamoDB table: set MOCKMIND_TABLE "
                    "or storage.table",
                )
            ]
        )
    return name


def bucket_name(config: MockmindConfig, env: Mapping[str, str]) -> str | None:
    return env.get("MOCKMIND_BUCKET") or config.storage.bucket or None


def dynamo_stores(
    config: MockmindConfig, env: Mapping[str, str]
) -> tuple[SessionStore, EntityStore, ResponseCache]:
    table = DynamoTable(dynamodb_client(env), table_name(config, env))
    return DynamoSessionStore(table), DynamoEntityStore(table), DynamoResponseCache(table)


def s3_vector_memory(config: MockmindConfig, env: Mapping[str, str]) -> BlobVectorMemory:
    """The vector index, loaded now: call it at cold start, never per request."""
    bucket = bucket_name(config, env)
    if bucket is None:
        raise ConfigError(
            [
                ConfigIssue(
                    "storage.bucket",
                    "the vector store on aws needs an S3 bucket: set MOCKMIND_BUCKET "
                    "or storage.bucket",
                )
            ]
        )
    prefix = env.get("MOCKMIND_VECTOR_PREFIX", "vectors/")
    quantization = config.intelligent_behavior.vector_store.quantization
    # Imported here: it needs numpy, which a deployment without a vector store never loads.
    from mockmind.adapters.aws.s3_blob_store import S3BlobStore  # noqa: PLC0415
    from mockmind.adapters.blob_vector_memory import BlobVectorMemory  # noqa: PLC0415

    store = S3BlobStore(s3_client(env), bucket)
    return BlobVectorMemory.load(store, prefix, quantization=quantization)


@dataclass(frozen=True)
class Provisioned:
    table: str
    table_created: bool
    bucket: str | None
    bucket_created: bool


def init_aws(config: MockmindConfig, env: Mapping[str, str]) -> Provisioned:
    """Create the table (TTL on) and, when one is named, the bucket; both idempotent."""
    table = table_name(config, env)
    table_created = create_table(dynamodb_client(env), table)
    bucket = bucket_name(config, env)
    bucket_created = bucket is not None and create_bucket(s3_client(env), bucket, region(env))
    return Provisioned(table, table_created, bucket, bucket_created)


def _client_error(service: str, exc: BotoCoreError) -> ConfigError:
    # NoRegionError is the usual one on a laptop: say which variable fixes it.
    return ConfigError(
        [
            ConfigIssue(
                "",
                f"cannot build the {service} client ({type(exc).__name__}); "
                "set AWS_REGION (and AWS_ENDPOINT_URL for a local emulator)",
            )
        ]
    )
