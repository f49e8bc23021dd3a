"""In-process adapters: the default on a laptop, and the fakes tests use.

The three stores share one ``SessionLifetimes``: a session that ends (expired, or the least
recently used past ``storage.max_sessions``) takes its entities and cached answers with it.

``MemoryVectorMemory`` is not re-exported: it needs numpy, which a config without a vector
store never imports (import it from ``mockmind.adapters.vectors.memory``).
"""

from mockmind.adapters.memory.entity_store import MemoryEntityStore
from mockmind.adapters.memory.journal import MemoryJournal
from mockmind.adapters.memory.lifetimes import SessionLifetimes
from mockmind.adapters.memory.response_cache import MemoryResponseCache
from mockmind.adapters.memory.session_store import MemorySessionStore
from mockmind.adapters.memory.stats import MemoryStatsCounter

__all__ = [
    "MemoryEntityStore",
    "MemoryJournal",
    "MemoryResponseCache",
    "MemorySessionStore",
    "MemoryStatsCounter",
    "SessionLifetimes",
]
