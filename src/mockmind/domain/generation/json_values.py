"""JSON values compared and copied as JSON sees them, not as Python does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def json_equal(a: Any, b: Any) -> bool:
    return bool(canon(a) == canon(b))


def canon(value: Any) -> Any:
    """A hashable form in which JSON-equal values are equal (1 == 1.0, but True != 1)."""
    if isinstance(value, bool) or value is None:
        return ("k", value)
    if isinstance(value, int | float):
        if isinstance(value, float) and value.is_integer():
            return ("n", int(value))
        return ("n", value)
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, list | tuple):
        return ("a", tuple(canon(v) for v in value))
    if isinstance(value, Mapping):
        return ("o", frozenset((k, canon(v)) for k, v in value.items()))
    return ("?", repr(value))


def clone(value: Any) -> Any:
    """Schema values handed out must not let a caller edit the schema through them."""
    if isinstance(value, Mapping):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clone(v) for v in value]
    return value
