"""Wire shapes of the behaviour designer's routes: `/behaviour` and `/rules/evaluate`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mockmind.app.admin_models import Problem

# What the playground takes: longer texts are no condition a config would hold.
MAX_EXPRESSION_LENGTH = 4000


class TransitionDesign(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_states: list[str] = Field(alias="from", description="the states it may start from")
    to: str
    trigger: str = Field(description="the request that makes the move: METHOD /path/template")
    guard: str | None = Field(description="a condition that must also hold, if any")
    sets: dict[str, str] = Field(description="fields set by the move: name to expression")


class MachineDesign(BaseModel):
    name: str
    resource: str
    field: str = Field(description="the entity field that holds the state")
    initial: str
    states: list[str]
    transitions: list[TransitionDesign]
    positions: dict[str, str | None] = Field(
        description="with `session_id`: each entity of the resource (by id) and its state"
    )


class RuleDesign(BaseModel):
    name: str
    condition: str
    priority: int
    action: str = Field(description="the action's type: require_auth, respond, delay, ...")


class BehaviourView(BaseModel):
    """The config's state machines and rules (rules in the order they run)."""

    machines: list[MachineDesign]
    rules: list[RuleDesign]


class RuleEvaluation(BaseModel):
    """A condition or expression to try on step `step` (from 1) of a session's journal."""

    model_config = ConfigDict(extra="forbid")

    expression: str = Field(max_length=MAX_EXPRESSION_LENGTH)
    session_id: str = Field(max_length=200)
    step: int = Field(ge=1)
    language: Literal["condition", "expression"] = Field(
        "condition",
        description="the condition language of rules and guards, or the expression language "
        "of computed fields",
    )


class EntityRef(BaseModel):
    collection: str
    id: str


class EvaluatedRequest(BaseModel):
    """The recorded request the text was evaluated on, as conditions saw it."""

    method: str
    path: str
    query: dict[str, Any]
    headers: dict[str, str]
    body: Any
    state: dict[str, Any] = Field(description="the session state just before the request")
    entity: EntityRef | None = Field(description="the entity the path names, seen as `entity`")


class RuleVerdictView(BaseModel):
    name: str
    fires: bool = Field(description="whether the rule's condition holds for the request")
    why: str
    recorded: bool = Field(description="whether the journal recorded the rule as fired")


class EvaluationView(BaseModel):
    ok: Literal[True]
    language: Literal["condition", "expression"]
    value: Any
    why: str
    session_id: str
    step: int
    request: EvaluatedRequest
    rules: list[RuleVerdictView]


class SyntaxProblem(Problem):
    """A problem document; for a text that does not parse, where: 1-based line and column."""

    line: int | None = Field(None, ge=1)
    column: int | None = Field(None, ge=0)
