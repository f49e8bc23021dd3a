"""Language-model and embedding providers over httpx.

``http`` is the shared resilient layer (timeouts, retries, deadline, circuit breaker); each
vendor module speaks one wire protocol on top of it. ``mockmind.app.providers`` chooses and
builds them; nothing else should construct them.
"""

from mockmind.adapters.llm.anthropic import AnthropicChat
from mockmind.adapters.llm.hashed_embedder import LocalHashedEmbedder
from mockmind.adapters.llm.http import ResilientHttp
from mockmind.adapters.llm.ollama import OllamaChat, OllamaEmbeddings
from mockmind.adapters.llm.openai import OpenAIChat, OpenAIEmbeddings
from mockmind.adapters.llm.resilience import CircuitBreaker, RetryPolicy, Timeouts
from mockmind.adapters.llm.secret import Secret

__all__ = [
    "AnthropicChat",
    "CircuitBreaker",
    "LocalHashedEmbedder",
    "OllamaChat",
    "OllamaEmbeddings",
    "OpenAIChat",
    "OpenAIEmbeddings",
    "ResilientHttp",
    "RetryPolicy",
    "Secret",
    "Timeouts",
]
