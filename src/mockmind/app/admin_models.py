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
    authenticated: bool
    state: dict[str, StateEntry]
    history: list[InteractionEntry]


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
