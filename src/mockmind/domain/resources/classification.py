"""Which resource a request is about, and how: decided by its method and path template alone.

The answer is the same for every request of one method and template, so a route plan works
it out once (``domain/route_plan``); only the ids come from each request's path parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any, Literal

from mockmind.domain.resources.specs import ActionKind, ResourceAction, ResourceSpec
from mockmind.lean_dataclass import built, dataclass

Shape = Literal["singleton", "collection", "item"]

_ITEM_KINDS: Mapping[str, ActionKind] = {
    "GET": "read",
    "PUT": "replace",
    "PATCH": "merge",
    "DELETE": "delete",
}


@dataclass(frozen=True)
class ResourceRoute:
    """A template's resource, the kind of action, and where the ids sit in its path."""

    spec: ResourceSpec
    kind: ActionKind
    shape: Shape

    def action(self, path_params: Mapping[str, Any]) -> ResourceAction:
        fixed = self._fixed
        if fixed is not None:
            return fixed
        spec = self.spec
        parent_id = path_params.get(spec.parent_param) if spec.parent_param else None
        entity_id = path_params.get(spec.id_param or "") if self.shape == "item" else None
        # Made without the frozen __init__ (lean_dataclass.built): one for every request.
        return built(
            ResourceAction, spec=spec, kind=self.kind, entity_id=entity_id, parent_id=parent_id
        )

    @cached_property
    def _fixed(self) -> ResourceAction | None:
        """The action of every request, when no path parameter names its entity (a
        singleton, or a top-level collection); frozen, so each request can have it."""
        if self.shape == "singleton":
            return ResourceAction(self.spec, self.kind, "_")
        if self.shape == "collection" and not self.spec.parent_param:
            return ResourceAction(self.spec, self.kind)
        return None


def classify(specs: Iterable[ResourceSpec], method: str, template: str) -> ResourceRoute | None:
    """The CRUD action a method and template make on a resource, if they make one."""
    template = template.rstrip("/") or "/"
    method = method.upper()
    for spec in specs:
        if template == spec.collection_path and not spec.item_only:
            if spec.singleton:
                kind = _ITEM_KINDS.get(method)
                return ResourceRoute(spec, kind, "singleton") if kind else None
            if method in ("GET", "POST"):
                return ResourceRoute(spec, "list" if method == "GET" else "create", "collection")
        if template == spec.item_path and spec.id_param:
            kind = _ITEM_KINDS.get(method)
            if spec.item_only and kind in ("replace", "merge"):
                return None
            if kind:
                return ResourceRoute(spec, kind, "item")
    return None


def sub_path_route(specs: Iterable[ResourceSpec], template: str) -> ResourceRoute | None:
    """The entity a sub-path like ``/orders/{orderId}/pay`` is about, read (not changed)."""
    spec = next(
        (s for s in specs if s.item_path and s.id_param and template.startswith(s.item_path + "/")),
        None,
    )
    return ResourceRoute(spec, "read", "item") if spec is not None else None
