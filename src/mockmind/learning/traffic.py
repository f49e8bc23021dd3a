"""The exchanges in order, each with its operation (method and path template)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from typing import Any

from mockmind.lean_dataclass import dataclass
from mockmind.learning.exchanges import Exchange
from mockmind.learning.paths import PathModel, infer_paths


@dataclass(frozen=True)
class Operation:
    method: str
    template: str

    @property
    def trigger(self) -> str:
        """How the config names it: ``POST /orders/{orderId}/pay``."""
        return f"{self.method} {self.template}"


@dataclass
class Traffic:
    exchanges: Sequence[Exchange]
    paths: PathModel
    operations: dict[Operation, list[Exchange]] = field(default_factory=dict)

    @classmethod
    def of(cls, exchanges: Sequence[Exchange]) -> Traffic:
        ordered = sorted(exchanges, key=lambda e: e.order)
        statuses: dict[str, set[int]] = {}
        for exchange in ordered:
            statuses.setdefault(exchange.path, set()).add(exchange.status)
        not_found = [path for path, seen in statuses.items() if seen == {404}]
        traffic = cls(ordered, infer_paths(((e.method, e.path) for e in ordered), not_found))
        for exchange in ordered:
            traffic.operations.setdefault(traffic.operation(exchange), []).append(exchange)
        return traffic

    def operation(self, exchange: Exchange) -> Operation:
        return Operation(exchange.method, self.paths.template_of(exchange.path))

    def templates(self) -> list[str]:
        return sorted({op.template for op in self.operations})

    def methods_of(self, template: str) -> set[str]:
        return {op.method for op in self.operations if op.template == template}


def succeeded(exchange: Exchange) -> bool:
    return 200 <= exchange.status < 300


def json_object(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None
