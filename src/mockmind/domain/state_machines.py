"""State machines per resource: an order cannot ship before it is paid.

A transition names the request that triggers it (``on: "POST /orders/{orderId}/pay"``), the
states it may start from, an optional guard (a rule condition) and fields to set
(``paid_at: now()``). Writes that change the state field directly (PUT, PATCH) must follow a
transition too. A refused transition answers 409 with the current state and the allowed moves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any

from mockmind.domain.errors import RequestError
from mockmind.domain.resources.specs import ResourceSpec
from mockmind.domain.rules.conditions import Condition
from mockmind.domain.rules.expressions import Expression
from mockmind.lean_dataclass import dataclass


@dataclass(frozen=True)
class Transition:
    from_states: frozenset[str]
    to: str
    method: str
    path: str
    guard: Condition | None = None
    set_fields: Mapping[str, Expression] = field(default_factory=dict)

    @property
    def trigger(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class StateMachine:
    name: str
    resource: str
    field: str
    initial: str
    states: tuple[str, ...]
    transitions: tuple[Transition, ...]

    def triggered_by(self, method: str, path_template: str) -> list[Transition]:
        template = path_template.rstrip("/")
        return [t for t in self.transitions if t.method == method.upper() and t.path == template]

    def moves_from(self, state: str | None) -> list[Transition]:
        return [t for t in self.transitions if state in t.from_states]

    def allows(self, current: str | None, target: str) -> bool:
        return current == target or any(t.to == target for t in self.moves_from(current))

    def refusal(self, entity_id: object, current: str | None, wanted: str) -> RequestError:
        allowed = [{"to": t.to, "on": t.trigger} for t in self.moves_from(current)]
        error = RequestError(
            409,
            "Conflict",
            f"{self.resource} {entity_id} is {current!r}; it cannot become {wanted!r}",
        )
        error.extra = {
            "current_state": current,
            "requested_state": wanted,
            "allowed_transitions": allowed,
        }
        return error


def split_trigger(trigger: str) -> tuple[str, str]:
    method, _, path = trigger.strip().partition(" ")
    return method.upper(), path.strip().rstrip("/") or "/"


def machines_by_resource(machines: Mapping[str, StateMachine]) -> dict[str, StateMachine]:
    """The machine governing each resource's state field: the first, if several name it."""
    found: dict[str, StateMachine] = {}
    for machine in machines.values():
        found.setdefault(machine.resource, machine)
    return found


def initial_states(
    machines: Mapping[str, StateMachine],
) -> Callable[[object, ResourceSpec, dict[str, Any]], None]:
    """A write hook: an entity whose state field holds no state of its machine (a generated
    one, or none) starts in the machine's initial state."""
    by_resource = machines_by_resource(machines)

    def set_initial(_ctx: object, spec: ResourceSpec, entity: dict[str, Any]) -> None:
        machine = by_resource.get(spec.name)
        if machine is not None and entity.get(machine.field) not in machine.states:
            entity[machine.field] = machine.initial

    return set_initial


def starting_states(
    machines: Mapping[str, StateMachine],
) -> Callable[[object, ResourceSpec, dict[str, Any]], None]:
    """A hook for an entity made up for an id never seen (a read-through): it starts in its
    machine's initial state, whatever state the generator or a model picked, as a created
    one does; only transitions move it on."""
    by_resource = machines_by_resource(machines)

    def set_start(_ctx: object, spec: ResourceSpec, entity: dict[str, Any]) -> None:
        machine = by_resource.get(spec.name)
        if machine is not None:
            entity[machine.field] = machine.initial

    return set_start
