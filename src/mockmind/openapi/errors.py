"""Errors the OpenAPI layer adds to ``mockmind.domain.errors``.

``UnsupportedMediaType`` and ``NotAcceptable`` are ``RequestError``s (the client sees them);
``UnresolvableRef`` is a ``ConfigError`` (the document is broken) that is also a
``LookupError``, so code that follows ``$ref`` strings can catch it like a missing key.
"""

from __future__ import annotations

from collections.abc import Sequence

from mockmind.domain.errors import ConfigError, ConfigIssue, RequestError


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


class UnresolvableRef(ConfigError, LookupError):
    """A ``$ref`` points at nothing: a missing file, a bad pointer or a cycle of bare refs."""

    def __init__(self, ref: str, message: str, source: str | None = None) -> None:
        self.ref = ref
        super().__init__([ConfigIssue(ref, message, source=source)])
