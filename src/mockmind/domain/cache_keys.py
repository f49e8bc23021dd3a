"""Cache keys that hold everything that can change an answer, so none leaks across sessions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import unquote


@lru_cache(maxsize=4096)
def normalise_path(path: str) -> str:
    """``/Orders//42/`` and ``/Orders/42`` are the same resource; case is kept (ids are cased)."""
    segments = [unquote(s) for s in path.split("/") if s]
    return "/" + "/".join(segments)


def canonical_query(query: Mapping[str, list[str]]) -> str:
    return "&".join(f"{k}={v}" for k in sorted(query) for v in sorted(query[k]))


def canonical_body(body: bytes, content_type: str | None) -> str:
    """JSON bodies by content (key order and spacing ignored), others by their bytes."""
    if not body:
        return ""
    if content_type and (content_type.endswith("json") or content_type.endswith("+json")):
        try:
            return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
        except ValueError:
            pass
    return hashlib.sha256(body).hexdigest()


# Built once: json.dumps with any option builds a new encoder per call, a few µs on every
# request's cache key.
_CANONICAL = json.JSONEncoder(sort_keys=True, default=str, separators=(",", ":"))


def digest(value: Any) -> str:
    """The SHA-256 of a JSON value's canonical text (sorted keys, no spaces), in hex."""
    return hashlib.sha256(_CANONICAL.encode(value).encode()).hexdigest()


def response_cache_key(*parts: Any) -> str:
    """One JSON array of the parts, hashed: the array's structure keeps parts apart."""
    return digest(parts)
