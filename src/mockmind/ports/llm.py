"""Language models and embedders: the providers the domain asks for content and vectors.

Adapters (``mockmind.adapters.llm``) speak each provider's wire format over httpx and translate
every transport or protocol failure into ``ProviderError`` at their edge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from mockmind.domain.errors import MockmindError
from mockmind.lean_dataclass import dataclass


@dataclass(frozen=True)
class ChatRequest:
    system: str
    user: str
    max_tokens: int = 1024
    temperature: float = 0.7
    # The JSON Schema the answer must match, for providers that can enforce it.
    json_schema: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ChatResult:
    text: str
    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    # True when the provider reported no usage and the counts are estimates.
    estimated_usage: bool = False


class ProviderError(MockmindError):
    """A provider call failed; ``reason`` is safe to log (it never holds a key)."""

    def __init__(self, provider: str, reason: str, *, retryable: bool = False) -> None:
        self.provider = provider
        self.reason = reason
        self.retryable = retryable
        super().__init__(f"{provider}: {reason}")


class ProviderUnavailable(MockmindError):
    """A provider cannot be built here (an optional extra is missing); the message says what
    to install. The wiring falls back to another provider and says why in the health status."""


class ChatProvider(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str: ...

    async def complete(self, request: ChatRequest, *, deadline: float | None = None) -> ChatResult:
        """One answer; ``deadline`` (monotonic seconds) bounds retries. Raises ProviderError."""
        ...


class Embeddings(list[list[float]]):
    """One vector per text, in order, and the tokens the provider counted for them (None when
    it reported none: the caller estimates). A list, so a caller that wants only the vectors
    uses it as one."""

    tokens: int | None

    def __init__(self, vectors: Sequence[list[float]] = (), tokens: int | None = None) -> None:
        super().__init__(vectors)
        self.tokens = tokens


class EmbeddingProvider(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def dimensions(self) -> int: ...

    async def embed(
        self, texts: Sequence[str], *, deadline: float | None = None
    ) -> list[list[float]]:
        """One vector per text, in order (an ``Embeddings`` when the provider counts tokens).

        ``deadline`` (monotonic seconds) bounds the call, retries included; a local embedder,
        which never waits on a network, may ignore it. Raises ProviderError.
        """
        ...
