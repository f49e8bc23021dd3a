"""The consistency machinery compiled from config: resources, rules, machines and login."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field

from mockmind.domain.auth import TokenIssuer
from mockmind.domain.resources import ResourceService
from mockmind.domain.rules.book import RuleBook
from mockmind.domain.state_machines import StateMachine, machines_by_resource
from mockmind.lean_dataclass import dataclass


@dataclass
class World:
    resources: ResourceService
    rules: RuleBook = field(default_factory=lambda: RuleBook([]))
    machines: Mapping[str, StateMachine] = field(default_factory=dict)
    auth: TokenIssuer | None = None

    def describe(self) -> tuple[str, ...]:
        """The guarantees in words, for the model's prompt: what it must not contradict."""
        lines: list[str] = []
        for machine in self.machines.values():
            moves = "; ".join(
                f"{'/'.join(sorted(t.from_states))} -> {t.to} on {t.trigger}"
                for t in machine.transitions
            )
            lines.append(
                f"{machine.resource}.{machine.field} starts as {machine.initial!r} and changes "
                f"only by these transitions: {moves}"
            )
        for spec in self.resources.specs.values():
            for name, expression in spec.computed.items():
                lines.append(f"{spec.name}.{name} is always {expression.text}")
        return tuple(lines)

    def __post_init__(self) -> None:
        self._by_resource = machines_by_resource(self.machines)

    def machine_for(self, resource: str) -> StateMachine | None:
        """The machine governing a resource's state field (the first, if several name it)."""
        return self._by_resource.get(resource)
