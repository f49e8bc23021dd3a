"""The ``Prefer`` header as Stoplight Prism reads it: ``code=404``, ``example=name``,
``dynamic=true``, separated by commas or semicolons; and mockmind's ``proxy=true``: send this
request to the config's upstream instead of mocking it."""

from __future__ import annotations

from functools import lru_cache

from mockmind.lean_dataclass import dataclass


@dataclass(frozen=True)
class Preference:
    code: int | None = None
    example: str | None = None
    dynamic: bool = False
    proxy: bool = False


_NONE = Preference()


def parse_prefer(header: str | None) -> Preference:
    if not header:
        return _NONE
    # A request's Prefer header is read by several steps (routing, the flow, the content
    # source), and a client sends the same one again and again; a Preference is immutable,
    # so one serves them all. Bounded in count and in size: the header is the client's.
    if len(header) <= _KEPT_HEADER_CHARS:
        return _kept(header)
    return _parsed(header)


_KEPT_HEADER_CHARS = 256


@lru_cache(maxsize=1024)
def _kept(header: str) -> Preference:
    return _parsed(header)


def _parsed(header: str) -> Preference:
    code: int | None = None
    example: str | None = None
    dynamic = False
    proxy = False
    for part in header.replace(";", ",").split(","):
        name, _, value = part.strip().partition("=")
        name, value = name.strip().lower(), value.strip().strip('"')
        if name == "code" and value.isdigit():
            code = int(value)
        elif name == "example" and value:
            example = value
        elif name == "dynamic":
            dynamic = value.lower() in ("true", "1", "yes", "")
        elif name == "proxy":
            proxy = value.lower() in ("true", "1", "yes", "")
    return Preference(code, example, dynamic, proxy)
