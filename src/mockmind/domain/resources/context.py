"""What one request's resource work needs: its scope, its time, and names for expressions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol

from mockmind.domain.journal import EntityChange
from mockmind.domain.resources.specs import ResourceSpec
from mockmind.ports.entity_store import EntityRecord

UnknownIds = Literal["not_found", "generated", "generated_on_read"]
"""What an id the session never created nor saw stands for in a request:

- ``not_found``: nothing; it is 404 (the operation documents a 404, a 4XX or a default).
- ``generated``: an entity generated now and kept, for a read, a change or a delete alike, and
  for a missing parent (the operation documents no answer a 404 could be).
- ``generated_on_read``: REST conventions without a document (schema routes): a read makes
  the entity, a change or a delete is 404.
"""


class EntityViews(Protocol):
    """The part of the resource service that expressions read through a context."""

    def by_name(self, name: str) -> ResourceSpec | None: ...

    def singleton_view(self, ctx: ResourceContext, spec: ResourceSpec) -> dict[str, Any]: ...

    def all(self, ctx: ResourceContext, spec: ResourceSpec) -> list[dict[str, Any]]: ...

    def read(
        self, ctx: ResourceContext, spec: ResourceSpec, entity_id: Any, *, create: bool | None
    ) -> dict[str, Any]: ...


class ResourceContext:
    """Scope (the session, or the shared seed set), time and request, for one request."""

    def __init__(
        self,
        service: EntityViews,
        scope: str,
        now: float,
        state: Mapping[str, Any],
        request_body: Any = None,
        unknown_ids: UnknownIds = "generated_on_read",
        seeds: str | None = None,
    ) -> None:
        self.service = service
        self.unknown_ids: UnknownIds = unknown_ids
        self.scope = scope
        # The scope whose seeds new ids and generated content follow: the scope itself, but a
        # replay's scratch session follows the recorded session's, so that the same requests
        # make the same entities (domain/session_replay.py).
        self.seeds = scope if seeds is None else seeds
        self._now = now
        self.state = state
        self.request_body = request_body
        # What this request read of each collection: each record, and the version of the
        # session's own record it read (None for a shared entity). Clearing a collection
        # clears what was read, and only as it was read.
        self.seen: dict[str, list[tuple[EntityRecord, int | None]]] = {}
        # Every entity write of this request, in order, as the session saw it (a copy-on-write
        # of a shared entity has the shared value as ``before``): the journal records them.
        # None when nothing records them.
        self.changes: list[EntityChange] | None = None

    def now(self) -> float:
        return self._now

    def named(self, name: str) -> Any:
        if name == "state":
            return dict(self.state)
        if name == "request":
            return self.request_body
        spec = self.service.by_name(name)
        if spec is None:
            return None
        if spec.singleton:
            return self.service.singleton_view(self, spec)
        return self.service.all(self, spec)

    def lookup(self, collection: str, entity_id: Any) -> Mapping[str, Any] | None:
        spec = self.service.by_name(collection)
        if spec is None or entity_id is None or spec.singleton:
            return None
        # An expression's lookup (``lookup(products, product_id)``) reads through whatever the
        # request's operation documents: it is not the entity the request is about.
        return self.service.read(self, spec, entity_id, create=True)
