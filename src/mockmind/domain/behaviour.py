"""The config's behaviour as data, for the behaviour designer: state machines and rules.

Each state machine with its states and transitions (trigger, guard, fields set), each rule
with its condition, priority and action, in the order the rule book runs them; and where the
entities of a session stand in each machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockmind.domain.rules import actions
from mockmind.domain.rules.book import RuleBook
from mockmind.domain.state_machines import StateMachine
from mockmind.lean_dataclass import dataclass

# The config's name of each action (config/models.py, `action.type`).
_ACTION_KINDS: dict[type[Any], str] = {
    actions.RequireAuth: "require_auth",
    actions.Validate: "validate",
    actions.Respond: "respond",
    actions.SetState: "set_state",
    actions.Transition: "transition",
    actions.Delay: "delay",
    actions.Fault: "fault",
}


@dataclass(frozen=True)
class TransitionView:
    from_states: tuple[str, ...]
    to: str
    trigger: str
    guard: str | None
    sets: Mapping[str, str]


@dataclass(frozen=True)
class MachineView:
    name: str
    resource: str
    field: str
    initial: str
    states: tuple[str, ...]
    transitions: tuple[TransitionView, ...]
    # Where each entity of the chosen session stands (entity id: state); empty without one.
    positions: Mapping[str, str | None]


@dataclass(frozen=True)
class RuleView:
    name: str
    condition: str
    priority: int
    action: str


@dataclass(frozen=True)
class Behaviour:
    machines: tuple[MachineView, ...]
    rules: tuple[RuleView, ...]


def describe_behaviour(
    machines: Mapping[str, StateMachine],
    rules: RuleBook,
    entities: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
) -> Behaviour:
    """The machines (in config order) and the rules (in the order they run); with a session's
    ``entities`` (by collection, then id), each machine's entities and their states."""
    return Behaviour(
        machines=tuple(
            _machine(machine, (entities or {}).get(machine.resource, {}))
            for machine in machines.values()
        ),
        rules=tuple(
            RuleView(
                rule.name,
                rule.condition.text,
                rule.priority,
                action_kind(rule.action),
            )
            for rule in rules.rules
        ),
    )


def action_kind(action: object) -> str:
    """The config's name of a rule's action (``require_auth``, ``respond``, ...)."""
    return _ACTION_KINDS.get(type(action), type(action).__name__)


def _machine(machine: StateMachine, entities: Mapping[str, Mapping[str, Any]]) -> MachineView:
    positions: dict[str, str | None] = {}
    for entity_id in sorted(entities):
        value = entities[entity_id].get(machine.field)
        positions[entity_id] = value if isinstance(value, str) else None
    return MachineView(
        name=machine.name,
        resource=machine.resource,
        field=machine.field,
        initial=machine.initial,
        states=machine.states,
        transitions=tuple(
            TransitionView(
                from_states=tuple(s for s in machine.states if s in t.from_states)
                + tuple(sorted(s for s in t.from_states if s not in machine.states)),
                to=t.to,
                trigger=t.trigger,
                guard=t.guard.text if t.guard is not None else None,
                sets={name: expression.text for name, expression in t.set_fields.items()},
            )
            for t in machine.transitions
        ),
        positions=positions,
    )
