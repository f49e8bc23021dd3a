"""The admin routes' wire shapes: what `/__mockmind/openapi.json` promises they answer.

The admin app checks its answers against these models before sending them, so the document
clients (and the schemathesis run over it) read cannot drift from what is served. Sections
whose members depend on the configuration (the provider, the costs) stay open objects: their
documented members are typed, others pass through.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from mockmind.domain.error_answers import PROBLEM_MEDIA_TYPE
from mockmind.domain.sessions import SESSION_ID_PATTERN


class Problem(BaseModel):
    """An error answer (RFC 9457 members; `errors` lists each validation error)."""

    model_config = ConfigDict(extra="allow")

    status: int = Field(ge=400, le=599)
    title: str
    detail: str | None = None


class ApiKind(BaseModel):
    kind: str = Field(description="openapi (a document) or schemas (the config's schemas)")


class StorageBackend(BaseModel):
    backend: str = Field(description="memory, sqlite or aws")


class ProviderHealth(BaseModel):
    """Which generator (or embedder) the config names, which one answers, and why."""

    model_config = ConfigDict(extra="allow")

    configured: str | None
    in_use: str
    reason: str
    model: str | None = None
    endpoint: str | None = None


class WriteRaces(BaseModel):
    """Conflicting writes this process met: retried, and given up after the retries."""

    retried: int = Field(ge=0)
    given_up: int = Field(ge=0)


class Health(BaseModel):
    status: str
    version: str
    api: ApiKind
    storage: StorageBackend
    provider: ProviderHealth
    embeddings: ProviderHealth
    costs: dict[str, Any]
    session_tracking: str
    write_races: dict[str, WriteRaces]


class StateEntry(BaseModel):
    value: Any
    updated_at: float


class InteractionEntry(BaseModel):
    at: float
    method: str
    path: str
    # The query string as sent, secrets masked; empty without one.
    query: str = ""
    status: int
    request_body: Any
    response_body: Any
    source: str
    # Only on a request the mock sent (a callback, a webhook): name, URL, attempts, outcome.
    delivery: dict[str, Any] | None = None


class SessionView(BaseModel):
    """What a session remembers: its state, whether it logged in, and its history."""

    id: str
    created_at: float
    last_seen: float
    expires_at: float
    version: int
    requests: int = Field(ge=0, description="the requests it made: its journal's last step")
    authenticated: bool
    state: dict[str, StateEntry]
    history: list[InteractionEntry]


class RecordedRequest(BaseModel):
    """A request as the journal keeps it: credentials and secrets masked (``***``)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any = Field(description="JSON when the body was JSON, else its text; null if none")


class RecordedResponse(BaseModel):
    status: int
    headers: dict[str, str]
    body: Any


class EntityChangeView(BaseModel):
    """An entity write: `before` null when it was created, `after` null when deleted."""

    collection: str
    id: str = Field(description="the entity's id (`_` for a singleton)")
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class StateMoveView(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    machine: str
    entity_id: str
    from_state: str | None = Field(alias="from")
    to: str
    transition: str = Field(description="the request that made the move: METHOD /path")


class StateChangeView(BaseModel):
    """A session-state key the request set (`before_set` false: it had no value)."""

    key: str
    before: Any
    after: Any
    before_set: bool
    after_set: bool


class JournalEventView(BaseModel):
    """One request of the session, step `seq` (counted from 1), and what it did."""

    seq: int = Field(ge=1)
    at: float
    request: RecordedRequest
    response: RecordedResponse
    source: str
    fallback_reason: str | None
    latency_ms: float
    llm_calls: int = Field(ge=0)
    tokens: int = Field(ge=0)
    cost_usd: float
    rules: list[str] = Field(description="the rules whose condition matched, in order")
    moves: list[StateMoveView]
    changes: list[EntityChangeView]
    state_changes: list[StateChangeView]


class JournalView(BaseModel):
    """A page of the session's journal, oldest first."""

    session_id: str
    events: list[JournalEventView]
    dropped: int = Field(ge=0, description="steps before the first kept one (journal.max_events)")
    next_after: int | None = Field(
        description="`after` for the next page; null when this page reaches the last step"
    )


class WorldView(BaseModel):
    """The session's entities (by collection, then id) and state after step `step`."""

    session_id: str
    step: int = Field(ge=0)
    entities: dict[str, dict[str, dict[str, Any]]]
    state: dict[str, Any]


class StateKeyDiff(BaseModel):
    before: Any
    after: Any


class WorldDiffView(BaseModel):
    """What differs from the world after step `from` to the world after step `to`."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    session_id: str
    from_step: int = Field(alias="from")
    to_step: int = Field(alias="to")
    entities: list[EntityChangeView]
    state: dict[str, StateKeyDiff]


class WebhookEntry(BaseModel):
    name: str
    targets: list[str]


class WebhookList(BaseModel):
    """The served document's 3.1 webhooks, with the targets the config registers for each."""

    webhooks: list[WebhookEntry]


_HTTP_URL = r"^https?://"


class WebhookTargets(BaseModel):
    """Where to send a webhook (else the config's targets), and the session to record it in."""

    # The session id pattern excludes the internal scopes by a lookahead, which pydantic's
    # default (Rust) regex engine does not have.
    model_config = ConfigDict(regex_engine="python-re")

    url: str | None = Field(None, pattern=_HTTP_URL)
    urls: list[Annotated[str, Field(pattern=_HTTP_URL)]] | None = None
    session_id: str | None = Field(None, pattern=SESSION_ID_PATTERN)


class Delivery(BaseModel):
    method: str
    url: str
    body: Any


class WebhookFired(BaseModel):
    webhook: str
    session_id: str | None
    deliveries: list[Delivery]


def problem_response(description: str) -> dict[str, Any]:
    """An error answer as the admin document lists it: a problem document, in the media type
    the admin app sends, and no other."""
    schema = Problem.model_json_schema()
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}}}
