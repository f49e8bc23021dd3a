"""The config file's shape. Every section is a pydantic model that forbids unknown keys.

The seed's format (``intelligent_behavior:``) is the core; mockmind adds top-level ``openapi``,
``storage`` and ``server`` sections. Defaults are the seed's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
)

from mockmind.domain.client_input import DEFAULT_MAX_JSON_DEPTH, MAX_JSON_DEPTH_CEILING
from mockmind.domain.http import is_header_name
from mockmind.tenants.names import is_tenant_name


class Section(BaseModel):
    # Not defer_build: nine of the sections are built at a start all the same, and a mock-only
    # start took 9% more CPU with it (bench/coldstart.py against this tree without it).
    model_config = ConfigDict(extra="forbid", frozen=True)


def _token(value: str) -> str:
    """A header or cookie name mockmind sends: an HTTP token, or no client could read it."""
    if not is_header_name(value):
        raise ValueError(f"{value!r} is not a valid header or cookie name (letters, digits, -_.)")
    return value


def _sendable(value: str) -> str:
    """A header value from the config, sent as written: one line, in latin-1."""
    if any((ord(c) < 0x20 and c != "\t") or 0x7F <= ord(c) < 0xA0 for c in value):
        raise ValueError(f"header value {value!r} holds a control character (CR, LF, NUL...)")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(
            f"header value {value!r} has characters HTTP headers cannot carry"
        ) from None
    return value


class SessionTrackingConfig(Section):
    method: Literal["cookie", "header", "query_param"] = "cookie"
    cookie_name: str = Field("mockforge_session", min_length=1)
    header_name: str = Field("X-Session-ID", min_length=1)
    query_param: str = Field("session_id", min_length=1)
    auto_create: bool = True

    @field_validator("cookie_name", "header_name")
    @classmethod
    def _names(cls, value: str) -> str:
        return _token(value)


class RequireAuthAction(Section):
    type: Literal["require_auth"]
    message: str = "Authentication required"
    realm: str = "mockmind"

    @field_validator("realm")
    @classmethod
    def _quotable(cls, realm: str) -> str:
        # Sent inside quotes: ``WWW-Authenticate: Bearer realm="<realm>"``.
        if not all(" " <= c <= "~" and c not in '"\\' for c in realm):
            raise ValueError(f'realm {realm!r} may hold printable ASCII only, without " or \\')
        return realm


class ValidateAction(Section):
    type: Literal["validate"]
    schema_name: str = Field(alias="schema")
    message: str = "Validation failed"

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RespondAction(Section):
    type: Literal["respond"]
    status: int = Field(200, ge=100, le=599)
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None

    @field_validator("headers")
    @classmethod
    def _headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            _token(name)
            _sendable(value)
        return headers


class TransitionAction(Section):
    type: Literal["transition"]
    machine: str
    to: str


class SetStateAction(Section):
    type: Literal["set_state"]
    key: str
    value: Any = None


class DelayAction(Section):
    type: Literal["delay"]
    ms: float | None = Field(None, ge=0)
    distribution: Literal["fixed", "uniform", "normal", "exponential"] = "fixed"
    min_ms: float = Field(0, ge=0)
    max_ms: float = Field(0, ge=0)
    mean_ms: float = Field(0, ge=0)
    stddev_ms: float = Field(0, ge=0)


class FaultAction(Section):
    type: Literal["fault"]
    kind: Literal["status", "drop", "truncate"] = "status"
    status: int = Field(500, ge=100, le=599)
    probability: float = Field(1.0, ge=0, le=1)
    message: str = "Injected fault"


RuleAction = Annotated[
    RequireAuthAction
    | ValidateAction
    | RespondAction
    | TransitionAction
    | SetStateAction
    | DelayAction
    | FaultAction,
    Field(discriminator="type"),
]


class ConsistencyRule(Section):
    name: str = Field(min_length=1)
    condition: str = Field(min_length=1)
    action: RuleAction
    priority: int = 0


class ResourceConfig(Section):
    """A collection (or singleton) of entities, where inference from paths needs help."""

    path: str | None = Field(None, pattern=r"^/")
    item_path: str | None = Field(None, pattern=r"^/")
    id_field: str | None = None
    singleton: bool = False
    schema_name: str | None = Field(None, alias="schema")
    computed: dict[str, str] = Field(default_factory=dict)
    on_create: dict[str, str] = Field(default_factory=dict)
    clears: list[str] = Field(default_factory=list)
    seed: list[dict[str, Any]] | int = Field(default_factory=list)
    prefill: int | None = Field(None, ge=0, le=100)
    parent_field: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TransitionConfig(Section):
    from_states: list[str] = Field(alias="from")
    to: str
    on: str = Field(pattern=r"^[A-Za-z]+ /")
    guard: str | None = None
    set: dict[str, str] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("from_states", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class StateMachineConfig(Section):
    resource: str
    field: str = "status"
    initial: str
    states: list[str] = Field(default_factory=list)
    transitions: list[TransitionConfig] = Field(min_length=1)


class AuthConfig(Section):
    login: str | None = Field("POST /login", pattern=r"^[A-Za-z]+ /")
    logout: str | None = Field("POST /logout", pattern=r"^[A-Za-z]+ /")
    token_field: str = "token"
    token_ttl_seconds: int = Field(3600, ge=1)
    username_field: str = "username"
    password_field: str = "password"
    users: dict[str, str] | None = None


class RulesConfig(Section):
    system_prompt: str = (
        "You are simulating a realistic API.\nMaintain consistency across requests."
    )
    schemas: dict[str, dict[str, Any]] = Field(default_factory=dict)
    consistency_rules: list[ConsistencyRule] = Field(default_factory=list)
    resources: dict[str, ResourceConfig] = Field(default_factory=dict)
    state_machines: dict[str, StateMachineConfig] = Field(default_factory=dict)
    auth: AuthConfig = Field(default_factory=AuthConfig)

    @field_validator("consistency_rules")
    @classmethod
    def _unique_names(cls, rules: list[ConsistencyRule]) -> list[ConsistencyRule]:
        seen: set[str] = set()
        for rule in rules:
            if rule.name in seen:
                raise ValueError(f"rule name {rule.name!r} is used twice")
            seen.add(rule.name)
        return rules


class RetryConfig(Section):
    """Retries of one provider call on 429, 5xx and transport errors (full-jitter backoff)."""

    max_attempts: int = Field(3, ge=1, le=10)
    base_delay_seconds: float = Field(0.5, ge=0)
    max_delay_seconds: float = Field(8, ge=0)
    # A Retry-After longer than this ends the call (and the request falls back) instead.
    max_retry_after_seconds: float = Field(30, ge=0)


class CircuitBreakerConfig(Section):
    failure_threshold: int = Field(5, ge=1)
    cooldown_seconds: float = Field(30, ge=0)


class PriceConfig(Section):
    """US dollars per 1,000 tokens."""

    prompt_per_1k: float = Field(ge=0)
    completion_per_1k: float = Field(ge=0)


class CostConfig(Section):
    # Past this many dollars in a UTC day, content comes from the offline generator.
    daily_budget_usd: float | None = Field(None, ge=0)
    # Added to (or replacing entries of) the built-in table; keys are model names or prefixes.
    prices: dict[str, PriceConfig] = Field(default_factory=dict)


class PromptVariantConfig(Section):
    """One prompt of an experiment: sessions are spread over the variants by weight."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")
    weight: float = Field(1.0, gt=0)
    # Unset: the rules' system_prompt (a control variant beside the ones that change it).
    system_prompt: str | None = None


