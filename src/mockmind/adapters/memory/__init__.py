"""In-process adapters: the default on a laptop, and the fakes tests use."""

from mockmind.adapters.memory.entity_store import MemoryEntityStore
from mockmind.adapters.memory.response_cache import MemoryResponseCache
from mockmind.adapters.memory.session_store import MemorySessionStore
from mockmind.adapters.memory.vector_memory import MemoryVectorMemory

__all__ = ["MemoryEntityStore", "MemoryResponseCache", "MemorySessionStore", "MemoryVectorMemory"]
