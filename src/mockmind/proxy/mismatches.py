"""The mismatches found so far, for the admin routes: the newest ``limit`` kept, all counted."""

from __future__ import annotations

from collections import deque

from mockmind.lean_dataclass import dataclass
from mockmind.proxy.drift import Mismatch, Side

DEFAULT_KEPT = 1000


@dataclass(frozen=True)
class MismatchReport:
    """A mismatch and the exchange it was found in (``exchange`` counts from 1)."""

    exchange: int
    at: float
    method: str
    path: str
    operation: str | None
    status: int
    side: Side
    location: str
    message: str


class MismatchLog:
    def __init__(self, limit: int = DEFAULT_KEPT) -> None:
        self._kept: deque[MismatchReport] = deque(maxlen=limit)
        self.total = 0

    def add(self, report: MismatchReport) -> None:
        self._kept.append(report)
        self.total += 1

    def reports(self) -> list[MismatchReport]:
        return list(self._kept)


def report(
    mismatch: Mismatch,
    *,
    exchange: int,
    at: float,
    method: str,
    path: str,
    operation: str | None,
    status: int,
) -> MismatchReport:
    return MismatchReport(
        exchange=exchange,
        at=at,
        method=method,
        path=path,
        operation=operation,
        status=status,
        side=mismatch.side,
        location=mismatch.location,
        message=mismatch.message,
    )
