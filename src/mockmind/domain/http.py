"""The request and response as the domain sees them: plain data, no web framework types."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from functools import cached_property
from typing import Any, Literal
from urllib.parse import quote

from mockmind.domain import json_codec
from mockmind.domain.paths import canonical_path, decoded_segments
from mockmind.lean_dataclass import dataclass

REASON_PHRASES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    410: "Gone",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

# RFC 9110's token: what a header name may be.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Characters a header value sent by mockmind never holds as they are: controls (CR, LF and
# NUL among them: they would end the header or the head) and anything beyond printable ASCII
# (latin-1 is all HTTP/1.1 can carry, and clients read its upper half inconsistently).
_UNSENDABLE = re.compile(r"[^\t\x20-\x7e]")


def is_header_name(name: str) -> bool:
    return _TOKEN.fullmatch(name) is not None


# Headers the server writes from the message it sends (its length, its framing, the
# connection's fate), never from a document: a documented ``Content-Length: number`` answered
# with a generated 948.75 broke the response (peertube's upload-resumable). OpenAPI also says
# a response header named Content-Type is ignored: the media type sets it.
_SERVERS_OWN = frozenset(
    {
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
    }
)


def is_documentable_header(name: str) -> bool:
    """Whether a response header a document declares can be sent as the document says: an
    HTTP token, and none of the headers the server itself writes."""
    return is_header_name(name) and name.lower() not in _SERVERS_OWN


def header_value(text: str) -> str:
    """``text`` as a header value: any character but tab and printable ASCII percent-encoded
    (as UTF-8), so a value made from data (a generated one, an id) never splits a header."""
    if _UNSENDABLE.search(text) is None:
        return text
    return _UNSENDABLE.sub(lambda found: quote(found.group(), safe=""), text)


Source = Literal["rule", "store", "cache", "llm", "offline", "fallback", "example", "quota"]


@dataclass(frozen=True)
class MockRequest:
    """One incoming request. Header names are lower-case; query keys keep every value.

    ``path`` is given as sent (percent-encoded) and kept canonical (``domain/paths``):
    segments decoded one by one, with what would change how they split (``%2F``, ``%3F``)
    still encoded, so an encoded ``/`` or ``?`` in an id never reads as a separator or a
    query. ``segments`` are its decoded segments.
    """

    method: str
    path: str
    query: Mapping[str, list[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    # When the answer is due (monotonic seconds): a Lambda invocation's remaining time.
    deadline: float | None = None

    def __post_init__(self) -> None:
        canonical = canonical_path(self.path)
        if canonical is not self.path:
            object.__setattr__(self, "path", canonical)

    @classmethod
    def received(
        cls,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        cookies: Mapping[str, str],
        body: bytes,
        deadline: float | None,
    ) -> MockRequest:
        """The request as ``MockRequest(...)`` makes it (the path made canonical), without
        the frozen ``__init__``'s seven ``object.__setattr__`` calls and ``__post_init__``:
        the servers make one for every request (bench/RESULTS.md, row 1)."""
        request = object.__new__(cls)
        # Filled in place: replacing the instance's __dict__ cost 2k instructions more.
        fields = request.__dict__
        fields["method"] = method
        fields["path"] = _canonical(path)
        fields["query"] = query
        fields["headers"] = headers
        fields["cookies"] = cookies
        fields["body"] = body
        fields["deadline"] = deadline
        return request

    @cached_property
    def segments(self) -> tuple[str, ...]:
        return decoded_segments(self.path)

    @property
    def content_type(self) -> str | None:
        """The media type without parameters (``application/json; charset=utf-8`` -> json)."""
        raw = self.headers.get("content-type")
        if not raw:
            return None
        return raw.split(";", 1)[0].strip().lower() or None

    def query_value(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


# Canonical forms of the paths last requested: clients ask for the same few again and again,
# and the check of a path's form (an expression over it) was 3.5k of a request's instructions.
# Bounded: cleared when full, as an id-per-request client would fill it.
_CANONICAL_PATHS: dict[str, str] = {}
_MAX_CANONICAL_PATHS = 1024


def _canonical(path: str) -> str:
    known = _CANONICAL_PATHS.get(path)
    if known is not None:
        return known
    canonical = canonical_path(path)
    if len(_CANONICAL_PATHS) >= _MAX_CANONICAL_PATHS:
        _CANONICAL_PATHS.clear()
    _CANONICAL_PATHS[path] = canonical
    return canonical


BodyKind = Literal["json", "text", "empty"]
"""How a response's body is sent: ``body`` as JSON, ``text`` as it is, or nothing at all."""


@dataclass
class MockResponse:
    """What the mock answers: ``body`` (a JSON value) when ``body_kind`` is json, ``text``'s
    bytes when it is text, and no bytes (nor a content type) when it is empty."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = "application/json"
    source: Source = "offline"
    body_kind: BodyKind = "json"
    # The bytes of a text body (a non-JSON media type); empty for the other kinds.
    text: bytes = b""
    # Injected by a fault rule: the transport drops the connection or cuts the body short.
    fault: Literal["drop", "truncate"] | None = None
    # The JSON body's bytes once encoded, or as a cache entry kept them: a cache hit then
    # costs no encoding. Bodies are never reassigned after the response is built.
    encoded_body: bytes | None = field(default=None, repr=False, compare=False)

    def encoded(self) -> bytes:
        if self.body_kind == "text":
            return self.text
        if self.body_kind == "empty":
            return b""
        if self.encoded_body is None:
            if self.body is None and self.status in (204, 304):
                return b""
            self.encoded_body = json_codec.compact(self.body)
        return self.encoded_body
