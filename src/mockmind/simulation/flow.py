"""A simulation flow: what each virtual user of ``mockmind simulate`` does, read from YAML.

The simplest flow is a list of requests::

    steps:
      - get: /products?limit=2
      - post: /cart/items
        json: {product_id: "{{product_id}}", quantity: 2}

and the rest is added to that form: ``capture`` names values of an answer for later steps,
``status`` and ``checks`` judge an answer, ``think`` pauses, ``choice`` picks one branch by
weight, ``repeat`` runs steps several times. Values are expressions of the computed-field
language (domain/rules/expressions.py) over ``status``, ``headers``, ``body`` and the captured
names, so a check reads like the config's own computed fields.

Or the language model picks each request (next_step.py), as a persona would::

    choose: llm
    persona: A bargain hunter who compares a few products and buys the cheapest.
    max_steps: 8
    steps:              # optional: run first in each iteration (a login, values to capture)
      - post: /login
        json: {username: ada, password: lovelace}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mockmind.config.loader import parse_yaml_model
from mockmind.domain.errors import ConfigError, ConfigIssue, RuleSyntaxError
from mockmind.domain.rules.expressions import Expression, parse_expression

METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
_KINDS = (*METHODS, "think", "choice", "repeat")
# Requests the language model picks per iteration when the flow names no max_steps.
DEFAULT_MAX_STEPS = 10


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Check(_Model):
    """``that`` must be truthy, or equal ``equals`` when given (numbers compare as numbers)."""

    that: str
    equals: str | None = None
    name: str | None = None

    def label(self) -> str:
        if self.name:
            return self.name
        return self.that if self.equals is None else f"{self.that} == {self.equals}"


class Branch(_Model):
    weight: float = Field(1.0, gt=0)
    steps: list[Step]


class Repeat(_Model):
    times: int = Field(ge=1, le=10_000)
    steps: list[Step]


class Step(_Model):
    """One step: a request (its method as the key, the path as the value), a pause, a choice
    or a repetition; exactly one of them."""

    get: str | None = None
    post: str | None = None
    put: str | None = None
    patch: str | None = None
    delete: str | None = None
    head: str | None = None
    options: str | None = None
    think: float | tuple[float, float] | None = None
    choice: list[Branch] | None = Field(None, min_length=1)
    repeat: Repeat | None = None

    name: str | None = None
    json_body: Any = Field(None, alias="json")
    body: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str | int | float | bool] = Field(default_factory=dict)
    capture: dict[str, str] = Field(default_factory=dict)
    status: int | list[int] | None = None
    checks: list[Check] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [kind for kind in _KINDS if getattr(self, kind) is not None]
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none"
            raise ValueError(f"a step is exactly one of {', '.join(_KINDS)} (found: {found})")
        if self.method is None:
            extras = [
                key
                for key in ("json", "body", "headers", "query", "capture", "status", "checks")
                if key in self.model_fields_set or (key == "json" and self.json_body is not None)
            ]
            if extras:
                raise ValueError(f"{', '.join(extras)} belong to a request step, not {kinds[0]}")
        if self.json_body is not None and self.body is not None:
            raise ValueError("a request has json or body, not both")
        if isinstance(self.think, tuple) and not 0 <= self.think[0] <= self.think[1]:
            raise ValueError("think: [low, high] with 0 <= low <= high")
        if isinstance(self.think, float | int) and self.think < 0:
            raise ValueError("think: seconds, 0 or more")
        return self

    @property
    def method(self) -> str | None:
        return next((m for m in METHODS if getattr(self, m) is not None), None)

    @property
    def path(self) -> str:
        method = self.method
        return "" if method is None else str(getattr(self, method))

    def label(self) -> str:
        """How the report names the step: its name, or ``METHOD path`` as written."""
        return self.name or f"{(self.method or '').upper()} {self.path}"

    @property
    def expected(self) -> tuple[int, ...] | None:
        if self.status is None:
            return None
        return (self.status,) if isinstance(self.status, int) else tuple(self.status)


class Flow(_Model):
    name: str = "flow"
    # Where each user's session id goes: the server's session tracking reads this header
    # whatever its configured method is (domain/sessions.py), so every user is one session.
    session_header: str = "X-Session-ID"
    variables: dict[str, Any] = Field(default_factory=dict)
    steps: list[Step] = Field(default_factory=list)
    # Who picks the requests: the steps as written, or the language model (after the steps,
    # which then open each iteration), up to ``max_steps`` requests per iteration.
    choose: Literal["steps", "llm"] = "steps"
    persona: str | None = None
    max_steps: int | None = Field(None, ge=1, le=1000)

    @model_validator(mode="after")
    def _chooser(self) -> Flow:
        if self.choose == "steps":
            if not self.steps:
                raise ValueError("steps: at least one step (or choose: llm with a persona)")
            given = [key for key in ("persona", "max_steps") if key in self.model_fields_set]
            if given:
                raise ValueError(f"{' and '.join(given)} belong to choose: llm")
        elif not (self.persona or "").strip():
            raise ValueError("choose: llm needs a persona: who the user is and what they want")
        return self

    @property
    def llm_steps(self) -> int:
        """Requests the language model picks per iteration (0 with ``choose: steps``)."""
        if self.choose != "llm":
            return 0
        return self.max_steps if self.max_steps is not None else DEFAULT_MAX_STEPS


def load_flow(path: Path) -> Flow:
    """The flow in ``path``; a ConfigError naming the line of every problem, expressions
    included (each is parsed here, so a run never starts with a check that cannot run)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            [ConfigIssue("", f"cannot read flow file: {exc.strerror}", source=str(path))]
        ) from exc
    loaded = parse_yaml_model(text, Flow, source=path)
    flow = loaded.value
    issues = [
        loaded.issue(loc, f"{what}: {error}")
        for loc, what, error in _expression_errors(flow.steps, ("steps",))
    ]
    if issues:
        raise ConfigError(issues)
    return flow


def expressions_of(step: Step) -> list[tuple[tuple[Any, ...], str, str]]:
    """``(location, role, text)`` of every expression a request step holds."""
    found: list[tuple[tuple[Any, ...], str, str]] = []
    for name, text in step.capture.items():
        found.append((("capture", name), f"capture {name}", text))
    for index, check in enumerate(step.checks):
        found.append((("checks", index, "that"), "check", check.that))
        if check.equals is not None:
            found.append((("checks", index, "equals"), "check", check.equals))
    return found


def _expression_errors(
    steps: list[Step], at: tuple[Any, ...]
) -> list[tuple[tuple[Any, ...], str, RuleSyntaxError]]:
    errors: list[tuple[tuple[Any, ...], str, RuleSyntaxError]] = []
    for index, step in enumerate(steps):
        here = (*at, index)
        for loc, role, text in expressions_of(step):
            try:
                compiled(text)
            except RuleSyntaxError as exc:
                errors.append(((*here, *loc), role, exc))
        if step.choice is not None:
            for number, branch in enumerate(step.choice):
                errors += _expression_errors(branch.steps, (*here, "choice", number, "steps"))
        if step.repeat is not None:
            errors += _expression_errors(step.repeat.steps, (*here, "repeat", "steps"))
    return errors


_COMPILED: dict[str, Expression] = {}


def compiled(text: str) -> Expression:
    """The parsed expression, parsed once per text for the whole run."""
    expression = _COMPILED.get(text)
    if expression is None:
        expression = _COMPILED[text] = parse_expression(text)
    return expression


Branch.model_rebuild()
Repeat.model_rebuild()
