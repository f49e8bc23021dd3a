"""A SQLite file: sessions and cache entries that survive a restart, with nothing to install."""

from mockmind.adapters.sqlite.database import SqliteDatabase
from mockmind.adapters.sqlite.entity_store import SqliteEntityStore
from mockmind.adapters.sqlite.journal import SqliteJournal
from mockmind.adapters.sqlite.response_cache import SqliteResponseCache
from mockmind.adapters.sqlite.session_store import SqliteSessionStore
from mockmind.adapters.sqlite.stats import SqliteStatsCounter

__all__ = [
    "SqliteDatabase",
    "SqliteEntityStore",
    "SqliteJournal",
    "SqliteResponseCache",
    "SqliteSessionStore",
    "SqliteStatsCounter",
]
