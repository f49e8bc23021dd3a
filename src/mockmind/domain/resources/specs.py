"""What a resource is: its paths, id and schema, and one request's action on it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from typing import Any, Literal

from mockmind.domain.rules.expressions import Expression
from mockmind.lean_dataclass import dataclass

# Bookkeeping records (id sequences, seed and prefill markers), stored beside the entities.
META_COLLECTION = "__meta__"

IdKind = Literal["prefixed", "integer", "uuid", "schema"]
ActionKind = Literal["list", "create", "read", "replace", "merge", "delete"]

_PARAM = re.compile(r"^\{([^}]+)\}$")
# An item segment may carry a format suffix: ``{id}.json``.
_ITEM_PARAM = re.compile(r"^\{([^}]+)\}(?:\.[A-Za-z0-9]+)?$")


@dataclass(frozen=True)
class ResourceSpec:
    name: str
    collection_path: str
    item_path: str | None = None
    id_param: str | None = None
    id_field: str = "id"
    id_kind: IdKind = "prefixed"
    singleton: bool = False
    parent: str | None = None
    parent_param: str | None = None
    parent_field: str | None = None
    schema: Mapping[str, Any] | bool | None = None
    computed: Mapping[str, Expression] = field(default_factory=dict)
    on_create: Mapping[str, Expression] = field(default_factory=dict)
    clears: tuple[str, ...] = ()
    seed: tuple[Mapping[str, Any], ...] = ()
    seed_count: int = 0
    prefill: int = 0
    # The listing's ``minItems``: a list never answers fewer (more are made when it would).
    min_items: int = 0
    filters: tuple[str, ...] = ()
    # Whether a PUT of an id never seen creates the entity under that id (the API documents
    # a 201 for the item path's PUT) rather than answering 404.
    put_creates: bool = False
    # An item path without a collection path (``/admin/users/{id}.json``): entities are read
    # through and deleted, never listed or created, and writes to them are not stored.
    item_only: bool = False


@dataclass(frozen=True)
class ResourceAction:
    spec: ResourceSpec
    kind: ActionKind
    entity_id: Any = None
    parent_id: Any = None


def path_segments(template: str) -> list[str]:
    return [s for s in template.split("/") if s]


def param_name(segment: str) -> str | None:
    """``{orderId}`` -> ``orderId``; a literal segment has none."""
    match = _PARAM.match(segment)
    return match.group(1) if match else None


def item_param_name(segment: str) -> str | None:
    """``{id}`` or ``{id}.json`` -> ``id``: the parameter an item path's last segment names."""
    match = _ITEM_PARAM.match(segment)
    return match.group(1) if match else None
