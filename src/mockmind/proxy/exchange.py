"""One exchange through the proxy, as it was seen: what the client asked, what it was answered.

Bodies are kept up to a limit (``Body.truncated`` when one was longer); what is sent is never
held back by it: only the copy kept for checks and recordings stops growing.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import field

from mockmind.lean_dataclass import dataclass

# The most of each body kept for the checks and the recording (the rest still streams through).
DEFAULT_KEEP_BYTES = 1_048_576


@dataclass
class Body:
    """A body's first ``limit`` bytes as they went through, and its whole size."""

    limit: int = DEFAULT_KEEP_BYTES
    data: bytearray = field(default_factory=bytearray)
    size: int = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]

    @property
    def truncated(self) -> bool:
        return self.size > len(self.data)

    def decoded(self, encoding: str | None) -> bytes | None:
        """The bytes without their content coding (gzip, deflate); None when they cannot be
        read (cut short, or a coding this proxy does not decode)."""
        raw = bytes(self.data)
        coding = (encoding or "identity").strip().lower()
        if coding in ("", "identity"):
            return raw
        if self.truncated:
            return None
        try:
            if coding in ("gzip", "x-gzip"):
                return gzip.decompress(raw)
            if coding == "deflate":
                try:
                    return zlib.decompress(raw)
                except zlib.error:
                    return zlib.decompress(raw, -zlib.MAX_WBITS)
        except (OSError, EOFError, zlib.error):
            return None
        return None


@dataclass
class Exchange:
    """A request and its answer. Header names lower case, in the order sent; ``url`` is what
    the client asked for (scheme, its Host, path and query), ``path`` the path as sent."""

    started_at: float
    method: str
    url: str
    path: str
    query_string: str
    request_headers: list[tuple[str, str]]
    request_body: Body
    status: int = 0
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: Body = field(default_factory=Body)
    # Milliseconds from the request's start to the answer's head, and to its last byte.
    wait_ms: float = 0.0
    elapsed_ms: float = 0.0
    http_version: str = "HTTP/1.1"

    def request_header(self, name: str) -> str | None:
        return _header(self.request_headers, name)

    def response_header(self, name: str) -> str | None:
        return _header(self.response_headers, name)


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return value
    return None
