"""Which adapters the app runs on: the one place they are chosen.

Two pure functions, no clients built and nothing imported beyond the config's models:

- ``choose_adapters(config, env)``: the stores (memory, sqlite, DynamoDB), where API keys come
  from (the environment or Secrets Manager), the vector store (off, in memory, S3) and where the
  AWS clients point. Storage is ``MOCKMIND_STORAGE``, else the config's backend; in Lambda, aws
  unless the config names one (memory would keep state per execution environment only).
- ``choose_llm(behavior, vectors, env, keys)``: the chat provider and the embedder. They depend
  on which API keys exist, and a key may live in the secret store the first choice picked, so
  the keys are an input: a lookup the builder backs with that store (``app/providers.py``).

The builders turn a choice into adapters: ``app/adapter_builder.py`` (stores, secrets, vector
memory; boto3 only for the AWS ones) and ``app/providers.py`` (httpx only for a provider).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal, cast, get_args
from urllib.parse import urlsplit

from mockmind.adapters.llm.secret import Secret
from mockmind.app.environment import Environment
from mockmind.config.models import BehaviorModelConfig, MockmindConfig, VectorStoreConfig
from mockmind.domain.errors import ConfigError, ConfigIssue
from mockmind.lean_dataclass import dataclass

StorageBackend = Literal["memory", "sqlite", "aws"]
SecretsSource = Literal["environment", "secrets_manager"]
VectorBackend = Literal["off", "memory", "s3"]
Quantization = Literal["none", "int8"]
ChatKind = Literal["offline", "openai", "anthropic", "ollama", "openai_compatible"]
EmbedderKind = Literal["local", "minilm", "ollama", "openai", "openai_compatible"]
KeyLookup = Callable[[str], Secret | None]

KEY_VARIABLES = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "openai_compatible": "OPENAI_API_KEY",
}
# The vendors' public endpoints, and Ollama's local default.
OPENAI_BASE_URL = "https://api.openai.com"
ANTHROPIC_BASE_URL = "https://api.anthropic.com"
OLLAMA_BASE_URL = "http://127.0.0.1:11434"
DEFAULT_ANTHROPIC_MODEL = "claude-3-5-haiku-latest"
DEFAULT_OLLAMA_MODEL = "llama3.2"
DEFAULT_OLLAMA_EMBEDDING_MODEL = "nomic-embed-text"
_OLLAMA_PORT = 11434


@dataclass(frozen=True)
class AwsTarget:
    """Where boto3 clients point: a region, and endpoints for a local emulator (None: AWS's)."""

    region: str | None = None
    dynamodb: str | None = None
    s3: str | None = None
    secretsmanager: str | None = None

    @classmethod
    def of(cls, env: Environment) -> AwsTarget:
        return cls(
            env.region, env.endpoint("dynamodb"), env.endpoint("s3"), env.endpoint("secretsmanager")
        )


@dataclass(frozen=True)
class S3Vectors:
    """The vector index in S3: a bucket, a key prefix and the stored format."""

    bucket: str
    prefix: str
    quantization: Quantization


@dataclass(frozen=True)
class AdapterChoice:
    storage: StorageBackend
    secrets: SecretsSource
    vectors: VectorBackend
    quantization: Quantization
    aws: AwsTarget
    sqlite_path: Path | None = None  # storage sqlite: the database file
    table: str | None = None  # storage aws: the DynamoDB table
    secret_id: str | None = None  # secrets from Secrets Manager: the secret's name or ARN
    s3_vectors: S3Vectors | None = None  # vectors in S3
    max_sessions: int = 10_000  # storage memory: live sessions kept, the least recent ended
    # A tenant's (tenants/): the DynamoDB partition keys' prefix, so its items are its own.
    key_prefix: str = ""


def tenant_key_prefix(tenant: str) -> str:
    """A tenant's DynamoDB key prefix. No other key starts with ``TENANT#``, and a tenant name
    holds no ``#``, so no tenant's keys are another's or the single API's."""
    return f"TENANT#{tenant}#"


def choose_adapters(
    config: MockmindConfig,
    env: Environment,
    *,
    base_dir: Path | None = None,
    tenant: str | None = None,
) -> AdapterChoice:
    """The adapters for ``config`` in ``env``; a ConfigError says what is missing.

    ``base_dir`` anchors a relative ``storage.sqlite_path`` (the config file's directory).
    ``tenant``: the stores are that tenant's own: its key prefix in DynamoDB, its folder
    beside the S3 vector index (``vectors-tenants/shop/``), its name in the SQLite file's
    (``mockmind.shop.db``) whatever path its config gives; memory stores are per world anyway.
    """
    storage = choose_storage(config, env)
    vectors: VectorBackend = "off"
    if config.intelligent_behavior.vector_store.enabled:
        vectors = "s3" if storage == "aws" else "memory"
    sqlite_path = None
    if storage == "sqlite":
        sqlite_path = Path(config.storage.sqlite_path)
        if not sqlite_path.is_absolute() and base_dir is not None:
            sqlite_path = base_dir / sqlite_path
        if tenant is not None:
            sqlite_path = sqlite_path.with_name(f"{sqlite_path.stem}.{tenant}{sqlite_path.suffix}")
    s3_vectors = choose_s3_vectors(config, env) if vectors == "s3" else None
    if s3_vectors is not None and tenant is not None:
        # Beside the single API's index, not in it: its namespaces are the folders under it.
        prefix = f"{s3_vectors.prefix.rstrip('/')}-tenants/{tenant}/"
        s3_vectors = S3Vectors(s3_vectors.bucket, prefix, s3_vectors.quantization)
    return AdapterChoice(
        storage=storage,
        secrets="secrets_manager" if env.secret_id else "environment",
        vectors=vectors,
        quantization=config.intelligent_behavior.vector_store.quantization,
        aws=AwsTarget.of(env),
        sqlite_path=sqlite_path,
        table=choose_table(config, env) if storage == "aws" else None,
        secret_id=env.secret_id,
        s3_vectors=s3_vectors,
        max_sessions=config.storage.max_sessions,
        key_prefix="" if tenant is None else tenant_key_prefix(tenant),
    )


def choose_storage(config: MockmindConfig, env: Environment) -> StorageBackend:
    chosen = env.storage
    if chosen is None:
        named = "backend" in config.storage.model_fields_set
        chosen = "aws" if env.in_lambda and not named else config.storage.backend
    if chosen in get_args(StorageBackend):
        return cast("StorageBackend", chosen)
    raise ConfigError(
        [
            ConfigIssue(
                "storage.backend",
                f"unknown storage backend {chosen!r}; use memory, sqlite or aws",
            )
        ]
    )


def choose_table(config: MockmindConfig, env: Environment) -> str:
    name = env.table or config.storage.table
    if not name:
        raise ConfigError(
            [
                ConfigIssue(
                    "storage.table",
                    "storage backend 'aws' needs a DynamoDB table: set MOCKMIND_TABLE "
                    "or storage.table",
                )
            ]
        )
    return name


def choose_bucket(config: MockmindConfig, env: Environment) -> str | None:
    return env.bucket or config.storage.bucket or None


def choose_s3_vectors(config: MockmindConfig, env: Environment) -> S3Vectors:
    bucket = choose_bucket(config, env)
    if bucket is None:
        raise ConfigError(
            [
                ConfigIssue(
                    "storage.bucket",
                    "the vector store on aws needs an S3 bucket: set MOCKMIND_BUCKET "
                    "or storage.bucket",
                )
            ]
        )
    quantization = config.intelligent_behavior.vector_store.quantization
    return S3Vectors(bucket, env.vector_prefix, quantization)


# --------------------------------------------------------------------------- language models


@dataclass(frozen=True)
class ChatChoice:
    """The chat provider: ``kind`` offline, or a vendor at ``base_url`` with ``model``."""

    configured: str | None
    kind: ChatKind
    reason: str
    model: str | None = None
    base_url: str | None = None
    key: Secret | None = None


@dataclass(frozen=True)
class EmbedderChoice:
    """The embedder; ``local`` is the hashed one, which needs nothing. ``stand_in``: the local
    one answers because the configured one cannot (or the vector store is off)."""

    configured: str
    kind: EmbedderKind
    reason: str
    model: str | None = None
    base_url: str | None = None
    key: Secret | None = None
    stand_in: bool = False


@dataclass(frozen=True)
class LlmChoice:
    chat: ChatChoice
    embedder: EmbedderChoice
    # CloudWatch EMF documents for generated content: in Lambda, or with MOCKMIND_EMF=1. On a
    # laptop they would only clutter stdout.
    metrics: bool
    # Where they go: the template's POWERTOOLS_METRICS_NAMESPACE and service, as the
    # per-request metrics (app/lambda_telemetry.py), so both land in one namespace.
    metrics_namespace: str = "mockmind"
    metrics_service: str = "mockmind"


def choose_llm(
    behavior: BehaviorModelConfig, vectors: VectorStoreConfig, env: Environment, keys: KeyLookup
) -> LlmChoice:
    """The chat provider and the embedder.

    When ``llm_provider`` is unset or ``auto``: the configured endpoint (Ollama if it looks
    like one, else OpenAI-compatible) or key (Anthropic for a ``claude`` model, else OpenAI),
    then ``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``, ``OLLAMA_HOST``, else offline. ``keys`` finds a
    key by variable name; it is asked only for the keys the choice needs, in that order.
    """
    chat = choose_chat(behavior, env, keys)
    return LlmChoice(
        chat,
        choose_embedder(behavior, vectors, env, keys, chat),
        env.in_lambda or env.emf,
        env.metrics_namespace,
        env.service_name,
    )


def choose_chat(behavior: BehaviorModelConfig, env: Environment, keys: KeyLookup) -> ChatChoice:
    configured = behavior.llm_provider
    kind, reason, key, endpoint = _chat_provider(behavior, env, keys)
    if kind == "offline":
        return ChatChoice(configured, "offline", reason)
    model, reason = _model_for(kind, behavior.model, reason)
    if kind == "ollama":
        base = _ollama_base(endpoint or env.ollama_host)
    elif kind == "anthropic":
        base = endpoint or ANTHROPIC_BASE_URL
    else:
        base = _openai_base(endpoint or OPENAI_BASE_URL)
    return ChatChoice(configured, kind, reason, model, base, key)


def _chat_provider(
    behavior: BehaviorModelConfig, env: Environment, keys: KeyLookup
) -> tuple[ChatKind, str, Secret | None, str | None]:
    """The provider, why, its key and the endpoint the config names (None: the default)."""
    configured = behavior.llm_provider
    config_key = Secret(behavior.api_key.get_secret_value()) if behavior.api_key else None
    endpoint = behavior.api_endpoint
    if configured == "offline":
        return "offline", "llm_provider is offline", None, None
    if configured is None or configured == "auto":
        if endpoint:
            guessed: ChatKind = "ollama" if _looks_like_ollama(endpoint) else "openai_compatible"
            key = config_key or (keys("OPENAI_API_KEY") if guessed != "ollama" else None)
            return guessed, "chosen automatically: api_endpoint is set", key, endpoint
        if config_key:
            guessed = "anthropic" if behavior.model.startswith("claude") else "openai"
            return guessed, "chosen automatically: api_key is set", config_key, None
        vendors: tuple[tuple[ChatKind, str], ...] = (
            ("openai", "OPENAI_API_KEY"),
            ("anthropic", "ANTHROPIC_API_KEY"),
        )
        for vendor, variable in vendors:
            key = keys(variable)
            if key:
                return vendor, f"chosen automatically: {variable} is set", key, None
        if env.ollama_host:
            return "ollama", "chosen automatically: OLLAMA_HOST is set", None, None
        return (
            "offline",
            "no LLM provider configured and none of OPENAI_API_KEY, ANTHROPIC_API_KEY, "
            "OLLAMA_HOST is set",
            None,
            None,
        )
    if configured == "ollama":
        return "ollama", "configured", None, endpoint
    variable = KEY_VARIABLES[configured]
    key = config_key or keys(variable)
    if configured == "openai_compatible":
        if not endpoint:
            return "offline", "openai_compatible needs api_endpoint, which is unset", None, None
        return configured, "configured", key, endpoint
    if not key:
        return "offline", f"no API key for {configured} ({variable} is unset)", None, None
    return configured, "configured", key, endpoint


def choose_embedder(
    behavior: BehaviorModelConfig,
    vectors: VectorStoreConfig,
    env: Environment,
    keys: KeyLookup,
    chat: ChatChoice,
) -> EmbedderChoice:
    configured = vectors.embedding_provider

    def local(reason: str) -> EmbedderChoice:
        return EmbedderChoice(configured, "local", reason, stand_in=True)

    if not vectors.enabled:
        return local("the vector store is disabled")
    if configured in {"local", "minilm"}:
        # minilm may be missing at build time (an optional extra): the builder falls back.
        return EmbedderChoice(configured, configured, "configured")
    model = vectors.embedding_model
    if configured == "ollama":
        # The chat's Ollama endpoint when chat runs there too, else OLLAMA_HOST, else local.
        shared = behavior.api_endpoint if chat.kind == "ollama" else None
        if model.startswith("text-embedding-"):
            model = DEFAULT_OLLAMA_EMBEDDING_MODEL
        base = _ollama_base(shared or env.ollama_host)
        return EmbedderChoice(configured, "ollama", "configured", model, base)
    config_key = Secret(behavior.api_key.get_secret_value()) if behavior.api_key else None
    same_vendor = chat.kind == configured
    key = (config_key if same_vendor else None) or keys("OPENAI_API_KEY")
    if configured == "openai_compatible":
        if not behavior.api_endpoint:
            return local("openai_compatible embeddings need api_endpoint, which is unset")
        base = _openai_base(behavior.api_endpoint)
    else:
        if not key:
            return local("no API key for openai embeddings (OPENAI_API_KEY is unset)")
        endpoint = behavior.api_endpoint if same_vendor and behavior.api_endpoint else None
        base = _openai_base(endpoint or OPENAI_BASE_URL)
    return EmbedderChoice(configured, configured, "configured", model, base, key)


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
