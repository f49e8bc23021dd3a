"""The one place adapters are chosen. Tests call ``build`` with their own config and clock."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mockmind.adapters.env_secrets import EnvSecretProvider
from mockmind.adapters.memory import MemoryEntityStore, MemoryResponseCache, MemorySessionStore
from mockmind.adapters.sqlite import (
    SqliteDatabase,
    SqliteEntityStore,
    SqliteResponseCache,
    SqliteSessionStore,
)
from mockmind.app.assemble import assemble_world
from mockmind.config import LoadedConfig, find_config_file, load_config
from mockmind.config.models import MockmindConfig
from mockmind.domain.engine import EngineSettings, MockEngine
from mockmind.domain.errors import ConfigError, ConfigIssue
from mockmind.domain.generator import OfflineGenerator
from mockmind.domain.schema_routes import SchemaRoutes
from mockmind.domain.sessions import SessionTracking
from mockmind.openapi import OpenAPIDescription
from mockmind.ports.api_description import ApiDescription
from mockmind.ports.clock import Clock, SystemClock
from mockmind.ports.entity_store import EntityStore
from mockmind.ports.response_cache import ResponseCache
from mockmind.ports.secrets import SecretProvider
from mockmind.ports.session_store import SessionStore

logger = logging.getLogger("mockmind")

# Entities outlive an idle session on purpose: a long CI run must not lose what it created.
_DAY = 86_400

_KEY_VARIABLES = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "openai_compatible": "OPENAI_API_KEY",
}


@dataclass(frozen=True)
class ProviderStatus:
    """Which content generator answers, and why (shown at start-up and by health)."""

    configured: str | None
    in_use: str
    reason: str


@dataclass
class Container:
    config: MockmindConfig
    engine: MockEngine
    api: ApiDescription
    sessions: SessionStore
    entities: EntityStore
    cache: ResponseCache
    secrets: SecretProvider
    provider: ProviderStatus
    storage: str
    source: Path | None = None
    notes: list[str] = field(default_factory=list)


def load(
    config_file: str | os.PathLike[str] | None = None,
    openapi: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> LoadedConfig:
    """Find and load the config (``--config``, ``MOCKMIND_CONFIG``, ``./mockmind.yaml``)."""
    env = os.environ if env is None else env
    path = find_config_file(config_file, env)
    loaded = load_config(path, env) if path else LoadedConfig(MockmindConfig())
    if openapi is not None:
        spec = Path(openapi).resolve()
        loaded = LoadedConfig(
            loaded.config.model_copy(update={"openapi": str(spec)}),
            loaded.source,
            loaded.unset_variables,
        )
    return loaded


def build(
    loaded: LoadedConfig,
    *,
    env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
) -> Container:
    env = os.environ if env is None else env
    config = loaded.config
    behavior = config.intelligent_behavior
    api = _api_description(loaded)
    storage = env.get("MOCKMIND_STORAGE") or config.storage.backend
    sessions, entities, cache = _stores(storage, config, loaded)
    secrets = EnvSecretProvider(env)
    provider = _provider_status(config, secrets)
    if provider.in_use == "offline":
        logger.warning("content generator: offline (%s)", provider.reason)
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
        max_body_bytes=config.server.max_body_bytes,
    )
    clock = clock or SystemClock()
    generator = OfflineGenerator(api.resolve_ref)
    timeout = behavior.performance.session_timeout_seconds
    world = assemble_world(loaded, api, entities, generator, entity_ttl_seconds=max(timeout, _DAY))
    world.resources.seed_shared(clock.now())
    engine = MockEngine(
        api=api,
        generator=generator,
        sessions=sessions,
        cache=cache,
        clock=clock,
        settings=settings,
        world=world,
    )
    return Container(
        config, engine, api, sessions, entities, cache, secrets, provider, storage, loaded.source
    )


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


def _stores(
    storage: str, config: MockmindConfig, loaded: LoadedConfig
) -> tuple[SessionStore, EntityStore, ResponseCache]:
    if storage == "memory":
        return MemorySessionStore(), MemoryEntityStore(), MemoryResponseCache()
    if storage == "sqlite":
        path = Path(config.storage.sqlite_path)
        db = SqliteDatabase(path if path.is_absolute() else loaded.base_dir / path)
        return SqliteSessionStore(db), SqliteEntityStore(db), SqliteResponseCache(db)
    raise ConfigError(
        [
            ConfigIssue(
                "storage.backend",
                f"storage backend {storage!r} is not available in this build; use memory or sqlite",
            )
        ]
    )


def _provider_status(config: MockmindConfig, secrets: SecretProvider) -> ProviderStatus:
    model = config.intelligent_behavior.behavior_model
    configured = model.llm_provider
    if configured in (None, "offline"):
        return ProviderStatus(configured, "offline", "no LLM provider configured")
    if configured == "ollama":
        return ProviderStatus(configured, "offline", "LLM providers are not wired in yet")
    variable = _KEY_VARIABLES.get(configured, "")
    key = model.api_key.get_secret_value() if model.api_key else secrets.get(variable)
    if not key:
        return ProviderStatus(
            configured, "offline", f"no API key for {configured} ({variable} is unset)"
        )
    return ProviderStatus(configured, "offline", "LLM providers are not wired in yet")
