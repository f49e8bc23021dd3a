"""Payload 2.0 events (HTTP APIs, function URLs) read as Mangum's ``HTTPGateway`` reads them,
without the shape check when the event is plainly well-formed, and answered as it answers.

Checking a cached answer's event with pydantic (``lambda_events.check``) was a twentieth of
the Lambda handler's instructions, for events that are, but for a client's mistake, all as
API Gateway writes them. ``scope`` reads such an event straight into Mangum's scope, checking
on the way what the shape check would (``EventV2``): a field the check wants to be text is used
as text (lower-cased, encoded, joined), which fails on anything else a JSON event can hold, and
what a use would let through (a missing field, a string for a list, a falsy body, a method
that is not one of the usual) is checked outright. So when ``scope`` returns a scope, the
check would have passed; when it does not (None, or an error), the caller reads the event the
long way, through the check (which names what is wrong) and Mangum's reader.

The scope is Mangum's, field for field (tests/unit/app/test_lambda_http_api.py holds the two
together), its fields read in the same order, so that a failure after the check (a header
Mangum cannot encode, a port that is not a number) is the same failure on the long way.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import unquote

from mangum.types import LambdaContext, Response, Scope

# The methods taken without the check's pattern (an RFC 9110 token): any other token, and
# anything that is not one, is read the long way.
_PLAIN_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")
)


def scope(event: dict[str, Any], context: LambdaContext, base_path: str) -> Scope | None:
    """``HTTPGateway(event, context, config).scope``, for an event the shape check accepts.

    None, or whatever reading the event raised (a ``TypeError``, ``AttributeError``,
    ``KeyError``, ``UnicodeEncodeError``, ``ValueError``), when it is not plainly such an
    event: it may still be one (then Mangum's reader fails the same way)."""
    if event.get("version") != "2.0":
        return None
    http = event["requestContext"]["http"]
    method, path, source_ip = http["method"], http["path"], http["sourceIp"]
    # ASCII: the check's pattern for the path also refuses a lone surrogate.
    if type(path) is not str or path[:1] != "/" or not path.isascii():
        return None
    if type(method) is not str or method not in _PLAIN_METHODS or type(source_ip) is not str:
        return None
    # Falsy values Mangum reads as absent, which the check refuses: none of them text.
    body = event.get("body")
    if body is not None and not isinstance(body, str):
        return None
    if type(event.get("isBase64Encoded", False)) is not bool:
        return None
    cookies = event.get("cookies", ())
    if type(cookies) is not list and "cookies" in event:
        return None
    # From here on, as HTTPGateway.scope reads it: name.lower() and value.encode() below
    # fail on a name or value that is not text, as "; ".join on a cookie that is not.
    headers = _lowered(event.get("headers", {}))
    query_string = event.get("rawQueryString", "").encode()
    if cookies:
        headers["cookie"] = "; ".join(cookies)
    if base_path != "/":
        return None  # Mangum strips it; the handler's Mangum is made without one
    # unquote returns a path without an escape as it is.
    path = unquote(path) if "%" in path else path
    server = _server(headers)
    return {
        "type": "http",
        "method": method,
        "http_version": "1.1",
        "headers": [[name.encode(), value.encode()] for name, value in headers.items()],
        "path": path,
        "raw_path": None,
        "root_path": "",
        "scheme": headers.get("x-forwarded-proto", "https"),
        "query_string": query_string,
        "server": server,
        "client": (source_ip, 0),
        "asgi": {"version": "3.0", "spec_version": "2.0"},
        "aws.event": event,
        "aws.context": context,
    }


# Header names seen that lower-case to themselves, as every name an HTTP API sends does: an
# event whose names are all among them has its map copied rather than each name lowered (a
# third of reading the scope). Bounded: names a client makes up are lowered anew once full.
_LOWER_NAMES: set[str] = set()
_MAX_LOWER_NAMES = 512


def _lowered(headers: dict[str, str]) -> dict[str, str]:
    """``{name.lower(): value for name, value in headers.items()}``, as Mangum reads them
    (failing as it does on a name that is not text)."""
    if headers.keys() <= _LOWER_NAMES:
        return dict(headers)
    lowered = {name.lower(): value for name, value in headers.items()}
    for name in headers:
        if len(_LOWER_NAMES) >= _MAX_LOWER_NAMES:
            break
        if type(name) is str and name.isascii() and name.lower() == name:
            _LOWER_NAMES.add(name)
    return lowered


def _server(headers: dict[str, str]) -> tuple[str, int]:
    """mangum.handlers.utils.get_server_and_port, without its keyword call."""
    name = headers.get("host", "mangum")
    if ":" not in name:
        return name, int(headers.get("x-forwarded-port", 80))
    name, port = name.split(":")
    return name, int(port)


def answer(text_mime_types: list[str], response: Response) -> dict[str, Any]:
    """``HTTPGateway.__call__(response)`` for a 2.0 event: the same answer, field for field,
    without its helpers' calls: shaping a cached answer cost a twentieth of the handler's
    instructions (bench/RESULTS.md, row 1), half of it in calls. The text types come first,
    for the handler to bind (``functools.partial``)."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for raw_name, raw_value in response["headers"]:
        name: str = raw_name.decode().lower()
        value: str = raw_value.decode()
        if name == "set-cookie":
            cookies.append(value)
        elif name in headers:
            headers[name] = f"{headers[name]},{value}"
        else:
            headers[name] = value
    body: bytes = response["body"]
    if "content-type" not in headers and body is not None:
        headers["content-type"] = "application/json"
    # mangum.handlers.utils.handle_base64_response_body: text when a text type is named in
    # the content type and the body is UTF-8, base64 otherwise.
    text, is_base64 = "", False
    if body != b"":
        content_type = headers.get("content-type", "")
        for text_type in text_mime_types:
            if text_type in content_type:
                try:
                    text = body.decode()
                except UnicodeDecodeError:
                    text, is_base64 = base64.b64encode(body).decode(), True
                break
        else:
            text, is_base64 = base64.b64encode(body).decode(), True
    # Mangum leaves out what is None (or empty, for the header map and the cookies).
    shaped: dict[str, Any] = {}
    if response["status"] is not None:
        shaped["statusCode"] = response["status"]
    shaped["body"] = text
    if headers:
        shaped["headers"] = headers
    if cookies:
        shaped["cookies"] = cookies
    shaped["isBase64Encoded"] = is_base64
    return shaped
