"""The Lambda events mockmind serves, recognised and checked before Mangum reads them.

Two payload formats carry an HTTP request to the function: 1.0, which REST APIs send (and HTTP
APIs set to it), and 2.0, which HTTP APIs send, and Lambda function URLs too (from a
``<url-id>.lambda-url.<region>.on.aws`` domain). Mangum picks its reader by the event's keys and
then indexes into the event as AWS writes it: an event it cannot classify, or one with a field
missing or of another type, used to raise out of the handler (a ``KeyError``, an
``AttributeError``, a ``binascii.Error``), and API Gateway answered a bare 500.

Here the fields Mangum reads are described once per format (``EventV1``, ``EventV2``, checked by
pydantic in strict mode, so that ``"isBase64Encoded": "false"`` is not taken for true), and
whatever does not fit becomes a ``RequestError`` (400) whose problem document names the field.
A ``null`` is accepted where AWS sends one (the 1.0 format's ``headers``,
``multiValueHeaders`` and query maps, either format's ``body``), and refused where it never does
(the 2.0 format's ``headers``, ``cookies`` and ``rawQueryString``), since Mangum cannot read it.
What the shapes cannot say cheaply (a lone surrogate in a header or the query string) is found
when Mangum fails to encode it; ``unreadable`` names the field then.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal, NotRequired, Protocol, TypedDict

from pydantic import ConfigDict, StringConstraints, TypeAdapter, ValidationError, with_config
from pydantic_core import ErrorDetails

from mockmind.domain.errors import RequestError

# Where an event comes from, as far as the answer's format and the log line care. Every
# "api-gateway-v1" event is payload format 1.0; "api-gateway-v2" and "function-url" are 2.0;
# "other" is left to Mangum's own inference (an ALB or Lambda@Edge event, or none it knows).
EventKind = Literal["api-gateway-v1", "api-gateway-v2", "function-url", "other"]

KIND_NAMES: Mapping[EventKind, str] = {
    "api-gateway-v1": "API Gateway payload 1.0 (REST API)",
    "api-gateway-v2": "API Gateway HTTP API payload 2.0",
    "function-url": "Lambda function URL",
    "other": "Lambda",
}

# Errors listed in one answer; an event can be wrong in many places (a thousand bad headers).
MAX_ERRORS = 10

# RFC 9110's token: what a method must be. Anything else (a space, a path) is not one, and a
# server answers 400 before routing; a token it does not know gets the engine's 405, as over HTTP.
HttpMethod = Annotated[str, StringConstraints(pattern=r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")]
# An origin-form path. The pattern also refuses a lone surrogate (pydantic's regex reads the
# string as UTF-8): Mangum passes the path on without encoding it, so nothing else would.
RequestPath = Annotated[str, StringConstraints(pattern=r"^/")]

_STRICT = ConfigDict(strict=True)


@with_config(_STRICT)
class _HttpV2(TypedDict):
    method: HttpMethod
    path: RequestPath
    sourceIp: str


@with_config(_STRICT)
class _RequestContextV2(TypedDict):
    http: _HttpV2


@with_config(_STRICT)
class EventV2(TypedDict):
    """What Mangum reads of a payload format 2.0 event (HTTP API, function URL)."""

    version: Literal["2.0"]
    requestContext: _RequestContextV2
    rawQueryString: NotRequired[str]
    headers: NotRequired[dict[str, str]]
    cookies: NotRequired[list[str]]
    body: NotRequired[str | None]
    isBase64Encoded: NotRequired[bool]


@with_config(_STRICT)
class _IdentityV1(TypedDict):
    sourceIp: NotRequired[str | None]


@with_config(_STRICT)
class _RequestContextV1(TypedDict):
    identity: NotRequired[_IdentityV1]


@with_config(_STRICT)
class EventV1(TypedDict):
    """What Mangum reads of a payload format 1.0 event (REST API, HTTP API set to 1.0)."""

    httpMethod: HttpMethod
    path: RequestPath
    requestContext: _RequestContextV1
    headers: NotRequired[dict[str, str] | None]
    multiValueHeaders: NotRequired[dict[str, list[str]] | None]
    queryStringParameters: NotRequired[dict[str, str] | None]
    multiValueQueryStringParameters: NotRequired[dict[str, list[str]] | None]
    body: NotRequired[str | None]
    isBase64Encoded: NotRequired[bool]


class _Validator(Protocol):
    """pydantic-core's ``SchemaValidator`` (a ``TypeAdapter``'s ``validator``)."""

    def validate_python(self, input: Any, /) -> Any: ...


# Built once, at import (the cold start, or before a SnapStart snapshot): a few milliseconds
# for both (pydantic's schema build), against about 2 µs to check an event.
_V1: TypeAdapter[EventV1] = TypeAdapter(EventV1)
_V2: TypeAdapter[EventV2] = TypeAdapter(EventV2)
# Their validators, called directly: the adapter's ``validate_python`` passes eight options
# on to it, a fifth of checking the usual event.
_SHAPES: Mapping[EventKind, _Validator] = {
    "api-gateway-v1": _V1.validator,
    "api-gateway-v2": _V2.validator,
    "function-url": _V2.validator,
}

# The fields Mangum encodes to bytes (header names and values, the query string), where a lone
# surrogate makes it fail.
_ENCODED_FIELDS = (
    "headers",
    "multiValueHeaders",
    "cookies",
    "rawQueryString",
    "queryStringParameters",
    "multiValueQueryStringParameters",
)
_ENCODED_DEPTH = 2


def recognise(event: object) -> EventKind:
    """Which kind of event this is, by the keys each format always has.

    Raises ``RequestError`` for what is no request at all: not a JSON object, or a payload
    version no API Gateway sends.
    """
    if not isinstance(event, dict):
        raise malformed("other", [("", f"the event is {_json_type(event)}, not an object")])
    version = event.get("version")
    context = event.get("requestContext")
    if version == "2.0":
        return "function-url" if _from_function_url(context) else "api-gateway-v2"
    if isinstance(context, dict) and "elb" in context:
        return "other"  # an ALB event has httpMethod and path too: Mangum answers it its way
    if version == "1.0" or "httpMethod" in event or "resource" in event:
        return "api-gateway-v1"
    if version is not None:
        message = f"payload format {_shown(version)} is not one mockmind serves (1.0 or 2.0)"
        raise malformed("other", [("version", message)])
    if "rawPath" in event or (isinstance(context, dict) and "http" in context):
        return "api-gateway-v2"  # without its version: the check says so
    return "other"


def check(event: dict[str, Any], kind: EventKind) -> None:
    """Raise ``RequestError`` naming every field (up to ``MAX_ERRORS``) Mangum cannot read."""
    shape = _SHAPES.get(kind)
    if shape is None:
        return
    try:
        shape.validate_python(event)
    except ValidationError as exc:
        found = exc.errors(include_url=False, include_context=False)
        raise malformed(kind, [(_location(e["loc"]), _message(e)) for e in found]) from None


def request_body(event: Mapping[str, Any], kind: EventKind) -> bytes:
    """The body as bytes, as Mangum makes it, except that base64 must be valid: Mangum's decoder
    skips what is not base64, and would pass on a body cut short without a word."""
    body = event.get("body")
    if not body:
        return b""
    text: str = body
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            message = f"isBase64Encoded is true, but the body is not valid base64 ({exc})"
            raise malformed(kind, [("body", message)]) from None
    try:
        return text.encode()
    except UnicodeEncodeError:
        raise malformed(kind, [("body", _NOT_TEXT)]) from None


def unreadable(event: object, kind: EventKind, error: Exception) -> RequestError:
    """The 400 for an event Mangum failed to read (after ``check``, if the kind has a shape)."""
    if isinstance(error, UnicodeEncodeError) and isinstance(event, dict):
        for name in _ENCODED_FIELDS:
            where = _unencodable(event.get(name), (name,))
            if where is not None:
                return malformed(kind, [(_location(where), _NOT_TEXT)])
    if isinstance(error, RuntimeError):  # Mangum.infer: no handler takes the event
        message = (
            "not a request from API Gateway, a Lambda function URL or a load balancer "
            "(no version, httpMethod or requestContext.elb)"
        )
        return malformed(kind, [("", message)])
    return malformed(kind, [("", f"Mangum could not read it: {type(error).__name__}: {error}")])


def malformed(kind: EventKind, problems: Iterable[tuple[str, str]]) -> RequestError:
    """The 400 problem for an event that is not a well-formed request of its kind."""
    errors: list[dict[str, object]] = []
    for location, message in problems:
        if len(errors) == MAX_ERRORS:
            break
        where = f"event.{location}" if location else "event"
        errors.append({"location": _printable(where), "message": _printable(message)})
    detail = f"the event is not a well-formed {KIND_NAMES[kind]} request"
    return RequestError(400, "Bad Request", detail, errors)


_NOT_A_METHOD = "not an HTTP method: a method is a token (letters, digits and !#$%&'*+-.^_`|~)"
_NOT_TEXT = "not text: it holds a lone surrogate (an unpaired \\uD800-\\uDFFF escape)"

# pydantic's messages, where they would not tell an event's author what to fix: by the error's
# type, and for a pattern, by the field that has it.
_MESSAGES = {"string_unicode": _NOT_TEXT, "literal_error": 'should be "2.0"'}
_PATTERN_MESSAGES = {
    "method": _NOT_A_METHOD,
    "httpMethod": _NOT_A_METHOD,
    "path": "not a path: a path starts with /",
}


def _message(error: ErrorDetails) -> str:
    # The input itself is never shown: it may be a whole body, or a header's secret.
    if error["type"] == "string_pattern_mismatch":
        return _PATTERN_MESSAGES.get(str(error["loc"][-1]), error["msg"])
    if error["input"] is None:
        return f"{error['msg']}, not null"
    return _MESSAGES.get(error["type"], error["msg"])


def _location(parts: Iterable[object]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _printable(text: str) -> str:
    # A location can hold the event's own keys: a lone surrogate in one would break the JSON
    # encoder and the log line.
    return text.encode("utf-8", "backslashreplace").decode()


def _unencodable(value: object, where: tuple[object, ...]) -> tuple[object, ...] | None:
    """Where in a header map, list or string the first unencodable text is; None if nowhere.

    Only as deep as the fields Mangum encodes go (a map of lists of strings)."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return where
        return None
    if len(where) > _ENCODED_DEPTH:
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _unencodable(key, (*where, key)) or _unencodable(item, (*where, key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _unencodable(item, (*where, index))
            if found is not None:
                return found
    return None


def _from_function_url(context: object) -> bool:
    domain = context.get("domainName") if isinstance(context, dict) else None
    return isinstance(domain, str) and ".lambda-url." in domain


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    return f"a {type(value).__name__}"


def _shown(value: object) -> str:
    return repr(value) if isinstance(value, str) else _json_type(value)
