"""Builds the language model side from an ``LlmChoice``: the chat provider, the embedder, the
cost tracker and their status for the start-up log and ``/__mockmind/health``.

``app/adapter_choice.py`` decides which provider and embedder answer; this module only builds
them. A key comes from the config's ``api_key``, else the environment variable, else the
``SecretProvider`` (Secrets Manager on AWS) under the same name: ``Keys`` is that lookup. The
status never holds a key in clear.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from mockmind.adapters.llm.hashed_embedder import LocalHashedEmbedder
from mockmind.adapters.llm.resilience import CircuitBreaker, RetryPolicy, Timeouts
from mockmind.adapters.llm.secret import Secret
from mockmind.app.adapter_choice import ChatChoice, EmbedderChoice, LlmChoice, choose_llm
from mockmind.app.environment import Environment, as_environment
from mockmind.app.logging import mask_secrets
from mockmind.config.models import BehaviorModelConfig, VectorStoreConfig
from mockmind.domain.content import ContentObserver, ContentSettings, LlmContent
from mockmind.domain.costs import CostTracker, Price, PriceTable
from mockmind.lean_dataclass import dataclass
from mockmind.ports.clock import Clock, SystemClock
from mockmind.ports.llm import ChatProvider, EmbeddingProvider
from mockmind.ports.secrets import SecretProvider

if TYPE_CHECKING:
    # The provider adapters (httpx) and EMF metrics (Powertools) import when a provider or
    # metrics are built: an offline start, the default, never loads them.
    import httpx

    from mockmind.adapters.llm.http import ResilientHttp

logger = logging.getLogger("mockmind")


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
                self.chat,
                self.costs,
                settings=self.settings,
                observers=self.observers,
                breaker=self.breakers.get("chat"),
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


# The similarity threshold each embedder recalls at when the config names none. Measured by
# bench/recall_threshold.py (interaction lines as the memory stores them, queries as it asks,
# a true match being a line about the query's entity) and bench/embedders.py (paraphrases):
# the hashed embedder's best F1 is at 0.40 (81 of 132 true matches kept, 80 of 7,788 others
# let through; at 0.7: 2 kept); MiniLM's at 0.49 on paraphrases (49 of 66) and flat from
# 0.40 to 0.60 on interaction lines. Remote models were not measured (no provider here): they
# get MiniLM's value, as sentence embedders of the same kind.
DEFAULT_THRESHOLDS = {"local": 0.4, "minilm": 0.5}
REMOTE_THRESHOLD = 0.5


def similarity_threshold(configured: float | None, embedder_name: str) -> tuple[float, str]:
    """The threshold recall uses, and why (health shows both)."""
    if configured is not None:
        return configured, "vector_store.similarity_threshold"
    if embedder_name in DEFAULT_THRESHOLDS:
        return DEFAULT_THRESHOLDS[embedder_name], f"the {embedder_name} embedder's default"
    return REMOTE_THRESHOLD, f"the default for a remote embedder ({embedder_name})"


class Keys:
    """API keys by variable name: the environment first, then the secret store.

    A secret store that fails means "no key": the provider falls back to offline and says why.
    """

    def __init__(self, env: Environment, secrets: SecretProvider) -> None:
        self._env = env
        self._secrets = secrets

    def __call__(self, variable: str) -> Secret | None:
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
    env: Environment | Mapping[str, str],
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    emit_metrics: bool | None = None,
) -> LlmServices:
    """Choose (``choose_llm``) and build the chat provider, the embedder and the cost tracker.

    ``transport`` replaces the network in tests; ``emit_metrics`` overrides the choice.
    """
    environment = as_environment(env)
    choice = choose_llm(behavior, vectors, environment, Keys(environment, secrets))
    return llm_services(
        choice, behavior, clock=clock, transport=transport, emit_metrics=emit_metrics
    )


def llm_services(
    choice: LlmChoice,
    behavior: BehaviorModelConfig,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    emit_metrics: bool | None = None,
) -> LlmServices:
    """The services ``choice`` describes; ``behavior`` gives costs, retries and timeouts."""
    clock = clock or SystemClock()
    overrides = {
        name: Price(p.prompt_per_1k, p.completion_per_1k)
        for name, p in behavior.cost.prices.items()
    }
    costs = CostTracker(
        PriceTable.with_overrides({k.lower(): v for k, v in overrides.items()}),
        clock,
        daily_budget_usd=behavior.cost.daily_budget_usd,
    )
    builder = _Builder(behavior, transport)
    chat, status = _chat(choice.chat, builder)
    embedder, embedding_status = _embedder(choice.embedder, builder)
    metrics = choice.metrics if emit_metrics is None else emit_metrics
    return LlmServices(
        chat=chat,
        embedder=embedder,
        costs=costs,
        status=status,
        embedding_status=embedding_status,
        settings=ContentSettings(
            max_tokens=behavior.max_tokens,
            temperature=behavior.temperature,
            negative_ttl_seconds=behavior.negative_cache_ttl_seconds,
        ),
        observers=_emf_metrics(choice.metrics_namespace, choice.metrics_service) if metrics else (),
        breakers=builder.breakers,
        https=builder.https,
    )


def _emf_metrics(namespace: str, service: str) -> tuple[ContentObserver, ...]:
    from mockmind.adapters.llm.metrics import EmfContentMetrics  # noqa: PLC0415

    return (EmfContentMetrics(namespace, service),)


class _Builder:
    """One AsyncClient and one circuit breaker per use (chat, embeddings), so a failing
    embeddings endpoint does not stop chat.
    """

    def __init__(self, behavior: BehaviorModelConfig, transport: httpx.AsyncBaseTransport | None):
        self._behavior = behavior
        self._transport = transport
        self.https: list[ResilientHttp] = []
        self.breakers: dict[str, CircuitBreaker] = {}

    def _client(self, user_info: tuple[str, str] | None) -> httpx.AsyncClient:
        import httpx  # noqa: PLC0415

        return httpx.AsyncClient(
            transport=self._transport,
            headers={"user-agent": "mockmind"},
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=8),
            # As httpx would take it from the URL, but the URL it logs no longer holds it.
            auth=httpx.BasicAuth(*user_info) if user_info else None,
        )

    def http(self, provider: str, use: str, base_url: str, key: Secret | None) -> ResilientHttp:
        from mockmind.adapters.llm.http import ResilientHttp  # noqa: PLC0415

        b = self._behavior
        base, user_info = split_user_info(base_url.rstrip("/"))
        # The password; a user name alone is the credential (some gateways take the key so).
        credential = (user_info[1] or user_info[0]) if user_info else ""
        mask_secrets([value for value in (key.reveal() if key else "", credential) if value])
        secret = key or (Secret(credential) if credential else None)
        breaker = self.breakers[use] = CircuitBreaker(
            b.circuit_breaker.failure_threshold, b.circuit_breaker.cooldown_seconds
        )
        http = ResilientHttp(
            provider,
            base_url=base,
            retry=RetryPolicy(
                max_attempts=b.retries.max_attempts,
                base_delay=b.retries.base_delay_seconds,
                max_delay=b.retries.max_delay_seconds,
                max_retry_after=b.retries.max_retry_after_seconds,
            ),
            timeouts=Timeouts(connect=b.connect_timeout_seconds, read=b.timeout_seconds),
            breaker=breaker,
            secret=secret,
            client=self._client(user_info),
            client_factory=lambda: self._client(user_info),
        )
        self.https.append(http)
        return http


def _chat(choice: ChatChoice, builder: _Builder) -> tuple[ChatProvider | None, ProviderStatus]:
    if choice.kind == "offline":
        return None, ProviderStatus(choice.configured, "offline", choice.reason)
    # Chosen with a vendor: both are set.
    assert choice.model is not None
    assert choice.base_url is not None
    model, base = choice.model, choice.base_url
    chat: ChatProvider
    if choice.kind == "ollama":
        from mockmind.adapters.llm.ollama import OllamaChat  # noqa: PLC0415

        chat = OllamaChat(builder.http("ollama", "chat", base, None), model)
    elif choice.kind == "anthropic":
        from mockmind.adapters.llm.anthropic import AnthropicChat  # noqa: PLC0415

        assert choice.key is not None  # anthropic is only chosen with a key
        http = builder.http("anthropic", "chat", base, choice.key)
        chat = AnthropicChat(http, model, api_key=choice.key)
    else:
        from mockmind.adapters.llm.openai import OpenAIChat  # noqa: PLC0415

        http = builder.http(choice.kind, "chat", base, choice.key)
        chat = OpenAIChat(http, model, api_key=choice.key, name=choice.kind)
    status = ProviderStatus(choice.configured, choice.kind, choice.reason, model, _public_url(base))
    return chat, status


def _embedder(
    choice: EmbedderChoice, builder: _Builder
) -> tuple[EmbeddingProvider, ProviderStatus]:
    configured = choice.configured
    local = LocalHashedEmbedder()
    if choice.kind == "local":
        model = None if choice.stand_in else f"hashed-{local.dimensions}"
        return local, ProviderStatus(configured, "local", choice.reason, model)
    if choice.kind == "minilm":
        # An optional extra: without it, semantic memory still works on the hashed embedder,
        # and the status says why. Imported here, as it loads numpy.
        from mockmind.adapters.llm.minilm_embedder import (  # noqa: PLC0415
            MiniLMEmbedder,
            MiniLMUnavailableError,
        )

        try:
            minilm = MiniLMEmbedder()
        except MiniLMUnavailableError as exc:
            reason = f"minilm is unavailable: {exc}"
            return local, ProviderStatus(configured, "local", reason, None)
        return minilm, ProviderStatus(configured, "minilm", "configured", minilm.model)
    # Chosen with a remote embedder: both are set.
    assert choice.model is not None
    assert choice.base_url is not None
    model, base = choice.model, choice.base_url
    embedder: EmbeddingProvider
    if choice.kind == "ollama":
        from mockmind.adapters.llm.ollama import OllamaEmbeddings  # noqa: PLC0415

        embedder = OllamaEmbeddings(builder.http("ollama", "embeddings", base, None), model)
    else:
        from mockmind.adapters.llm.openai import OpenAIEmbeddings  # noqa: PLC0415

        http = builder.http(choice.kind, "embeddings", base, choice.key)
        embedder = OpenAIEmbeddings(http, model, api_key=choice.key, name=choice.kind)
    status = ProviderStatus(configured, choice.kind, "configured", model, _public_url(base))
    return embedder, status


def split_user_info(url: str) -> tuple[str, tuple[str, str] | None]:
    """The URL without its user-info, and the user-info (user, password), percent-decoded.

    ``http://user:KEY@host/v1`` sends the same Basic credentials from the client's auth, and
    the URL httpx logs on every call holds no key.
    """
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url, None
    return _public_url(url), (unquote(parts.username or ""), unquote(parts.password or ""))


def _public_url(url: str) -> str:
    """The URL without user-info, which could hold a credential, for health and logs."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return parts._replace(netloc=host).geturl()
    return url
