"""Wire shapes of the admin routes over whole sessions: the listing, reset, fork, and the
session fixture that export writes and import reads (``admin_sessions``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from mockmind.app.admin_models import InteractionEntry, JournalEventView, StateEntry
from mockmind.domain.session_fixture import FIXTURE_FORMAT
from mockmind.domain.sessions import SESSION_ID_PATTERN


class SessionSummaryView(BaseModel):
    """A session as a listing shows it."""

    id: str
    created_at: float = Field(description="epoch seconds")
    last_seen: float = Field(description="its last activity, epoch seconds")
    expires_at: float = Field(description="epoch seconds; each request moves it on")
    requests: int = Field(ge=0, description="the requests it made: its journal's last step")
    authenticated: bool = Field(description="whether it is logged in (the config's login)")


class SessionListView(BaseModel):
    """Live sessions, newest first by last activity."""

    sessions: list[SessionSummaryView]
    next_cursor: str | None = Field(
        description="`cursor` for the next page; null when this page is the last"
    )


def _whole(value: Any) -> Any:
    """A number with no fraction is a JSON Schema integer (``3.0``); bools and text are not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# A step as a body names it (the bodies are read strictly: ``false`` is no step).
Step = Annotated[int, Field(ge=0), BeforeValidator(_whole)]


class ResetRequest(BaseModel):
    """`to`: the step to go back to (null or absent: an empty session)."""

    model_config = ConfigDict(extra="forbid")

    to: Step | None = None


class ForkRequest(BaseModel):
    """`at`: the step whose world the new session starts from (null: the latest); `id`: the
    new session's id (null: a new random one)."""

    # The session id pattern excludes the internal scopes by a lookahead, which pydantic's
    # default (Rust) regex engine does not have.
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")

    at: Step | None = None
    id: str | None = Field(None, pattern=SESSION_ID_PATTERN)


class FixtureMarker(BaseModel):
    """A bookkeeping record of the session's (such as "this list was prefilled")."""

    model_config = ConfigDict(extra="forbid")

    id: str
    created_at: float
    data: dict[str, Any]


class FixtureBookkeeping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    markers: list[FixtureMarker] = Field(default_factory=list)
    sequences: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict, description="the last number each collection's ids were made from"
    )


class FixtureSession(BaseModel):
    """The session itself: its times, requests, login, state and remembered history."""

    model_config = ConfigDict(extra="forbid")

    id: str
    created_at: float
    last_seen: float
    expires_at: float
    requests: int = Field(ge=0)
    authenticated: bool
    state: dict[str, StateEntry]
    history: list[InteractionEntry]
    bookkeeping: FixtureBookkeeping = Field(default_factory=FixtureBookkeeping)


class SessionFixture(BaseModel):
    """A session's world and journal, as export writes it and import reads it."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["mockmind-session/1"] = Field(description=f"always {FIXTURE_FORMAT!r}")
    session: FixtureSession
    entities: dict[str, dict[str, dict[str, Any]]] = Field(
        description="every entity the session sees, by collection and id"
    )
    journal: list[JournalEventView] = Field(description="its kept journal events, oldest first")
    digest: str | None = Field(
        None,
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="SHA-256 of the rest (canonical JSON); import is idempotent by it",
    )


class ImportResult(BaseModel):
    id: str = Field(description="the imported session's id")
    digest: str
    imported: bool = Field(description="false: this fixture was imported before, as `id`")
