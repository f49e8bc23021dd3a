"""The interfaces the domain talks to. Each adapter package implements some of them.

Stores are synchronous on purpose: boto3 and sqlite3 block anyway, an embedded store answers in
microseconds, and a Lambda invocation serves one request at a time. Providers that talk to the
network (LLMs, embeddings) are asynchronous.
"""

from mockmind.ports.blob_store import Blob, BlobStore
from mockmind.ports.clock import Clock, SystemClock
from mockmind.ports.entity_store import EntityRecord, EntityStore
from mockmind.ports.journal import Journal
from mockmind.ports.response_cache import CachedResponse, ResponseCache
from mockmind.ports.secrets import SecretProvider
from mockmind.ports.session_store import SessionStore
from mockmind.ports.stats import StatsCounter
from mockmind.ports.vector_memory import VectorHit, VectorMemory

__all__ = [
    "Blob",
    "BlobStore",
    "CachedResponse",
    "Clock",
    "EntityRecord",
    "EntityStore",
    "Journal",
    "ResponseCache",
    "SecretProvider",
    "SessionStore",
    "StatsCounter",
    "SystemClock",
    "VectorHit",
    "VectorMemory",
]
