"""The one place adapters are chosen. Tests call ``build`` with their own config and clock."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mockmind.adapters.aws.table import MAX_BODY_BYTES as AWS_MAX_BODY_BYTES
from mockmind.adapters.env_secrets import EnvSecretProvider
from mockmind.adapters.memory import (
    MemoryEntityStore,
    MemoryResponseCache,
    MemorySessionStore,
)
from mockmind.adapters.sqlite import (
    SqliteDatabase,
    SqliteEntityStore,
    SqliteResponseCache,
    SqliteSessionStore,
)
from mockmind.app.assemble import assemble_world
from mockmind.app.cold_start import storage_backend
from mockmind.app.providers import LlmServices, ProviderStatus, build_llm_services
from mockmind.config import LoadedConfig
from mockmind.config.models import MockmindConfig
from mockmind.domain.engine import EngineSettings, MockEngine, PromptSettings
from mockmind.domain.errors import ConfigError, ConfigIssue
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.memory import SemanticMemory
from mockmind.domain.schema_routes import SchemaRoutes
from mockmind.domain.sessions import SessionTracking
from mockmind.openapi import OpenAPIDescription
from mockmind.ports.api_description import ApiDescription
from mockmind.ports.clock import Clock, SystemClock
from mockmind.ports.entity_store import EntityStore
from mockmind.ports.response_cache import ResponseCache
from mockmind.ports.secrets import SecretProvider
from mockmind.ports.session_store import SessionStore
from mockmind.ports.vector_memory import VectorMemory

logger = logging.getLogger("mockmind")

# Entities outlive an idle session on purpose: a long CI run must not lose what it created.
_DAY = 86_400


@dataclass
class Container:
    config: MockmindConfig
    engine: MockEngine
    api: ApiDescription
    sessions: SessionStore
    entities: EntityStore
    cache: ResponseCache
    secrets: SecretProvider
    storage: str
    source: Path | None = None
    # The chat provider (None offline), embedder, costs and ``content`` (LlmContent) for the engine.
    llm: LlmServices = field(default_factory=LlmServices.offline)
    # Past interactions by similarity, when the vector store is on.
    memory: SemanticMemory | None = None

    @property
    def provider(self) -> ProviderStatus:
        """Which content generator answers, and why (start-up log, health, validate-config)."""
        return self.llm.status


def build(
    loaded: LoadedConfig,
    *,
    env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    vector_memory: VectorMemory | None = None,
) -> Container:
    """The app's parts; ``vector_memory`` is one already loaded (``cold_start``), if any."""
    env = os.environ if env is None else env
    config = loaded.config
    behavior = config.intelligent_behavior
    api = _api_description(loaded)
    storage = storage_backend(config, env)
    sessions, entities, cache = _stores(storage, config, loaded, env)
    secrets = _secrets(env)
    llm = build_llm_services(
        behavior.behavior_model, behavior.vector_store, secrets, env, clock=clock
    )
    provider = llm.status
    if provider.in_use == "offline":
        logger.warning("content generator: offline (%s)", provider.reason)
    else:
        logger.info(
            "content generator: %s, model %s at %s (%s)",
            provider.in_use,
            provider.model,
            provider.endpoint,
            provider.reason,
        )
    tracking = behavior.session_tracking
    settings = EngineSettings(
        tracking=SessionTracking(
            method=tracking.method,
            cookie_name=tracking.cookie_name,
            header_name=tracking.header_name,
            query_param=tracking.query_param,
            auto_create=tracking.auto_create,
        ),
        cache_ttl_seconds=behavior.performance.cache_ttl_seconds,
        enable_response_cache=behavior.performance.enable_response_cache,
        max_history_length=behavior.performance.max_history_length,
        session_timeout_seconds=behavior.performance.session_timeout_seconds,
        max_body_bytes=_max_body_bytes(storage, config),
    )
    clock = clock or SystemClock()
    generator = OfflineGenerator(api.resolve_ref)
    timeout = behavior.performance.session_timeout_seconds
    world = assemble_world(loaded, api, entities, generator, entity_ttl_seconds=max(timeout, _DAY))
    world.resources.seed_shared(clock.now())
    vectors = behavior.vector_store
    memory = (
        SemanticMemory(
            llm.embedder,
            vector_memory or _vector_memory(storage, config, env),
            limit=vectors.semantic_search_limit,
            threshold=vectors.similarity_threshold,
        )
        if vectors.enabled
        else None
    )
    engine = MockEngine(
        api=api,
        generator=generator,
        sessions=sessions,
        cache=cache,
        clock=clock,
        settings=settings,
        world=world,
        llm=llm.content,
        memory=memory,
        prompting=PromptSettings(behavior.behavior_model.rules.system_prompt, world.describe()),
    )
    return Container(
        config,
        engine,
        api,
        sessions,
        entities,
        cache,
        secrets,
        storage,
        loaded.source,
        llm=llm,
        memory=memory,
    )


