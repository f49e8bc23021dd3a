"""Which language model and embedder answer, built from the config, the keys and the environment.

The choice, when ``llm_provider`` is unset: the configured endpoint (Ollama if it looks like one,
else OpenAI-compatible) or key (Anthropic for a ``claude`` model, else OpenAI), then
``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``, ``OLLAMA_HOST``, else the offline generator. A key
comes from the config's ``api_key``, else the environment variable, else the ``SecretProvider``
(Secrets Manager on AWS) under the same name. The result says what was configured, what is in
use and why, for the start-up log and ``/__mockmind/health``; it never holds a key in clear.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mockmind.adapters.llm.hashed_embedder import LocalHashedEmbedder
from mockmind.adapters.llm.resilience import CircuitBreaker, RetryPolicy, Timeouts
from mockmind.adapters.llm.secret import Secret
from mockmind.config.models import BehaviorModelConfig, VectorStoreConfig
from mockmind.domain.content import ContentObserver, ContentSettings, LlmContent
from mockmind.domain.costs import CostTracker, Price, PriceTable
from mockmind.ports.clock import Clock, SystemClock
from mockmind.ports.llm import ChatProvider, EmbeddingProvider
from mockmind.ports.secrets import SecretProvider

if TYPE_CHECKING:
    # The provider adapters (httpx) and EMF metrics (Powertools) import when a provider or
    # metrics are built: an offline start, the default, never loads them.
    import httpx

    from mockmind.adapters.llm.http import ResilientHttp

logger = logging.getLogger("mockmind")

KEY_VARIABLES = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "openai_compatible": "OPENAI_API_KEY",
}
DEFAULT_ANTHROPIC_MODEL = "claude-3-5-haiku-latest"
DEFAULT_OLLAMA_MODEL = "llama3.2"
DEFAULT_OLLAMA_EMBEDDING_MODEL = "nomic-embed-text"
_OLLAMA_PORT = 11434


@dataclass(frozen=True)
class ProviderStatus:
    """Which content generator (or embedder) answers, and why."""

    configured: str | None
    in_use: str
    reason: str
    model: str | None = None
    endpoint: str | None = None


@dataclass
class LlmServices:
    """What the engine needs from the LLM side, built once per process (cold start)."""

    chat: ChatProvider | None
    embedder: EmbeddingProvider
    costs: CostTracker
    status: ProviderStatus
    embedding_status: ProviderStatus
    settings: ContentSettings = field(default_factory=ContentSettings)
    observers: tuple[ContentObserver, ...] = ()
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)
    https: list[ResilientHttp] = field(default_factory=list)
    _content: LlmContent | None = field(default=None, init=False, repr=False)

    @classmethod
    def offline(cls, clock: Clock | None = None) -> LlmServices:
        status = ProviderStatus(None, "offline", "no LLM provider configured")
        return cls(
            chat=None,
            embedder=LocalHashedEmbedder(),
            costs=CostTracker(PriceTable(), clock or SystemClock()),
            status=status,
            embedding_status=ProviderStatus("local", "local", "the local hashed embedder"),
        )

    @property
    def content(self) -> LlmContent | None:
        """The one ``LlmContent`` over ``chat`` (None offline); one instance, so single flight
        spans every request the process serves.
        """
        if self.chat is None:
            return None
        if self._content is None:
            self._content = LlmContent(
                self.chat, self.costs, settings=self.settings, observers=self.observers
            )
        return self._content

    def health(self) -> dict[str, Any]:
        provider = _status_dict(self.status)
        if "chat" in self.breakers:
            provider["circuit"] = self.breakers["chat"].snapshot()
        embeddings = _status_dict(self.embedding_status)
        if "embeddings" in self.breakers:
            embeddings["circuit"] = self.breakers["embeddings"].snapshot()
        return {"provider": provider, "embeddings": embeddings, "costs": self.costs.snapshot()}

    async def aclose(self) -> None:
        for http in self.https:
            await http.aclose()


def _status_dict(status: ProviderStatus) -> dict[str, Any]:
    data: dict[str, Any] = {
        "configured": status.configured,
        "in_use": status.in_use,
        "reason": status.reason,
    }
    if status.model is not None:
        data["model"] = status.model
    if status.endpoint is not None:
        data["endpoint"] = status.endpoint
    return data


@dataclass(frozen=True)
class _Choice:
    provider: str | None
    reason: str
    key: Secret | None = None
    endpoint: str | None = None


class _Keys:
    def __init__(self, env: Mapping[str, str], secrets: SecretProvider) -> None:
        self._env = env
        self._secrets = secrets

    def lookup(self, variable: str) -> Secret | None:
        value = self._env.get(variable)
        if not value:
            try:
                value = self._secrets.get(variable)
            except Exception as exc:  # a secret store outage means "no key"
                # The type only: a cloud SDK's message may quote the request.
                logger.warning("could not read secret %s: %s", variable, type(exc).__name__)
                value = None
        return Secret(value) if value else None


def build_llm_services(
    behavior: BehaviorModelConfig,
    vectors: VectorStoreConfig,
    secrets: SecretProvider,
    env: Mapping[str, str] | None = None,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    emit_metrics: bool | None = None,
) -> LlmServices:
    """The chat provider (None for offline), the embedder, the cost tracker and their status.

    ``transport`` replaces the network in tests. ``emit_metrics`` defaults to on inside Lambda
    (``AWS_LAMBDA_FUNCTION_NAME`` set) or with ``MOCKMIND_EMF=1``: on a laptop EMF documents
    would only clutter stdout.
    """
    env = os.environ if env is None else env
    clock = clock or SystemClock()
    keys = _Keys(env, secrets)
    overrides = {
        name: Price(p.prompt_per_1k, p.completion_per_1k)
        for name, p in behavior.cost.prices.items()
    }
    costs = CostTracker(
        PriceTable.with_overrides({k.lower(): v for k, v in overrides.items()}),
        clock,
        daily_budget_usd=behavior.cost.daily_budget_usd,
    )
    if emit_metrics is None:
        emit_metrics = bool(env.get("AWS_LAMBDA_FUNCTION_NAME")) or env.get("MOCKMIND_EMF") == "1"
    builder = _Builder(behavior, transport)

    chat, status = _chat(behavior, env, keys, builder)
    embedder, embedding_status = _embedder(behavior, vectors, env, keys, builder, status)
    return LlmServices(
        chat=chat,
        embedder=embedder,
        costs=costs,
        status=status,
        embedding_status=embedding_status,
        settings=ContentSettings(max_tokens=behavior.max_tokens, temperature=behavior.temperature),
        observers=_emf_metrics() if emit_metrics else (),
        breakers=builder.breakers,
        https=builder.https,
    )


def _emf_metrics() -> tuple[ContentObserver, ...]:
    from mockmind.adapters.llm.metrics import EmfContentMetrics  # noqa: PLC0415

    return (EmfContentMetrics(),)


class _Builder:
    """One AsyncClient and one circuit breaker per use (chat, embeddings), so a failing
    embeddings endpoint does not stop chat.
    """

    def __init__(self, behavior: BehaviorModelConfig, transport: httpx.AsyncBaseTransport | None):
        self._behavior = behavior
        self._transport = transport
        self.https: list[ResilientHttp] = []
        self.breakers: dict[str, CircuitBreaker] = {}

    def _client(self) -> httpx.AsyncClient:
        import httpx  # noqa: PLC0415

        return httpx.AsyncClient(
            transport=self._transport,
            headers={"user-agent": "mockmind"},
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=8),
        )

    def http(self, provider: str, use: str, base_url: str, key: Secret | None) -> ResilientHttp:
        from mockmind.adapters.llm.http import ResilientHttp  # noqa: PLC0415

        b = self._behavior
        base = base_url.rstrip("/")
        breaker = self.breakers[use] = CircuitBreaker(
            b.circuit_breaker.failure_threshold, b.circuit_breaker.cooldown_seconds
        )
        http = ResilientHttp(
            provider,
            self._client(),
            base,
            retry=RetryPolicy(
                max_attempts=b.retries.max_attempts,
                base_delay=b.retries.base_delay_seconds,
                max_delay=b.retries.max_delay_seconds,
                max_retry_after=b.retries.max_retry_after_seconds,
            ),
            timeouts=Timeouts(connect=b.connect_timeout_seconds, read=b.timeout_seconds),
            breaker=breaker,
            secret=key,
            client_factory=self._client,
        )
        self.https.append(http)
        return http


def _choose(behavior: BehaviorModelConfig, env: Mapping[str, str], keys: _Keys) -> _Choice:
    configured = behavior.llm_provider
    config_key = Secret(behavior.api_key.get_secret_value()) if behavior.api_key else None
    endpoint = behavior.api_endpoint
    if configured == "offline":
        return _Choice(None, "llm_provider is offline")
    if configured is None:
        if endpoint:
            provider = "ollama" if _looks_like_ollama(endpoint) else "openai_compatible"
            key = config_key or (keys.lookup("OPENAI_API_KEY") if provider != "ollama" else None)
            return _Choice(provider, "chosen automatically: api_endpoint is set", key, endpoint)
        if config_key:
            provider = "anthropic" if behavior.model.startswith("claude") else "openai"
            return _Choice(provider, "chosen automatically: api_key is set", config_key)
        for provider, variable in (
            ("openai", "OPENAI_API_KEY"),
            ("anthropic", "ANTHROPIC_API_KEY"),
        ):
            key = keys.lookup(variable)
            if key:
                return _Choice(provider, f"chosen automatically: {variable} is set", key)
        if env.get("OLLAMA_HOST"):
            return _Choice("ollama", "chosen automatically: OLLAMA_HOST is set", None)
        return _Choice(
            None,
            "no LLM provider configured and none of OPENAI_API_KEY, ANTHROPIC_API_KEY, "
            "OLLAMA_HOST is set",
        )
    if configured == "ollama":
        return _Choice("ollama", "configured", None, endpoint)
    variable = KEY_VARIABLES[configured]
    key = config_key or keys.lookup(variable)
    if configured == "openai_compatible":
        if not endpoint:
            return _Choice(None, "openai_compatible needs api_endpoint, which is unset")
        return _Choice(configured, "configured", key, endpoint)
    if not key:
        return _Choice(None, f"no API key for {configured} ({variable} is unset)")
    return _Choice(configured, "configured", key, endpoint)


def _chat(
    behavior: BehaviorModelConfig, env: Mapping[str, str], keys: _Keys, builder: _Builder
) -> tuple[ChatProvider | None, ProviderStatus]:
    configured = behavior.llm_provider
    choice = _choose(behavior, env, keys)
    if choice.provider is None:
        return None, ProviderStatus(configured, "offline", choice.reason)
    model, reason = _model_for(choice.provider, behavior.model, choice.reason)
    chat: ChatProvider
    if choice.provider == "ollama":
        from mockmind.adapters.llm.ollama import OllamaChat  # noqa: PLC0415

        base = _ollama_base(choice.endpoint or env.get("OLLAMA_HOST"))
        chat = OllamaChat(builder.http("ollama", "chat", base, None), model)
    elif choice.provider == "anthropic":
        assert choice.key is not None  # _choose only picks anthropic with a key
        from mockmind.adapters.llm.anthropic import (  # noqa: PLC0415
            ANTHROPIC_BASE_URL,
            AnthropicChat,
        )

        base = choice.endpoint or ANTHROPIC_BASE_URL
        http = builder.http("anthropic", "chat", base, choice.key)
        chat = AnthropicChat(http, model, api_key=choice.key)
    else:
        from mockmind.adapters.llm.openai import OPENAI_BASE_URL, OpenAIChat  # noqa: PLC0415

        base = _openai_base(choice.endpoint or OPENAI_BASE_URL)
        http = builder.http(choice.provider, "chat", base, choice.key)
        chat = OpenAIChat(http, model, api_key=choice.key, name=choice.provider)
    return chat, ProviderStatus(configured, choice.provider, reason, model, _public_url(base))


def _embedder(
    behavior: BehaviorModelConfig,
    vectors: VectorStoreConfig,
    env: Mapping[str, str],
    keys: _Keys,
    builder: _Builder,
    chat: ProviderStatus,
) -> tuple[EmbeddingProvider, ProviderStatus]:
    configured = vectors.embedding_provider
    local = LocalHashedEmbedder()

    def fallback(reason: str) -> tuple[EmbeddingProvider, ProviderStatus]:
        return local, ProviderStatus(configured, "local", reason, None)

    if not vectors.enabled:
        return fallback("the vector store is disabled")
    if configured == "local":
        return local, ProviderStatus(
            configured, "local", "configured", f"hashed-{local.dimensions}"
        )
    if configured == "minilm":
        # An optional extra: without it, semantic memory still works on the hashed embedder,
        # and the status says why. Imported here, as it loads numpy.
        from mockmind.adapters.llm.minilm_embedder import (  # noqa: PLC0415
            MiniLMEmbedder,
            MiniLMUnavailableError,
        )

        try:
            minilm = MiniLMEmbedder()
        except MiniLMUnavailableError as exc:
            return fallback(f"minilm is unavailable: {exc}")
        return minilm, ProviderStatus(configured, "minilm", "configured", minilm.model)
    model = vectors.embedding_model
    if configured == "ollama":
        from mockmind.adapters.llm.ollama import OllamaEmbeddings  # noqa: PLC0415

        # The chat's Ollama endpoint when chat runs there too, else OLLAMA_HOST, else local.
        shared = behavior.api_endpoint if chat.in_use == "ollama" else None
        base = _ollama_base(shared or env.get("OLLAMA_HOST"))
        if model.startswith("text-embedding-"):
            model = DEFAULT_OLLAMA_EMBEDDING_MODEL
        embedder: EmbeddingProvider = OllamaEmbeddings(
            builder.http("ollama", "embeddings", base, None), model
        )
        return embedder, ProviderStatus(
            configured, "ollama", "configured", model, _public_url(base)
        )
    from mockmind.adapters.llm.openai import OPENAI_BASE_URL, OpenAIEmbeddings  # noqa: PLC0415

    config_key = Secret(behavior.api_key.get_secret_value()) if behavior.api_key else None
    same_vendor = chat.in_use == configured
    key = (config_key if same_vendor else None) or keys.lookup("OPENAI_API_KEY")
    if configured == "openai_compatible":
        if not behavior.api_endpoint:
            return fallback("openai_compatible embeddings need api_endpoint, which is unset")
        base = _openai_base(behavior.api_endpoint)
    else:
        if not key:
            return fallback("no API key for openai embeddings (OPENAI_API_KEY is unset)")
        base = _openai_base(
            behavior.api_endpoint if same_vendor and behavior.api_endpoint else OPENAI_BASE_URL
        )
    http = builder.http(configured, "embeddings", base, key)
    embedder = OpenAIEmbeddings(http, model, api_key=key, name=configured)
    return embedder, ProviderStatus(configured, configured, "configured", model, _public_url(base))


def _model_for(provider: str, model: str, reason: str) -> tuple[str, str]:
    """The configured model, unless it plainly belongs to another vendor (the config default
    ``gpt-3.5-turbo`` with an automatically chosen Anthropic or Ollama).
    """
    if provider == "anthropic" and not model.startswith("claude"):
        return DEFAULT_ANTHROPIC_MODEL, f"{reason}; model {model!r} is not Anthropic's"
    if provider == "ollama" and model.startswith(("gpt-", "claude")):
        return DEFAULT_OLLAMA_MODEL, f"{reason}; model {model!r} is not an Ollama model"
    return model, reason


def _looks_like_ollama(endpoint: str) -> bool:
    parts = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
    return parts.port == _OLLAMA_PORT or "ollama" in (parts.hostname or "")


def _ollama_base(host: str | None) -> str:
    """``OLLAMA_HOST`` is often a bare ``host:port`` and may be the bind-all address."""
    if not host:
        from mockmind.adapters.llm.ollama import OLLAMA_BASE_URL  # noqa: PLC0415

        return OLLAMA_BASE_URL
    url = host if "://" in host else f"http://{host}"
    parts = urlsplit(url)
    if parts.hostname == "0.0.0.0":
        url = url.replace("0.0.0.0", "127.0.0.1", 1)
    if parts.port is None and "://" not in host:
        url = f"{url}:{_OLLAMA_PORT}"
    return url.rstrip("/")


def _openai_base(endpoint: str) -> str:
    # Compatible servers are documented with ``/v1`` in the base URL; the adapter adds it.
    base = endpoint.rstrip("/")
    return base[: -len("/v1")] if base.endswith("/v1") else base


def _public_url(url: str) -> str:
    """The URL without user-info, which could hold a credential, for health and logs."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return parts._replace(netloc=host).geturl()
    return url
