"""Everything about a route that is the same for each of its requests, worked out once.

A ``RoutePlan`` per method and path template holds which resource the route is about and how
(a CRUD action, or the entity of a sub-path such as ``/orders/{orderId}/pay``), the state
machine transitions it triggers, the rules it may fire, and the response plan for each way
``Prefer`` and ``Accept`` ask. A ``RoutePlanner`` keeps them in one bounded memo: schema
routes make a template of any path a client sends.

Schema routes' collections that no schema names (``/widgets``) are resources too, as soon as a
route about them is first planned: ``discover`` says which collections a template is about,
they are inferred as an OpenAPI document's are, and the entity store keeps them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Literal

from mockmind.domain.engine.world import World
from mockmind.domain.http import MockRequest
from mockmind.domain.memo import BoundedMemo
from mockmind.domain.resources import ResourceAction, ResourceRoute, ResourceSpec
from mockmind.domain.resources.classification import classify, sub_path_route
from mockmind.domain.resources.context import UnknownIds
from mockmind.domain.resources.inference import infer_resources
from mockmind.domain.rules.book import RouteRules
from mockmind.domain.state_machines import StateMachine, Transition
from mockmind.lean_dataclass import dataclass
from mockmind.ports.api_description import (
    ApiDescription,
    OperationInfo,
    ResponsePlan,
    RoutedRequest,
    SchemaResolver,
)

# Method and template pairs remembered: a document's routes, or a client's schema routes.
_PLAN_MEMO_SIZE = 4096
# Distinct Prefer and Accept pairs remembered per route; clients use a handful.
_RESPONSES_PER_ROUTE = 32
# Resources known at most, those found after start included: a client inventing paths makes
# no more (its further collections are generated, not stored).
_RESOURCE_LIMIT = 1024

LoginRole = Literal["login", "logout"] | None

Discovery = Callable[[str], list[OperationInfo]]
"""The REST operations of the collections a route template is about (schema routes)."""


@dataclass(frozen=True)
class Trigger:
    """A state machine this route moves, and where the moved entity's id is in the path."""

    machine: StateMachine
    transitions: tuple[Transition, ...]
    spec: ResourceSpec
    id_param: str

    def action(self, path_params: Mapping[str, object]) -> ResourceAction | None:
        if self.id_param not in path_params:
            return None
        parent_id = path_params.get(self.spec.parent_param or "")
        return ResourceAction(self.spec, "read", path_params[self.id_param], parent_id)


@dataclass
class RoutePlan:
    method: str
    template: str
    # The CRUD action of the route, if it is one.
    resource: ResourceRoute | None
    # The entity the route is about without being a CRUD call on it (a sub-path).
    sub_path: ResourceRoute | None
    triggers: tuple[Trigger, ...]
    rules: RouteRules
    # ``METHOD /template``: what a journal records a state-machine move as made by.
    line: str
    # Whether the route is the config's login or logout route (auth.py), or neither.
    login_role: LoginRole = None
    _responses: dict[tuple[str | None, str | None], ResponsePlan] = field(default_factory=dict)
    # Whether the operation documents an answer of each status asked about.
    _documented: dict[int, bool] = field(default_factory=dict)
    # What the route answers for an id nothing stored (MockEngine._unknown_ids): a matter of
    # its operation alone, worked out on its first request (None until then).
    unknown_ids: UnknownIds | None = None

    def action(self, path_params: Mapping[str, object]) -> ResourceAction | None:
        return self.resource.action(path_params) if self.resource is not None else None

    def touched(
        self, direct: ResourceAction | None, path_params: Mapping[str, object]
    ) -> ResourceAction | None:
        """The entity the request is about: its CRUD target, or its sub-path's entity."""
        if direct is not None:
            return direct
        return self.sub_path.action(path_params) if self.sub_path is not None else None

    def response(self, api: ApiDescription, routed: RoutedRequest) -> ResponsePlan:
        """The response plan for how this request asks (``Prefer``, ``Accept``).

        The same route asked the same way gets the same plan: negotiation and example lookup
        were a tenth of a cached answer's time (bench/RESULTS.md).
        """
        headers = routed.request.headers
        key = (headers.get("prefer"), headers.get("accept"))
        plan = self._responses.get(key)
        if plan is None:
            plan = api.plan_response(routed)
            if len(self._responses) < _RESPONSES_PER_ROUTE:
                self._responses[key] = plan
        return plan

    def documents(self, api: ApiDescription, request: MockRequest, status: int) -> bool:
        """Whether the route's operation documents ``status`` (the code, its range, default)."""
        known = self._documented.get(status)
        if known is None:
            known = api.error_plan(request, self.template, status) is not None
            self._documented[status] = known
        return known


class RoutePlanner:
    """Plans routes against a world's resources, machines and rules; one memo for all."""

    def __init__(
        self, world: World, discover: Discovery | None = None, resolve: SchemaResolver | None = None
    ) -> None:
        self._world = world
        self._discover = discover
        self._resolve = resolve
        self._specs = tuple(world.resources.specs.values())
        self._plans: BoundedMemo[tuple[str, str], RoutePlan] = BoundedMemo(_PLAN_MEMO_SIZE)

    def plan(self, method: str, template: str) -> RoutePlan:
        key = (method, template)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._build(method, template)
            self._plans.put(key, plan)
        return plan

    def _build(self, method: str, template: str) -> RoutePlan:
        resource = classify(self._specs, method, template)
        sub_path = sub_path_route(self._specs, template) if resource is None else None
        if resource is None and sub_path is None and self._adopt(template):
            resource = classify(self._specs, method, template)
            sub_path = sub_path_route(self._specs, template) if resource is None else None
        return RoutePlan(
            method=method,
            template=template,
            resource=resource,
            sub_path=sub_path,
            triggers=self._triggers(method, template),
            rules=self._world.rules.for_route(method),
            login_role=self._login_role(method, template),
            line=f"{method} {template}",
        )

    def _login_role(self, method: str, template: str) -> LoginRole:
        auth = self._world.auth
        if auth is None:
            return None
        if auth.is_login(method, template):
            return "login"
        return "logout" if auth.is_logout(method, template) else None

    def _adopt(self, template: str) -> bool:
        """Make the collections ``template`` is about resources; True if any is new."""
        if self._discover is None or self._resolve is None:
            return False
        operations = self._discover(template)
        if not operations:
            return False
        resources = self._world.resources
        known = len(resources.specs)
        if not resources.adopt(infer_resources(operations, self._resolve), _RESOURCE_LIMIT):
            return False
        if len(resources.specs) == known:
            return False
        self._specs = tuple(resources.specs.values())
        return True

    def _triggers(self, method: str, template: str) -> tuple[Trigger, ...]:
        found = []
        for machine in self._world.machines.values():
            transitions = machine.triggered_by(method, template)
            spec = self._world.resources.by_name(machine.resource)
            if transitions and spec is not None and spec.id_param:
                found.append(Trigger(machine, tuple(transitions), spec, spec.id_param))
        return tuple(found)
