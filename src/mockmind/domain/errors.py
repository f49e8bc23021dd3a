"""Every error the domain raises, so adapters can translate foreign ones at their edge.

MockmindError
├── ConfigError                 config file or OpenAPI document is unusable (start-up only)
├── StoreError                  a storage adapter failed
│   └── VersionConflict         a conditional write lost a race (optimistic locking)
├── SecretNotFound              a key was asked for and no source had it
└── RequestError                the client's request cannot be answered as asked
    ├── RouteNotFound           404: no operation matches the path
    ├── MethodNotAllowed        405: the path exists, the method does not
    ├── RequestValidationFailed 400/422: parameters or body break the spec
    └── PayloadTooLarge         413: the body is over the configured limit
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


class MockmindError(Exception):
    """Base of every error mockmind raises on purpose."""


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a config file: where it is and what was expected."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None
    source: str | None = None

    def __str__(self) -> str:
        where = self.source or "<config>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        key = f" {self.path}:" if self.path else ""
        return f"{where}:{key} {self.message}"


class ConfigError(MockmindError):
    """The configuration cannot be used; carries every issue found, not only the first."""

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


class StoreError(MockmindError):
    """A storage backend failed; the message names the operation and the backend."""


class VersionConflict(StoreError):
    """A conditional write found a newer version than the one it read."""


class SecretNotFound(MockmindError):
    """No source held the secret that was asked for (the message never holds a value)."""


@dataclass
class RequestError(MockmindError):
    """The request cannot be served as asked; ``status`` and ``body`` are what the client sees."""

    status: int
    title: str
    detail: str = ""
    errors: list[dict[str, object]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    # Extra members of the JSON body (a 409's current state and allowed transitions).
    extra: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.status} {self.title}: {self.detail}")

    def body(self) -> dict[str, object]:
        payload: dict[str, object] = {"status": self.status, "title": self.title}
        if self.detail:
            payload["detail"] = self.detail
        if self.errors:
            payload["errors"] = self.errors
        payload.update(self.extra)
        return payload


class RouteNotFound(RequestError):
    def __init__(self, method: str, path: str) -> None:
        super().__init__(404, "Not Found", f"no operation matches {method} {path}")


class MethodNotAllowed(RequestError):
    def __init__(self, method: str, path: str, allowed: Sequence[str]) -> None:
        super().__init__(
            405,
            "Method Not Allowed",
            f"{method} is not defined for {path}",
            headers={"Allow": ", ".join(sorted(allowed))},
        )


class RequestValidationFailed(RequestError):
    def __init__(self, status: int, errors: list[dict[str, object]]) -> None:
        title = "Bad Request" if status == 400 else "Unprocessable Entity"
        super().__init__(status, title, "the request does not match the API description", errors)


class PayloadTooLarge(RequestError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            413, "Payload Too Large", f"request body is {size} bytes; the limit is {limit} bytes"
        )
