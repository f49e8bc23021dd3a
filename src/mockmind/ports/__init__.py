"""The interfaces the domain talks to. Each adapter package implements some of them.

Stores are synchronous on purpose: boto3 and sqlite3 block anyway, an embedded store answers in
microseconds, and a Lambda invocation serves one request at a time. Providers that talk to the
network (LLMs, embeddings) are asynchronous.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockmind.ports.blob_store import Blob, BlobStore
    from mockmind.ports.clock import Clock, SystemClock
    from mockmind.ports.entity_store import EntityRecord, EntityStore
    from mockmind.ports.journal import Journal
    from mockmind.ports.response_cache import CachedResponse, ResponseCache
    from mockmind.ports.secrets import SecretProvider
    from mockmind.ports.session_store import SessionStore
    from mockmind.ports.stats import StatsCounter
    from mockmind.ports.vector_memory import VectorHit, VectorMemory

# Each name's module, imported when the name is first asked for: importing one port (the
# clock, say) runs this package's __init__, which would otherwise import all of them.
_HOMES = {
    "Blob": "blob_store",
    "BlobStore": "blob_store",
    "CachedResponse": "response_cache",
    "Clock": "clock",
    "EntityRecord": "entity_store",
    "EntityStore": "entity_store",
    "Journal": "journal",
    "ResponseCache": "response_cache",
    "SecretProvider": "secrets",
    "SessionStore": "session_store",
    "StatsCounter": "stats",
    "SystemClock": "clock",
    "VectorHit": "vector_memory",
    "VectorMemory": "vector_memory",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib  # noqa: PLC0415

    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


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
