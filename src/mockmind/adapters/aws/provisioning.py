"""Creating the table and the bucket for local use (``mockmind init-aws``) and for tests.

In a deployment the SAM template owns both; these functions build the same shapes against
a local emulator, and are idempotent so a setup script can run them every time.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from mockmind.adapters.aws.session_store import INDEX_ATTRIBUTES
from mockmind.adapters.aws.session_store import SESSIONS_INDEX as SESSIONS_INDEX_NAME
from mockmind.domain.errors import StoreError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeDefinitionTypeDef,
        GlobalSecondaryIndexTypeDef,
    )
    from mypy_boto3_s3.client import S3Client

TTL_ATTRIBUTE = "expires_at"
# The sessions' listing index (adapters/aws/session_store.py), as template.yaml declares it.
SESSIONS_INDEX_DEFINITION: GlobalSecondaryIndexTypeDef = {
    "IndexName": SESSIONS_INDEX_NAME,
    "KeySchema": [
        {"AttributeName": "listing", "KeyType": "HASH"},
        {"AttributeName": "activity", "KeyType": "RANGE"},
    ],
    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(INDEX_ATTRIBUTES)},
}


def create_table(client: DynamoDBClient, name: str) -> bool:
    """Create the single table with TTL on ``expires_at`` and the sessions' listing index;
    False when it already existed.

    TTL is switched on, and the index added, for an existing table too, so a table made by
    hand (or before the index existed) ends up right.
    """
    try:
        created = True
        try:
            client.create_table(
                TableName=name,
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                    *_INDEX_KEYS,
                ],
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                GlobalSecondaryIndexes=[SESSIONS_INDEX_DEFINITION],
                BillingMode="PAY_PER_REQUEST",
            )
        except ClientError as exc:
            if _code(exc) != "ResourceInUseException":
                raise
            created = False
        client.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        _add_sessions_index(client, name)
        ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
            )
    except (ClientError, BotoCoreError) as exc:
        raise StoreError(f"cannot create DynamoDB table {name!r}: {_reason(exc)}") from exc
    return created


_INDEX_KEYS: list[AttributeDefinitionTypeDef] = [
    {"AttributeName": "listing", "AttributeType": "S"},
    {"AttributeName": "activity", "AttributeType": "S"},
]


def _add_sessions_index(client: DynamoDBClient, name: str) -> None:
    """Add the listing index to a table that lacks it, and wait until it can be queried."""
    table = client.describe_table(TableName=name)["Table"]
    indexes = {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])}
    if SESSIONS_INDEX_NAME not in indexes:
        client.update_table(
            TableName=name,
            AttributeDefinitions=_INDEX_KEYS,
            GlobalSecondaryIndexUpdates=[{"Create": SESSIONS_INDEX_DEFINITION}],
        )
    for _ in range(120):
        table = client.describe_table(TableName=name)["Table"]
        status = {
            i["IndexName"]: i.get("IndexStatus") for i in table.get("GlobalSecondaryIndexes", [])
        }
        if status.get(SESSIONS_INDEX_NAME) == "ACTIVE":
            return
        time.sleep(1)
    raise StoreError(f"the sessions index of DynamoDB table {name!r} did not become active")


def create_bucket(client: S3Client, name: str, region: str | None) -> bool:
    """Create the bucket (private, encrypted); False when this account already owns it."""
    try:
        # us-east-1 answers 200 to creating a bucket the account already owns, so ask first.
        if _bucket_exists(client, name):
            return False
        try:
            if region in (None, "", "us-east-1"):
                # us-east-1 refuses an explicit location constraint.
                client.create_bucket(Bucket=name)
            else:
                client.create_bucket(
                    Bucket=name,
                    CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
                )
        except ClientError as exc:
            if _code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
            return False
        client.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
    except (ClientError, BotoCoreError) as exc:
        raise StoreError(f"cannot create S3 bucket {name!r}: {_reason(exc)}") from exc
    return True


def _bucket_exists(client: S3Client, name: str) -> bool:
    try:
        client.head_bucket(Bucket=name)
    except ClientError as exc:
        if _code(exc) in ("404", "NoSuchBucket", "NotFound"):
            return False
        raise
    return True


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def _reason(exc: ClientError | BotoCoreError) -> str:
    return _code(exc) if isinstance(exc, ClientError) else type(exc).__name__