class BehaviorModelConfig(Section):
    # None (unset, empty) and "auto" both mean: chosen from whichever endpoint or key is set.
    llm_provider: (
        Literal["auto", "openai", "anthropic", "ollama", "openai_compatible", "offline"] | None
    ) = None
    model: str = "gpt-3.5-turbo"
    api_key: SecretStr | None = None
    api_endpoint: str | None = None
    temperature: float = Field(0.7, ge=0, le=2)
    max_tokens: int = Field(1024, ge=1)
    timeout_seconds: float = Field(30, gt=0)
    connect_timeout_seconds: float = Field(5, gt=0)
    retries: RetryConfig = Field(default_factory=RetryConfig)
    circuit_breaker: CircuitBreakerConfig = Field(default_factory=CircuitBreakerConfig)
    # How long an answer that fell back is served from the offline generator again for the
    # same request without asking the model (0: ask every time).
    negative_cache_ttl_seconds: float = Field(60, ge=0)
    cost: CostConfig = Field(default_factory=CostConfig)
    rules: RulesConfig = Field(default_factory=RulesConfig)
    # Prompts under experiment (domain/prompt_experiment.py): each session keeps one variant;
    # GET /__mockmind/prompts compares them.
    prompt_variants: list[PromptVariantConfig] = Field(default_factory=list)

    @field_validator("prompt_variants")
    @classmethod
    def _unique_variants(cls, variants: list[PromptVariantConfig]) -> list[PromptVariantConfig]:
        names = [variant.name for variant in variants]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"prompt variant names used twice: {', '.join(twice)}")
        return variants

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_key_is_absent(cls, value: object) -> object:
        # ``api_key: ${OPENAI_API_KEY}`` with the variable unset substitutes to "": no key.
        return None if value in ("", None) else value

    @field_validator("api_endpoint", "llm_provider", mode="before")
    @classmethod
    def _empty_is_absent(cls, value: object) -> object:
        return None if value == "" else value


