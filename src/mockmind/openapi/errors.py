"""Errors the OpenAPI layer adds to ``mockmind.domain.errors`` (which draws the whole tree).

``UnsupportedMediaType`` and ``NotAcceptable`` are ``RequestError``s (the client sees them).
``UnresolvableRef`` is declared in the domain, whose config schemas have ``$ref``s too, and
is importable from here as well.
"""

from __future__ import annotations

from collections.abc import Sequence

from mockmind.domain.errors import RequestError, UnresolvableRef


class UnsupportedMediaType(RequestError):
    """415: the request body's media type is not one the operation accepts."""

    def __init__(self, media_type: str | None, accepted: Sequence[str]) -> None:
        given = media_type or "no Content-Type"
        expected = ", ".join(accepted)
        super().__init__(
            415,
            "Unsupported Media Type",
            f"{given} is not accepted here; send one of: {expected}",
            errors=[
                {
                    "location": "header.content-type",
                    "message": f"expected one of: {expected}",
                    "keyword": "contentType",
                }
            ],
        )


class NotAcceptable(RequestError):
    """406: the response has content, but none in a media type the ``Accept`` header allows."""

    def __init__(self, accept: str, available: Sequence[str]) -> None:
        super().__init__(
            406,
            "Not Acceptable",
            f"no response content matches Accept: {accept}; available: {', '.join(available)}",
        )


__all__ = ["NotAcceptable", "UnresolvableRef", "UnsupportedMediaType"]
