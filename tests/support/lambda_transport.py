"""An httpx transport that sends each request to the Lambda handler as an event of one source.

The events are built from the samples in events/ (a POST of each source), changed to carry the
request, so that what reaches the handler is what that source sends: HTTP API payload 2.0
(cookies apart, the body base64-encoded), a REST API's payload 1.0 (``multiValueHeaders``,
both query maps, the path without the stage) or a function URL's 2.0 (cookies apart, no
``cookie`` header, a text body as text). The handler's answer is read back the way the source
reads it (2.0's ``cookies``, 1.0's ``multiValueHeaders``), so an httpx client, its cookie jar
carrying the session, runs any flow through any source.
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, Literal
from urllib.parse import parse_qsl

import httpx

from tests.support.paths import EVENTS

Source = Literal["http-api", "rest-api", "function-url"]
SOURCES: tuple[Source, ...] = ("http-api", "rest-api", "function-url")

TEMPLATES: dict[Source, str] = {
    "http-api": "post-json.json",
    "rest-api": "rest-api-v1-post-json.json",
    "function-url": "function-url-post-json.json",
}

Handler = Callable[[Any, Any], dict[str, Any]]


class LambdaTransport(httpx.BaseTransport):
    """Sends each request to ``handler`` as an event from ``source``."""

    def __init__(self, handler: Handler, source: Source = "http-api") -> None:
        self.handler = handler
        self.source = source
        self.template = json.loads((EVENTS / TEMPLATES[source]).read_text())

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        build = _rest_api_event if self.source == "rest-api" else _payload_2_event
        event = build(copy.deepcopy(self.template), request, self.source)
        return http_response(self.handler(event, lambda_context()))


def lambda_context() -> Any:
    return SimpleNamespace(
        function_name="mockmind",
        aws_request_id=str(uuid.uuid4()),
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:mockmind",
        get_remaining_time_in_millis=lambda: 29_000,
    )


def http_response(result: dict[str, Any]) -> httpx.Response:
    """A handler's answer as an HTTP response, read the way its source reads it."""
    body = result.get("body") or ""
    content = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    headers = list(result.get("headers", {}).items())
    # Payload 2.0 returns cookies apart from the headers; 1.0 repeats a header in
    # multiValueHeaders (API Gateway sends both maps' headers).
    headers += [("set-cookie", cookie) for cookie in result.get("cookies", [])]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers += [(name, value) for value in values]
    return httpx.Response(result["statusCode"], headers=headers, content=content)


def _payload_2_event(
    event: dict[str, Any], request: httpx.Request, source: Source
) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers["host"] = event["headers"]["host"]
    cookie = headers.pop("cookie", None)
    if source == "http-api":
        # As events/session-cookie.json: an HTTP API keeps the header and adds cookies[].
        if cookie:
            headers["cookie"] = cookie
        event["cookies"] = cookie.split("; ") if cookie else []
    elif cookie:
        event["cookies"] = cookie.split("; ")
    body = request.read()
    _set_body(event, body, always_base64=source == "http-api")
    event["headers"] = headers
    path, query = request.url.path, request.url.query.decode()
    event["rawPath"] = path
    event["rawQueryString"] = query
    pairs = dict(parse_qsl(query, keep_blank_values=True))
    if pairs:
        event["queryStringParameters"] = pairs
    else:
        event.pop("queryStringParameters", None)
    if source == "http-api":
        event["pathParameters"] = {"proxy": path.lstrip("/")}
    http = event["requestContext"]["http"]
    http["method"] = request.method
    http["path"] = path
    event["requestContext"]["requestId"] = str(uuid.uuid4())
    return event


def _rest_api_event(
    event: dict[str, Any], request: httpx.Request, source: Source
) -> dict[str, Any]:
    host = event["headers"]["Host"]
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for raw_name, raw_value in request.headers.raw:
        name, value = raw_name.decode(), raw_value.decode()
        if name.lower() == "host":
            name, value = "Host", host
        single[name] = value
        multi.setdefault(name, []).append(value)
    _set_body(event, request.read(), always_base64=False)
    event["headers"] = single
    event["multiValueHeaders"] = multi
    path, query = request.url.path, request.url.query.decode()
    pairs = parse_qsl(query, keep_blank_values=True)
    event["queryStringParameters"] = dict(pairs) or None
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    event["multiValueQueryStringParameters"] = grouped or None
    event["path"] = path
    event["httpMethod"] = request.method
    event["pathParameters"] = {"proxy": path.lstrip("/")}
    context = event["requestContext"]
    context["path"] = f"/{context['stage']}{path}"
    context["httpMethod"] = request.method
    context["requestId"] = str(uuid.uuid4())
    return event


def _set_body(event: dict[str, Any], body: bytes, *, always_base64: bool) -> None:
    """A text body as text, unless the source base64-encodes every body; bytes as base64.

    httpx has already put the body's content-length among the headers."""
    text: str | None = None
    if body and not always_base64:
        try:
            text = body.decode()
        except UnicodeDecodeError:
            text = None
    if not body:
        event["body"] = None
    else:
        event["body"] = text if text is not None else base64.b64encode(body).decode()
    event["isBase64Encoded"] = bool(body) and text is None
