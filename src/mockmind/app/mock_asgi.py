"""Mock requests over plain ASGI: the scope in, the engine's answer out, nothing in between.

A cached answer takes the engine well under 100 µs; Starlette's Request and Response objects
(lazy header, cookie and query parsing, then re-encoding) cost as much again, so the mock path
reads the scope and writes the messages itself. It runs the same under uvicorn and Mangum.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, get_args
from urllib.parse import parse_qsl, quote, unquote

from starlette.types import Message, Receive, Scope, Send

from mockmind.app.bootstrap import Container
from mockmind.domain import json_codec
from mockmind.domain.engine import EngineResult
from mockmind.domain.error_answers import HttpAnswer, http_answer
from mockmind.domain.errors import MockmindError
from mockmind.domain.http import MockRequest, Source

logger = logging.getLogger("mockmind.http")

# Time kept back from the Lambda deadline to generate an offline answer and send it.
DEADLINE_MARGIN_SECONDS = 1.5
# Where a mock request leaves its result for the server that ran it: the Lambda entry reads
# its outcome (``EngineResult.outcome``, domain/outcome.py) from the scope it handed in, for
# its log line and metrics, only when it has them to make.
OUTCOME_SCOPE_KEY = "mockmind.outcome"
# The path the app routed, when a front rewrote it (a tenant's, without its /t/{tenant}).
ROUTED_PATH_SCOPE_KEY = "mockmind.routed_path"


async def serve_mock(container: Container, scope: Scope, receive: Receive, send: Send) -> None:
    body = _whole_body(receive)
    request = await read_request(scope, receive) if body is None else request_of(scope, body)
    try:
        result = await container.engine.handle(request)
    except MockmindError as exc:
        # The engine answers the client's errors (RequestError) itself: what reaches here is
        # mockmind failing, answered as the error table says and logged in full.
        logger.exception("%s %s failed", request.method, request.path)
        await write_error(http_answer(exc), request, send)
        return
    scope[OUTCOME_SCOPE_KEY] = result
    await write_response(result, container, request, send, cut_by_server="aws.event" not in scope)
    if container.memory is not None:
        # After the answer is out: remembering it never delays it (domain/memory.py).
        container.memory.write_behind()
    if result.deliveries is not None and container.deliveries is not None:
        # Started once the answer is written: a callback never reaches its receiver before
        # the response that announced it reaches the client.
        await container.deliveries.launch(result.deliveries)


async def read_request(scope: Scope, receive: Receive) -> MockRequest:
    # The body of a request that came whole (every bodiless one) is in the first message.
    message = await receive()
    if message["type"] == "http.request" and not message.get("more_body", False):
        body = message.get("body", b"")
    else:
        body = await _rest_of_body(message, receive)
    return request_of(scope, body)


def request_of(scope: Scope, body: bytes) -> MockRequest:
    """The request of ``scope``, with its whole ``body``."""
    raw_headers = scope["headers"]
    names = _HEADER_NAMES
    headers = {
        names.get(name) or _header_name(name): value.decode("latin-1")
        for name, value in raw_headers
    }
    if len(headers) != len(raw_headers):
        headers = _folded(raw_headers)
    query: dict[str, list[str]] = {}
    if raw_query := scope["query_string"]:
        read_query(raw_query.decode("latin-1"), query)
    cookie = headers.get("cookie")
    return MockRequest.received(
        method=scope["method"],
        path=path_as_sent(scope),
        query=query,
        headers=headers,
        cookies=parse_cookies(cookie) if cookie else {},
        body=body,
        deadline=_deadline(scope),
    )


def _whole_body(receive: Receive) -> bytes | None:
    """The request's whole body straight from the server, when ``receive`` is the bound
    ``receive`` of a cycle that hands it over so (``LeanCycle``, app/uvicorn_cycle.py, under
    ``serve``) and it is all in: without the message, its await and its checks. None for
    other servers, wrappers of ``receive``, and a body the cycle would not hand over at once."""
    whole_body = getattr(getattr(receive, "__self__", None), "mockmind_whole_body", None)
    return None if whole_body is None else whole_body()


def read_query(text: str, query: dict[str, list[str]]) -> None:
    """Add a query string's pairs to ``query``, as ``parse_qsl(text, keep_blank_values=True)``
    reads them. Without a ``%`` or ``+`` there is nothing to decode, and splitting it here
    costs a fifth of parse_qsl's instructions (a store read's ``limit=10``: 17k)."""
    if "%" in text or "+" in text:
        for key, value in parse_qsl(text, keep_blank_values=True):
            query.setdefault(key, []).append(value)
        return
    for pair in text.split("&"):
        if pair:
            key, _, value = pair.partition("=")
            query.setdefault(key, []).append(value)


# Header names as read, by their bytes: clients send the same few names, and decoding and
# lower-casing each was a tenth of reading a request. Bounded: names a client makes up are
# read anew once it is full.
_HEADER_NAMES: dict[bytes, str] = {}
_MAX_HEADER_NAMES = 512


def _header_name(raw: bytes) -> str:
    name = raw.decode("latin-1").lower()
    if type(raw) is bytes and len(_HEADER_NAMES) < _MAX_HEADER_NAMES:
        _HEADER_NAMES[raw] = name
    return name


def path_as_sent(scope: Scope) -> str:
    """The request's path with its percent-encoding intact, so that routing can split it
    before decoding it (``domain/paths``).

    ASGI servers give it as ``raw_path`` (uvicorn; httpx's test transport adds the query).
    Mangum sets ``raw_path`` to None and decodes ``path``: the Lambda event still has it,
    as ``rawPath`` (payload 2.0), ``path`` (API Gateway REST, ALB) or the CloudFront ``uri``.
    (API Gateway's HTTP APIs are reported to decode ``rawPath`` themselves, and to cut it at
    a decoded ``?``: what they dropped cannot be recovered here.) A candidate is used only
    when it is the path the scope names, so a wrapper that rewrote ``scope["path"]`` (a
    stripped stage prefix, a mount) is followed; without one, the decoded path is taken as
    it is, each ``%``, ``?`` and ``#`` in it a literal one.
    """
    decoded: str = scope["path"]
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        text = raw.split(b"?", 1)[0] if _QUERY_MARK in raw else raw
        candidate = text.decode("ascii") if text.isascii() else quote(text, safe=_SENT_SAFE)
        if candidate == decoded or _names(candidate, decoded):
            return candidate
    else:
        event = scope.get("aws.event")
        # A 2.0 event's rawPath, the first candidate, is the path Mangum decoded: taken
        # without listing the others.
        first = event.get("rawPath") if type(event) is dict else None
        if type(first) is str and first and _names(first, decoded):
            return first
        for candidate in _event_paths(event):
            if _names(candidate, decoded):
                return candidate
    return quote(decoded, safe=_DECODED_SAFE) if _DECODED_ENCODE & set(decoded) else decoded


# As an int: ``int in bytes`` is a plain scan, where ``bytes in bytes`` first tries the
# needle as an int and makes (and drops) a TypeError, ten times the cost.
_QUERY_MARK = ord("?")
# Printable ASCII as a raw path may hold it: only other bytes are encoded.
_SENT_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))
# What a decoded path holds literally but would read otherwise in a path as sent: an escape,
# a query, a fragment. The rest (``/`` included) is left as it is.
_DECODED_ENCODE = frozenset("%?#")
_DECODED_SAFE = "".join(c for c in map(chr, range(0x20, 0x7F)) if c not in _DECODED_ENCODE)


def _names(candidate: str, decoded: str) -> bool:
    return candidate == decoded or unquote(candidate) == decoded


def _event_paths(event: Any) -> list[str]:
    # A dict first: the ABC's check costs ten times more, on every Lambda request.
    if not isinstance(event, dict | Mapping):
        return []
    found = [event.get("rawPath"), event.get("path")]
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], Mapping):
        cloudfront = records[0].get("cf")
        request = cloudfront.get("request") if isinstance(cloudfront, Mapping) else None
        found.append(request.get("uri") if isinstance(request, Mapping) else None)
    return [path for path in found if isinstance(path, str) and path]


def parse_cookies(header: str) -> dict[str, str]:
    """A Cookie header as Starlette's ``cookie_parser`` reads it, without importing
    ``starlette.requests`` (anyio, multipart and more) on the mock path.

    Browsers split on ``;`` only; a chunk without ``=`` is a value with an empty name
    (https://bugzilla.mozilla.org/show_bug.cgi?id=169091); quoted values are unquoted with
    Python's own algorithm.
    """
    cookies: dict[str, str] = {}
    for chunk in header.split(";"):
        key, value = chunk.split("=", 1) if "=" in chunk else ("", chunk)
        key, value = key.strip(), value.strip()
        if key or value:
            cookies[key] = _unquote(value)
    return cookies


def _unquote(value: str) -> str:
    # Only a value in double quotes can hold escapes; the rest come back as they are.
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return value
    from http.cookies import _unquote as unquote  # noqa: PLC0415

    return unquote(value)


def _folded(raw_headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Repeated headers folded into one, as HTTP allows for all but Set-Cookie."""
    headers: dict[str, str] = {}
    for name, value in raw_headers:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


async def _rest_of_body(first: Message, receive: Receive) -> bytes:
    """The body from its first message on, to the last one or a disconnect."""
    chunks: list[bytes] = []
    message = first
    while message["type"] != "http.disconnect":
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
        message = await receive()
    return b"".join(chunks)


def _deadline(scope: Scope) -> float | None:
    """In Lambda, when the invocation runs out (less a margin to answer with a fallback)."""
    context = scope.get("aws.context")
    if context is None:  # a served request: no deadline, and no attribute to look for
        return None
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return None
    seconds = float(remaining()) / 1000
    return time.monotonic() + max(0.0, seconds - DEADLINE_MARGIN_SECONDS)


async def write_response(
    result: EngineResult,
    container: Container,
    request: MockRequest,
    send: Send,
    *,
    cut_by_server: bool = True,
) -> None:
    """Send the engine's answer. A fault rule's cut answer is left unfinished when
    ``cut_by_server``: an HTTP server closes the connection of an answer its app did not
    finish (uvicorn and granian alike; granian sends a finished answer shorter than its
    announced length as it is, and the client waits for the rest). Mangum has no connection
    to close: it gets the cut body as a finished answer."""
    mock = result.response
    encoded = mock.encoded()
    # HEAD announces the length GET would send, and sends nothing.
    body = b"" if request.method == "HEAD" else encoded
    headers: list[tuple[bytes, bytes]] = (
        [
            (name.lower().encode("latin-1"), str(value).encode("latin-1"))
            for name, value in mock.headers.items()
        ]
        if mock.headers
        else []
    )
    headers.append(_SOURCE_HEADERS.get(mock.source) or _source_header(mock.source))
    if mock.body_kind == "json" or mock.text:
        media_type = mock.media_type
        content_type = _CONTENT_TYPES.get(media_type)
        if content_type is None:
            content_type = (b"content-type", _content_type(media_type))
            if len(_CONTENT_TYPES) < _MAX_CONTENT_TYPES:
                _CONTENT_TYPES[media_type] = content_type
        headers.append(content_type)
    if mock.status >= 200 and mock.status not in (204, 304):
        headers.append((b"content-length", b"%d" % len(encoded)))
    headers.extend(_session_headers(result, container, request))
    if mock.fault is None:
        whole = _whole_answer(send)
        if whole is not None and whole(mock.status, headers, body):
            return
    await send({"type": "http.response.start", "status": mock.status, "headers": headers})
    if mock.fault is not None:
        # The full length was announced; cutting the body short (or sending none) makes the
        # client see the connection fail mid-answer, which is the fault being injected.
        body = body[: len(body) // 2] if mock.fault == "truncate" else b""
        if cut_by_server:
            await send({"type": "http.response.body", "body": body, "more_body": True})
            return
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _whole_answer(send: Send) -> Callable[[int, list[tuple[bytes, bytes]], bytes], bool] | None:
    """The server's own way to take a whole answer in one call, when ``send`` is the bound
    ``send`` of a cycle that offers one (``LeanCycle``, app/uvicorn_cycle.py, under ``serve``):
    the two messages, their awaits and their checks were a tenth of a served answer's plumbing.
    Other servers (granian, Mangum, test clients) and any wrapper of ``send`` get messages."""
    return getattr(getattr(send, "__self__", None), "mockmind_whole_answer", None)


async def write_error(answer: HttpAnswer, request: MockRequest, send: Send) -> None:
    if isinstance(answer.body, str):
        encoded = answer.body.encode()
    else:
        encoded = json_codec.compact(answer.body)
    headers: list[tuple[bytes, bytes]] = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in answer.headers.items()
    ]
    headers.append((b"content-type", answer.media_type.encode("latin-1")))
    headers.append((b"content-length", str(len(encoded)).encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    body = b"" if request.method == "HEAD" else encoded
    await send({"type": "http.response.body", "body": body, "more_body": False})


# Content-Type headers by media type: an API answers with a few.
_CONTENT_TYPES: dict[str, tuple[bytes, bytes]] = {}
_MAX_CONTENT_TYPES = 64


def _source_header(source: str) -> tuple[bytes, bytes]:
    return (b"x-mockmind-source", source.encode())


# The source header of each source, made once: the server then finds its line by the pair.
_SOURCE_HEADERS = {source: _source_header(source) for source in get_args(Source)}


def _content_type(media_type: str) -> bytes:
    if media_type.startswith("text/") and "charset" not in media_type:
        return f"{media_type}; charset=utf-8".encode()
    return media_type.encode("latin-1")


def _session_headers(
    result: EngineResult, container: Container, request: MockRequest
) -> list[tuple[bytes, bytes]]:
    if result.session_id is None:
        return []
    tracking = container.engine.settings.tracking
    if tracking.method != "cookie":
        return [(tracking.header_name.lower().encode("latin-1"), result.session_id.encode())]
    carried = request.cookies.get(tracking.cookie_name) == result.session_id
    if not result.new_session or carried:
        return []
    max_age = container.engine.settings.session_timeout_seconds
    cookie = (
        f"{tracking.cookie_name}={result.session_id}; HttpOnly; Max-Age={max_age}; "
        "Path=/; SameSite=lax"
    )
    return [(b"set-cookie", cookie.encode("latin-1"))]
