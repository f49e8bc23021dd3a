"""The drift between an API and its description: each request and each upstream answer
checked against an OpenAPI document, every mismatch named.

The request is checked as the mock checks it (``openapi.requests.validate_request``: path,
method, parameters, content type, body); the answer by the operation's documented response
for its status (its own code, its range, ``default``): the status documented at all, the
required headers present, the content type documented, the JSON body valid against the
schema (``readOnly`` and ``writeOnly`` read as for a response). A mismatch is reported, never
acted on: the proxy forwards and answers as the upstream does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from mockmind.domain.client_input import DEFAULT_LIMITS, InputLimits, read_json
from mockmind.domain.errors import (
    MethodNotAllowed,
    RequestError,
    RequestValidationFailed,
    RouteNotFound,
    UnreadableInput,
)
from mockmind.domain.http import MockRequest
from mockmind.lean_dataclass import dataclass
from mockmind.openapi.document import OpenAPIDocument
from mockmind.openapi.media import is_json, match_request_type
from mockmind.openapi.model import Operation
from mockmind.openapi.request_errors import schema_errors
from mockmind.openapi.requests import validate_request
from mockmind.openapi.responses import documented_response

Side = Literal["request", "response"]


@dataclass(frozen=True)
class Mismatch:
    """One way an exchange differs from the document: which side, where, and how."""

    side: Side
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.side} {self.location}: {self.message}"


@dataclass(frozen=True)
class RequestCheck:
    """The operation the request reached (None: none), and how the request differs."""

    operation: Operation | None
    mismatches: tuple[Mismatch, ...]


class DriftCheck:
    def __init__(self, document: OpenAPIDocument, limits: InputLimits = DEFAULT_LIMITS) -> None:
        self.document = document
        self._limits = limits

    def request(self, request: MockRequest, *, body_known: bool = True) -> RequestCheck:
        """``body_known`` False: the body was too long to keep, and only the route and the
        parameters are checked."""
        try:
            matched = self.document.match(request.method, request.path, request.query)
        except RouteNotFound as exc:
            return RequestCheck(None, (Mismatch("request", "path", exc.detail),))
        except MethodNotAllowed as exc:
            allowed = exc.headers.get("Allow", "")
            return RequestCheck(
                None, (Mismatch("request", "method", f"{exc.detail} (it has {allowed})"),)
            )
        operation = matched.operation
        if not body_known:
            request = MockRequest(request.method, request.path, request.query, request.headers)
        try:
            validate_request(matched, request, self._limits)
        except RequestValidationFailed as exc:
            found = [
                Mismatch("request", str(error["location"]), str(error["message"]))
                for error in exc.errors
                if body_known or not str(error["location"]).startswith("body")
            ]
            return RequestCheck(operation, tuple(found))
        except RequestError as exc:  # an unaccepted content type, an unreadable part
            where = str(exc.errors[0]["location"]) if exc.errors else "body"
            return RequestCheck(operation, (Mismatch("request", where, exc.detail),))
        return RequestCheck(operation, ())

    def response(
        self,
        operation: Operation,
        method: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes | None,
    ) -> tuple[Mismatch, ...]:
        """``headers`` keyed in lower case; ``body`` None when it was too long to keep (or
        in a coding not decoded): then only the status and headers are checked."""
        where = f"{operation.method} {operation.path_template}"
        documented = documented_response(operation, status)
        if documented is None:
            listed = ", ".join(operation.responses) or "none"
            return (
                Mismatch(
                    "response",
                    "status",
                    f"{status} is not documented for {where} (it has {listed})",
                ),
            )
        found: list[Mismatch] = [
            Mismatch("response", f"header.{name.lower()}", "required header is missing")
            for name, header in documented.headers.items()
            if header.required and name.lower() != "content-type" and name.lower() not in headers
        ]
        if method == "HEAD" or status in (204, 304):
            return tuple(found)
        # An answer not read (too long, or streamed) has a body unless it says it has none.
        size = len(body) if body is not None else _length(headers)
        if not documented.content:
            if size != 0:
                has = f"{size} bytes" if size is not None else "a body"
                found.append(
                    Mismatch(
                        "response",
                        "body",
                        f"{status} of {where} is documented without a body; the answer has {has}",
                    )
                )
            return tuple(found)
        declared = list(documented.content)
        content_type = headers.get("content-type")
        if not content_type:
            if size != 0:
                found.append(_content_type("no Content-Type", declared))
            return tuple(found)
        key = match_request_type(content_type, declared)
        if key is None:
            found.append(_content_type(content_type, declared))
            return tuple(found)
        if body is None:
            return tuple(found)
        media = documented.content[key]
        if media.schema is None or not is_json(content_type):
            return tuple(found)
        try:
            value = read_json(body, self._limits)
        except (UnreadableInput, ValueError) as exc:
            found.append(Mismatch("response", "body", f"not readable JSON: {exc}"))
            return tuple(found)
        pointer = media.schema_pointer
        target = pointer if pointer is not None and "#" in pointer else media.schema
        found.extend(
            Mismatch("response", str(error["location"]), str(error["message"]))
            for error in schema_errors(self.document, target, value, "body", context="response")
        )
        return tuple(found)


def _length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _content_type(given: str, declared: Sequence[str]) -> Mismatch:
    return Mismatch(
        "response",
        "header.content-type",
        f"{given} is not documented; the document gives {', '.join(declared)}",
    )