def _vector_memory(storage: str, config: MockmindConfig, env: Mapping[str, str]) -> VectorMemory:
    if storage == "aws":
        # Imported here so a laptop start never loads boto3; the index loads now (cold start).
        from mockmind.app.aws import s3_vector_memory  # noqa: PLC0415

        return s3_vector_memory(config, env)
    # Imported here: it needs numpy, a few tens of ms that a start without vectors skips.
    from mockmind.adapters.memory.vector_memory import MemoryVectorMemory  # noqa: PLC0415

    return MemoryVectorMemory(config.intelligent_behavior.vector_store.quantization)


def _api_description(loaded: LoadedConfig) -> ApiDescription:
    spec = loaded.openapi_path()
    if spec is None:
        return SchemaRoutes(loaded.config.intelligent_behavior.behavior_model.rules.schemas)
    if not spec.exists():
        raise ConfigError(
            [
                ConfigIssue(
                    "openapi",
                    f"OpenAPI document not found: {spec}",
                    source=str(loaded.source) if loaded.source else None,
                )
            ]
        )
    return OpenAPIDescription.load(spec)


def _secrets(env: Mapping[str, str]) -> SecretProvider:
    # The template names the stack's secret; key lookups still try the environment first.
    secret_id = env.get("MOCKMIND_SECRET_ARN") or env.get("MOCKMIND_SECRET_ID")
    if not secret_id:
        return EnvSecretProvider(env)
    from mockmind.app.aws import secrets_manager  # noqa: PLC0415 (boto3 only when needed)

    return secrets_manager(secret_id, env)


def _max_body_bytes(storage: str, config: MockmindConfig) -> int:
    # A body that would make an item over DynamoDB's 400 KB limit gets 413 before any write.
    limit = config.server.max_body_bytes
    return min(limit, AWS_MAX_BODY_BYTES) if storage == "aws" else limit


def _stores(
    storage: str, config: MockmindConfig, loaded: LoadedConfig, env: Mapping[str, str]
) -> tuple[SessionStore, EntityStore, ResponseCache]:
    if storage == "memory":
        return MemorySessionStore(), MemoryEntityStore(), MemoryResponseCache()
    if storage == "sqlite":
        path = Path(config.storage.sqlite_path)
        db = SqliteDatabase(path if path.is_absolute() else loaded.base_dir / path)
        return SqliteSessionStore(db), SqliteEntityStore(db), SqliteResponseCache(db)
    if storage == "aws":
        # boto3 loads only for this backend, so a laptop start stays quick.
        from mockmind.app.aws import dynamo_stores  # noqa: PLC0415

        return dynamo_stores(config, env)
    raise ConfigError(
        [
            ConfigIssue(
                "storage.backend",
                f"unknown storage backend {storage!r}; use memory, sqlite or aws",
            )
        ]
    )
