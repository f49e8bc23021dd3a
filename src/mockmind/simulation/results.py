"""What a simulation measured: per step, the statuses and latencies; every failed check with
the session it happened in (``mockmind inspect-session`` shows that session's journal)."""

from __future__ import annotations

from collections import Counter
from dataclasses import field
from typing import Any

from mockmind.domain.percentiles import nearest_rank
from mockmind.lean_dataclass import dataclass
from mockmind.simulation.next_step import ChooserUsage

# Kept in full up to this many; beyond it only counted, so a long run's memory stays bounded.
MAX_FAILURES_KEPT = 1000
# The check of a request that got no answer (refused, timed out, cut off): counted apart too,
# as it says more about the network or the load than about the API.
TRANSPORT = "transport"


@dataclass(frozen=True)
class Failure:
    user: int
    session_id: str
    iteration: int
    step: str
    check: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "session_id": self.session_id,
            "iteration": self.iteration,
            "step": self.step,
            "check": self.check,
            "message": self.message,
        }


@dataclass
class StepTally:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    failures: int = 0

    def summary(self, label: str) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        return {
            "step": label,
            "requests": len(ordered),
            "statuses": dict(sorted(self.statuses.items())),
            "failures": self.failures,
            "latency_ms": {
                "p50": nearest_rank(ordered, 50),
                "p95": nearest_rank(ordered, 95),
                "p99": nearest_rank(ordered, 99),
                "max": ordered[-1] if ordered else None,
                "mean": round(sum(ordered) / len(ordered), 3) if ordered else None,
            },
        }


@dataclass
class Results:
    flow: str
    users: int
    steps: dict[str, StepTally] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    failure_count: int = 0
    transport_errors: int = 0
    checks_passed: int = 0
    iterations: int = 0
    wall_seconds: float = 0.0
    # With choose: llm, what choosing the steps cost.
    llm: ChooserUsage | None = None

    def request(self, label: str, status: str, latency_ms: float) -> None:
        tally = self.steps.setdefault(label, StepTally())
        tally.statuses[status] += 1
        tally.latencies_ms.append(latency_ms)

    def passed(self) -> None:
        self.checks_passed += 1

    def failed(self, failure: Failure) -> None:
        self.failure_count += 1
        if failure.check == TRANSPORT:
            self.transport_errors += 1
        self.steps.setdefault(failure.step, StepTally()).failures += 1
        if len(self.failures) < MAX_FAILURES_KEPT:
            self.failures.append(failure)

    @property
    def requests(self) -> int:
        return sum(len(t.latencies_ms) for t in self.steps.values())

    @property
    def ok(self) -> bool:
        return self.failure_count == 0

    def all_latencies(self) -> list[float]:
        return sorted(v for t in self.steps.values() for v in t.latencies_ms)

    def to_dict(self) -> dict[str, Any]:
        overall = self.all_latencies()
        return {
            "flow": self.flow,
            "users": self.users,
            "iterations": self.iterations,
            "wall_seconds": round(self.wall_seconds, 3),
            "requests": self.requests,
            "requests_per_second": (
                round(self.requests / self.wall_seconds, 1) if self.wall_seconds > 0 else None
            ),
            "latency_ms": {
                "p50": nearest_rank(overall, 50),
                "p95": nearest_rank(overall, 95),
                "p99": nearest_rank(overall, 99),
            },
            "checks": {"passed": self.checks_passed, "failed": self.failure_count},
            "transport_errors": self.transport_errors,
            "steps": [tally.summary(label) for label, tally in self.steps.items()],
            "failures": [f.to_dict() for f in self.failures],
            "failures_not_listed": self.failure_count - len(self.failures),
            **({"llm": self.llm.to_dict()} if self.llm is not None else {}),
        }
