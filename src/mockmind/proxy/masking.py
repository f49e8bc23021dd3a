"""What a recording never keeps: credentials, cookies, secret-named fields, and the names the
config adds.

The journal's masking (``domain/engine/journaling.masked_headers``, ``domain/redaction``)
decides by a name and its value together; the names a config adds (``upstream.mask``, the
login's ``password_field``) are masked whatever their value, in headers, query parameters,
cookies, JSON bodies and form bodies alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

from mockmind.domain.engine.journaling import MASK, masked_headers
from mockmind.domain.redaction import is_secret, redacted


class Masking:
    def __init__(self, names: Iterable[str] = ()) -> None:
        self._names = frozenset(name.strip().lower() for name in names if name.strip())

    @property
    def names(self) -> frozenset[str]:
        return self._names

    def hides(self, name: str, value: Any) -> bool:
        return name.lower() in self._names or is_secret(name, value)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        masked = masked_headers(headers)
        return {k: MASK if k.lower() in self._names else v for k, v in masked.items()}

    def query(self, query: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
        return {
            k: tuple(MASK if self.hides(k, v) else v for v in values) for k, values in query.items()
        }

    def pairs(self, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Query or form fields in order, each secret one's value masked."""
        return [(k, MASK if self.hides(k, v) else v) for k, v in pairs]

    def json(self, value: Any) -> Any:
        """A JSON value with every secret masked: by ``redaction``, then the added names."""
        value = redacted(value)
        return self._named(value) if self._names else value

    def form(self, text: str) -> str:
        """An ``application/x-www-form-urlencoded`` body with its secret fields masked."""
        return urlencode(self.pairs(parse_qsl(text, keep_blank_values=True)))

    def _named(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: MASK if str(k).lower() in self._names and v is not None else self._named(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._named(v) for v in value]
        return value