class VectorStoreConfig(Section):
    enabled: bool = False
    # "minilm" is all-MiniLM-L6-v2 on the CPU, from the optional extra mockmind[minilm].
    embedding_provider: Literal["openai", "ollama", "openai_compatible", "local", "minilm"] = (
        "local"
    )
    embedding_model: str = "text-embedding-ada-002"
    semantic_search_limit: int = Field(10, ge=1, le=1000)
    # Unset: the embedder's own default (app/providers.py, measured by
    # bench/recall_threshold.py); the design's 0.7 kept 2 of 132 true matches with either
    # local embedder.
    similarity_threshold: float | None = Field(None, ge=-1, le=1)
    # Bounds every embedding call (and, in Lambda, the invocation's remaining time does too):
    # a hanging embeddings endpoint costs a request that calls the model at most this long.
    embedding_timeout_seconds: float = Field(2, gt=0)
    # int8 codes: a quarter of float32's bytes to load and hold, searched in about 0.3x the
    # time with float32's exact answers (bench/quantization.py); "none" holds float32 rows.
    quantization: Literal["none", "int8"] = "int8"


class PerformanceConfig(Section):
    cache_ttl_seconds: int = Field(300, ge=0)
    max_history_length: int = Field(50, ge=0)
    session_timeout_seconds: int = Field(3600, ge=1)
    enable_response_cache: bool = True


class IntelligentBehaviorConfig(Section):
    enabled: bool = True
    session_tracking: SessionTrackingConfig = Field(default_factory=SessionTrackingConfig)
    behavior_model: BehaviorModelConfig = Field(default_factory=BehaviorModelConfig)
    vector_store: VectorStoreConfig = Field(default_factory=VectorStoreConfig)
    performance: PerformanceConfig = Field(default_factory=PerformanceConfig)


class StorageConfig(Section):
    backend: Literal["memory", "sqlite", "aws"] = "memory"
    sqlite_path: str = "mockmind.db"
    table: str | None = None
    bucket: str | None = None
    # The memory backend's cap on live sessions: past it, the least recently used one ends
    # with all it owned. The durable backends keep every session until it expires.
    max_sessions: int = Field(10_000, ge=1)


class ServerConfig(Section):
    max_body_bytes: int = Field(1_048_576, ge=1)
    # How deep a request's JSON may nest (domain/client_input.py says why it is capped).
    max_json_depth: int = Field(DEFAULT_MAX_JSON_DEPTH, ge=1, le=MAX_JSON_DEPTH_CEILING)
    cors: bool = True


class JournalConfig(Section):
    """Each session's journal (domain/journal.py): one event per request, its last
    ``max_events`` kept (the admin routes' time travel reaches back that far)."""

    enabled: bool = True
    max_events: int = Field(200, ge=1)


class StatsConfig(Section):
    """Request counters per hour (domain/stats.py): requests, cache hits, model calls, tokens,
    cost and errors by source, read by ``GET /__mockmind/stats``. One write per request."""

    enabled: bool = True


class QuotasConfig(Section):
    """Limits per UTC day, shared by every instance on the same store (domain/quotas.py).
    Unset: no limit (and, with neither set, no counting at all)."""

    # Past it: 429 with Retry-After until midnight UTC.
    requests_per_day: int | None = Field(None, ge=1)
    # What the requests' own model calls may cost a day, in US dollars (a shared counterpart of
    # behavior_model.cost.daily_budget_usd, which each process keeps for itself).
    llm_budget_usd_per_day: float | None = Field(None, ge=0)
    # Past the budget: the offline generator answers (``offline``), or 429 (``refuse``).
    past_llm_budget: Literal["offline", "refuse"] = "offline"


class CallbacksConfig(Section):
    """Outgoing requests: an operation's ``callbacks`` and the document's 3.1 ``webhooks``."""

    enabled: bool = True
    # Waited after the answer that triggers a callback, before its first attempt.
    delay_seconds: float = Field(0, ge=0, le=600)
    # Attempts after the first, on a transport error, 408, 429 or 5xx.
    retries: int = Field(2, ge=0, le=10)
    # Before retry n: backoff_seconds * 2 ** (n - 1), at most max_backoff_seconds, or the
    # receiver's Retry-After when longer (one beyond max_backoff_seconds ends the retries).
    backoff_seconds: float = Field(0.5, ge=0)
    max_backoff_seconds: float = Field(30, ge=0)
    timeout_seconds: float = Field(10, gt=0, le=300)
    # Hosts deliveries may go to (exact names, or "*.example.com" for subdomains); None: any.
    allowed_hosts: list[str] | None = None
    # Where each webhook goes when the admin request names no URL.
    webhook_targets: dict[str, list[str]] = Field(default_factory=dict)


