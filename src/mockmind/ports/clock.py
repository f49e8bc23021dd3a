"""Time, passed in so the domain never reads the wall clock itself (tests move it by hand)."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait (latency injection); a test clock just moves its time on."""
        ...


class SystemClock:
    # The C function itself, not a method calling it: every request reads the clock a few
    # times (bench/RESULTS.md, row 1).
    now = staticmethod(time.time)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
