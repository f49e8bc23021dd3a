"""Builds the app's parts: the adapters ``app/adapter_choice.py`` picks, the engine over them.

Tests call ``build`` with their own config, environment and clock.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from mockmind.app.adapter_builder import (
    build_secrets,
    build_stores,
    build_vector_memory,
    max_body_bytes,
)
from mockmind.app.adapter_choice import (
    EmbedderChoice,
    LlmChoice,
    choose_adapters,
    choose_chat,
    choose_llm,
)
from mockmind.app.admin_access import AdminAccess, admin_token_variable
from mockmind.app.deliveries import (
    Deliveries,
    build_launcher,
    choose_launcher,
    default_sender,
    delivery_policy,
)
from mockmind.app.environment import Environment, as_environment
from mockmind.app.providers import (
    Keys,
    LlmServices,
    ProviderStatus,
    llm_services,
    similarity_threshold,
)
from mockmind.config import LoadedConfig
from mockmind.config.models import BehaviorModelConfig, MockmindConfig, QuotasConfig
from mockmind.config.world import assemble_world
from mockmind.domain.callbacks.courier import Courier
from mockmind.domain.callbacks.planning import CallbackPlanner
from mockmind.domain.client_input import InputLimits
from mockmind.domain.engine import EngineSettings, MockEngine, PromptSettings
from mockmind.domain.errors import ConfigError, ConfigIssue
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.prompt_experiment import PromptVariant, VariantStats
from mockmind.domain.quotas import QuotaLimits, Quotas
from mockmind.domain.sessions import SessionTracking
from mockmind.domain.stats import RequestStats
from mockmind.lean_dataclass import dataclass
from mockmind.openapi import OpenAPIDescription
from mockmind.openapi.callbacks import OpenAPICallbacks
from mockmind.ports.api_description import ApiDescription
from mockmind.ports.callbacks import CallbackSender
from mockmind.ports.clock import Clock, SystemClock
from mockmind.ports.entity_store import EntityStore
from mockmind.ports.journal import Journal
from mockmind.ports.response_cache import ResponseCache
from mockmind.ports.secrets import SecretProvider
from mockmind.ports.session_store import SessionStore

if TYPE_CHECKING:
    from mockmind.domain.memory import SemanticMemory
    from mockmind.ports.vector_memory import VectorMemory

logger = logging.getLogger("mockmind")

# Entities outlive an idle session on purpose in the durable stores: a long CI run must not
# lose what it created. The memory backend frees them when the session ends (README, Sessions).
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
    # Where the memory's similarity threshold comes from (the config, or the embedder's default).
    memory_threshold_from: str | None = None
    # Who may use the admin routes (closed by default: no token, and on Lambda).
    admin: AdminAccess = field(default_factory=lambda: AdminAccess(None, in_lambda=True))
    # Each session's journal (None when ``journal.enabled`` is false).
    journal: Journal | None = None
    # Callbacks and webhooks: the courier, how a batch runs after its answer, the planner.
    deliveries: Deliveries | None = None
    # Each prompt variant's answers (None when behavior_model.prompt_variants is empty).
    prompt_stats: VariantStats | None = None

    @property
    def provider(self) -> ProviderStatus:
        """Which content generator answers, and why (start-up log, health, validate-config)."""
        return self.llm.status


def prompt_variants(model: BehaviorModelConfig) -> tuple[PromptVariant, ...]:
    """The experiment's variants; one without a system prompt of its own uses the rules'."""
    return tuple(
        PromptVariant(
            variant.name,
            variant.system_prompt
            if variant.system_prompt is not None
            else model.rules.system_prompt,
            variant.weight,
        )
        for variant in model.prompt_variants
    )


def quota_limits(quotas: QuotasConfig) -> QuotaLimits:
    return QuotaLimits(
        requests_per_day=quotas.requests_per_day,
        llm_budget_usd_per_day=quotas.llm_budget_usd_per_day,
        past_llm_budget=quotas.past_llm_budget,
    )


def log_example_problems(api: ApiDescription) -> None:
    """List, once, each response example that breaks its schema (pointer and first error).

    The served app calls it (``MockmindApp.check_examples``), not ``build``: checking every
    example of a big document takes seconds, which its first answer must not wait for.
    """
    try:
        problems = api.example_problems()
    except Exception:  # a report only: whatever breaks it, serving goes on
        logger.exception("could not check the document's examples")
        return
    for problem in problems:
        logger.warning("example breaks its schema: %s", problem)


def build(
    loaded: LoadedConfig,
    *,
    env: Environment | Mapping[str, str],
    clock: Clock | None = None,
    vector_memory: VectorMemory | None = None,
    callback_sender: CallbackSender | None = None,
    lambda_invoker: object | None = None,
    tenant: str | None = None,
) -> Container:
    """The app's parts; ``vector_memory`` is one already loaded (``cold_start``), if any.

    ``callback_sender`` and ``lambda_invoker`` replace httpx and boto3's Lambda client (tests).
    ``tenant``: the world is that tenant's (``tenants/``): its stores under its own keys
    (``choose_adapters``), its admin token ``MOCKMIND_ADMIN_TOKEN_<TENANT>``.
    """
    environment = as_environment(env)
    config = loaded.config
    behavior = config.intelligent_behavior
    limits = InputLimits(max_json_depth=config.server.max_json_depth)
    api = api_description(loaded, limits)
    choice = choose_adapters(config, environment, base_dir=loaded.base_dir, tenant=tenant)
    clock = clock or SystemClock()
    journal_config = config.journal
    stores = build_stores(
        choice,
        clock,
        journal_events=journal_config.max_events if journal_config.enabled else None,
        stats=config.stats.enabled,
    )
    secrets = build_secrets(choice, environment)
    keys = Keys(environment, secrets)
    llm = llm_services(
        choose_llm(behavior.behavior_model, behavior.vector_store, environment, keys),
        behavior.behavior_model,
        clock=clock,
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
        max_body_bytes=max_body_bytes(choice, config.server.max_body_bytes),
        limits=limits,
        repair_examples=config.examples == "repair",
    )
    generator = OfflineGenerator(api.resolve_ref)
    timeout = behavior.performance.session_timeout_seconds
    world = assemble_world(
        loaded, api, stores.entities, generator, entity_ttl_seconds=max(timeout, _DAY)
    )
    world.resources.seed_shared(clock.now())
    vectors = behavior.vector_store
    memory = None
    why = None
    if vectors.enabled:
        vector_store = vector_memory or build_vector_memory(choice, stores.lifetimes)
        assert vector_store is not None  # the store is on
        threshold, why = similarity_threshold(vectors.similarity_threshold, llm.embedder.name)
        logger.info("semantic recall at similarity %.2f (%s)", threshold, why)
        from mockmind.domain.memory import SemanticMemory  # noqa: PLC0415 (vector store on)

        memory = SemanticMemory(
            llm.embedder,
            vector_store,
            limit=vectors.semantic_search_limit,
            threshold=threshold,
            timeout_seconds=vectors.embedding_timeout_seconds,
            costs=llm.costs,
        )
    callbacks = config.callbacks
    planner = None
    if callbacks.enabled and isinstance(api, OpenAPIDescription):
        planner = CallbackPlanner(
            OpenAPICallbacks(api.document),
            generator,
            allowed_hosts=callbacks.allowed_hosts,
        )
    courier = Courier(
        callback_sender or default_sender(),
        stores.sessions,
        clock,
        delivery_policy(callbacks),
        max_history=behavior.performance.max_history_length,
        races=world.resources.races,
    )
    deliveries = Deliveries(
        courier,
        build_launcher(choose_launcher(environment), courier, environment, lambda_invoker, tenant),
        planner,
        callbacks.webhook_targets,
    )
    admin_variable = admin_token_variable(tenant)
    variants = prompt_variants(behavior.behavior_model)
    prompt_stats = VariantStats(variants) if variants else None
    if prompt_stats is not None:
        # Before the engine asks for llm.content: the one LlmContent is built with its observers.
        llm.observers = (*llm.observers, prompt_stats)
    daily = quota_limits(config.quotas)
    quotas = None
    if daily.configured:
        # The config refuses quotas with the stats off: their counter is the stats'.
        assert stores.stats is not None
        quotas = Quotas(daily, stores.stats, model=llm.chat is not None)
    engine = MockEngine(
        api=api,
        generator=generator,
        sessions=stores.sessions,
        cache=stores.cache,
        clock=clock,
        settings=settings,
        world=world,
        llm=llm.content,
        memory=memory,
        prompting=PromptSettings(
            behavior.behavior_model.rules.system_prompt, world.describe(), variants=variants
        ),
        journal=stores.journal,
        stats=RequestStats(stores.stats) if stores.stats is not None else None,
        quotas=quotas,
        # The journal goes with the session's entities: in the durable stores they outlive it.
        journal_grace_seconds=0.0 if choice.storage == "memory" else _DAY,
        # Only a document with callbacks has the engine look them up after each answer.
        callbacks=planner if planner is not None and planner.declares_callbacks() else None,
    )
    return Container(
        config,
        engine,
        api,
        stores.sessions,
        stores.entities,
        stores.cache,
        secrets,
        choice.storage,
        loaded.source,
        llm=llm,
        memory=memory,
        memory_threshold_from=why,
        admin=AdminAccess(
            keys(admin_variable), in_lambda=environment.in_lambda, variable=admin_variable
        ),
        journal=stores.journal,
        deliveries=deliveries,
        prompt_stats=prompt_stats,
    )


def build_chat(loaded: LoadedConfig, *, env: Environment | Mapping[str, str]) -> LlmServices:
    """The config's chat provider alone, chosen as ``build`` chooses it (``behavior_model``;
    keys from the config, the environment, then the stack's secret store), for a command that
    asks the model itself: ``mockmind simulate`` with ``choose: llm``. No embedder beyond the
    local one (loading MiniLM or calling a remote one would be work for nothing), no metrics.
    The caller closes it (``aclose``) in the event loop that used it.
    """
    environment = as_environment(env)
    behavior = loaded.config.intelligent_behavior.behavior_model
    choice = choose_adapters(loaded.config, environment, base_dir=loaded.base_dir)
    keys = Keys(environment, build_secrets(choice, environment))
    unused = EmbedderChoice("local", "local", "not needed for chat alone", stand_in=True)
    return llm_services(
        LlmChoice(choose_chat(behavior, environment, keys), unused, metrics=False), behavior
    )


def api_description(loaded: LoadedConfig, limits: InputLimits | None = None) -> ApiDescription:
    """The API the config describes: its OpenAPI document, else its ``schemas:`` as routes."""
    limits = limits or InputLimits()
    spec = loaded.openapi_path()
    if spec is None:
        # Only a config without a document serves by REST conventions (and imports jsonschema).
        from mockmind.domain.schema_routes import SchemaRoutes  # noqa: PLC0415

        return SchemaRoutes(loaded.config.intelligent_behavior.behavior_model.rules.schemas, limits)
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
    return OpenAPIDescription.load(spec, limits)