class UpstreamConfig(Section):
    """A real API behind the mock: what the mock cannot answer (a path its document does not
    have, or a request sent with ``Prefer: proxy=true``) is forwarded there and recorded."""

    url: str = Field(pattern=r"^https?://[^/?#\s]+")
    # For the whole exchange: connecting, sending, and each wait for the answer's bytes.
    timeout_seconds: float = Field(30, gt=0, le=600)
    # Where forwarded exchanges are written: a HAR 1.2 file for a name ending in ``.har``,
    # else journal events, one JSON line each. Relative to the config file's folder.
    record: str | None = None
    # More names to mask in recordings (headers, query parameters, body fields), beyond the
    # credentials, cookies and secret-named fields that are always masked.
    mask: list[str] = Field(default_factory=list)


class TenantsConfig(Section):
    """Many APIs on one stack: each request goes to a tenant's own config and world.

    ``catalog``: where the tenants are, a folder (one sub-folder per tenant, relative to this
    file) or ``s3://bucket/prefix/``; ``MOCKMIND_TENANTS`` overrides it. A tenant is picked by
    the path prefix ``/t/{tenant}/``, else by host name (``hosts``, then ``{tenant}.{domain}``),
    else by the API key in ``api_key_header`` (``api_keys``: key -> tenant).
    """

    catalog: str | None = None
    # A warm instance asks the catalog whether a built tenant changed at most this often.
    refresh_seconds: float = Field(30, ge=0)
    # Built tenants kept, the least recently used dropped past either bound.
    max_built: int = Field(50, ge=1)
    # Half the function's memory in the template (1024 MB): the rest is the runtime's.
    max_memory_mb: int = Field(512, ge=1)
    domain: str | None = Field(None, pattern=r"^[A-Za-z0-9.-]+$")
    hosts: dict[str, str] = Field(default_factory=dict)
    api_key_header: str = "X-Mockmind-Tenant-Key"
    api_keys: dict[str, str] = Field(default_factory=dict)

    @field_validator("hosts", "api_keys")
    @classmethod
    def _names_tenants(cls, value: dict[str, str]) -> dict[str, str]:
        for tenant in value.values():
            if not is_tenant_name(tenant):
                raise ValueError(f"{tenant!r} is not a tenant name (1 to 63 of a-z, 0-9 and '-')")
        return value

    @field_validator("api_keys")
    @classmethod
    def _no_empty_key(cls, value: dict[str, str]) -> dict[str, str]:
        # ``${TENANT_KEY}: acme`` with the variable unset substitutes to "": no key, so that
        # an empty header never picks a tenant.
        return {key: tenant for key, tenant in value.items() if key}

    @field_validator("api_key_header")
    @classmethod
    def _header(cls, value: str) -> str:
        return _token(value)


class MockmindConfig(Section):
    """The whole file. ``source`` is where it came from (for error messages and relative paths)."""

    intelligent_behavior: IntelligentBehaviorConfig = Field(
        default_factory=IntelligentBehaviorConfig
    )
    openapi: str | None = None
    # A document's example that breaks its schema: served repaired (missing required fields
    # generated, wrong types replaced, a header saying so), or untouched with ``as_is``.
    examples: Literal["repair", "as_is"] = "repair"
    storage: StorageConfig = Field(default_factory=StorageConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    journal: JournalConfig = Field(default_factory=JournalConfig)
    stats: StatsConfig = Field(default_factory=StatsConfig)
    quotas: QuotasConfig = Field(default_factory=QuotasConfig)
    callbacks: CallbacksConfig = Field(default_factory=CallbacksConfig)
    upstream: UpstreamConfig | None = None
    # Serve many tenants' configs instead of this one's API (app/tenant_front.py).
    tenants: TenantsConfig | None = None

    @field_validator("quotas")
    @classmethod
    def _quotas_are_counted(cls, quotas: QuotasConfig, info: ValidationInfo) -> QuotasConfig:
        # ``stats`` is declared above ``quotas``, so it is validated first and here to see.
        stats = info.data.get("stats")
        counted = quotas.requests_per_day is not None or quotas.llm_budget_usd_per_day is not None
        if counted and isinstance(stats, StatsConfig) and not stats.enabled:
            raise ValueError(
                "quotas are counted beside the stats (a counter per day next to the hours'): "
                "set stats.enabled: true, or remove the quotas"
            )
        return quotas
