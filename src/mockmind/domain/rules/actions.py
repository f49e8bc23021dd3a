"""What a matching rule does. Each action is a small frozen object with one ``apply``.

Terminal actions answer the request (``respond``; ``require_auth`` and ``validate`` when
they fail; ``fault`` when it fires); the others change the request's outcome and let the
next rule run (``set_state``, ``delay``, ``transition``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any, Literal, Protocol

from mockmind.domain.error_answers import http_answer
from mockmind.domain.errors import MockmindError, RequestError
from mockmind.domain.http import MockResponse
from mockmind.lean_dataclass import dataclass


def error_response(error: MockmindError) -> MockResponse:
    """The mock's answer to an error, as the error table (``domain/error_answers``) builds it."""
    answer = http_answer(error)
    if isinstance(answer.body, str):
        return MockResponse(
            answer.status,
            None,
            answer.headers,
            answer.media_type,
            source="rule",
            body_kind="text",
            text=answer.body.encode(),
        )
    return MockResponse(
        answer.status, dict(answer.body), answer.headers, answer.media_type, source="rule"
    )


@dataclass
class RuleOutcome:
    """Everything the rules decided for one request."""

    response: MockResponse | None = None
    # The error ``response`` answers, when a rule refused the request: the engine answers it
    # as the operation documents that status.
    error: RequestError | None = None
    answered_by: str | None = None
    state_updates: dict[str, Any] = field(default_factory=dict)
    delay_seconds: float = 0.0
    fault: Literal["drop", "truncate"] | None = None
    transitions: list[tuple[str, str]] = field(default_factory=list)  # (machine, to)
    # The rules whose condition matched and whose action ran, in order (for the journal).
    fired: list[str] = field(default_factory=list)

    def refuse(self, error: RequestError) -> None:
        self.error = error
        self.response = error_response(error)


class RuleRequest(Protocol):
    """What actions need to know about the request beyond the condition context."""

    @property
    def authenticated(self) -> bool: ...

    @property
    def body(self) -> Any: ...


class Action(Protocol):
    def apply(self, request: RuleRequest, outcome: RuleOutcome) -> bool:
        """Change ``outcome``; True when the request is answered and no later rule runs."""
        ...


@dataclass(frozen=True)
class RequireAuth:
    message: str
    realm: str = "mockmind"

    def apply(self, request: RuleRequest, outcome: RuleOutcome) -> bool:
        if request.authenticated:
            return False
        outcome.refuse(
            RequestError(
                401,
                "Unauthorized",
                self.message,
                headers={"WWW-Authenticate": f'Bearer realm="{self.realm}"'},
            )
        )
        return True


@dataclass(frozen=True)
class Validate:
    schema_name: str
    message: str
    errors_of: Callable[[Any], list[dict[str, object]]]

    def apply(self, request: RuleRequest, outcome: RuleOutcome) -> bool:
        errors = self.errors_of(request.body)
        if not errors:
            return False
        outcome.refuse(RequestError(422, "Unprocessable Entity", self.message, errors))
        return True


@dataclass(frozen=True)
class Respond:
    status: int
    headers: Mapping[str, str]
    body: Any

    def apply(self, request: RuleRequest, outcome: RuleOutcome) -> bool:
        outcome.response = MockResponse(self.status, self.body, dict(self.headers), source="rule")
        return True


@dataclass(frozen=True)
class SetState:
    key: str
    value: Any

    def apply(self, request: RuleRequest, outcome: RuleOutcome) -> bool:
        outcome.state_updates[self.key] = self.value
        return False


@dataclass(frozen=True)
class Transition:
    machine: str
    to: str

    def apply(self, request: RuleRequest, outcome: RuleOutcome) -> bool:
        outcome.transitions.append((self.machine, self.to))
        return False


@dataclass(frozen=True)
class Delay:
    """Latency injection: fixed, or drawn from a distribution (milliseconds)."""

    distribution: Literal["fixed", "uniform", "normal", "exponential"]
    ms: float
    min_ms: float = 0.0
    max_ms: float = 0.0
    mean_ms: float = 0.0
    stddev_ms: float = 0.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def sample_ms(self) -> float:
        if self.distribution == "uniform":
            return self.rng.uniform(self.min_ms, self.max_ms)
        if self.distribution == "normal":
            return max(0.0, self.rng.gauss(self.mean_ms, self.stddev_ms))
        if self.distribution == "exponential":
            return self.rng.expovariate(1 / self.mean_ms) if self.mean_ms > 0 else 0.0
        return self.ms

    def apply(self, request: RuleRequest, outcome: RuleOutcome) -> bool:
        outcome.delay_seconds += self.sample_ms() / 1000
        return False


@dataclass(frozen=True)
class Fault:
    kind: Literal["status", "drop", "truncate"]
    status: int
    probability: float
    message: str
    chance: Callable[[], float] = field(default=random.random, compare=False)

    def apply(self, request: RuleRequest, outcome: RuleOutcome) -> bool:
        if self.probability <= 0 or self.chance() >= self.probability:
            return False
        if self.kind == "status":
            outcome.refuse(RequestError(self.status, "Injected Fault", self.message))
            return True
        outcome.fault = self.kind
        return False
