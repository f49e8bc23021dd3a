"""Request paths: split into segments first, each segment decoded after.

An encoded ``/`` (``%2F``), ``?`` (``%3F``) or ``#`` (``%23``) belongs to its segment's value:
``/orders/a%2Fb`` is the order ``a/b`` and ``/orders/%3Fabc/pay`` pays the order ``?abc``.
Decoding the whole path first (as ASGI's ``scope["path"]`` is) would make the first a
three-segment path and cut the second at its "query", routing both somewhere else.

The engine knows a request's path in one text form, the *canonical* path: its decoded
segments joined by ``/``, each with the few characters that would change how it splits or
reads (``%``, ``/``, ``?``, ``#``, braces, control characters) percent-encoded again, and
empty segments (a doubled or final ``/``) left out as routing leaves them out. Two requests
that route alike have the same canonical path, so rules (``path starts_with '/admin'``),
cache keys and session history agree with the router: ``//admin/stats`` and
``/%61dmin/stats`` are both ``/admin/stats``. Anything else (spaces, letters beyond ASCII)
stays as it reads, for people reading history and writing rules.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

# What a canonical segment keeps encoded: the separators, the escape character itself,
# braces (a literal segment would otherwise read as a path template's parameter), and control
# characters (C0, DEL, C1), which would let a path break a log line or a header.
_ENCODED = re.compile(r"[%/?#{}\x00-\x1f\x7f-\x9f]")
_ESCAPES = {
    code: quote(chr(code), safe="")
    for code in (*map(ord, "%/?#{}"), *range(0x20), *range(0x7F, 0xA0))
}
# A path that is canonical as it is: the common case, checked with one match.
_CANONICAL = re.compile(r"/|(?:/[^%/?#{}\x00-\x1f\x7f-\x9f]+)+")
# What an ASCII-only path (a Location header) keeps unencoded in a segment besides letters,
# digits and ``-._~``: RFC 3986's sub-delims, ``:`` and ``@``.
_PCHAR_SAFE = "!$&'()*+,;=:@"


def decoded_segments(path: str) -> tuple[str, ...]:
    """The segments of a path as sent (or a canonical one), each percent-decoded.

    Anything after a literal ``?`` is a query, not path; empty segments are left out.
    """
    path = path.split("?", 1)[0]
    if "%" not in path:
        return tuple(segment for segment in path.split("/") if segment)
    return tuple(unquote(segment) for segment in path.split("/") if segment)


def escape_segment(segment: str) -> str:
    """A decoded segment as it appears in a canonical path (or a template's literal part)."""
    if _ENCODED.search(segment) is None:
        return segment
    return segment.translate(_ESCAPES)


def canonical_path(path: str) -> str:
    """The canonical form of a path as sent (see the module docstring); idempotent."""
    if _CANONICAL.fullmatch(path) is not None:
        return path
    return join_segments(decoded_segments(path))


def join_segments(segments: tuple[str, ...] | list[str]) -> str:
    """Decoded segments as a canonical path."""
    return "/" + "/".join(escape_segment(segment) for segment in segments)


def ascii_path(path: str, *more: str) -> str:
    """A canonical path (or one as sent), with ``more`` decoded segments after it, in
    printable ASCII: every other character percent-encoded, CR, LF and NUL among them. What a
    header such as ``Location`` may carry, whatever id a client chose."""
    segments = (*decoded_segments(path), *more)
    return "/" + "/".join(quote(segment, safe=_PCHAR_SAFE) for segment in segments)
