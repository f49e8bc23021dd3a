"""AWS adapters: DynamoDB (sessions, entities, cached responses in one table), S3 (blobs: the
vector index's objects) and Secrets Manager (API keys). boto3 clients are passed in;
``mockmind.app.aws`` is the only place that builds them.
"""

from mockmind.adapters.aws.entity_store import DynamoEntityStore
from mockmind.adapters.aws.journal import DynamoJournal
from mockmind.adapters.aws.response_cache import DynamoResponseCache
from mockmind.adapters.aws.session_store import DynamoSessionStore
from mockmind.adapters.aws.stats import DynamoStatsCounter
from mockmind.adapters.aws.table import DynamoTable

__all__ = [
    "DynamoEntityStore",
    "DynamoJournal",
    "DynamoResponseCache",
    "DynamoSessionStore",
    "DynamoStatsCounter",
    "DynamoTable",
]
