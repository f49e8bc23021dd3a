"""The admin routes' answers as the CLI reads them (the contract of issue 16).

These are the client's own models, not the server's (``app/admin_models``): the CLI talks to
deployed servers of other versions too, so it names only what it reads and keeps the rest.
Every model allows extra members and dumps them back (``as_json``), so ``--json`` prints what
the server sent, members this CLI does not know included; a member it needs that is missing or
of another type makes the answer unexpected (``AdminAnswerUnexpected``, exit 6).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Answer(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    def as_json(self) -> dict[str, Any]:
        """The answer as the server sent it: no member added, none dropped."""
        return self.model_dump(mode="json", exclude_unset=True)


class SessionSummary(Answer):
    """One session of the list; reset and fork answer with the session they made."""

    id: str
    created_at: float
    last_seen: float
    expires_at: float
    requests: int = Field(ge=0)
    authenticated: bool


class SessionPage(Answer):
    """A page of the list, newest activity first; ``next_cursor`` asks for the next page."""

    sessions: list[SessionSummary]
    next_cursor: str | None


class StateEntry(Answer):
    value: Any
    updated_at: float


class HistoryEntry(Answer):
    at: float
    method: str
    path: str
    query: str = ""
    status: int
    source: str


class SessionDetail(Answer):
    """What a session remembers now: its state, its login and its (bounded) history."""

    id: str
    created_at: float
    last_seen: float
    expires_at: float
    version: int
    # Not in every server's answer: the requests it made (its journal's last step).
    requests: int | None = Field(None, ge=0)
    authenticated: bool
    state: dict[str, StateEntry]
    history: list[HistoryEntry]


class World(Answer):
    """The session's entities (collection, then id) and state after step ``step``."""

    session_id: str
    step: int = Field(ge=0)
    entities: dict[str, dict[str, Any]]
    state: dict[str, Any]


class FixtureHead(Answer):
    """What the CLI reads of an exported fixture; the file keeps the server's bytes."""

    format: str
    session: dict[str, Any]
    entities: dict[str, Any]
    journal: list[Any]
    digest: str


class Imported(Answer):
    """``imported`` is false when a fixture of that digest was imported before: same id."""

    id: str
    digest: str
    imported: bool


class TenantStored(Answer):
    """A tenant pushed: ``created`` is false when one of that name was replaced."""

    tenant: str
    version: str
    created: bool
    files: list[str]


class TenantDeleted(Answer):
    tenant: str
    deleted: bool


class Difference(Answer):
    path: str
    recorded: Any
    now: Any


class ReplayedStep(Answer):
    step: int = Field(ge=1)
    method: str
    path: str
    recorded_status: int
    status: int
    same: bool
    differences: list[Difference]
    # Not in every server's answer: differences beyond those listed, and what the replay sent
    # otherwise or could not compare (a credential the journal masked).
    omitted_differences: int = Field(0, ge=0)
    notes: list[str] = Field(default_factory=list)


class ReplaySummary(Answer):
    steps: int = Field(ge=0)
    same: int = Field(ge=0)
    differ: int = Field(ge=0)


class ReplayReport(Answer):
    """The session's recorded requests run again, in a scratch session, step by step."""

    session_id: str
    scratch_session_id: str
    steps: list[ReplayedStep]
    summary: ReplaySummary
    # Not in every server's answer: whether the scratch session was kept, and the JSON paths
    # left out of the comparison (the server's own choice when none were asked for).
    kept: bool | None = None
    ignored: list[str] | None = None


class Counters(Answer):
    requests: int = Field(ge=0)
    cache_hits: int = Field(ge=0)
    # None: no request to make a rate of.
    cache_hit_rate: float | None
    llm_calls: int = Field(ge=0)
    tokens: int = Field(ge=0)
    cost_usd: float
    errors_by_source: dict[str, int]


class HourCounters(Counters):
    hour: str = Field(description="the hour's start, ISO 8601")


class Quota(Answer):
    """One quota of the day; ``refused`` is sent for the requests quota only."""

    limit: float
    used: float
    used_up: bool
    past_limit: str
    refused: int | None = None


class Quotas(Answer):
    day: str
    resets_at: str
    requests_per_day: Quota | None = None
    llm_budget_usd_per_day: Quota | None = None


class Stats(Answer):
    totals: Counters
    hours: list[HourCounters]
    # Not in every server's answer: today's quotas (null, or absent before quotas existed).
    quotas: Quotas | None = None


class PromptVariantRow(Answer):
    """One prompt variant and what its answers were worth (only answers the model was asked
    for count). Rates and percentiles are None until the variant has an answer."""

    name: str
    weight: float
    answers: int = Field(ge=0)
    calls: int = Field(ge=0)
    valid_first_try: int = Field(ge=0)
    valid_first_try_rate: float | None
    # The rate's 95% interval, [low, high].
    valid_first_try_interval: tuple[float, float] | None
    repaired: int = Field(ge=0)
    fallbacks: int = Field(ge=0)
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)
    cost_usd: float


class PromptExperiment(Answer):
    """The prompt variants under experiment, counted by the instance that answered since it
    started, and the server's plain verdict."""

    variants: list[PromptVariantRow]
    verdict: str
