"""Cache keys that hold everything that can change an answer, so none leaks across sessions.

A request's path goes in as the request holds it, canonical (``domain/paths``): ``/Orders//42/``
and ``/Orders/42`` are one resource, case is kept (ids are cased), and ``/a%2Fb`` (one
segment) never shares a key with ``/a/b`` (two).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from mockmind.domain import json_codec


def canonical_query(query: Mapping[str, list[str]]) -> str:
    if not query:
        return ""
    return "&".join(f"{k}={v}" for k in sorted(query) for v in sorted(query[k]))


def canonical_body(body: bytes, content_type: str | None) -> str:
    """JSON bodies by content (key order and spacing ignored), others by their bytes."""
    if not body:
        return ""
    if content_type and (content_type.endswith("json") or content_type.endswith("+json")):
        try:
            parsed = json.loads(body, parse_constant=_refuse, parse_float=_finite)
            return json_codec.canonical(parsed).decode()
        except ValueError:
            pass
    return hashlib.sha256(body).hexdigest()


def _refuse(constant: str) -> Any:
    # NaN and Infinity (and 1e400, which overflows to it) have no JSON form and the canonical
    # text writes them as null: such a body is keyed by its bytes, never as one holding null.
    raise ValueError(f"{constant} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        _refuse(text)
    return value


def digest(value: Any) -> str:
    """The SHA-256 of a JSON value's canonical text (sorted keys, no spaces), in hex."""
    return hashlib.sha256(json_codec.canonical(value)).hexdigest()


def response_cache_key(*parts: Any) -> str:
    """One JSON array of the parts, hashed: the array's structure keeps parts apart."""
    return digest(parts)
