"""What each error means to an HTTP client and to a shell: one table, looked up by class.

``ERROR_ANSWERS`` has an entry for every branch of the tree drawn in ``domain/errors.py``; a
class takes the entry of its nearest ancestor in the table (its MRO is walked), so a new leaf
needs no entry and a new branch gets one (``test_error_answers`` checks that none is missing).
The HTTP layer (the mock path, the admin app, the rules' error answers) and the CLI look
answers up here instead of deciding for themselves.

What the entries say, and why:

- A ``RequestError`` answers with its own status, its problem document (``status``,
  ``title``, ``detail``, ``errors`` and any extra members) as ``application/problem+json``
  (RFC 9457) and its own headers (``Allow``, ``WWW-Authenticate``). It is the only error
  meant for the client. Where the request's operation documents the status, the mock path
  answers in the document's terms instead (``domain/engine/error_bodies``).
- Every other error that escapes a request is mockmind failing, and is answered as the
  servers (uvicorn, Mangum) answered it before this table existed: 500 with the text
  ``Internal Server Error``; what went wrong is logged, never sent. Most of them are caught
  by their callers (a rule syntax error becomes a config issue, a provider error a fallback
  to the offline generator, a request mismatch a 404, 405 or 400); their entries say what
  would happen if one escaped.
- Every error ends a CLI command with exit code 1, as before this table (config and store
  errors were caught and exited 1; any other error crashed, which exits 1 too, now with a
  one-line message instead of a traceback). Click's own usage errors exit with 2.
- The admin commands' failures (``AdminCallFailed``) have a code each, so that a script can
  tell them apart: 1 the server refused the call, 3 no such session or step, 4 the admin token
  was refused, 5 no server answered, 6 the answer was not the admin API's. They never answer
  HTTP: the CLI raises them, a server never does (the entries say what one would do).
- At Lambda start-up (``handler.py``) an error fails the init: Lambda answers, not mockmind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Literal

from mockmind.domain.callbacks.deliveries import DeliveryFailed
from mockmind.domain.callbacks.runtime_expressions import ExpressionError
from mockmind.domain.errors import (
    AdminAnswerUnexpected,
    AdminAuthRefused,
    AdminCallFailed,
    AdminNotFound,
    AdminRefused,
    AdminUnreachable,
    ConfigError,
    FlowError,
    MockmindError,
    RecordingError,
    RequestError,
    RequestMismatch,
    RuleSyntaxError,
    SecretNotFound,
    StoreError,
)
from mockmind.domain.http import REASON_PHRASES
from mockmind.domain.json_extraction import JsonExtractionError
from mockmind.lean_dataclass import dataclass
from mockmind.ports.llm import ProviderError, ProviderUnavailable

# "problem": the error's problem document (a RequestError's own; for any other error, its
# status and title only), as JSON. "reason": the status's reason phrase, as plain text.
BodyKind = Literal["problem", "reason"]

# RFC 9457's media type, wherever no API description documents another for the answer.
PROBLEM_MEDIA_TYPE = "application/problem+json"
REASON_MEDIA_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class ErrorAnswer:
    """How one kind of error is answered over HTTP and on the command line."""

    # None: the error's own status (a RequestError carries the one the client must see).
    status: int | None
    body: BodyKind
    exit_code: int


@dataclass(frozen=True)
class HttpAnswer:
    """One error's HTTP answer: a JSON problem document (a mapping) or plain text."""

    status: int
    body: Mapping[str, object] | str
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


_FAILED = ErrorAnswer(500, "reason", 1)

ERROR_ANSWERS: Mapping[type[MockmindError], ErrorAnswer] = {
    RequestError: ErrorAnswer(None, "problem", 1),
    # A broken $ref can be met while answering: the document is resolved lazily.
    ConfigError: _FAILED,
    StoreError: _FAILED,
    SecretNotFound: _FAILED,
    # Ends `mockmind learn` with its message; never met while serving.
    RecordingError: _FAILED,
    # Caught where raised (see the module's docstring); an escape is a bug, answered as one.
    RuleSyntaxError: _FAILED,
    ProviderError: _FAILED,
    ProviderUnavailable: _FAILED,
    JsonExtractionError: _FAILED,
    RequestMismatch: _FAILED,
    # Recorded in the session's history as an undelivered or refused callback.
    DeliveryFailed: _FAILED,
    ExpressionError: _FAILED,
    # Caught by the simulation's runner, which reports it as a failed step.
    FlowError: _FAILED,
    # The CLI's admin calls (cli/admin_client); the codes are the ones `mockmind --help` lists.
    AdminCallFailed: _FAILED,
    AdminRefused: _FAILED,
    AdminNotFound: ErrorAnswer(500, "reason", 3),
    AdminAuthRefused: ErrorAnswer(500, "reason", 4),
    AdminUnreachable: ErrorAnswer(500, "reason", 5),
    AdminAnswerUnexpected: ErrorAnswer(500, "reason", 6),
}

# For MockmindError itself, and any class the table misses: what a server answers for an
# unhandled exception.
UNLISTED = _FAILED


def table_entry(error_type: type[BaseException]) -> ErrorAnswer | None:
    """The entry of ``error_type`` or of its nearest ancestor in the table; None if none."""
    for cls in error_type.__mro__:
        found = ERROR_ANSWERS.get(cls)
        if found is not None:
            return found
    return None


def answer_for(error_type: type[BaseException]) -> ErrorAnswer:
    return table_entry(error_type) or UNLISTED


def http_answer(error: MockmindError) -> HttpAnswer:
    answer = answer_for(type(error))
    own = error if isinstance(error, RequestError) else None
    own_status = own.status if own is not None else 500
    status = own_status if answer.status is None else answer.status
    if answer.body == "reason":
        return HttpAnswer(status, REASON_PHRASES.get(status, "Error"), REASON_MEDIA_TYPE)
    if own is not None:
        return HttpAnswer(status, own.body(), PROBLEM_MEDIA_TYPE, dict(own.headers))
    title = REASON_PHRASES.get(status, "Error")
    return HttpAnswer(status, {"status": status, "title": title}, PROBLEM_MEDIA_TYPE)


def exit_code(error: BaseException) -> int:
    return answer_for(type(error)).exit_code
