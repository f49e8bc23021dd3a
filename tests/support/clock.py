"""A clock the test moves by hand (the ``Clock`` port), so nothing waits for time to pass."""

from __future__ import annotations

from mockmind.adapters.memory import SessionLifetimes


class ManualClock:
    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


def still_lifetimes() -> SessionLifetimes:
    """Lifetimes whose clock stands at 0: memory stores that free nothing by expiry, for
    tests about what a read sees at the times they pass in."""
    return SessionLifetimes(ManualClock())
