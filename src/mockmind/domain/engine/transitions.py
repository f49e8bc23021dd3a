"""State machine steps: transitions a route triggers or a rule asks for, and the checks that
keep writes (create, PUT, PATCH) from skipping a transition."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from mockmind.domain.engine.exchange import Exchange
from mockmind.domain.engine.world import World
from mockmind.domain.resources import ResourceAction, ResourceContext
from mockmind.domain.state_machines import StateMachine


class Transitions:
    def __init__(self, world: World) -> None:
        self._world = world
        self._resources = world.resources

    def apply_rule_moves(self, ex: Exchange, moves: Sequence[tuple[str, str]]) -> None:
        """Rules' ``transition`` actions: each moves the request's entity, if it is the
        machine's resource and the move is allowed (409 when it is not)."""
        for machine_name, target in moves:
            machine = self._world.machines.get(machine_name)
            touched = ex.touched
            if machine is None or touched is None or touched.spec.name != machine.resource:
                continue
            self._resources.update(ex.ctx, touched, _moving(machine, touched, target))

    def triggered(self, ex: Exchange) -> dict[str, Any] | None:
        """Apply the transition this request triggers, if any; 409 when it is out of order.

        The entity is the machine's resource named in the path: ``/orders/{orderId}/pay``
        moves the order, and ``POST /applications/{applicationId}/documents`` (a nested
        create) moves the application before the document is stored.
        """
        for trigger in ex.route.triggers:
            action = trigger.action(ex.routed.path_params)
            if action is not None:
                return self._move(ex, trigger.machine, trigger.transitions, action)
        return None

    def _move(
        self,
        ex: Exchange,
        machine: StateMachine,
        transitions: Sequence[Any],
        touched: ResourceAction,
    ) -> dict[str, Any]:
        # Decided on the entity as it is when written: of two requests paying one order at
        # once, the one that writes second finds it paid, and is refused.
        def move(entity: dict[str, Any]) -> dict[str, Any]:
            current = entity.get(machine.field)
            for transition in transitions:
                if current not in transition.from_states:
                    continue
                if transition.guard is not None and not transition.guard.matches(
                    ex.rule_input(entity)
                ):
                    continue
                updated = dict(entity)
                updated[machine.field] = transition.to
                for name, expression in transition.set_fields.items():
                    updated[name] = expression.evaluate(updated, ex.ctx)
                return updated
            raise machine.refusal(touched.entity_id, current, transitions[0].to)

        return self._resources.update(ex.ctx, touched, move)

    def check_create(self, machine: StateMachine, body: Any) -> None:
        """A new entity starts in the initial state: a body naming another is refused."""
        if isinstance(body, Mapping):
            state = body.get(machine.field)
            if state is not None and state != machine.initial:
                raise machine.refusal("(new)", None, str(state))

    def write_check(
        self, action: ResourceAction, body: Any
    ) -> Callable[[dict[str, Any]], None] | None:
        """For a PUT or PATCH that changes the state field: the check that it follows a
        transition, made on the entity as it is when written."""
        machine = self._world.machine_for(action.spec.name)
        if machine is None or not isinstance(body, Mapping):
            return None
        new_state = body.get(machine.field)
        if new_state is None:
            return None

        def check(current: dict[str, Any]) -> None:
            if not machine.allows(current.get(machine.field), str(new_state)):
                raise machine.refusal(action.entity_id, current.get(machine.field), str(new_state))

        return check

    def unset_later_fields(
        self,
        ctx: ResourceContext,
        action: ResourceAction,
        machine: StateMachine,
        body: Any,
        entity: dict[str, Any],
    ) -> dict[str, Any]:
        """A new order has no ``paid_at``: fields a transition sets wait for that transition.

        The generator fills every property; these would claim events that never happened.
        """
        given = set(body) if isinstance(body, Mapping) else set()
        later = {f for t in machine.transitions for f in t.set_fields} - given
        if not later & set(entity):
            return entity
        created = replace(action, kind="read", entity_id=entity.get(action.spec.id_field))
        return self._resources.update(
            ctx, created, lambda stored: {k: v for k, v in stored.items() if k not in later}
        )


def _moving(
    machine: StateMachine, touched: ResourceAction, target: str
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A rule's move of the entity to ``target``, refused (409) when the machine forbids it."""

    def move(entity: dict[str, Any]) -> dict[str, Any]:
        current = entity.get(machine.field)
        if not machine.allows(current, target):
            raise machine.refusal(touched.entity_id, current, target)
        return {**entity, machine.field: target}

    return move
