"""The AWS side of the adapter builder: boto3 clients, and the adapters over them.

Imported only when a choice needs AWS (DynamoDB stores, a Secrets Manager secret, the S3 vector
index, ``mockmind init-aws``), so a laptop or mock-only start never loads boto3. Clients point
where the choice's ``AwsTarget`` says: a region, and an endpoint per service for a local
emulator (boto3's ``AWS_ENDPOINT_URL`` variables, read once with the rest of the environment).

Every client made here can be rebuilt in place (``reconnect_clients``): after a Lambda SnapStart
restore, the connections pooled in the snapshot are dead.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError

from mockmind.adapters.aws import (
    DynamoEntityStore,
    DynamoJournal,
    DynamoResponseCache,
    DynamoSessionStore,
    DynamoStatsCounter,
    DynamoTable,
)
from mockmind.adapters.aws.provisioning import create_bucket, create_table
from mockmind.adapters.aws.secrets_manager import SecretsManagerSecretProvider
from mockmind.app.adapter_choice import (
    AwsTarget,
    S3Vectors,
    choose_bucket,
    choose_s3_vectors,
    choose_table,
)
from mockmind.app.environment import Environment, as_environment
from mockmind.config.models import MockmindConfig
from mockmind.domain.errors import ConfigError, ConfigIssue
from mockmind.lean_dataclass import dataclass
from mockmind.ports.entity_store import EntityStore
from mockmind.ports.journal import Journal
from mockmind.ports.response_cache import ResponseCache
from mockmind.ports.session_store import SessionStore
from mockmind.ports.stats import StatsCounter

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_secretsmanager.client import SecretsManagerClient

    from mockmind.adapters.vectors.blob_memory import BlobVectorMemory

Service = Literal["dynamodb", "s3", "secretsmanager"]

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


class RebuildableClient:
    """A boto3 client that can be swapped for a new one under the adapters holding it.

    Attribute access goes to the current client. ``reconnect`` builds another from the same
    (default) session: its credentials provider refreshes by itself, only the pooled
    connections need replacing.
    """

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._client = build()
        _MADE.add(self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def reconnect(self) -> None:
        self._client = self._build()


_MADE: weakref.WeakSet[RebuildableClient] = weakref.WeakSet()


def reconnect_clients() -> int:
    """Rebuild every client made here that is still in use; how many."""
    clients = list(_MADE)
    for client in clients:
        client.reconnect()
    return len(clients)


def dynamodb_client(aws: AwsTarget) -> DynamoDBClient:
    return cast("DynamoDBClient", _client("dynamodb", aws.region, aws.dynamodb))


def s3_client(aws: AwsTarget) -> S3Client:
    return cast("S3Client", _client("s3", aws.region, aws.s3))


def secretsmanager_client(aws: AwsTarget) -> SecretsManagerClient:
    return cast("SecretsManagerClient", _client("secretsmanager", aws.region, aws.secretsmanager))


def _client(service: Service, region: str | None, endpoint: str | None) -> RebuildableClient:
    def build() -> Any:
        try:
            with _CLIENTS:
                return boto3.client(
                    service, region_name=region, endpoint_url=endpoint, config=_CLIENT_CONFIG
                )
        except BotoCoreError as exc:
            raise _client_error(service, exc) from exc

    return RebuildableClient(build)


def secrets_manager(secret_id: str, aws: AwsTarget) -> SecretsManagerSecretProvider:
    return SecretsManagerSecretProvider(secretsmanager_client(aws), secret_id)


def dynamo_stores(
    table_name: str,
    aws: AwsTarget,
    *,
    journal_events: int | None = None,
    stats: bool = False,
    key_prefix: str = "",
) -> tuple[SessionStore, EntityStore, ResponseCache, Journal | None, StatsCounter | None]:
    """The stores in one table; the journal too, keeping ``journal_events`` (None: none), and
    the hourly stats counters when ``stats``. ``key_prefix``: a tenant's (``DynamoTable``)."""
    table = DynamoTable(dynamodb_client(aws), table_name, key_prefix=key_prefix)
    sessions = DynamoSessionStore(table)
    # The journal names the session's items that hold its answers' bodies (adapters/aws/
    # journal.py): one store of each per table.
    journal = (
        None
        if journal_events is None
        else DynamoJournal(table, max_events=journal_events, sessions=sessions)
    )
    counter = DynamoStatsCounter(table) if stats else None
    return (
        sessions,
        DynamoEntityStore(table),
        DynamoResponseCache(table),
        journal,
        counter,
    )


def open_s3_vectors(vectors: S3Vectors, aws: AwsTarget) -> BlobVectorMemory:
    """The vector index, loaded now: call it at cold start, never per request."""
    # Imported here: it needs numpy, which a deployment without a vector store never loads.
    from mockmind.adapters.aws.s3_blob_store import S3BlobStore  # noqa: PLC0415
    from mockmind.adapters.vectors.blob_memory import BlobVectorMemory  # noqa: PLC0415

    store = S3BlobStore(s3_client(aws), vectors.bucket)
    return BlobVectorMemory.load(store, vectors.prefix, quantization=vectors.quantization)


def s3_vector_memory(
    config: MockmindConfig, env: Environment | Mapping[str, str]
) -> BlobVectorMemory:
    """The S3 vector index ``config`` and ``env`` name, whatever the storage backend."""
    environment = as_environment(env)
    return open_s3_vectors(choose_s3_vectors(config, environment), AwsTarget.of(environment))


@dataclass(frozen=True)
class Provisioned:
    table: str
    table_created: bool
    bucket: str | None
    bucket_created: bool


def init_aws(config: MockmindConfig, env: Environment | Mapping[str, str]) -> Provisioned:
    """Create the table (TTL on) and, when one is named, the bucket; both idempotent."""
    environment = as_environment(env)
    aws = AwsTarget.of(environment)
    table = choose_table(config, environment)
    table_created = create_table(dynamodb_client(aws), table)
    bucket = choose_bucket(config, environment)
    bucket_created = bucket is not None and create_bucket(s3_client(aws), bucket, aws.region)
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


def lambda_client(region: str | None, endpoint: str | None) -> Any:
    """Lambda's client, for the function's asynchronous invocations of itself (callbacks)."""
    with _CLIENTS:
        return boto3.client(
            "lambda", region_name=region, endpoint_url=endpoint, config=_CLIENT_CONFIG
        )
