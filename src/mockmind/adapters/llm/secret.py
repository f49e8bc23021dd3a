"""An API key that cannot leak by accident: its repr and str are masked.

Adapters hold a ``Secret`` and call ``reveal()`` only where the header is built; anything that
echoes provider text back (error bodies) goes through ``scrub`` first.
"""

from __future__ import annotations

import re

_MASK = "***"
# Keys the providers issue, in case an error body quotes one we do not hold (a rotated key).
_KEY_SHAPES = re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_\-*.]{8,}")


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def scrub(self, text: str) -> str:
        """``text`` with this key, and anything shaped like a provider key, masked."""
        if self._value:
            text = text.replace(self._value, _MASK)
        return _KEY_SHAPES.sub(_MASK, text)

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> str | tuple[object, ...]:
        # Pickling would carry the key into caches or logs of queued work; refuse it.
        raise TypeError("a Secret cannot be pickled")


def scrub_text(text: str, secret: Secret | None) -> str:
    if secret is not None:
        return secret.scrub(text)
    return _KEY_SHAPES.sub(_MASK, text)
