"""One recorded request and its answer, whatever file it came from, secrets masked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mockmind.domain.engine.journaling import MASK, masked_headers
from mockmind.domain.redaction import is_secret, redacted


@dataclass(frozen=True)
class Exchange:
    """A request and its answer. ``session`` groups the exchanges of one client (one
    journal, one HAR file); ``order`` is its place in the whole input, oldest first.

    Bodies are JSON values when they were JSON, text otherwise, None when empty. Header
    names are lower case.
    """

    session: str
    order: int
    method: str
    path: str
    query: Mapping[str, Sequence[str]]
    request_headers: Mapping[str, str]
    request_body: Any
    status: int
    response_headers: Mapping[str, str]
    response_body: Any

    @property
    def request_media(self) -> str | None:
        return _media(self.request_headers)

    @property
    def response_media(self) -> str | None:
        return _media(self.response_headers)


def masked_exchange(
    *,
    session: str,
    order: int,
    method: str,
    path: str,
    query: Mapping[str, Sequence[str]],
    request_headers: Mapping[str, str],
    request_body: Any,
    status: int,
    response_headers: Mapping[str, str],
    response_body: Any,
) -> Exchange:
    """An exchange with every secret masked as the journal masks it (a journal's events
    are masked already; a browser's HAR file is not): credentials in headers, secret query
    values, and secret fields of JSON bodies become ``***``."""
    return Exchange(
        session=session,
        order=order,
        method=method.upper(),
        path=path or "/",
        query={
            k: tuple(MASK if is_secret(k, v) else v for v in values) for k, values in query.items()
        },
        request_headers=masked_headers({k.lower(): v for k, v in request_headers.items()}),
        request_body=redacted(request_body)
        if isinstance(request_body, dict | list)
        else request_body,
        status=status,
        response_headers=masked_headers({k.lower(): v for k, v in response_headers.items()}),
        response_body=_masked_body(response_body),
    )


def _media(headers: Mapping[str, str]) -> str | None:
    value = headers.get("content-type")
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def is_masked(value: Any) -> bool:
    return isinstance(value, str) and value == MASK


def _masked_body(body: Any) -> Any:
    return redacted(body) if isinstance(body, dict | list) else body
