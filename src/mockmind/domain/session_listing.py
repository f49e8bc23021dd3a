"""Listing sessions for the admin routes: newest first by last activity, paged by cursor.

Every backend orders sessions by one *activity key*, ``<last_seen in whole microseconds,
20 digits>#<id>``: as text it sorts as the time does (fixed width), ties fall to the id, and
a DynamoDB index can hold it as its sort key. Time filters and cursors are positions in that
order, so the three stores page the same way. A cursor is the position after the last
session of the page (its key, ``~`` in place of ``#`` so that it reads well in a URL).
Clients pass it back as they got it; any text of its form is a position, so a cursor never
goes stale: sessions saved since come before it (they are newer) and are not shown again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mockmind.domain.errors import RequestError
from mockmind.domain.sessions import SessionSummary, micros
from mockmind.lean_dataclass import dataclass

DEFAULT_PAGE = 50
MAX_PAGE = 500
_DIGITS = 20
# Above every activity key ('#' < '$'), and above every key with the same time: the first
# text past a time's keys.
_PAST_TIME = "$"
# What a cursor looks like (the admin document's pattern for it).
CURSOR_PATTERN = r"^[0-9]{20}~[A-Za-z0-9_.\-]{1,128}$"
_CURSOR = re.compile(CURSOR_PATTERN)


def time_key(seconds: float) -> str:
    """The first activity key at ``seconds`` (below every session active then)."""
    return f"{micros(max(0.0, seconds)):0{_DIGITS}d}"


@dataclass(frozen=True)
class SessionQuery:
    """Which sessions, in activity-key order (newest first): at most ``limit``, those below
    ``before`` (a cursor's key), with ids starting with ``prefix``, active in
    [``since``, ``until``] (epoch seconds, to the microsecond)."""

    limit: int = DEFAULT_PAGE
    before: str | None = None
    prefix: str = ""
    since: float | None = None
    until: float | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE:
            raise ValueError(f"limit must be 1 to {MAX_PAGE}, not {self.limit}")

    @property
    def lowest(self) -> str:
        """The lowest activity key a session listed may have (inclusive)."""
        return time_key(self.since) if self.since is not None else "0"

    @property
    def highest(self) -> str:
        """Every key listed is below this one (exclusive): the cursor's, or past ``until``."""
        bounds = []
        if self.before is not None:
            bounds.append(self.before)
        if self.until is not None:
            bounds.append(time_key(self.until) + _PAST_TIME)
        return min(bounds) if bounds else "9" * (_DIGITS + 1)

    def admits(self, summary: SessionSummary, now: float) -> bool:
        """Whether the session belongs in the listing (its key aside from paging)."""
        key = summary.activity_key
        return (
            summary.expires_at > now
            and summary.id.startswith(self.prefix)
            and self.lowest <= key < self.highest
        )


@dataclass(frozen=True)
class SessionPage:
    sessions: tuple[SessionSummary, ...]
    # Where the next page starts (None: this was the last).
    next_cursor: str | None = None


def page_from(candidates: Iterable[SessionSummary], query: SessionQuery, now: float) -> SessionPage:
    """The page of ``candidates`` (any order) the query asks for: what the stores that hold
    every session at hand (memory) do; the others ask their index for the same order."""
    admitted = sorted(
        (s for s in candidates if query.admits(s, now)),
        key=lambda s: s.activity_key,
        reverse=True,
    )
    return cut(admitted, query.limit)


def cut(ordered: list[SessionSummary], limit: int) -> SessionPage:
    """The first ``limit`` of sessions already in listing order (one more, when there is
    one, says that another page follows)."""
    page = tuple(ordered[:limit])
    more = len(ordered) > limit
    return SessionPage(page, encode_cursor(page[-1].activity_key) if more and page else None)


def encode_cursor(key: str) -> str:
    return key.replace("#", "~", 1)


def decode_cursor(cursor: str) -> str:
    """The activity key a cursor holds; 400 for text of another form."""
    if not _CURSOR.fullmatch(cursor):
        raise RequestError(
            400, "Bad Request", f"cursor {cursor[:80]!r} is not one a session listing gives out"
        )
    return cursor.replace("~", "#", 1)
