"""JSON pointers as URI fragments (RFC 6901 inside RFC 3986), for references and locations."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from mockmind.openapi.errors import UnresolvableRef

# One pass, so ``~`` escaped to ``~0`` is never escaped again.
_ESCAPES = str.maketrans({"~": "~0", "/": "~1", "%": "%25", "#": "%23"})


def escape_pointer_segment(key: str | int) -> str:
    """RFC 6901 escaping, plus ``%`` and ``#`` so the pointer survives as a URI fragment."""
    return _escaped(str(key))


@lru_cache(maxsize=65_536)
def _escaped(key: str) -> str:
    # The same few thousand keys (path templates, "responses", "200", "application/json")
    # recur across every operation; translating them each time was a tenth of a big
    # document's start-up.
    return key.translate(_ESCAPES)


def child_uri(uri: str, *keys: str | int) -> str:
    """The URI of a node below ``uri`` (``…#/paths`` + ``/pets`` -> ``…#/paths/~1pets``)."""
    if "#" not in uri:
        uri += "#"
    for key in keys:
        uri += "/" + _escaped(str(key))
    return uri


def follow_pointer(contents: Any, fragment: str, uri: str, source: str) -> Any:
    if fragment and not fragment.startswith("/"):
        raise UnresolvableRef(
            uri, "only JSON-pointer fragments (#/…) can be resolved", source=source or None
        )
    node = contents
    if not fragment:
        return node
    for raw in fragment[1:].split("/"):
        segment = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and segment in node:
            node = node[segment]
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            raise UnresolvableRef(
                uri, f"nothing at {segment!r} on the way to {fragment}", source=source or None
            )
    return node
