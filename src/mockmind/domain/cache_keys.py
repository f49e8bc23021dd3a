"""Cache keys that hold everything that can change an answer, so none leaks across sessions.

A request's path goes in as the request holds it, canonical (``domain/paths``): ``/Orders//42/``
and ``/Orders/42`` are one resource, case is kept (ids are cased), and ``/a%2Fb`` (one
segment) never shares a key with ``/a/b`` (two).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from mockmind.domain import json_codec
from mockmind.domain.client_input import DEFAULT_LIMITS, InputLimits, read_json
from mockmind.domain.errors import UnreadableInput


def canonical_query(query: Mapping[str, list[str]]) -> str:
    if not query:
        return ""
    if len(query) == 1:
        # The usual query, one name with one value, without two sorts and a generator.
        for name, values in query.items():
            if len(values) == 1:
                return f"{name}={values[0]}"
    return "&".join(f"{k}={v}" for k in sorted(query) for v in sorted(query[k]))


def canonical_body(
    body: bytes, content_type: str | None, limits: InputLimits = DEFAULT_LIMITS
) -> str:
    """JSON bodies by content (key order and spacing ignored), others by their bytes.

    A body the client reader refuses is keyed by its bytes too: ``NaN``, ``Infinity`` and
    ``1e400`` (which the canonical text would write as null, so never as a body holding
    null), and one nested too deep to decode safely.
    """
    if not body:
        return ""
    if content_type and (content_type.endswith("json") or content_type.endswith("+json")):
        try:
            parsed = read_json(body, limits)
            return json_codec.canonical(parsed).decode()
        except (ValueError, UnreadableInput):
            pass
    return hashlib.sha256(body).hexdigest()


def digest(value: Any) -> str:
    """The SHA-256 of a JSON value's canonical text (sorted keys, no spaces), in hex."""
    return hashlib.sha256(json_codec.canonical(value)).hexdigest()


def response_cache_key(*parts: Any) -> str:
    """One JSON array of the parts, hashed: the array's structure keeps parts apart."""
    return digest(parts)
