"""The tree of every error mockmind raises on purpose; each one derives from ``MockmindError``.

The branches are declared here or in a port, so that the one table of answers
(``mockmind.domain.error_answers``) can name them without importing an adapter or the OpenAPI
layer; leaves that belong to one layer live in that layer's module (shown in brackets).

MockmindError
├── ConfigError                   the config file or OpenAPI document is unusable
│   └── UnresolvableRef           a $ref points at nothing (also a LookupError)
├── RuleSyntaxError               a rule's condition or expression does not parse
│   ├── ConditionSyntaxError      [domain/rules/conditions.py]
│   └── ExpressionSyntaxError     [domain/rules/expressions.py]
├── StoreError                    a storage adapter failed
│   └── VersionConflict           a conditional write lost a race (optimistic locking)
│       ├── EntityExists          a create found its id taken
│       └── TenantBeingStored     another push of a tenant holds its manifest
│                                 [tenants/catalog.py]
├── SecretNotFound                a key was asked for and no source had it
├── RecordingError                a recording `mockmind learn` reads is unusable
├── ProviderError                 a model or embedder call failed [ports/llm.py]
├── ProviderUnavailable           a provider cannot be built here [ports/llm.py]
│   └── MiniLMUnavailableError    the minilm extra is missing [adapters/llm/minilm_embedder.py]
├── JsonExtractionError           a model's answer holds no JSON value [domain/json_extraction.py]
├── DeliveryFailed                a callback got no answer [domain/callbacks/deliveries.py]
├── ExpressionError               a callback URL's runtime expression names nothing
│                                 [domain/callbacks/runtime_expressions.py]
├── FlowError                     a virtual user cannot go on with its flow (mockmind simulate)
│   ├── UnknownVariable           a {{name}} with no value yet [simulation/values.py]
│   ├── NextStepRefused           the LLM gave no usable next step [simulation/next_step.py]
│   ├── _Refusal                  one answer of the LLM is not a step [simulation/next_step.py]
│   └── _EndIteration             a failure ends the iteration [simulation/runner.py]
├── RequestMismatch               one part of a request does not fit the API description
│   ├── NoRoute                   no path, or no method, matches [openapi/routing.py]
│   ├── StyleError                a parameter's text breaks its style [openapi/parameters.py]
│   └── UnreadableNumber          a number's text cannot be read [domain/client_input.py]
├── RequestError                  the client's request cannot be answered as asked
│   ├── RouteNotFound             404: no operation matches the path
│   ├── MethodNotAllowed          405: the path exists, the method does not
│   ├── RequestValidationFailed   400/422: parameters or body break the spec
│   ├── PayloadTooLarge           413: the body is over the configured limit
│   ├── UnreadableInput           400: too deep, a number too long, text not Unicode
│   ├── UnknownWebhook            404: no webhook of that name [domain/callbacks/planning.py]
│   ├── UnsupportedMediaType      415 [openapi/errors.py]
│   ├── NotAcceptable             406 [openapi/errors.py]
│   ├── QuotaExceeded             429: a quota of the day is used up [domain/quotas.py]
│   ├── UpstreamFailed            502: the proxied API cannot be reached [proxy/forwarding.py]
│   ├── UpstreamTimeout           504: the proxied API did not answer in time
│   │                             [proxy/forwarding.py]
│   └── StepOutOfReach            404/409: a journal step not kept [domain/journal.py]
└── AdminCallFailed               a CLI command's call to a server's admin routes failed
    ├── AdminRefused              the server answered with an error status
    │   ├── AdminNotFound         404: no such session, or no such step of it
    │   └── AdminAuthRefused      401/403: the admin token is missing or wrong, or needed
    ├── AdminUnreachable          no answer: connection refused, DNS, TLS, timeout
    └── AdminAnswerUnexpected     not the admin API's answer: not JSON, another shape, or no
                                  such route on that server (an older mockmind)

Only ``RequestError``s are meant for the client. ``RuleSyntaxError``, ``ProviderError``,
``ProviderUnavailable``, ``JsonExtractionError``, ``RequestMismatch``, ``DeliveryFailed``,
``ExpressionError`` and ``FlowError`` are caught by their
callers and turned into a config issue, a fallback or a ``RequestError``; the rest end a
start-up or fail a request. Builtin exceptions are left to programming errors (a caller
breaking a function's contract) and to pydantic validators, which must raise ``ValueError``.

``AdminCallFailed`` is the other side of the wire: ``cli/admin_client`` translates httpx's
errors and the admin routes' error answers into it, and the table gives each kind its own exit
code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from typing import Self

from mockmind.lean_dataclass import dataclass


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


class UnresolvableRef(ConfigError, LookupError):
    """A ``$ref`` points at nothing: a missing file, a bad pointer or a cycle of bare refs.

    A ``LookupError`` too, so code that follows ``$ref`` strings can catch it like a missing
    key (a schema resolver's contract).
    """

    def __init__(self, ref: str, message: str, source: str | None = None) -> None:
        self.ref = ref
        super().__init__([ConfigIssue(ref, message, source=source)])


class RuleSyntaxError(MockmindError):
    """A rule's condition or expression does not parse; ``line`` and ``column`` are 1-based in
    ``text`` (``column`` within its line).

    Parsing knows the text, not where the config holds it: assembling the rules turns this
    into a ``ConfigIssue`` with the file and line.
    """

    def __init__(self, text: str, column: int, message: str, line: int = 1) -> None:
        self.text = text
        self.line = line
        self.column = column
        self.reason = message
        where = f"line {line}, column {column}" if line > 1 else f"column {column}"
        super().__init__(f"{where}: {message}")

    @classmethod
    def at_offset(cls, text: str, offset: int, message: str) -> Self:
        """The error at a 0-based character offset of ``text``, as a line and a column:
        a condition or expression typed on several lines has its line counted."""
        offset = max(0, offset)
        before = text[:offset]
        line = before.count("\n") + 1
        return cls(text, offset - (before.rfind("\n") + 1) + 1, message, line)


class StoreError(MockmindError):
    """A storage backend failed; the message names the operation and the backend."""


class VersionConflict(StoreError):
    """A conditional write found a newer version than the one it read."""


class EntityExists(VersionConflict):
    """A write meant to create a record found a live one with its id (another writer's)."""


class RecordingError(MockmindError):
    """A recording (journal lines, a HAR file) that cannot be read: the file, the line or
    entry, and what is wrong with it."""


class SecretNotFound(MockmindError):
    """No source held the secret that was asked for (the message never holds a value)."""


class FlowError(MockmindError):
    """A virtual user of ``mockmind simulate`` cannot go on with its flow: caught by the
    simulation, which counts it as a failure of that user's iteration."""


class RequestMismatch(MockmindError):
    """One part of a request does not fit the API description (no route, a malformed
    parameter); the layer checking the request turns it into the client's ``RequestError``."""


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


class UnreadableInput(RequestError):
    """A part of the request cannot be read within the server's limits (``domain/client_input``):
    JSON nested too deep, a number too long to convert, text that is not valid Unicode.

    ``detail`` names the part and the limit; ``errors`` has the problem at its location, as
    a validation error has (``body``, ``query.limit``, ``body.items[0].name``).
    """

    def __init__(self, location: str, detail: str, message: str, keyword: str) -> None:
        super().__init__(
            400,
            "Bad Request",
            detail,
            [{"location": location, "message": message, "keyword": keyword}],
        )


class AdminCallFailed(MockmindError):
    """A CLI command's call to a mockmind server's admin routes failed (``cli/admin_client``).

    The kinds are declared here, not in the CLI, so that the error table can give each its own
    exit code: scripts tell a missing session from a wrong token from a server that is down.
    """


class AdminRefused(AdminCallFailed):
    """The server answered the call with an error status (its problem document's words)."""

    def __init__(self, status: int, title: str, detail: str = "") -> None:
        self.status = status
        self.title = title
        self.detail = detail
        super().__init__(f"{status} {title}: {detail}" if detail else f"{status} {title}")


class AdminNotFound(AdminRefused):
    """404: no live session has the id, or the step is not one the journal ever held."""


class AdminAuthRefused(AdminRefused):
    """401 (the admin token is missing or wrong) or 403 (the server wants one set)."""


class AdminUnreachable(AdminCallFailed):
    """No answer came: the connection was refused, the name did not resolve, TLS failed, or
    the server did not answer in time."""


class AdminAnswerUnexpected(AdminCallFailed):
    """An answer came, but not the admin API's: not JSON, not the documented shape, or the
    server has no such route (a mockmind older than the CLI, or another server at the URL)."""
