"""One recorded request and its answer, whatever file it came from, secrets masked."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from mockmind.domain.engine.journaling import MASK, masked_headers
from mockmind.domain.redaction import is_secret, redacted
from mockmind.lean_dataclass import dataclass


@dataclass(frozen=True)
class Exchange:
    """A request and its answer. ``session`` groups the exchanges of one client (one
    journal, one HAR file); ``order`` is its place in the whole input, oldest first.

    Bodies are JSON values when they were JSON, text otherwise, None when empty. Header
    names are lower case. Where the recording held secrets in the clear (a HAR file), they
    are masked too, and only their digests kept: ``issued_secrets`` of the answer's secret
    fields, ``presented_secret`` of the request's bearer credential, so the login can be
    told by its token coming back without the token being kept.
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
    issued_secrets: frozenset[str] = frozenset()
    presented_secret: str | None = None
    # The server asked, when the recording names it (a HAR file's URLs do; a journal is
    # one server's).
    host: str | None = None

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
    host: str | None = None,
) -> Exchange:
    """An exchange with every secret masked as the journal masks it (a journal's events
    are masked already; a browser's HAR file is not): credentials in headers, secret query
    values, and secret fields of JSON bodies become ``***``."""
    authorization = next(
        (v for k, v in request_headers.items() if k.lower() == "authorization"), ""
    )
    credential = authorization.split(" ")[-1] if authorization else ""
    return Exchange(
        issued_secrets=frozenset(digest(v) for v in _secrets(response_body)),
        presented_secret=digest(credential) if credential and not is_masked(credential) else None,
        host=host,
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


def digest(secret: str) -> str:
    """A secret's fingerprint: the same secret, the same digest; the secret not kept."""
    return hashlib.sha256(secret.encode()).hexdigest()[:24]


def _secrets(body: Any, key: str = "") -> list[str]:
    """The secret string values of a JSON body (by their key, as the journal masks them),
    except those masked already."""
    if isinstance(body, dict):
        return [s for k, v in body.items() for s in _secrets(v, str(k))]
    if isinstance(body, list):
        return [s for v in body for s in _secrets(v, key)]
    if isinstance(body, str) and key and is_secret(key, body) and not is_masked(body):
        return [body]
    return []


def _masked_body(body: Any) -> Any:
    return redacted(body) if isinstance(body, dict | list) else body
